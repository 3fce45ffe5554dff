"""Customer invoices through their life: book, pay, credit, cancel — never delete."""

from __future__ import annotations

from decimal import Decimal

import pytest


@pytest.fixture
def invoice(fortnox) -> dict:
    body = {
        "Invoice": {
            "CustomerNumber": "1001",
            "InvoiceDate": "2026-03-01",
            "ExternalInvoiceReference1": "bridge:inv-77",
            "InvoiceRows": [{"ArticleNumber": "KONS", "DeliveredQuantity": "2"}],
        }
    }
    answer = fortnox.post("/3/invoices", body)
    assert answer.status == 201, answer.body
    return answer.body["Invoice"]


def test_booking_makes_a_balanced_voucher_in_series_b(fortnox, invoice):
    booked = fortnox.put(f"/3/invoices/{invoice['DocumentNumber']}/bookkeep").body["Invoice"]
    assert (booked["Booked"], booked["VoucherSeries"], booked["VoucherNumber"], booked["VoucherYear"]) == (
        True,
        "B",
        1,
        2,
    )
    voucher = fortnox.get("/3/vouchers/B/1?financialyear=2").body["Voucher"]
    assert (voucher["ReferenceType"], voucher["ReferenceNumber"]) == ("INVOICE", invoice["DocumentNumber"])
    lines = {(r["Account"], r["Debit"], r["Credit"]) for r in voucher["VoucherRows"]}
    assert lines == {(1510, Decimal(3125), 0), (3001, 0, Decimal(2500)), (2611, 0, Decimal(625))}


def test_booked_and_cancelled_invoices_are_read_only(fortnox, invoice):
    number = invoice["DocumentNumber"]
    fortnox.put(f"/3/invoices/{number}/bookkeep")
    fortnox.put(f"/3/invoices/{number}", {"Invoice": {"Comments": "x"}}).expect_error(
        400, 2999004, "Dokumentet är bokfört och kan inte ändras."
    )
    fortnox.put(f"/3/invoices/{number}/bookkeep").expect_error(400, 2999020, "Dokumentet är redan bokfört.")
    fortnox.put(f"/3/invoices/{number}/cancel").expect_error(
        400, 2999004, "Dokumentet är bokfört och kan inte ändras."
    )
    fortnox.delete(f"/3/invoices/{number}").expect_error(405, 2999405, "Metoden stöds inte för resursen.")


def test_an_unbooked_invoice_is_cancelled_not_deleted(fortnox, invoice):
    number = invoice["DocumentNumber"]
    assert fortnox.put(f"/3/invoices/{number}/cancel").body["Invoice"]["Cancelled"] is True
    fortnox.put(f"/3/invoices/{number}/bookkeep").expect_error(400, 2999005, "Dokumentet är makulerat.")
    listed = fortnox.get("/3/invoices?filter=cancelled").body["Invoices"]
    assert [r["DocumentNumber"] for r in listed] == [number]


def test_a_booked_payment_clears_the_balance_with_a_voucher_in_series_c(fortnox, invoice):
    number = invoice["DocumentNumber"]
    early = {
        "InvoicePayment": {"InvoiceNumber": int(number), "Amount": Decimal(3125), "PaymentDate": "2026-03-20"}
    }
    fortnox.post("/3/invoicepayments", early).expect_error(
        400, 2999021, "Dokumentet måste vara bokfört först."
    )
    fortnox.put(f"/3/invoices/{number}/bookkeep")
    before = dict(early["InvoicePayment"], PaymentDate="2026-02-01")
    fortnox.post("/3/invoicepayments", {"InvoicePayment": before}).expect_error(
        400, 2999024, "Betaldatum kan inte vara före fakturadatum."
    )
    payment = fortnox.post("/3/invoicepayments", early).body["InvoicePayment"]
    assert (
        fortnox.get(f"/3/invoices/{number}").body["Invoice"]["Balance"] == 3125
    )  # booking pays, not registering
    booked = fortnox.put(f"/3/invoicepayments/{payment['Number']}/bookkeep").body["InvoicePayment"]
    assert (booked["Booked"], booked["VoucherSeries"]) == (True, "C")
    paid = fortnox.get(f"/3/invoices/{number}").body["Invoice"]
    assert (paid["Balance"], paid["FinalPayDate"]) == (0, "2026-03-20")
    assert [r["DocumentNumber"] for r in fortnox.get("/3/invoices?filter=fullypaid").body["Invoices"]] == [
        number
    ]
    voucher = fortnox.get("/3/vouchers/C/1").body["Voucher"]
    assert {(r["Account"], r["Debit"], r["Credit"]) for r in voucher["VoucherRows"]} == {
        (1930, Decimal(3125), 0),
        (1510, 0, Decimal(3125)),
    }
    fortnox.delete(f"/3/invoicepayments/{payment['Number']}").expect_error(
        400, 2999004, "Dokumentet är bokfört och kan inte ändras."
    )


def test_a_partial_payment_leaves_a_balance(fortnox, invoice):
    number = invoice["DocumentNumber"]
    fortnox.put(f"/3/invoices/{number}/bookkeep")
    payment = {"InvoicePayment": {"InvoiceNumber": int(number), "Amount": 1000, "PaymentDate": "2026-03-05"}}
    created = fortnox.post("/3/invoicepayments", payment).body["InvoicePayment"]
    fortnox.put(f"/3/invoicepayments/{created['Number']}/bookkeep")
    after = fortnox.get(f"/3/invoices/{number}").body["Invoice"]
    assert (after["Balance"], after["FinalPayDate"]) == (2125, None)
    assert [r["DocumentNumber"] for r in fortnox.get("/3/invoices?filter=unpaid").body["Invoices"]] == [
        number
    ]


def test_credit_makes_a_linked_credit_invoice(fortnox, invoice):
    number = invoice["DocumentNumber"]
    fortnox.put(f"/3/invoices/{number}/credit").expect_error(
        400, 2999021, "Dokumentet måste vara bokfört först."
    )
    fortnox.put(f"/3/invoices/{number}/bookkeep")
    original = fortnox.put(f"/3/invoices/{number}/credit").body["Invoice"]
    credit_number = original["CreditInvoiceReference"]
    assert credit_number != "0"
    credit = fortnox.get(f"/3/invoices/{credit_number}").body["Invoice"]
    assert (credit["Credit"], credit["CreditInvoiceReference"], credit["Total"]) == ("true", number, -3125)
    assert credit["InvoiceRows"][0]["DeliveredQuantity"] == "-2"
    fortnox.put(f"/3/invoices/{number}/credit").expect_error(400, 2999022, "Dokumentet är redan krediterat.")
    fortnox.put(f"/3/invoices/{credit_number}/bookkeep")
    settled = fortnox.get(f"/3/invoices/{number}").body["Invoice"]
    assert settled["Balance"] == 0
    voucher = fortnox.get("/3/vouchers/B/2").body["Voucher"]
    assert {(r["Account"], r["Debit"], r["Credit"]) for r in voucher["VoucherRows"]} == {
        (1510, 0, Decimal(3125)),
        (3001, Decimal(2500), 0),
        (2611, Decimal(625), 0),
    }


def test_print_marks_sent_and_answers_a_pdf_preview_does_not(fortnox, invoice):
    number = invoice["DocumentNumber"]
    preview = fortnox.get(f"/3/invoices/{number}/preview")
    assert preview.status == 200 and preview.headers["Content-Type"] == "application/pdf"
    assert preview.body.startswith(b"%PDF-")
    assert fortnox.get(f"/3/invoices/{number}").body["Invoice"]["Sent"] is False
    assert fortnox.get(f"/3/invoices/{number}/print").body.startswith(b"%PDF-")
    assert fortnox.get(f"/3/invoices/{number}").body["Invoice"]["Sent"] is True


def test_externalprint_marks_sent(fortnox, invoice):
    assert (
        fortnox.put(f"/3/invoices/{invoice['DocumentNumber']}/externalprint").body["Invoice"]["Sent"] is True
    )


def test_the_bridge_finds_an_invoice_by_its_stamp(fortnox, invoice):
    rows = fortnox.get("/3/invoices?externalinvoicereference1=bridge:inv-77").body["Invoices"]
    assert [r["DocumentNumber"] for r in rows] == [invoice["DocumentNumber"]]
    assert fortnox.get("/3/invoices?externalinvoicereference1=bridge:inv-78").body["Invoices"] == []


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("OTHERCOSTS", 2002980, "Kan inte sätta typen övrig kostnad på en rad markerad som husarbete."),
        ("COOKING", 2003157, "Skattereduktion för den valda typen av husarbete har upphört."),
    ],
)
def test_housework_rows(fortnox, kind, code, message):
    row = {"ArticleNumber": "KONS", "DeliveredQuantity": "1", "HouseWork": True, "HouseWorkType": kind}
    answer = fortnox.post("/3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": [row]}})
    answer.expect_error(400, code, message)


def test_invoice_accruals_need_balanced_rows(fortnox, invoice):
    accrual = {
        "InvoiceNumber": int(invoice["DocumentNumber"]),
        "Description": "Licens",
        "StartDate": "2026-03-01",
        "EndDate": "2026-12-31",
        "AccrualAccount": 2990,
        "RevenueAccount": 3001,
        "Total": 2500,
        "Period": "MONTHLY",
        "Times": 10,
        "InvoiceAccrualRows": [{"Account": 2990, "Debit": 2500}, {"Account": 3001, "Credit": 2000}],
    }
    fortnox.post("/3/invoiceaccruals", {"InvoiceAccrual": accrual}).expect_error(
        400, 2999010, "Debet och kredit balanserar inte (2500 / 2000)."
    )
    accrual["InvoiceAccrualRows"][1]["Credit"] = 2500
    created = fortnox.post("/3/invoiceaccruals", {"InvoiceAccrual": accrual})
    assert created.status == 201
    assert (
        fortnox.get(f"/3/invoiceaccruals/{invoice['DocumentNumber']}").body["InvoiceAccrual"]["Times"] == 10
    )
    accrual["InvoiceNumber"] = 999
    fortnox.post("/3/invoiceaccruals", {"InvoiceAccrual": accrual}).expect_error(
        400, 2000434, "Kan inte hitta fakturan."
    )


def test_a_custom_vat_rate_needs_the_rows_account(fortnox):
    """Only 25, 12, 6 and 0 % have a default sales account; any other rate names its own."""
    row = {"Description": "Konsultation", "DeliveredQuantity": "1", "Price": 100, "VAT": 18}
    answer = fortnox.post("/3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": [row]}})
    answer.expect_error(400, 2004167, "Ett konto måste anges när en egen momssats används.")
    row["AccountNumber"] = 3001
    created = fortnox.post("/3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": [row]}})
    assert created.status == 201, created.body
    assert created.body["Invoice"]["InvoiceRows"][0]["AccountNumber"] == 3001


def test_rows_sent_with_row_ids_update_those_rows_and_drop_the_others(fortnox):
    rows = [
        {"ArticleNumber": "KONS", "DeliveredQuantity": "1", "Description": "first"},
        {"ArticleNumber": "KONS", "DeliveredQuantity": "2", "Description": "second"},
        {"ArticleNumber": "KONS", "DeliveredQuantity": "3", "Description": "third"},
    ]
    number = fortnox.post("/3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": rows}}).body[
        "Invoice"
    ]["DocumentNumber"]
    changed = [
        {"RowId": 3, "DeliveredQuantity": "5"},
        {"RowId": 1},
        {"ArticleNumber": "KONS", "Description": "new"},
    ]
    updated = fortnox.put(f"/3/invoices/{number}", {"Invoice": {"InvoiceRows": changed}}).body["Invoice"]
    assert [(r["RowId"], r["Description"], r["DeliveredQuantity"]) for r in updated["InvoiceRows"]] == [
        (1, "third", "5"),
        (2, "first", "1"),
        (3, "new", "0"),
    ]
