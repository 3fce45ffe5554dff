"""The gate: a company that waits for a person sends nothing, only the flows without their
module wait, and a check recorded by another process lets the waiting one go on."""

from bridge.fortnox.access import AccessCheck, Notice
from bridge.fortnox.errors import ConnectionRefused
from bridge.pipeline import gate as gate_module
from bridge.pipeline.gate import AccessGate
from bridge.pipeline.ledger import Ledger


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_refused_consent_stops_the_company_until_another_process_reconnects(tmp_path):
    ledger, clock = Ledger(tmp_path / "ledger.sqlite3"), Clock()
    watch = AccessGate(ledger, clock=clock)
    connect = AccessGate(Ledger(tmp_path / "ledger.sqlite3"))
    assert watch.may_send("bygg")
    notice = watch.refused(
        "bygg", ConnectionRefused("Invalid refresh token", problem="consent"), personal=True
    )
    assert notice.command == "fortnox-bridge connect --tenant bygg --personal"
    assert not watch.may_send("bygg") and watch.waiting("bygg") and watch.stopped("bygg")
    access = ledger.access("bygg")
    assert access["state"] == "reconnect needed" and access["notices"][0]["problem"] == "consent"
    connect.checked("bygg", AccessCheck("bygg", company="Bygg AB"))
    clock.now += gate_module.POLL_SECONDS  # the ledger is read again every few seconds, not per call
    assert watch.may_send("bygg") and not watch.waiting("bygg") and not watch.stopped("bygg")
    assert ledger.access("bygg")["checked"]["company"] == "Bygg AB"


def test_a_missing_licence_holds_only_the_kinds_of_its_flows(tmp_path):
    gate = AccessGate(Ledger(tmp_path / "ledger.sqlite3"))
    gate.refused(
        "bygg",
        ConnectionRefused("no licence", problem="licence", scope="supplierinvoice"),
        kind="supplierinvoice",
    )
    assert gate.may_send("bygg")
    assert gate.waiting_kinds("bygg") == {"supplierinvoice", "cancel"}
    gate.refused(
        "bygg", ConnectionRefused("no licence", problem="licence", scope="bookkeeping"), kind="voucher"
    )
    assert gate.waiting_kinds("bygg") == {"supplierinvoice", "cancel", "voucher", "registers"}


def test_a_call_that_goes_through_ends_the_wait_and_keeps_the_flows_waiting(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    gate = AccessGate(ledger)
    gate.refused("bygg", ConnectionRefused("no licence", problem="licence", scope="invoice"), kind="invoice")
    gate.refused("bygg", ConnectionRefused("refused", problem="secret"))
    assert ledger.access("bygg")["state"] == "reconnect needed"
    gate.sent("bygg")
    access = ledger.access("bygg")
    assert access["state"] == "connected" and [n["problem"] for n in access["notices"]] == ["licence"]


def test_a_waiting_company_asks_fortnox_again_once_in_a_while(tmp_path):
    clock = Clock()
    gate = AccessGate(Ledger(tmp_path / "ledger.sqlite3"), clock=clock)
    gate.refused("bygg", ConnectionRefused("not yet", problem="not_connected"))
    assert not gate.may_send("bygg")
    clock.now += gate_module.RECHECK_SECONDS
    assert gate.may_send("bygg") and not gate.may_send("bygg")


def test_the_queue_skips_the_kinds_that_wait(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    assert ledger.next_due("bygg", skip_kinds=["invoice"]) == (None, None)
    notice = Notice("licence", "m", "c", "invoice", ("invoices",))
    assert notice == Notice.from_json(notice.to_json())


def test_with_one_company_the_command_needs_no_tenant_and_names_the_company(tmp_path):
    gate = AccessGate(Ledger(tmp_path / "ledger.sqlite3"), multi_tenant=False)
    gate.checked("default", AccessCheck("default", company="Ett AB"))
    notice = gate.refused("default", ConnectionRefused("Invalid refresh token", problem="consent"))
    assert notice.command == "fortnox-bridge connect"
    assert notice.message.startswith("Fortnox no longer accepts the bridge's consent for Ett AB")
