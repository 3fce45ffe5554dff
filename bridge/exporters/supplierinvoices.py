"""`export supplierinvoices --since DATE`: supplier invoices dated from DATE, with their
supplier, project and rows, and the files Fortnox keeps with each beside them.

Into `outbox/exports/supplierinvoices/<company>/since-<DATE>/`: `supplierinvoices.csv` (one
line per invoice row, the invoice's own columns repeated: what a spreadsheet or an importer
reads best), `supplierinvoices.json` (each invoice whole, with its supplier, project and
files), and `<number>/<file>` with `manifest.csv`/`.json` as `export documents` writes them —
the same mirror, so a second run fetches only files that are new or replaced. Calls: the
invoice list, one call per invoice for its rows, the supplier and project lists, the file
connections, one download per file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bridge.exporters.documents import supplier_invoice_files
from bridge.exporters.mirror import ManifestEntry, MirrorResult, Progress, mirror_files
from bridge.fortnox import FortnoxClient
from bridge.util import atomic_write, dumps
from bridge.util.csvsafe import render_csv

__all__ = ["COLUMNS", "SupplierInvoiceExport", "export_supplier_invoices"]

HEAD = (
    "GivenNumber", "InvoiceNumber", "InvoiceDate", "DueDate", "SupplierNumber", "SupplierName",
    "SupplierOrganisationNumber", "Project", "ProjectDescription", "CostCenter", "Currency", "CurrencyRate",
    "Total", "VAT", "Balance", "Booked", "Cancelled", "OCR", "Files",
)  # fmt: skip
ROW = (
    "Account", "AccountDescription", "Code", "ArticleNumber", "ItemDescription", "Quantity", "Unit", "Price",
    "Debit", "Credit", "Total", "Project", "CostCenter", "TransactionInformation",
)  # fmt: skip
COLUMNS = HEAD + tuple(f"Row{c}" for c in ROW)
# Amounts Fortnox sends as strings or numbers; exact decimals in the files.
_MONEY = ("AdministrationFee", "Balance", "CurrencyRate", "Freight", "RoundOffValue", "Total", "VAT")
_ROW_MONEY = ("Credit", "CreditCurrency", "Debit", "DebitCurrency", "Price", "Quantity", "Total")


@dataclass
class SupplierInvoiceExport:
    tenant: str
    since: date
    folder: Path
    invoices: list[dict[str, Any]]
    mirror: MirrorResult

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "since": self.since.isoformat(),
            "folder": str(self.folder),
            "invoices": len(self.invoices),
            "rows": sum(len(i["invoice"]["SupplierInvoiceRows"]) for i in self.invoices),
            "files": len(self.mirror.entries),
            "fetched": self.mirror.fetched,
            "csv": str(self.folder / "supplierinvoices.csv"),
            "json": str(self.folder / "supplierinvoices.json"),
            "problems": self.mirror.problems,
        }


def export_supplier_invoices(
    client: FortnoxClient,
    tenant: str,
    outbox: Path,
    since: date,
    *,
    on_progress: Callable[[Progress], None] = lambda _: None,
) -> SupplierInvoiceExport:
    folder = outbox / "exports" / "supplierinvoices" / tenant / f"since-{since.isoformat()}"
    listed = list(client.iter_pages("/3/supplierinvoices", "SupplierInvoices", fromdate=since.isoformat()))
    suppliers = (
        {str(s["SupplierNumber"]): s for s in client.iter_pages("/3/suppliers", "Suppliers")}
        if listed
        else {}
    )
    projects = (
        {str(p["ProjectNumber"]): p for p in client.iter_pages("/3/projects", "Projects")} if listed else {}
    )
    mirror = mirror_files(client, folder, supplier_invoice_files(client, listed, ""), on_progress=on_progress)
    files_of: dict[str, list[ManifestEntry]] = {}
    for entry in mirror.entries:
        files_of.setdefault(entry.reference, []).append(entry)
    invoices = []
    for row in listed:
        number = str(row["GivenNumber"])
        invoice = _exact(client.get(f"/3/supplierinvoices/{quote(number, safe='')}")["SupplierInvoice"])
        supplier = suppliers.get(str(invoice.get("SupplierNumber")), {})
        project = projects.get(str(invoice.get("Project") or ""))
        invoices.append(
            {
                "invoice": invoice,
                "supplier": {
                    "SupplierNumber": invoice.get("SupplierNumber"),
                    "Name": supplier.get("Name") or invoice.get("SupplierName"),
                    "OrganisationNumber": supplier.get("OrganisationNumber", ""),
                    "VATNumber": supplier.get("VATNumber", ""),
                },
                "project": {"ProjectNumber": project["ProjectNumber"], "Description": project["Description"]}
                if project
                else None,
                "files": [
                    {
                        "file": e.file,
                        "original_name": e.original_name,
                        "fortnox_file_id": e.fortnox_file_id,
                        "size": e.size,
                        "sha256": e.sha256,
                    }
                    for e in files_of.get(number, [])
                ],
            }
        )
    atomic_write(folder / "supplierinvoices.csv", render_csv(COLUMNS, _lines(invoices)))
    document = {"tenant": tenant, "since": since.isoformat(), "supplierinvoices": invoices}
    atomic_write(folder / "supplierinvoices.json", dumps(document, indent=2) + "\n")
    return SupplierInvoiceExport(tenant, since, folder, invoices, mirror)


def _exact(invoice: dict[str, Any]) -> dict[str, Any]:
    record = {k: v for k, v in invoice.items() if not k.startswith("@")}
    for name in _MONEY:
        if record.get(name) not in (None, ""):
            record[name] = Decimal(str(record[name]))
    record["SupplierInvoiceRows"] = [
        {k: Decimal(str(v)) if k in _ROW_MONEY and v not in (None, "") else v for k, v in row.items()}
        for row in record.get("SupplierInvoiceRows") or []
    ]
    return record


def _lines(invoices: list[dict[str, Any]]) -> list[list[Any]]:
    lines = []
    for item in invoices:
        invoice, supplier, project = item["invoice"], item["supplier"], item["project"] or {}
        head = {
            **{c: invoice.get(c) for c in HEAD},
            "SupplierName": supplier["Name"],
            "SupplierOrganisationNumber": supplier["OrganisationNumber"],
            "ProjectDescription": project.get("Description", ""),
            "Files": " ".join(f["file"] for f in item["files"]),
        }
        rows = invoice["SupplierInvoiceRows"] or [{}]  # an invoice without rows still has its line
        lines += [[head[c] for c in HEAD] + [row.get(c) for c in ROW] for row in rows]
    return lines
