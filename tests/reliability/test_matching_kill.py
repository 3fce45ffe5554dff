"""A crash between matching an invoice and recording the match: `export matching` is killed
with SIGKILL while it records a full match in Fortnox; the next run finishes that match from
the ledger — the invoice is not matched again, its order row is not counted twice, and
Fortnox gets the reference and the booking once (a lost answer, too, is looked at before
anything is written again)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys

import httpx
import pytest

from bridge.util import loads
from tests.e2e.processes import BridgeProcess, MockProcess, bridge_config, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ORDER = (
    "Inköpsordernummer;Leverantörsnummer;Artikelnummer;Benämning;Antal;À-pris\n"
    "IO-77;1;PAPP-A4;Kopieringspapper A4;10;249,00\n"
)
SETTINGS = '[supplierinvoices]\nbookkeep = "definitive"\n[matching]\nenabled = true\n'


def _matches(workdir) -> list[tuple[str, str]]:
    path = workdir / ".bridge" / "ledger.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return db.execute("SELECT invoice, state FROM matches").fetchall()
        except sqlite3.OperationalError:  # the table is not there yet
            return []


def test_killed_between_matching_and_recording_the_match_it_is_recorded_once(tmp_path):
    mock = MockProcess(tmp_path)
    try:
        bridge_config(tmp_path, mock.url, SETTINGS)
        (tmp_path / "order.csv").write_text(ORDER, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "bridge", "process", "order.csv"], cwd=tmp_path, capture_output=True,
            env={**__import__("os").environ, "FORTNOX_CLIENT_SECRET": "demo-secret"}, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        api = mock.api()
        body = {
            "SupplierNumber": "1", "InvoiceNumber": "F-77", "YourReference": "IO-77", "Total": "3112.50",
            "VAT": "622.50", "SupplierInvoiceRows": [
                {"ArticleNumber": "PAPP-A4", "Quantity": "10", "Price": "249.00", "Account": 4000, "Total": "2490.00"}
            ],
        }  # fmt: skip
        given = str(
            api.post("/3/supplierinvoices", {"SupplierInvoice": body})["SupplierInvoice"]["GivenNumber"]
        )
        invoice_path = f"/3/supplierinvoices/{given}"

        # 1. Recording the match hangs in Fortnox; the process is killed there.
        httpx.post(
            f"{mock.url}/mock/faults",
            json={"rules": [{"method": "PUT", "path": invoice_path, "latency_ms": 30000}]},
        )
        run = BridgeProcess(tmp_path, "export", "matching")
        wait_until(lambda: _matches(tmp_path) == [(given, "matched")], 60, 0.05, "the match in the ledger")
        wait_until(
            lambda: httpx.get(f"{mock.url}/mock/requests", params={"method": "GET", "path": invoice_path}).json()["requests"],
            30, 0.05, "the look before recording",
        )  # fmt: skip
        run.popen.send_signal(signal.SIGKILL)
        run.stop()
        assert api.get(invoice_path)["SupplierInvoice"]["Booked"] is False

        # 2. The booking's answer is lost: written in Fortnox, unknown to the bridge.
        httpx.post(
            f"{mock.url}/mock/faults",
            json={
                "rules": [
                    {"method": "PUT", "path": f"{invoice_path}/bookkeep", "drop_response": True, "times": 1}
                ]
            },
        )
        lost = BridgeProcess(tmp_path, "export", "matching")
        lost.popen.wait(120)
        assert _matches(tmp_path) == [(given, "matched")], lost.output()

        # 3. A run with Fortnox answering finishes the match from the ledger.
        httpx.delete(f"{mock.url}/mock/faults")
        last = BridgeProcess(tmp_path, "export", "matching", "--json")
        assert last.popen.wait(120) == 0, last.output()
        output = last.output()
        result = loads(output[output.index('{\n  "exports"') :])["exports"][0]
        log = httpx.get(f"{mock.url}/mock/requests", params={"method": "PUT"}).json()["requests"]
        invoice = api.get(invoice_path)["SupplierInvoice"]
    finally:
        mock.stop()

    assert result["matched"] == []  # finished, not matched again
    assert _matches(tmp_path) == [(given, "recorded")]
    assert invoice["Booked"] is True and invoice["YourReference"] == "IO-77"
    puts = [r["path"] for r in log]
    assert puts.count(f"{invoice_path}/bookkeep") == 1  # the lost answer was looked at, not resent
    listing = loads((tmp_path / "outbox" / "exports" / "matching" / "matching-default.json").read_text())[
        "rows"
    ]
    assert [(r["type"], r["state"], r["invoiced"]) for r in listing if r["type"] == "order"] == [
        ("order", "invoiced", 10)
    ]
