"""The mock against Fortnox's own OpenAPI document and recorded responses (from `../shared`)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from mockfortnox import create_app

PDF = b"%PDF-1.4\n% contract test\n%%EOF\n"


def normalise(path: str) -> str:
    return re.sub(r"{[^}]+}", "{}", path)


SHARED_REF = Path(__file__).resolve().parents[2].parent / "shared" / "ref"


@pytest.fixture(scope="module")
def reference() -> Path:
    """Module-scoped twin of the suite's `shared_ref` (the scenario below is built once)."""
    if not SHARED_REF.is_dir():
        pytest.skip(f"reference corpus not found at {SHARED_REF} (it lives outside the repository)")
    return SHARED_REF


@pytest.fixture(scope="module")
def official_spec(reference: Path) -> dict:
    return json.loads((reference / "fortnox" / "openapi.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scenario():
    """A mock company where every implemented resource has at least one record with a known
    key, so that single-record operations answer 200 rather than 404."""
    app = create_app({"MOCK_RATE_LIMIT": "off"})
    http = app.test_client()
    token = http.post("/mock/tokens", json={"tenant": "demo"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, body=None, **kwargs):
        answer = http.open(path, method=method, json=body, headers=headers, **kwargs)
        assert answer.status_code < 400, (path, answer.get_data(as_text=True))
        return answer.get_json(silent=True)

    invoice = call("POST", "/3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceDate": "2026-03-01",
                   "InvoiceRows": [{"ArticleNumber": "KONS", "DeliveredQuantity": "2"}]}})["Invoice"]  # fmt: skip
    number = invoice["DocumentNumber"]
    call("PUT", f"/3/invoices/{number}/bookkeep")
    payment = call("POST", "/3/invoicepayments", {"InvoicePayment": {"InvoiceNumber": int(number), "Amount": 1000,
                   "PaymentDate": "2026-03-05"}})["InvoicePayment"]  # fmt: skip
    supplier_invoice = call("POST", "/3/supplierinvoices", {"SupplierInvoice": {"SupplierNumber": "1", "InvoiceNumber": "A-1",
                            "InvoiceDate": "2026-03-02", "Total": "1250", "VAT": "250"}})["SupplierInvoice"]  # fmt: skip
    given = supplier_invoice["GivenNumber"]
    call("PUT", f"/3/supplierinvoices/{given}/bookkeep")
    supplier_payment = call("POST", "/3/supplierinvoicepayments", {"SupplierInvoicePayment": {"InvoiceNumber": given,
                            "Amount": 100, "PaymentDate": "2026-03-10"}})["SupplierInvoicePayment"]  # fmt: skip
    call("POST", "/3/vouchers", {"Voucher": {"Description": "Kvitto", "TransactionDate": "2026-02-02", "VoucherSeries": "A",
         "Comments": "stamp", "VoucherRows": [{"Account": 6110, "Debit": 100}, {"Account": 1930, "Credit": 100}]}})  # fmt: skip
    call("POST", "/3/invoiceaccruals", {"InvoiceAccrual": {"InvoiceNumber": int(number), "Description": "Licens",
         "StartDate": "2026-03-01", "EndDate": "2026-12-31", "AccrualAccount": 2990, "RevenueAccount": 3001, "Total": 2500,
         "Period": "MONTHLY", "Times": 10, "InvoiceAccrualRows": [{"Account": 2990, "Debit": 2500},
         {"Account": 3001, "Credit": 2500}]}})  # fmt: skip
    call("POST", "/3/supplierinvoiceaccruals", {"SupplierInvoiceAccrual": {"SupplierInvoiceNumber": int(given),
         "StartDate": "2026-03-01", "EndDate": "2026-12-31", "AccrualAccount": 1790, "CostAccount": 6110, "Total": 1000,
         "Period": "MONTHLY", "Times": 10, "SupplierInvoiceAccrualRows": [{"Account": 6110, "Debit": 1000},
         {"Account": 2990, "Credit": 1000}]}})  # fmt: skip

    order = call("POST", "/3/orders", {"Order": {"CustomerNumber": "1001"}})["Order"]

    def upload(folder: str) -> dict:
        answer = http.post(f"/3/inbox?folderId={folder}", headers=headers,
                           data={"file": (io.BytesIO(PDF), "doc.pdf")}, content_type="multipart/form-data")  # fmt: skip
        return answer.get_json()["File"]

    voucher_file = upload("inbox_v")
    call("POST", "/3/voucherfileconnections", {"VoucherFileConnection": {"FileId": voucher_file["Id"],
         "VoucherSeries": "A", "VoucherNumber": "1", "VoucherYear": 2}})  # fmt: skip
    supplier_file = upload("inbox_s")
    call("POST", "/3/supplierinvoicefileconnections", {"SupplierInvoiceFileConnection": {"FileId": supplier_file["Id"],
         "SupplierInvoiceNumber": given}})  # fmt: skip
    inbox_file = upload("inbox_kf")
    attachment = call("POST", "/api/fileattachments/attachments-v1",
                      [{"entityId": int(number), "entityType": "F", "fileId": inbox_file["ArchiveFileId"]}])[0]  # fmt: skip
    # The key of one existing record per resource (by the resource's path).
    keys = {
        "invoices": number, "invoicepayments": payment["Number"], "supplierinvoices": given,
        "supplierinvoicepayments": str(supplier_payment["Number"]), "customers": "1001", "articles": "KONS",
        "suppliers": "1", "projects": "100", "costcenters": "STHLM", "currencies": "EUR", "termsofpayments": "30",
        "units": "st", "modesofpayments": "BG", "voucherseries": "A", "financialyears": "2", "accounts": "1930",
        "predefinedvoucherseries": "INVOICE", "predefinedaccounts": "BG", "invoiceaccruals": number, "supplierinvoiceaccruals": given,
        "voucherfileconnections": voucher_file["Id"], "supplierinvoicefileconnections": supplier_file["Id"],
        "inbox": "inbox_kf", "archive": "root", "attachments-v1": attachment["id"], "orders": order["DocumentNumber"],
        "sie": "4",
    }  # fmt: skip
    return app, headers, keys
