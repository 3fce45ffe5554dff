"""Supplier invoices: rows built like Fortnox, booking in D, payments in E, credit, approval."""

from __future__ import annotations

from decimal import Decimal

import pytest


def supplier_invoice(**changes) -> dict:
    body = {
        "SupplierNumber": "1",
        "InvoiceNumber": "F-2026-0042",
        "InvoiceDate": "2026-04-01",
        "DueDate": "2026-05-01",
        "Total": "1250.00",
        "VAT": "250.00",
        "DisablePaymentFile": True,
        "SupplierInvoiceRows": [{"Account": 6110, "Debit": Decimal("1000.00")}],
    }
    body.update(changes)
    return {"SupplierInvoice": body}


@pytest.fixture
def created(fortnox) -> dict:
    answer = fortnox.post("/3/supplierinvoices", supplier_invoice())
    assert answer.status == 201, answer.body
    return answer.body["SupplierInvoice"]


def test_tot_and_vat_rows_are_built_from_total_and_vat(created):
    rows = {(r["Code"], r["Account"], r["Debit"], r["Credit"]) for r in created["SupplierInvoiceRows"]}
    assert rows == {("PRE", 6110, 1000, 0), ("TOT", 2440, 0, 1250), ("VAT", 2641, 250, 0)}
    assert (created["GivenNumber"], created["SupplierName"]) == ("1", "Kontorsvaror i Norden AB")
    assert (created["Total"], created["VAT"], created["Balance"]) == ("1250", "250", "1250")
    assert created["DisablePaymentFile"] is True


def test_a_small_difference_becomes_a_rounding_row(fortnox):
    answer = fortnox.post("/3/supplierinvoices", supplier_invoice(Total="1250.40", VAT="250.00"))
    rows = {r["Code"]: r for r in answer.body["SupplierInvoice"]["SupplierInvoiceRows"]}
    assert (rows["ROV"]["Account"], rows["ROV"]["Debit"]) == (3740, Decimal("0.4"))


def test_rules(fortnox):
    fortnox.post("/3/supplierinvoices", supplier_invoice(SupplierNumber="77")).expect_error(
        400, 2999029, "Leverantören 77 finns inte."
    )
    fortnox.post("/3/supplierinvoices", supplier_invoice(Total="2000")).expect_error(
        400, 2999010, "Debet och kredit balanserar inte (1250 / 2000)."
    )
    fortnox.get("/3/supplierinvoices/99").expect_error(404, 2999105, "Kan inte hitta leverantörsfakturan.")


def test_the_bridge_finds_it_by_supplier_and_invoice_number(fortnox, created):
    fortnox.post("/3/supplierinvoices", supplier_invoice(SupplierNumber="2", InvoiceNumber="F-2026-0042"))
    rows = fortnox.get("/3/supplierinvoices?suppliernumber=1&invoicenumber=F-2026-0042").body[
        "SupplierInvoices"
    ]
    assert [(r["GivenNumber"], r["SupplierNumber"], r["InvoiceNumber"]) for r in rows] == [
        ("1", "1", "F-2026-0042")
    ]
    assert rows[0]["Cancel"] is False and "AuthorizerName" in rows[0]


def test_book_pay_and_fully_paid(fortnox, created):
    number = created["GivenNumber"]
    booked = fortnox.put(f"/3/supplierinvoices/{number}/bookkeep").body["SupplierInvoice"]
    assert (booked["Booked"], booked["VoucherSeries"]) == (True, "D")
    assert booked["Vouchers"] == [{"Number": 1, "Series": "D", "Year": 2, "ReferenceType": "SUPPLIERINVOICE"}]
    fortnox.put(f"/3/supplierinvoices/{number}", {"SupplierInvoice": {"Comments": "x"}}).expect_error(
        400, 2999004, "Dokumentet är bokfört och kan inte ändras."
    )
    payment = {
        "SupplierInvoicePayment": {"InvoiceNumber": number, "Amount": 1250, "PaymentDate": "2026-04-20"}
    }
    created_payment = fortnox.post("/3/supplierinvoicepayments", payment).body["SupplierInvoicePayment"]
    assert created_payment["Number"] == 1
    fortnox.put(f"/3/supplierinvoicepayments/{created_payment['Number']}/bookkeep")
    paid = fortnox.get(f"/3/supplierinvoices/{number}").body["SupplierInvoice"]
    assert (paid["Balance"], paid["FinalPayDate"]) == ("0", "2026-04-20")
    voucher = fortnox.get("/3/vouchers/E/1").body["Voucher"]
    assert {(r["Account"], r["Debit"], r["Credit"]) for r in voucher["VoucherRows"]} == {
        (2440, Decimal(1250), 0),
        (1930, 0, Decimal(1250)),
    }
    assert [
        r["GivenNumber"] for r in fortnox.get("/3/supplierinvoices?filter=fullypaid").body["SupplierInvoices"]
    ] == [number]


def test_cancel_and_credit(fortnox, created):
    other = fortnox.post("/3/supplierinvoices", supplier_invoice(InvoiceNumber="F-2")).body["SupplierInvoice"]
    assert fortnox.put(f"/3/supplierinvoices/{other['GivenNumber']}/cancel").body["SupplierInvoice"][
        "Cancelled"
    ]
    number = created["GivenNumber"]
    fortnox.put(f"/3/supplierinvoices/{number}/bookkeep")
    original = fortnox.put(f"/3/supplierinvoices/{number}/credit").body["SupplierInvoice"]
    credit = fortnox.get(f"/3/supplierinvoices/{original['CreditReference']}").body["SupplierInvoice"]
    assert (credit["Credit"], credit["CreditReference"], credit["Total"]) == (True, int(number), "-1250")
    fortnox.put(f"/3/supplierinvoices/{credit['GivenNumber']}/bookkeep")
    assert fortnox.get(f"/3/supplierinvoices/{number}").body["SupplierInvoice"]["Balance"] == "0"


def test_approval_for_payment_and_booking(fortnox, created):
    number = created["GivenNumber"]
    pending = fortnox.get("/3/supplierinvoices?filter=authorizepending").body["SupplierInvoices"]
    assert [r["GivenNumber"] for r in pending] == [number]
    fortnox.put(f"/3/supplierinvoices/{number}/approvalpayment")
    assert fortnox.get("/3/supplierinvoices?filter=authorizepending").body["SupplierInvoices"] == []
    booked = fortnox.put(f"/3/supplierinvoices/{number}/approvalbookkeep").body["SupplierInvoice"]
    assert booked["Booked"] is True
    row = fortnox.get("/3/supplierinvoices").body["SupplierInvoices"][0]
    assert row["AuthorizerName"] == "Anna Administratör"


def test_supplier_invoice_accruals(fortnox, created):
    accrual = {
        "SupplierInvoiceNumber": int(created["GivenNumber"]),
        "AccrualAccount": 1790,
        "CostAccount": 6110,
        "StartDate": "2026-04-01",
        "EndDate": "2026-12-31",
        "Period": "MONTHLY",
        "Times": 9,
        "Total": 1000,
        "SupplierInvoiceAccrualRows": [{"Account": 6110, "Debit": 1000}],
    }
    fortnox.post("/3/supplierinvoiceaccruals", {"SupplierInvoiceAccrual": accrual}).expect_error(
        400, 2999011, "Minst två rader måste anges."
    )
    accrual["SupplierInvoiceAccrualRows"].append({"Account": 2990, "Credit": 1000})
    assert fortnox.post("/3/supplierinvoiceaccruals", {"SupplierInvoiceAccrual": accrual}).status == 201
    del accrual["SupplierInvoiceNumber"]
    fortnox.post("/3/supplierinvoiceaccruals", {"SupplierInvoiceAccrual": accrual}).expect_error(
        400, 2999001, "Fältet SupplierInvoiceNumber måste anges."
    )


def test_supplier_list_rows_carry_the_vat_number(fortnox):
    # The spec's list schema has it; without it a supplier known only by VAT number is unfindable.
    fortnox.put("/3/suppliers/1", {"Supplier": {"VATNumber": "SE556677889901"}})
    rows = fortnox.get("/3/suppliers").body["Suppliers"]
    assert {r["SupplierNumber"]: r["VATNumber"] for r in rows}["1"] == "SE556677889901"


def test_the_due_date_follows_the_suppliers_terms_unless_given(fortnox):
    fortnox.put("/3/suppliers/1", {"Supplier": {"TermsOfPayment": "10"}})
    body = {"SupplierNumber": "1", "InvoiceDate": "2026-03-01", "Total": 1250, "VAT": 250}
    made = fortnox.post("/3/supplierinvoices", {"SupplierInvoice": body}).body["SupplierInvoice"]
    given = fortnox.post("/3/supplierinvoices", {"SupplierInvoice": {**body, "DueDate": "2026-04-30"}})
    assert (made["DueDate"], given.body["SupplierInvoice"]["DueDate"]) == ("2026-03-11", "2026-04-30")
