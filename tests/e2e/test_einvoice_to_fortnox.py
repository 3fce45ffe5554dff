"""A supplier's Peppol invoice and its PDF dropped into a running `fortnox-bridge watch` end
as one Fortnox supplier invoice with the PDF attached. Real processes, real sockets."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.processes import BridgeProcess, MockProcess, bridge_config, wait_until

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"


def test_dropped_peppol_invoice_becomes_one_supplier_invoice_with_its_image(tmp_path):
    mock = MockProcess(tmp_path)
    bridge_config(tmp_path, mock.url, '[supplierinvoices]\nbookkeep = "definitive"\n')
    bridge = BridgeProcess(tmp_path)
    try:
        inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
        for name in ("leverantorsfaktura-kontorsvaror.pdf", "leverantorsfaktura-kontorsvaror.xml"):
            shutil.copyfile(SAMPLES / name, inbox / f"{name}.part")
            os.rename(inbox / f"{name}.part", inbox / name)
        archived = outbox / "archive" / "leverantorsfaktura-kontorsvaror.xml"
        wait_until(archived.exists, what="the invoice to be archived")
        assert (outbox / "archive" / "leverantorsfaktura-kontorsvaror.pdf").exists()

        # The same invoice again, under another name: recognised, nothing sent.
        shutil.copyfile(SAMPLES / "leverantorsfaktura-kontorsvaror.xml", inbox / "kopia.part")
        os.rename(inbox / "kopia.part", inbox / "kopia.xml")
        wait_until((outbox / "duplicates" / "kopia.xml").exists, what="the copy to be a duplicate")

        api = mock.api()
        [row] = list(api.iter_pages("/3/supplierinvoices", "SupplierInvoices"))
        invoice = api.get(f"/3/supplierinvoices/{row['GivenNumber']}")["SupplierInvoice"]
        assert (invoice["SupplierNumber"], invoice["InvoiceNumber"]) == ("1", "KV-2026-1187")
        assert invoice["Booked"] is True
        [connection] = api.get("/3/supplierinvoicefileconnections", supplierinvoicenumber=row["GivenNumber"])[
            "SupplierInvoiceFileConnections"
        ]
        assert connection["Name"].startswith("invoice-KV-2026-1187-image-")
        receipt = (outbox / "receipts" / "leverantorsfaktura-kontorsvaror.xml.receipt.txt").read_text()
        assert "booked (definitive)" in receipt
    finally:
        bridge.stop()
        mock.stop()
