"""`watch` with live updates, killed with SIGKILL while it works a payment's event — received,
fetching what it names, the export not yet written: after the restart the event is worked
again and the export is right, once."""

from __future__ import annotations

import re
import signal
import time

import httpx
import pytest

from bridge.pipeline.ledger import Ledger
from bridge.util import loads
from tests.e2e.processes import BridgeProcess, MockProcess, bridge_config, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_killed_between_fetching_and_writing_the_event_is_replayed_and_written_once(tmp_path):
    mock = MockProcess(tmp_path, "--rate-limit", "off")
    topics_url = re.search(r"topics on (ws://\S+)", mock.output())[1]
    workdir = tmp_path / "bridge"
    workdir.mkdir()
    bridge_config(workdir, mock.url, f'[live]\nenabled = true\nurl = "{topics_url}"\n')
    current = workdir / "outbox" / "exports" / "payments-default.json"

    def rows_of(number: str) -> list[dict]:
        if not current.exists():
            return []
        return [
            r
            for r in loads(current.read_text())["invoices"]
            if r["type"] == "customer" and r["number"] == number
        ]

    api = mock.api()
    bridge = BridgeProcess(workdir)
    try:
        wait_until(lambda: "live: sweep done" in bridge.output(), 30, what="the start sweep")
        rows = [{"Description": "Konsult", "DeliveredQuantity": 1, "Price": 1000}]
        invoice = api.post("/3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": rows}})[
            "Invoice"
        ]
        number = invoice["DocumentNumber"]
        invoice = api.put(f"/3/invoices/{number}/bookkeep")["Invoice"]
        wait_until(lambda: rows_of(number), 15, what="the booked invoice in the export")
        time.sleep(1.0)  # the bookkeeping's events written; now hold up fetching the invoice again
        httpx.post(
            f"{mock.url}/mock/faults",
            json={"rules": [{"method": "GET", "path": "/3/invoices/*", "latency_ms": 4000}]},
        )
        body = {"InvoicePayment": {"InvoiceNumber": int(number), "Amount": str(invoice["Total"])}}
        payment = api.post("/3/invoicepayments", body)["InvoicePayment"]
        api.put(f"/3/invoicepayments/{payment['Number']}/bookkeep")

        def fetched(path: str) -> int:
            log = httpx.get(f"{mock.url}/mock/requests", params={"method": "GET"}).json()["requests"]
            return [r["path"] for r in log].count(path)

        booked = time.monotonic()
        ledger = Ledger(workdir / ".bridge" / "ledger.sqlite3")
        try:
            wait_until(
                lambda: any(e.event.type == "invoicepayment-bookkeep-v1" for e in ledger.pending_live("default")),
                5, 0.02, "the payment's event received",
            )  # fmt: skip
        finally:
            ledger.close()
        # Every fetch of the invoice takes 4 s: whichever batch the events came in, the bridge is
        # between what it fetched and what it writes.
        time.sleep(max(1.5 - (time.monotonic() - booked), 0))
        bridge.popen.send_signal(signal.SIGKILL)
        bridge.stop()
        assert [r["status"] for r in rows_of(number)] != ["paid"]  # the kill came before the write
        ledger = Ledger(workdir / ".bridge" / "ledger.sqlite3")
        pending = [e.event.type for e in ledger.pending_live("default")]
        ledger.close()
        assert "invoicepayment-bookkeep-v1" in pending

        httpx.delete(f"{mock.url}/mock/faults")
        httpx.delete(f"{mock.url}/mock/requests")
        bridge = BridgeProcess(workdir)
        wait_until(
            lambda: [r["status"] for r in rows_of(number)] == ["paid"], 20, what="paid after the restart"
        )
        wait_until(lambda: "live: listening" in bridge.output(), 10)
        wait_until(
            lambda: fetched(f"/3/invoicepayments/{payment['Number']}") == 1, 15, what="the event worked again"
        )
    finally:
        bridge.stop()
        mock.stop()

    ledger = Ledger(workdir / ".bridge" / "ledger.sqlite3")
    try:
        assert ledger.pending_live("default") == []
        assert set(ledger.live_counts()["default"]) == {"done"}
        kept = ledger.db.execute(
            "SELECT COUNT(*) FROM live_events WHERE event LIKE '%invoicepayment-bookkeep-v1%'"
        ).fetchone()[0]
    finally:
        ledger.close()
    assert kept == 1  # the payment's event, kept once however often it came
    assert [r["status"] for r in rows_of(number)] == ["paid"]  # one line for the invoice, paid
