"""A supplier's e-invoice into Fortnox: matching, booking as configured, image, credit notes,
and each call exactly once when answers are lost."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
from supplier_helpers import DropAnswer, connections, send, supplier_invoices

from bridge.util import loads

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "einvoice"
INVOICE = FIXTURES / "peppol-bis3-invoice-two-rates-rounding-pdf.xml"  # F-2026-0042 from 556677-8899
CREDIT_NOTE = FIXTURES / "peppol-bis3-credit-note-for-earlier-invoice.xml"  # K-2026-0007 credits it in full
SVEFAKTURA = FIXTURES / "svefaktura-sbdh-iso-8859-1-with-pdf-envelope.xml"


def receipt(bridge, file_id: int) -> dict:
    target = bridge.file(file_id).outcome_path
    return loads((bridge.settings.outbox / "receipts" / f"{target.name}.receipt.json").read_text())


def variant(tmp_path: Path, source: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_invoice_to_this_company_is_registered_preliminary_with_its_image(make_bridge, api):
    bridge = make_bridge()
    file_id = send(bridge, INVOICE)

    assert bridge.file(file_id).state == "done"
    [invoice] = supplier_invoices(api)
    assert invoice["SupplierNumber"] == "1"  # matched 556677-8899 by organisation number, not created
    assert invoice["InvoiceNumber"] == "F-2026-0042"
    assert (Decimal(invoice["Total"]), Decimal(invoice["VAT"])) == (Decimal("181"), Decimal("30.9"))
    assert invoice["Booked"] is False and invoice["DisablePaymentFile"] is False
    codes = sorted(row["Code"] for row in invoice["SupplierInvoiceRows"])
    assert codes == ["PRE", "PRE", "ROV", "TOT", "VAT"]  # Fortnox built TOT, VAT and the rounding row
    assert {row["Account"] for row in invoice["SupplierInvoiceRows"] if row["Code"] == "PRE"} == {6110}
    [connection] = connections(api, invoice["GivenNumber"])
    archived = api.get("/3/archive?path=Leverantörsfakturor")["Folder"]["Files"]
    assert [f["Name"] for f in archived] == [connection["Name"]]
    assert connection["Name"].startswith("invoice-F-2026-0042-attachment-1-")
    assert len(list(api.iter_pages("/3/suppliers", "Suppliers"))) == 2
    text = receipt(bridge, file_id)
    assert "registered, not booked (preliminary)" in text["documents"][0]["summary"]


def test_definitive_booking_and_payment_block_per_configuration(make_bridge, api):
    bridge = make_bridge(supplierinvoices_bookkeep="definitive", supplierinvoices_disable_payment_file="true")
    send(bridge, INVOICE)

    [invoice] = supplier_invoices(api)
    assert invoice["Booked"] is True and invoice["VoucherSeries"] == "D"
    assert invoice["DisablePaymentFile"] is True
    assert len(connections(api, invoice["GivenNumber"])) == 1


def test_an_invoice_for_several_months_is_accrued(tmp_path, make_bridge, api):
    api.post("/3/accounts", {"Account": {"Number": 1790, "Description": "Förutbetalda kostnader"}})
    quarter = variant(
        tmp_path,
        INVOICE,
        "kvartal.xml",
        ("<cbc:EndDate>2026-11-30</cbc:EndDate>", "<cbc:EndDate>2027-01-31</cbc:EndDate>"),
    )
    bridge = make_bridge(supplierinvoices_accruals="true")
    file_id = send(bridge, quarter)

    assert bridge.file(file_id).state == "done"
    [invoice] = supplier_invoices(api)
    accrual = api.get(f"/3/supplierinvoiceaccruals/{invoice['GivenNumber']}")["SupplierInvoiceAccrual"]
    assert (accrual["Times"], accrual["Period"], accrual["AccrualAccount"]) == (3, "MONTHLY", 1790)
    assert (accrual["StartDate"], accrual["EndDate"]) == ("2026-11-01", "2027-01-31")
    assert Decimal(str(accrual["Total"])) == Decimal("149.60")  # the cost: excl. VAT and rounding


def test_a_missing_accrual_account_is_refused_before_anything_is_sent(tmp_path, make_bridge, api):
    quarter = variant(
        tmp_path,
        INVOICE,
        "kvartal.xml",
        ("<cbc:EndDate>2026-11-30</cbc:EndDate>", "<cbc:EndDate>2027-01-31</cbc:EndDate>"),
    )
    bridge = make_bridge(supplierinvoices_accruals="true")
    file_id = send(bridge, quarter)

    assert bridge.file(file_id).state == "failed"
    report = (bridge.settings.outbox / "failed" / "kvartal.xml.error.txt").read_text()
    assert "account 1790 (supplierinvoices.accrual_account) does not exist" in report
    assert supplier_invoices(api) == []


def test_a_one_month_invoice_is_not_accrued(make_bridge, api):
    api.post("/3/accounts", {"Account": {"Number": 1790, "Description": "Förutbetalda kostnader"}})
    send(make_bridge(supplierinvoices_accruals="true"), INVOICE)
    assert api.get("/3/supplierinvoiceaccruals")["SupplierInvoiceAccruals"] == []


def test_our_own_invoice_goes_the_customer_invoice_way(make_bridge, company, api):
    company("556677-8899")  # this company is the seller
    bridge = make_bridge()
    file_id = send(bridge, INVOICE)

    assert bridge.file(file_id).state == "done"
    assert supplier_invoices(api) == []
    [invoice] = list(api.iter_pages("/3/invoices", "Invoices"))
    assert invoice["ExternalInvoiceReference1"] == "fnb:F-2026-0042"
    assert invoice["CustomerName"] == "Demobolaget AB"
    [document] = receipt(bridge, file_id)["documents"]
    assert document["kind"] == "invoice"
    assert any("sent as a customer invoice" in w["message"] for w in receipt(bridge, file_id)["warnings"])


def test_an_invoice_between_two_other_companies_is_refused(make_bridge, company, api):
    company("556000-1111")
    bridge = make_bridge()
    file_id = send(bridge, INVOICE)

    assert bridge.file(file_id).state == "failed"
    report = (
        (bridge.settings.outbox / "failed" / INVOICE.name).with_name(INVOICE.name + ".error.txt").read_text()
    )
    assert "this invoice is not for Demobolaget i Sverige AB (organisation number 556000-1111)" in report
    assert "its buyer is Demobolaget AB (organisation number 5591234561)" in report
    assert supplier_invoices(api) == []


def test_a_new_supplier_is_created_with_its_payment_details(make_bridge, api):
    api.put("/3/suppliers/1", {"Supplier": {"OrganisationNumber": "556677-0000"}})
    send(make_bridge(), INVOICE)

    [invoice] = supplier_invoices(api)
    supplier = api.get(f"/3/suppliers/{invoice['SupplierNumber']}")["Supplier"]
    assert invoice["SupplierNumber"] != "1"
    assert (supplier["OrganisationNumber"], supplier["BG"]) == ("556677-8899", "50501055")
    assert supplier["Name"] == "Papperskompaniet i Göteborg AB"


def test_a_missing_supplier_is_not_created_when_the_policy_says_never(make_bridge, api):
    api.put("/3/suppliers/1", {"Supplier": {"OrganisationNumber": "556677-0000"}})
    bridge = make_bridge(supplierinvoices_create_suppliers="never")
    file_id = send(bridge, INVOICE)

    [document] = bridge.documents(file_id)
    assert document.state == "failed"
    assert "supplier Papperskompaniet i Göteborg AB (organisation number 5566778899) does not exist" in (
        document.last_error
    )
    assert "supplierinvoices.create_suppliers = never" in document.last_error
    assert supplier_invoices(api) == []


def test_a_supplier_is_found_by_vat_number_when_the_organisation_number_is_missing(make_bridge, api):
    api.put(
        "/3/suppliers/1", {"Supplier": {"OrganisationNumber": "API_BLANK", "VATNumber": "SE 5566778899 01"}}
    )
    send(make_bridge(supplierinvoices_create_suppliers="never"), INVOICE)
    [invoice] = supplier_invoices(api)
    assert invoice["SupplierNumber"] == "1"


def test_a_credit_note_credits_its_booked_original(make_bridge, api):
    bridge = make_bridge(supplierinvoices_bookkeep="definitive")
    send(bridge, INVOICE)
    file_id = send(bridge, CREDIT_NOTE)

    assert bridge.file(file_id).state == "done"
    original, credit = supplier_invoices(api)
    assert original["CreditReference"] == int(credit["GivenNumber"])
    assert credit["Credit"] is True and credit["InvoiceNumber"] == "K-2026-0007"
    assert credit["Booked"] is True and Decimal(original["Balance"]) == 0
    steps = receipt(bridge, file_id)["documents"][0]["steps"]
    assert [s["outcome"] for s in steps][:5] == ["existing", "existing", "updated", "existing", "updated"]


def test_a_credit_note_without_its_original_becomes_a_negative_invoice(make_bridge, api):
    bridge = make_bridge()
    file_id = send(bridge, CREDIT_NOTE)

    assert bridge.file(file_id).state == "done"
    [credit] = supplier_invoices(api)
    assert Decimal(credit["Total"]) == Decimal("-181") and credit["Credit"] is False
    steps = [(s["label"], s["outcome"]) for s in receipt(bridge, file_id)["documents"][0]["steps"]]
    assert ("the credited invoice F-2026-0042", "absent") in steps
    assert any(
        label.startswith("credit invoice F-2026-0042 in Fortnox") and outcome == "skipped"
        for label, outcome in steps
    )


def test_a_preliminary_original_is_not_credited_but_countered_with_a_negative_invoice(make_bridge, api):
    bridge = make_bridge()
    send(bridge, INVOICE)
    send(bridge, CREDIT_NOTE)
    original, credit = supplier_invoices(api)
    assert original["CreditReference"] == 0
    assert Decimal(credit["Total"]) == Decimal("-181")


def test_a_lost_answer_to_the_invoice_is_reconciled_not_resent(mock_app, make_bridge, api):
    transport = DropAnswer(httpx.WSGITransport(app=mock_app), "POST", "/3/supplierinvoices")
    bridge = make_bridge(transport)
    file_id = send(bridge, INVOICE)

    assert bridge.file(file_id).state == "done"
    assert transport.calls == 1
    assert len(supplier_invoices(api)) == 1
    steps = bridge.documents(file_id)[0].result
    assert [s["outcome"] for s in steps][:2] == [
        "existing",
        "reconciled",
    ]  # found by supplier + invoice number


def test_a_lost_answer_to_the_upload_is_reconciled_not_uploaded_twice(mock_app, make_bridge, api):
    transport = DropAnswer(httpx.WSGITransport(app=mock_app), "POST", "/3/inbox")
    bridge = make_bridge(transport)
    file_id = send(bridge, SVEFAKTURA)

    assert bridge.file(file_id).state == "done"
    assert transport.calls == 1
    [invoice] = supplier_invoices(api)
    assert len(connections(api, invoice["GivenNumber"])) == 1
    assert api.get("/3/inbox/inbox_s")["Folder"]["Files"] == []
    assert len(api.get("/3/archive?path=Leverantörsfakturor")["Folder"]["Files"]) == 1
    outcomes = [s["outcome"] for s in bridge.documents(file_id)[0].result]
    assert "reconciled" in outcomes


def test_a_lost_answer_to_the_connection_is_reconciled(mock_app, make_bridge, api):
    transport = DropAnswer(httpx.WSGITransport(app=mock_app), "POST", "/3/supplierinvoicefileconnections")
    bridge = make_bridge(transport)
    assert bridge.file(send(bridge, INVOICE)).state == "done"
    [invoice] = supplier_invoices(api)
    assert len(connections(api, invoice["GivenNumber"])) == 1


def test_the_same_invoice_in_another_file_is_not_sent_again(tmp_path, make_bridge, api):
    bridge = make_bridge()
    send(bridge, INVOICE)
    again = variant(tmp_path, INVOICE, "igen.xml", ("Kontorsmaterial november", "Kontorsmaterial, kopia"))
    file_id = send(bridge, again)

    assert [d.state for d in bridge.documents(file_id)] == ["duplicate"]
    assert len(supplier_invoices(api)) == 1


def test_an_invoice_entered_by_hand_is_found_not_entered_twice(make_bridge, api):
    api.post(
        "/3/supplierinvoices",
        {
            "SupplierInvoice": {
                "SupplierNumber": "1",
                "InvoiceNumber": "F-2026-0042",
                "Total": 181,
                "VAT": Decimal("30.9"),
            }
        },
    )
    bridge = make_bridge()
    file_id = send(bridge, INVOICE)
    assert len(supplier_invoices(api)) == 1
    steps = receipt(bridge, file_id)["documents"][0]["steps"]
    assert steps[1]["outcome"] == "existing"
