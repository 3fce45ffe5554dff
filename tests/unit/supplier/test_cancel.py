"""Cancelling a preliminary supplier invoice: `fortnox-bridge cancel supplierinvoice N` and
`cancel*.txt` files in the inbox. A booked invoice is never cancelled."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from supplier_helpers import drop_in_inbox, send, supplier_invoices

from bridge.cli import main
from bridge.util import loads

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "fixtures" / "samples" / "leverantorsfaktura-kontorsvaror.xml"  # to the demo company
INVOICE = REPO / "fixtures" / "einvoice" / "peppol-bis3-invoice-two-rates-rounding-pdf.xml"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("FORTNOX_") and k != "FORTNOX_UI_LANGUAGE"]:
        monkeypatch.delenv(name)
    return tmp_path


def run(workdir: Path, *args: str):
    return CliRunner().invoke(main, ["--workdir", str(workdir), *args], catch_exceptions=False)


def test_cancel_command_by_fortnox_number_and_by_the_suppliers_number(workdir):
    assert run(workdir, "process", str(SAMPLE)).exit_code == 0

    result = run(workdir, "cancel", "supplierinvoice", "1", "--json")
    assert result.exit_code == 0, result.output
    answer = loads(result.stdout)
    assert answer["state"] == "done"
    assert answer["documents"][0]["summary"] == "cancel supplier invoice 1 (preliminary only)"

    again = run(workdir, "cancel", "supplierinvoice", "KV-2026-1187", "--supplier", "556677-8899")
    assert again.exit_code == 0, again.output
    receipts = sorted((workdir / "outbox" / "receipts").glob("cancel-*.receipt.txt"))
    assert "already done in Fortnox" in receipts[-1].read_text()


def test_a_booked_invoice_is_not_cancelled(workdir, monkeypatch):
    monkeypatch.setenv("FORTNOX_SUPPLIERINVOICES_BOOKKEEP", "definitive")
    assert run(workdir, "process", str(SAMPLE)).exit_code == 0

    result = run(workdir, "cancel", "supplierinvoice", "1", "--json")
    assert result.exit_code == 1
    [document] = loads(result.stdout)["documents"]
    assert "is booked (definitive) and cannot be cancelled: credit it in Fortnox instead" in document["error"]


def test_cancel_command_usage_errors_exit_2(workdir):
    result = run(workdir, "cancel", "supplierinvoice", "F-17")
    assert result.exit_code == 2
    assert "add --supplier" in result.output


def test_a_cancel_file_in_the_inbox_cancels_each_line(make_bridge, api):
    bridge = make_bridge()
    send(bridge, INVOICE)
    text = "# avbryt felregistrerad faktura\nsupplierinvoice 1\n\nsupplierinvoice F-2026-0042 --supplier 1\n"
    file_id = drop_in_inbox(bridge, "cancel-2026-11-22.txt", text.encode())

    assert bridge.file(file_id).state == "done"
    [invoice] = supplier_invoices(api)
    assert invoice["Cancelled"] is True
    steps = [d.result[-1]["outcome"] for d in bridge.documents(file_id)]
    assert steps == ["updated", "already"]


def test_a_cancel_file_with_a_wrong_line_is_refused_whole(make_bridge, api):
    bridge = make_bridge()
    send(bridge, INVOICE)
    file_id = drop_in_inbox(bridge, "Cancel.txt", b"supplierinvoice 1\nsupplierinvoice F-1\ninvoice 3\n")

    assert bridge.file(file_id).state == "failed"
    report = (bridge.settings.outbox / "failed" / "Cancel.txt.error.txt").read_text()
    assert "line 2" in report and "add --supplier" in report
    assert "line 3" in report and "not a cancellation: 'invoice 3'" in report
    assert supplier_invoices(api)[0]["Cancelled"] is False


def test_cancelling_an_invoice_that_does_not_exist_fails_with_its_number(make_bridge, api):
    bridge = make_bridge()
    file_id = drop_in_inbox(bridge, "cancel.txt", b"supplierinvoice 77\n")
    [document] = bridge.documents(file_id)
    assert document.state == "failed"
    assert "supplier invoice 77 does not exist in Fortnox" in document.last_error
