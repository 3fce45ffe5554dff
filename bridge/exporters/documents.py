"""`export documents`: every file behind a financial year's books, into
`outbox/exports/documents/<company>/<year>/<kind>/<document>/…` with a manifest.

- `vouchers`: each file connected to a voucher of the year (`voucherfileconnections`, by the
  year's id), downloaded from the archive — `vouchers/A-12/kvitto.pdf`;
- `supplierinvoices`: each file connected to a supplier invoice dated in the year (the year's
  invoices, then `supplierinvoicefileconnections`) — `supplierinvoices/17/faktura.pdf`;
- `invoices`: each customer invoice of the year as the PDF Fortnox renders (`preview`, which,
  unlike `print`, does not mark it sent) — `invoices/1003/faktura-1003.pdf`.

The calls are the least the job needs: one list call per 500 connections or invoices, one
download per file. At Fortnox's 25 calls per 5 seconds a year of 2,000 documents takes about
seven minutes; the mirror (see `mirror.py`) makes the run resumable and a second run cheap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bridge.exporters.mirror import MirrorResult, Progress, WantedFile, mirror_files, safe_file_name
from bridge.exporters.sie import choose_years, year_label
from bridge.fortnox import FortnoxClient
from bridge.fortnox.masterdata import fetch_financial_years
from bridge.model import FinancialYear
from bridge.util import dumps

__all__ = ["KINDS", "DocumentsExport", "export_documents", "wanted_files"]

KINDS = ("vouchers", "supplierinvoices", "invoices")
# What an invoice's PDF shows, of what its list row says: when none of it changed, neither did the PDF.
_INVOICE_PDF_FIELDS = ("CustomerNumber", "CustomerName", "InvoiceDate", "DueDate", "Total", "Currency", "OCR",
                       "Cancelled")  # fmt: skip


@dataclass
class DocumentsExport:
    tenant: str
    year: FinancialYear
    label: str
    mirror: MirrorResult

    @property
    def folder(self) -> Path:
        return self.mirror.folder

    def to_json(self) -> dict[str, Any]:
        entries = self.mirror.entries
        return {
            "tenant": self.tenant,
            "financial_year": {
                "id": self.year.id,
                "from": self.year.from_date.isoformat(),
                "to": self.year.to_date.isoformat(),
            },
            "folder": str(self.folder),
            "manifest": str(self.folder / "manifest.csv"),
            "files": len(entries),
            "bytes": sum(e.size for e in entries),
            "kinds": {kind: sum(1 for e in entries if e.kind == kind) for kind in KINDS},
            "fetched": self.mirror.fetched,
            **{status: self.mirror.count(status) for status in ("new", "changed", "replaced", "unchanged")},
            "removed": len(self.mirror.removed),
            "problems": self.mirror.problems,
        }


def export_documents(
    client: FortnoxClient,
    tenant: str,
    outbox: Path,
    *,
    year: int | None = None,
    years: int = 1,
    kinds: Sequence[str] = KINDS,
    today: date | None = None,
    on_progress: Callable[[FinancialYear, Progress], None] = lambda _y, _p: None,
) -> list[DocumentsExport]:
    """The documents of `years` financial years: the one beginning in `year` (default: the
    latest begun by `today`) and those before it, oldest first."""
    chosen = choose_years(fetch_financial_years(client), year, years, today or date.today())
    return [export_year_documents(client, tenant, outbox, y, kinds, on_progress) for y in chosen]


def export_year_documents(
    client: FortnoxClient,
    tenant: str,
    outbox: Path,
    year: FinancialYear,
    kinds: Sequence[str] = KINDS,
    on_progress: Callable[[FinancialYear, Progress], None] = lambda _y, _p: None,
) -> DocumentsExport:
    label = year_label(year)
    folder = outbox / "exports" / "documents" / tenant / label
    wanted = wanted_files(client, year, kinds)
    mirror = mirror_files(client, folder, wanted, on_progress=lambda p: on_progress(year, p))
    return DocumentsExport(tenant, year, label, mirror)


def wanted_files(
    client: FortnoxClient, year: FinancialYear, kinds: Sequence[str] = KINDS
) -> list[WantedFile]:
    """Every file of the year that Fortnox has, as the mirror should hold it."""
    found: list[WantedFile] = []
    if "vouchers" in kinds:
        found += _voucher_files(client, year)
    if "supplierinvoices" in kinds:
        invoices = client.iter_pages(
            "/3/supplierinvoices",
            "SupplierInvoices",
            fromdate=year.from_date.isoformat(),
            todate=year.to_date.isoformat(),
        )
        found += supplier_invoice_files(client, invoices, "supplierinvoices")
    if "invoices" in kinds:
        found += _invoice_pdfs(client, year)
    return found


def _voucher_files(client: FortnoxClient, year: FinancialYear) -> Iterable[WantedFile]:
    # `voucheryear` is the spec's filter; the year is checked again here, whatever Fortnox did with it.
    for row in client.iter_pages("/3/voucherfileconnections", "VoucherFileConnections", voucheryear=year.id):
        if str(row.get("VoucherYear")) != str(year.id):
            continue
        series, number = str(row["VoucherSeries"]), str(row["VoucherNumber"])
        file_id = str(row["FileId"])
        yield WantedFile(
            kind="vouchers",
            document=f"vouchers/{safe_file_name(f'{series}-{number}')}",
            reference=f"{series} {number}",
            description=str(row.get("VoucherDescription") or ""),
            file_id=file_id,
            name=str(row.get("Name") or file_id),
            download_path=f"/3/archive/{quote(file_id, safe='')}",
            version=file_id,
        )


def supplier_invoice_files(
    client: FortnoxClient, invoices: Iterable[dict[str, Any]], folder: str
) -> list[WantedFile]:
    """The files connected to these supplier invoices (list rows), under `[folder/]<number>/`."""
    by_number = {str(r["GivenNumber"]): r for r in invoices}
    if not by_number:
        return []
    found = []
    connections = client.iter_pages("/3/supplierinvoicefileconnections", "SupplierInvoiceFileConnections")
    for row in connections:
        invoice = by_number.get(str(row["SupplierInvoiceNumber"]))
        if invoice is None:
            continue
        number, file_id = str(invoice["GivenNumber"]), str(row["FileId"])
        supplier = str(invoice.get("SupplierName") or row.get("SupplierName") or "")
        found.append(
            WantedFile(
                kind="supplierinvoices",
                document="/".join(filter(None, (folder, safe_file_name(number)))),
                reference=number,
                description=f"{supplier} {invoice.get('InvoiceNumber') or ''}".strip(),
                file_id=file_id,
                name=str(row.get("Name") or file_id),
                download_path=f"/3/archive/{quote(file_id, safe='')}",
                version=file_id,
            )
        )
    return found


def _invoice_pdfs(client: FortnoxClient, year: FinancialYear) -> Iterable[WantedFile]:
    rows = client.iter_pages(
        "/3/invoices", "Invoices", fromdate=year.from_date.isoformat(), todate=year.to_date.isoformat()
    )
    for row in rows:
        number = str(row["DocumentNumber"])
        shown = dumps({k: row.get(k) for k in _INVOICE_PDF_FIELDS})
        yield WantedFile(
            kind="invoices",
            document=f"invoices/{safe_file_name(number)}",
            reference=number,
            description=str(row.get("CustomerName") or ""),
            file_id="",
            name=f"faktura-{number}.pdf",
            download_path=f"/3/invoices/{quote(number, safe='')}/preview",
            version="invoice:" + hashlib.sha256(shown.encode()).hexdigest()[:16],
        )
