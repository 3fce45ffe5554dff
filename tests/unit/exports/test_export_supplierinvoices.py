"""`export supplierinvoices --since`: invoices with supplier, project and rows, their files beside."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from bridge.exporters.supplierinvoices import export_supplier_invoices
from bridge.util import loads
from tests.exports_company import upload

GOLDEN = (
    Path(__file__).resolve().parents[3] / "fixtures" / "exports" / "supplierinvoices-since-2026-01-01.csv"
)


def test_invoices_since_a_date_with_rows_supplier_project_and_files(api, tmp_path, golden):
    rows = [{"Account": 6110, "Debit": "1000.50", "Project": "100"}]
    invoice = api.post(
        "/3/supplierinvoices",
        {"SupplierInvoice": {"SupplierNumber": "1", "InvoiceNumber": "F-77", "InvoiceDate": "2026-03-02",
                             "Total": "1250.63", "VAT": "250.13", "Project": "100", "SupplierInvoiceRows": rows}},
    )["SupplierInvoice"]  # fmt: skip
    file = upload(api, "inbox_s", "faktura F-77.pdf", b"%PDF-1.4\n% F-77\n%%EOF\n")
    api.post(
        "/3/supplierinvoicefileconnections",
        {
            "SupplierInvoiceFileConnection": {
                "FileId": file["Id"],
                "SupplierInvoiceNumber": invoice["GivenNumber"],
            }
        },
    )
    for number, day in (("T-1", "2026-01-15"), ("T-0", "2025-12-15")):  # the second is before --since
        api.post(
            "/3/supplierinvoices",
            {"SupplierInvoice": {"SupplierNumber": "2", "InvoiceNumber": number, "InvoiceDate": day,
                                 "Total": "500", "VAT": "100"}},
        )  # fmt: skip

    result = export_supplier_invoices(api, "demo", tmp_path, date(2026, 1, 1))

    assert result.folder == tmp_path / "exports" / "supplierinvoices" / "demo" / "since-2026-01-01"
    golden(GOLDEN, (result.folder / "supplierinvoices.csv").read_text(encoding="utf-8"))
    document = loads((result.folder / "supplierinvoices.json").read_text())
    first = document["supplierinvoices"][0]
    assert (first["invoice"]["Total"], first["invoice"]["SupplierInvoiceRows"][0]["Debit"]) == (
        Decimal("1250.63"), Decimal("1000.5"),
    )  # fmt: skip
    assert first["supplier"]["OrganisationNumber"] == "556677-8899"
    assert first["project"] == {"ProjectNumber": "100", "Description": "Kontorsflytt"}
    assert [f["file"] for f in first["files"]] == [f"{invoice['GivenNumber']}/faktura F-77.pdf"]
    assert (result.folder / first["files"][0]["file"]).read_bytes() == b"%PDF-1.4\n% F-77\n%%EOF\n"
    assert [i["invoice"]["InvoiceNumber"] for i in document["supplierinvoices"]] == ["F-77", "T-1"]

    again = export_supplier_invoices(api, "demo", tmp_path, date(2026, 1, 1))
    assert again.mirror.fetched == 0 and again.to_json()["files"] == 1
