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
    keys["paths"] = family_records(call, upload)
    return app, headers, keys


W = "/api/warehouse"


def family_records(call, upload) -> dict[str, dict[str, str]]:
    """One record of every family the declarative machinery serves; answers the values of
    each parameterised path's parameters (by the spec's path) that reach those records."""
    call(
        "POST",
        "/3/offers",
        {"Offer": {"CustomerNumber": "1001", "OfferRows": [{"ArticleNumber": "KONS", "Quantity": "2"}]}},
    )
    call(
        "POST",
        "/3/offers",
        {"Offer": {"CustomerNumber": "1001", "OfferRows": [{"ArticleNumber": "KONS", "Quantity": "1"}]}},
    )
    call(
        "POST",
        "/3/contracttemplates",
        {
            "ContractTemplate": {
                "TemplateName": "Månad",
                "InvoiceInterval": 1,
                "ContractLength": 12,
                "InvoiceRows": [{"ArticleNumber": "KONS", "DeliveredQuantity": "1"}],
            }
        },
    )
    call("POST", "/3/contracts", {"Contract": {"CustomerNumber": "1001", "TemplateNumber": 1}})
    call(
        "POST",
        "/3/contractaccruals",
        {
            "ContractAccrual": {
                "DocumentNumber": 1,
                "AccrualAccount": 2990,
                "CostAccount": 3001,
                "Description": "Avtal",
                "Total": 100,
                "AccrualRows": [{"Account": 2990, "Debit": 100}, {"Account": 3001, "Credit": 100}],
            }
        },
    )
    call("POST", "/3/labels", {"Label": {"Description": "Viktig"}})
    call(
        "POST",
        "/3/termsofdeliveries",
        {"TermsOfDelivery": {"Code": "FVL", "Description": "Fritt vårt lager"}},
    )
    call("POST", "/3/wayofdeliveries", {"WayOfDelivery": {"Code": "P", "Description": "Post"}})
    call("POST", "/3/pricelists", {"PriceList": {"Code": "A", "Description": "Standard"}})
    call(
        "POST",
        "/3/prices",
        {"Price": {"PriceList": "A", "ArticleNumber": "KONS", "FromQuantity": 10, "Price": 900}},
    )
    call(
        "POST",
        "/3/customerreferences",
        {"CustomerReferenceRow": {"CustomerNumber": "1001", "Reference": "Anna"}},
    )
    call(
        "POST",
        "/3/taxreductions",
        {
            "TaxReduction": {
                "AskedAmount": 100,
                "CustomerName": "Anna",
                "ReferenceDocumentType": "OFFER",
                "ReferenceNumber": "1",
                "SocialSecurityNumber": "197001011234",
            }
        },
    )
    call("POST", "/3/emailsenders/trusted", {"TrustedSender": {"Email": "anna@example.se"}})
    call(
        "POST",
        "/3/articleurlconnections",
        {"ArticleUrlConnection": {"ArticleNumber": "KONS", "URLConnection": "https://example.se"}},
    )
    call(
        "POST",
        "/3/supplierinvoiceexternalurlconnections",
        {"ExternalURLConnection": "https://example.se/a", "SupplierInvoiceNumber": 1},
    )
    article_file = upload("inbox_a")
    call(
        "POST",
        "/3/articlefileconnections",
        {"ArticleFileConnection": {"FileId": article_file["Id"], "ArticleNumber": "KONS"}},
    )
    call(
        "POST",
        "/3/assets/types",
        {
            "AssetType": {
                "Number": "1",
                "Description": "Inventarier",
                "AccountAssetId": 1220,
                "AccountDepreciationId": 7831,
                "AccountValueLossId": 1229,
            }
        },
    )
    call(
        "POST",
        "/3/assets",
        {
            "Asset": {
                "Number": "A1",
                "Description": "Dator",
                "TypeId": 1,
                "AcquisitionValue": 12000,
                "AcquisitionDate": "2026-01-01",
                "DepreciationFinal": "2029-01-01",
            }
        },
    )
    asset_file = upload("inbox_a")
    call("POST", "/3/assetfileconnections", {"AssetId": "1", "FileId": asset_file["Id"]})
    call(
        "POST",
        "/3/employees",
        {
            "Employee": {
                "EmployeeId": "7",
                "FirstName": "Anna",
                "LastName": "Berg",
                "Email": "anna@example.se",
            }
        },
    )
    call(
        "POST",
        "/3/salarytransactions",
        {"SalaryTransaction": {"EmployeeId": "7", "SalaryCode": "11", "Date": "2026-01-05"}},
    )
    call(
        "POST",
        "/3/absencetransactions",
        {"AbsenceTransaction": {"EmployeeId": "7", "CauseCode": "SJK", "Date": "2026-01-05"}},
    )
    call(
        "POST",
        "/3/attendancetransactions",
        {"AttendanceTransaction": {"EmployeeId": "7", "CauseCode": "ARB", "Date": "2026-01-05"}},
    )
    call("POST", "/3/expenses", {"Expense": {"Code": "TAXI", "Text": "Taxi", "Account": 5800}})
    call("POST", "/3/noxfinansinvoices", {"NoxFinansInvoice": {"InvoiceNumber": 1, "Service": "REMINDER"}})
    order = call(
        "POST",
        f"{W}/purchaseorders-v1",
        {"supplierNumber": "1", "rows": [{"itemId": "KONS", "orderedQuantity": 10, "price": 50}]},
    )
    call(
        "POST",
        f"{W}/incominggoods-v1",
        {
            "deliveryNoteId": "FS1",
            "rows": [
                {
                    "itemId": "KONS",
                    "receivedQuantity": 4,
                    "purchaseOrderId": order["id"],
                    "purchaseOrderRowId": order["rows"][0]["id"],
                }
            ],
        },
    )
    point = call("POST", f"{W}/stockpoints-v1", {"code": "B", "name": "Butik"})
    call("POST", f"{W}/deliveries-v1/inbounddeliveries", {"rows": [{"itemId": "KONS", "quantity": 5}]})
    call("POST", f"{W}/deliveries-v1/outbounddeliveries", {"rows": [{"itemId": "KONS", "quantity": 1}]})
    call(
        "POST",
        f"{W}/stocktransfer-v1",
        {
            "rows": [
                {
                    "itemId": "KONS",
                    "requestedQuantity": 1,
                    "fromStockPointCode": "LAGER",
                    "toStockPointCode": "B",
                }
            ]
        },
    )
    call(
        "POST",
        f"{W}/documentdeliveries/custom/documenttypes-v1",
        {"category": "INBOUND", "referenceType": "RETUR"},
    )
    call(
        "POST",
        f"{W}/documentdeliveries/custom/documenttypes-v1",
        {"category": "OUTBOUND", "referenceType": "UTLAN"},
    )
    call(
        "PUT",
        f"{W}/documentdeliveries/custom/inbound-v1/RETUR/101",
        {"rows": [{"itemId": "KONS", "quantity": 1}]},
    )
    call(
        "PUT",
        f"{W}/documentdeliveries/custom/outbound-v1/UTLAN/201",
        {"rows": [{"itemId": "KONS", "quantity": 1}]},
    )
    call(
        "POST",
        f"{W}/productionorders-v1",
        {"itemId": "KONS", "quantity": 1, "productionState": "registered", "startDate": "2026-01-01"},
    )
    call("POST", f"{W}/stocktaking-v1", {"name": "Inventering", "responsible": "Anna"})
    one = {"id": "1"}
    values = {
        "/3/absencetransactions/{id}": one, "/3/absencetransactions/{id}/{Date}/{Code}": {"id": "7", "Date": "2026-01-05", "Code": "SJK"},
        "/3/attendancetransactions/{id}": one, "/3/attendancetransactions/{id}/{Date}/{Code}": {"id": "7", "Date": "2026-01-05", "Code": "ARB"},
        "/3/articlefileconnections/{FileId}": {"FileId": article_file["Id"]}, "/3/assetfileconnections/{FileId}": {"FileId": asset_file["Id"]},
        "/3/articleurlconnections/{id}": one, "/3/assets/types/{id}": one, "/3/assets/depreciations/{ToDate}": {"ToDate": "2026-12-31"},
        "/3/contractaccruals/{DocumentNumber}": {"DocumentNumber": "1"}, "/3/contracttemplates/{TemplateNumber}": {"TemplateNumber": "1"},
        "/3/customerreferences/{CustomerReferenceRowId}": {"CustomerReferenceRowId": "1"}, "/3/emailsenders/trusted/{Id}": {"Id": "1"},
        "/3/employees/{EmployeeId}": {"EmployeeId": "7"}, "/3/expenses/{ExpenseCode}": {"ExpenseCode": "TAXI"},
        "/3/labels/{Id}": {"Id": "1"}, "/3/predefinedaccounts/{name}": {"name": "BG"}, "/3/pricelists/{Code}": {"Code": "A"},
        "/3/prices/sublist/{PriceList}/{ArticleNumber}": {"PriceList": "A", "ArticleNumber": "KONS"},
        "/3/prices/{PriceList}/{ArticleNumber}": {"PriceList": "A", "ArticleNumber": "KONS"},
        "/3/prices/{PriceList}/{ArticleNumber}/{FromQuantity}": {"PriceList": "A", "ArticleNumber": "KONS", "FromQuantity": "10"},
        "/3/salarytransactions/{SalaryRow}": {"SalaryRow": "1"}, "/3/scheduletimes/{EmployeeId}/{Date}": {"EmployeeId": "7", "Date": "2026-01-05"},
        "/3/supplierinvoiceexternalurlconnections/{Id}": {"Id": "1"}, "/3/taxreductions/{Id}": {"Id": "1"},
        "/3/termsofdeliveries/{Code}": {"Code": "FVL"}, "/3/vacationdebtbasis/{Year}/{Month}": {"Year": "2026", "Month": "1"},
        "/3/wayofdeliveries/{Code}": {"Code": "P"}, "/3/noxfinansinvoices/{InvoiceNumber}": {"InvoiceNumber": "1"},
        f"{W}/documentdeliveries/custom/documenttypes-v1/{{type}}": {"type": "RETUR"},
        f"{W}/documentdeliveries/custom/inbound-v1/{{type}}/{{id}}": {"type": "RETUR", "id": "101"},
        f"{W}/documentdeliveries/custom/outbound-v1/{{type}}/{{id}}": {"type": "UTLAN", "id": "201"},
        f"{W}/productionorders-v1/billofmaterials/{{itemId}}": {"itemId": "KONS"},
        f"{W}/stockpoints-v1/{{id}}": {"id": point["id"]},
        f"{W}/stocktaking-v1/{{id}}/rows/{{rowId}}": {"id": "1", "rowId": "none"},
        "/api/integration-developer/sales-v1/{integrationId}": {"integrationId": "1"},
        "/api/integration-developer/users/users-v1/{integrationId}/{tenantId}": {"integrationId": "1", "tenantId": "123456"},
        "/api/integration-partner/apps/sales-v1/{appId}": {"appId": "1"},
        "/api/integration-partner/apps/sales-v1/{appId}/{tenantId}": {"appId": "1", "tenantId": "123456"},
    }  # fmt: skip
    prefixes = {  # the rest: parameters named after the family's path
        "/3/offers/": {"DocumentNumber": "1"}, "/3/contracts/": {"DocumentNumber": "1"}, "/3/assets/": {"Id": "1"},
        "/3/invoices/": {"DocumentNumber": "1"}, "/3/orders/": {"DocumentNumber": "1"},
        "/3/noxfinansinvoices/": {"InvoiceNumber": "1"}, "/3/scheduletimes/": {"EmployeeId": "7", "Date": "2026-01-05"},
        f"{W}/stockpoints-v1/": {"id": point["id"]}, f"{W}/": {"id": "1"},
    }  # fmt: skip
    return {"exact": values, "prefix": prefixes}
