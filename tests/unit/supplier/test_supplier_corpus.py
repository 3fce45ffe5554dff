"""Every valid Peppol BIS 3 and Svefaktura example of the public corpus lands in the mock as
one supplier invoice with the right supplier, rows, VAT and attachments."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from supplier_helpers import connections, send, supplier_invoices

from bridge.formats.einvoice import read_einvoice
from bridge.planner.parties import identities

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "einvoice"))
from test_einvoice_corpus import _valid_files


@pytest.mark.parametrize("relative", _valid_files())
def test_every_valid_example_becomes_one_supplier_invoice(shared_ref, relative, make_bridge, company, api):
    source = shared_ref / "einvoice" / relative
    invoice = read_einvoice(source.read_bytes()).invoice
    assert invoice is not None
    buyer = invoice.buyer
    endpoint = buyer.endpoint_id.split(":", 1)[1] if buyer and buyer.endpoint_id else None
    buyer_id = invoice.buyer_organisation_number or (buyer.vat_number if buyer else None) or endpoint
    if buyer_id:  # this company is the buyer, whatever the example's buyer is called
        company(buyer_id)
    api.post("/3/accounts", {"Account": {"Number": 1480, "Description": "Förskott till leverantörer"}})
    bridge = make_bridge()

    file_id = send(bridge, source)

    assert bridge.file(file_id).state == "done", bridge.documents(file_id)[0].last_error
    [record] = supplier_invoices(api)
    assert record["InvoiceNumber"] == invoice.invoice_number
    assert Decimal(record["Total"]) == invoice.total
    assert Decimal(record["VAT"]) == invoice.vat
    supplier = api.get(f"/3/suppliers/{record['SupplierNumber']}")["Supplier"]
    sent = identities(invoice.supplier.organisation_number, invoice.supplier.vat_number)
    stored = identities(supplier["OrganisationNumber"], supplier["VATNumber"])
    assert (sent & stored) if sent else supplier["Name"] == invoice.supplier.name
    cost_rows = [r for r in record["SupplierInvoiceRows"] if r["Code"] not in ("TOT", "VAT", "ROV")]
    prepaid = 1 if invoice.totals and invoice.totals.prepaid else 0
    assert len(cost_rows) == len(invoice.rows) + len(invoice.allowance_charges) + prepaid
    assert [r["Code"] for r in record["SupplierInvoiceRows"]].count("TOT") == 1
    assert (
        sum(Decimal(str(r["Debit"])) - Decimal(str(r["Credit"])) for r in record["SupplierInvoiceRows"]) == 0
    )
    assert len(connections(api, record["GivenNumber"])) == len(invoice.attachments)
