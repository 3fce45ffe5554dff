"""SIE files through the whole bridge against the mock: vouchers created once whatever happens
to the answers, a partly refused file resumed on retry, types 1–3, duplicates, `check`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sie_flow_helpers import HEAD, company, sie_file

from bridge.cli import main
from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline.masterdata import save_master_data
from bridge.pipeline.service import Bridge
from bridge.util import loads
from bridge.util.i18n import language
from mockfortnox import create_app
from mockfortnox.faults import DroppedResponse

COMPANY = {
    "name": "ovning",
    "company": {"CompanyName": "Övningsbolaget AB", "OrganizationNumber": "556334-3689"},
    "licences": ["bookkeeping", "companyinformation", "costcenter", "project", "settings"],
    "financialyears": [{"FromDate": "2025-01-01", "ToDate": "2025-12-31"}],
    "voucherseries": [{"Code": "A", "Description": "Redovisningsunderlag", "Manual": True}],
    "accounts": [
        {"Number": 1930, "Description": "Företagskonto"},
        {"Number": 2641, "Description": "Debiterad ingående moms"},
        {"Number": 6110, "Description": "Kontorsmateriel"},
    ],
    "costcenters": [{"Code": "NORD", "Description": "Nord"}],
}
THREE = """\
#VER A 1 20250110 "Pennor"
{
#TRANS 6110 {} 100.00
#TRANS 1930 {} -100.00
}
#VER A 2 20250310 "Papper"
{
#TRANS 6570 {} 50.00
#TRANS 1930 {} -50.00
}
#VER K 1 20250120 "Kassa"
{
#TRANS 6110 {6 "P1"} 80.00
#TRANS 2641 {} 20.00
#TRANS 1930 {} -100.00
}
"""


class Wire(httpx.BaseTransport):
    """The in-process mock as a network sees it: a dropped answer is a connection closed early."""

    def __init__(self, app) -> None:
        self.inner = httpx.WSGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.inner.handle_request(request)
        except DroppedResponse:
            raise httpx.RemoteProtocolError("the server closed the connection", request=request) from None


@pytest.fixture
def fortnox():
    app = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_SEEDS": []})
    assert app.test_client().post("/mock/tenants", json={"seed": COMPANY}).status_code == 201
    return app


@pytest.fixture
def make_bridge(tmp_path, fortnox):
    bridges = []

    def make(**sie: str) -> Bridge:
        token = fortnox.test_client().post("/mock/tokens", json={"tenant": "ovning"}).json["access_token"]
        client = FortnoxClient("http://mock", StaticToken(token), transport=Wire(fortnox))
        environ = {f"FORTNOX_SIE_{k.upper()}": v for k, v in sie.items()}
        bridge = Bridge(load_settings(tmp_path, environ=environ), {"default": client})
        bridges.append(bridge)
        return bridge

    yield make
    for bridge in bridges:
        bridge.close()


def send(bridge: Bridge, path: Path) -> int:
    (file,) = bridge.process([path], "default", until_blocked=False)
    return file.id


def vouchers_in(bridge: Bridge) -> dict[str, tuple[str, int]]:
    """Fortnox's vouchers by our stamp: (series, number)."""
    found = bridge.clients["default"].iter_pages("/3/vouchers", "Vouchers", financialyear=1)
    return {v["Comments"]: (v["VoucherSeries"], v["VoucherNumber"]) for v in found}


def test_a_sie_file_becomes_vouchers_with_the_registers_they_need(tmp_path, make_bridge):
    bridge = make_bridge()
    file_id = send(bridge, sie_file(tmp_path, THREE, head=HEAD + "#IB 0 1930 1000.00\n"))
    assert bridge.file(file_id).state == "done"
    assert vouchers_in(bridge) == {
        "fnb:A 1 20250110": ("A", 1),
        "fnb:A 2 20250310": ("A", 2),
        "fnb:K 1 20250120": ("K", 1),
    }
    api = bridge.clients["default"]
    assert api.get("/3/accounts/6570", financialyear=1)["Account"]["Description"] == "Bankkostnader"
    assert api.get("/3/projects/P1")["Project"]["Description"] == "Projekt ett"
    assert api.get("/3/voucherseries/K")["VoucherSeries"]["Manual"] is True
    receipt = (tmp_path / "outbox" / "receipts" / "bok.se.receipt.txt").read_text()
    assert receipt.startswith("bok.se — imported\n")  # the totals first, the detail after
    assert (
        "Created in Fortnox: 1 voucher series (K); 1 account (6570); 1 project (P1); 3 vouchers (A 1–2, K 1)"
        in receipt
    )
    assert "Needs a person: nothing, but read the warning at the end." in receipt
    assert "into series A: 2 rows, 50.00 — created in Fortnox\n" in receipt
    assert "Year" not in receipt and "registers" not in receipt  # Fortnox's internal ids, our own words
    assert (
        "account 6570 (Bankkostnader) in financial year 2025-01-01 – 2025-12-31: created in Fortnox"
        in receipt
    )
    assert "balances (#IB, #UB, #RES, #PSALDO …) are not imported" in receipt


def test_a_lost_answer_is_found_by_its_stamp_and_not_sent_again(tmp_path, make_bridge, fortnox):
    rule = {"method": "POST", "path": "/3/vouchers", "drop_response": True, "times": 1}
    fortnox.test_client().post("/mock/faults", json={"rules": [rule]})
    bridge = make_bridge()
    file_id = send(bridge, sie_file(tmp_path, THREE))
    assert bridge.file(file_id).state == "done"
    assert len(vouchers_in(bridge)) == 3
    log = fortnox.test_client().get("/mock/requests?method=POST").json["requests"]
    assert [e["path"] for e in log].count(
        "/3/vouchers"
    ) == 3  # A 1 once: its answer lost, then found by its stamp
    first = bridge.documents(file_id)[1]
    assert first.result[-1]["outcome"] == "reconciled"


def test_a_crash_between_call_and_commit_is_reconciled_after_restart(tmp_path, make_bridge):
    bridge = make_bridge()
    file_id = bridge.take(sie_file(tmp_path, THREE), "default", copy=True).id
    bridge.run_next("default")  # the registers document
    registers, first, *_ = bridge.documents(file_id)
    assert registers.state == "done"
    (step,) = bridge.ledger.steps(first.id)
    # The process sent A 1 and died before it could write down the answer:
    bridge.ledger.step_sending(step.id, first.id)
    bridge.clients["default"].post("/3/vouchers", step.spec.body)
    bridge.close()

    restarted = make_bridge()
    restarted.recover()
    restarted.drain("default", until_blocked=False)
    assert restarted.file(file_id).state == "done"
    assert sorted(vouchers_in(restarted)) == ["fnb:A 1 20250110", "fnb:A 2 20250310", "fnb:K 1 20250120"]


def test_vouchers_fortnox_refuses_leave_the_file_partial_and_retry_sends_only_those(
    tmp_path, make_bridge, fortnox
):
    bridge = make_bridge()
    file_id = bridge.take(sie_file(tmp_path, THREE), "default", copy=True).id
    bridge.run_next("default")  # judged while January is open (the registers go first) …
    control = fortnox.test_client()
    control.patch("/mock/tenants/ovning", json={"locked_period": "2025-01-31"})  # … then locked
    bridge.drain("default", until_blocked=False)
    assert bridge.file(file_id).state == "partial"
    assert vouchers_in(bridge) == {"fnb:A 2 20250310": ("A", 1)}
    report = (tmp_path / "outbox" / "failed" / "bok.se.error.txt").read_text()
    assert "Needs a person: 2 documents were not created" in report
    assert "  - voucher A 1 20250110 " in report and ": Fortnox refused POST /3/vouchers" in report
    assert "  - voucher A 2 20250310 " in report and "— created in Fortnox (no. A 1)" in report

    control.patch("/mock/tenants/ovning", json={"locked_period": None})
    bridge.retry([file_id], until_blocked=False)
    assert bridge.file(file_id).state == "done"
    assert vouchers_in(bridge) == {
        "fnb:A 2 20250310": ("A", 1),
        "fnb:A 1 20250110": ("A", 2),
        "fnb:K 1 20250120": ("K", 1),
    }


def test_a_swedish_error_report_says_fortnox_refused_in_swedish(tmp_path, make_bridge, fortnox):
    """Fortnox's refusal is kept in English in the ledger; the report speaks its reader's language
    around Fortnox's own words."""
    bridge = make_bridge()
    file_id = bridge.take(sie_file(tmp_path, THREE), "default", copy=True).id
    bridge.run_next("default")
    fortnox.test_client().patch("/mock/tenants/ovning", json={"locked_period": "2025-01-31"})
    with language("sv"):
        bridge.drain("default", until_blocked=False)
    assert bridge.file(file_id).state == "partial"
    report = (tmp_path / "outbox" / "failed" / "bok.se.error.txt").read_text()
    assert "Kräver åtgärd: 2 dokument skapades inte" in report
    assert ": Fortnox nekade POST /3/vouchers: " in report and "(Fortnox felkod " in report
    assert "Fortnox refused" not in report and "Fortnox code" not in report
    stored = [d.last_error for d in bridge.documents(file_id) if d.last_error]
    assert stored and all(e.startswith("Fortnox refused POST /3/vouchers") for e in stored)  # as said


def test_a_file_with_a_configuration_problem_is_refused_whole_and_retried_after_the_fix(
    tmp_path, make_bridge, fortnox
):
    bridge = make_bridge(create_series="false")
    file_id = send(bridge, sie_file(tmp_path, THREE))
    assert bridge.file(file_id).state == "failed"
    assert vouchers_in(bridge) == {}
    report = (tmp_path / "outbox" / "failed" / "bok.se.error.txt").read_text()
    assert "line 30: voucher series K does not exist in Fortnox" in report
    # The person creates the series in Fortnox and retries: the file is judged again.
    bridge.clients["default"].post(
        "/3/voucherseries", {"VoucherSeries": {"Code": "K", "Description": "Kassa", "Manual": True}}
    )
    bridge.retry([file_id], until_blocked=False)
    assert bridge.file(file_id).state == "done"
    assert len(vouchers_in(bridge)) == 3


def test_types_1_to_3_create_accounts_and_objects_and_say_what_was_not_imported(tmp_path, make_bridge):
    head = HEAD.replace("#SIETYP 4", "#SIETYP 3").replace(
        '#OBJEKT 6 "P1" "Projekt ett"', '#OBJEKT 1 "SYD" "Syd"'
    )
    body = '#OMFATTN 20251231\n#IB 0 6570 0\n#OIB 0 1930 {1 "SYD"} 500.00\n#PSALDO 0 202501 6110 {1 "SYD"} 10.00\n'
    bridge = make_bridge()
    file_id = send(bridge, sie_file(tmp_path, body, head=head))
    assert bridge.file(file_id).state == "done"
    api = bridge.clients["default"]
    assert api.get("/3/accounts/6570", financialyear=1)["Account"]["Description"] == "Bankkostnader"
    assert api.get("/3/costcenters/SYD")["CostCenter"]["Description"] == "Syd"
    receipt = loads((tmp_path / "outbox" / "receipts" / "bok.se.receipt.json").read_text())
    (registers,) = receipt["documents"]
    assert registers["kind"] == "registers" and registers["state"] == "done"
    assert any(
        "type 3 file holds balances and master data, not vouchers" in w["message"]
        for w in receipt["warnings"]
    )


def test_the_same_file_or_the_same_voucher_again_is_not_sent_twice(tmp_path, make_bridge):
    bridge = make_bridge()
    send(bridge, sie_file(tmp_path, THREE))
    again = send(bridge, sie_file(tmp_path, THREE, name="kopia.se"))
    assert bridge.file(again).state == "duplicate"
    more = THREE + '#VER A 3 20250311 "Kuvert"\n{\n#TRANS 6110 {} 5.00\n#TRANS 1930 {} -5.00\n}\n'
    third = send(bridge, sie_file(tmp_path, more, name="mer.se"))
    states = [d.state for d in bridge.documents(third)]
    assert states == ["done", "duplicate", "duplicate", "duplicate", "done"]
    assert len(vouchers_in(bridge)) == 4


def test_a_voucher_whose_rows_were_all_removed_keeps_its_number(tmp_path, make_bridge):
    removed = THREE.replace(
        "#TRANS 6570 {} 50.00\n#TRANS 1930 {} -50.00", "#BTRANS 6570 {} 50.00\n#BTRANS 1930 {} -50.00"
    )
    bridge = make_bridge()
    send(bridge, sie_file(tmp_path, removed))
    assert vouchers_in(bridge)["fnb:A 2 20250310"] == ("A", 2)
    rows = bridge.clients["default"].get("/3/vouchers/A/2", financialyear=1)["Voucher"]["VoucherRows"]
    assert [(r["Account"], r["Debit"], r["Credit"]) for r in rows] == [
        (6570, 50, 0), (1930, 0, 50), (6570, 0, 50), (1930, 50, 0)
    ]  # fmt: skip


def test_check_reports_type_encoding_counts_problems_and_calls(tmp_path):
    path = sie_file(tmp_path, THREE.replace("20250310", "20260310"))
    save_master_data(tmp_path / ".bridge", "default", company())
    result = CliRunner().invoke(main, ["--workdir", str(tmp_path), "check", "--json", str(path)])
    assert result.exit_code == 1, result.output
    (report,) = json.loads(result.output)["files"]
    facts = report["facts"]
    assert (facts["sie_type"], facts["encoding"]) == ("4I", "cp437")
    assert {k: facts["counts"][k] for k in ("accounts", "objects", "vouchers", "rows")} == {
        "accounts": 5, "objects": 2, "vouchers": 3, "rows": 7,
    }  # fmt: skip
    assert [(p["code"], p["line"]) for p in report["problems"]] == [("sie.no-financial-year", 25)]

    fine = sie_file(tmp_path, THREE, name="ok.se")
    result = CliRunner().invoke(main, ["--workdir", str(tmp_path), "check", "--json", str(fine)])
    (report,) = json.loads(result.output)["files"]
    registers, *vouchers = report["documents"]
    assert [c["label"] for c in registers["calls"]] == ["voucher series K"]  # all else exists
    assert [(c["method"], c["path"]) for d in vouchers for c in d["calls"]] == [("POST", "/3/vouchers")] * 3
    text = CliRunner().invoke(main, ["--workdir", str(tmp_path), "check", str(fine)]).output
    assert "4I" in text and "3 vouchers" in text and "master_data" not in text
    assert "create once: POST /3/vouchers  (voucher A 1 20250110)" in text


def test_a_big_file_tells_its_progress_to_whoever_draws_a_bar(tmp_path, make_bridge):
    body = "".join(
        f'#VER A {n} 202501{n:02d} "Pennor {n}"\n{{\n#TRANS 6110 {{}} {n}.00\n#TRANS 1930 {{}} -{n}.00\n}}\n'
        for n in range(1, 26)
    )
    bridge = make_bridge()
    heard: list = []
    bridge.progress.subscribe(heard.append)
    file_id = send(bridge, sie_file(tmp_path, body))
    assert bridge.file(file_id).state == "done"
    documents = [e for e in heard if not e.calls]
    assert {e.file_name for e in documents} == {"bok.se"} and documents[-1].done == documents[-1].total == 26
    assert [e.done for e in documents] == sorted(e.done for e in documents)  # 25 vouchers, their registers
