"""Every operation of Fortnox's spec is served, and the mock's own /openapi.json says so."""

from __future__ import annotations

from conftest import normalise

from mockfortnox import create_app
from mockfortnox.errors import INVENTED_BEHAVIOUR
from mockfortnox.spec_coverage import coverage, main


def test_every_operation_of_the_spec_is_implemented(official_spec):
    implemented, missing = coverage(official_spec, create_app({"MOCK_RATE_LIMIT": "off"}))
    assert not missing, f"{len(implemented)} / {len(implemented) + len(missing)}: {missing}"


def test_the_mock_s_own_openapi_document_lists_them_all(official_spec):
    ours = create_app({"MOCK_RATE_LIMIT": "off"}).test_client().get("/openapi.json").get_json()["paths"]
    listed = {(m.upper(), normalise(p)) for p, ops in ours.items() for m in ops}
    wanted = {(m.upper(), normalise(p)) for p, ops in official_spec["paths"].items() for m in ops
              if m in ("get", "put", "post", "delete", "patch")}  # fmt: skip
    assert wanted <= listed, sorted(wanted - listed)


def test_the_coverage_command_prints_the_figure(reference, capsys):
    assert main([str(reference / "fortnox" / "openapi.json")]) == 0
    assert capsys.readouterr().out.startswith("377 / 377 operations")


def test_every_invented_behaviour_says_what_the_mock_does():
    assert all(len(text) > 20 for text in INVENTED_BEHAVIOUR.values())
