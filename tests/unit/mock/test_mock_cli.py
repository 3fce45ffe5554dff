"""The `mockfortnox` command's small things: version, scopes as OAuth writes them, the URL
from the environment."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner

from mockfortnox import __version__, create_app
from mockfortnox.cli import main
from mockfortnox.server import MockServer


@pytest.fixture(scope="module")
def served():
    server = MockServer(create_app({"MOCK_RATE_LIMIT": "off"})).start()
    yield server
    server.stop()


def _scopes_of(server: MockServer, token: str) -> list[str]:
    state = server.app.extensions["mockfortnox"]
    return state.access_tokens[token].scopes


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_scopes_with_spaces_work_like_repeating_the_option(served):
    runner = CliRunner()
    spaced = runner.invoke(
        main, ["token", "--tenant", "demo", "--url", served.url, "--scope", "customer invoice"]
    )
    repeated = runner.invoke(main, ["token", "--tenant", "demo", "--url", served.url, "--scope", "customer",
                                    "--scope", "invoice"])  # fmt: skip
    assert spaced.exit_code == repeated.exit_code == 0, spaced.output
    assert _scopes_of(served, spaced.output.strip()) == _scopes_of(served, repeated.output.strip()) == [
        "customer", "invoice"]  # fmt: skip


def test_an_unknown_scope_is_refused_before_asking_the_mock():
    result = CliRunner().invoke(
        main, ["token", "--tenant", "demo", "--url", "http://127.0.0.1:9", "--scope", "invoices"]
    )
    assert result.exit_code == 2 and "unknown scope invoices" in result.output


def test_the_url_comes_from_mockfortnox_url(served):
    result = CliRunner().invoke(main, ["token", "--tenant", "demo"], env={"MOCKFORTNOX_URL": served.url})
    assert result.exit_code == 0, result.output
    answer = httpx.get(
        f"{served.url}/3/customers", headers={"Authorization": f"Bearer {result.output.strip()}"}
    )
    assert answer.status_code == 200


def test_reset_says_it_invalidates_tokens(served):
    result = CliRunner().invoke(main, ["token", "--tenant", "demo", "--url", served.url])
    said = httpx.post(f"{served.url}/mock/reset").json()["tokens"]
    assert "invalidated" in said
    answer = httpx.get(
        f"{served.url}/3/customers", headers={"Authorization": f"Bearer {result.output.strip()}"}
    )
    assert answer.status_code == 401
