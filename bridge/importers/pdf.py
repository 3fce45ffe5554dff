"""A PDF dropped on its own: a scanned invoice, a receipt, a voucher's document.

Where it goes is read from where it was dropped and what it is called (never from its content):

- a name that names a Fortnox document attaches it there: `A-15.pdf` (voucher A 15 of the
  current financial year; `A-15-2025.pdf` of the financial year beginning in 2025),
  `LF-123.pdf` (supplier invoice 123, Fortnox's own number), `LF-7-F2026-17.pdf` (the
  invoice F2026-17 of supplier 7), `KF-1005.pdf` (customer invoice 1005);
- otherwise it goes to a Fortnox inbox folder, chosen by its folder in `inbox/`:
  `vouchers/` (or `verifikationer/`) → `inbox_v`, `invoices/` (`kundfakturor/`) → `inbox_kf`,
  `supplierinvoices/` (`leverantorsfakturor/`) → `inbox_s`, anywhere else the configured
  default (`files.default_folder`, `inbox_s`).

A file that only calls itself a PDF (an HTML page, a cut-off download) is refused.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import PurePosixPath

from bridge.formats.pdf import PDF_MEDIA_TYPE, pdf_problem
from bridge.importers.base import Source
from bridge.model import Attachment, Extraction, PdfFile, Problem
from bridge.util.i18n import N_

__all__ = ["FOLDERS", "PdfImporter", "read_name"]

MAX_PDF_BYTES = 50 * 1024 * 1024
FOLDERS = {
    "vouchers": "inbox_v",
    "verifikationer": "inbox_v",
    "invoices": "inbox_kf",
    "kundfakturor": "inbox_kf",
    "supplierinvoices": "inbox_s",
    "leverantorsfakturor": "inbox_s",
}
_SUPPLIER_INVOICE = re.compile(r"LF-(?P<number>\d+)", re.I)
_SUPPLIERS_INVOICE = re.compile(r"LF-(?P<supplier>[A-Za-z0-9]+)-(?P<invoice>.+)", re.I)
_CUSTOMER_INVOICE = re.compile(r"KF-(?P<number>\d+)", re.I)
_VOUCHER = re.compile(r"(?P<series>[A-Z]{1,3})-(?P<number>\d+)(?:-(?P<year>\d{4}))?", re.I)


def read_name(stem: str) -> tuple[str | None, tuple[str, ...]]:
    """The document a file name names, as (target, reference), or (None, ())."""
    if m := _SUPPLIER_INVOICE.fullmatch(stem):
        return "supplierinvoice", (m["number"],)
    if m := _SUPPLIERS_INVOICE.fullmatch(stem):
        return "supplierinvoice", (m["supplier"], m["invoice"])
    if m := _CUSTOMER_INVOICE.fullmatch(stem):
        return "invoice", (m["number"],)
    if (m := _VOUCHER.fullmatch(stem)) and m["series"].upper() not in ("LF", "KF"):
        return "voucher", (m["series"].upper(), m["number"], m["year"] or "")
    return None, ()


def _folder_of(origin: str) -> str | None:
    parts = PurePosixPath(origin).parts[:-1]
    if not parts:
        return None
    first = unicodedata.normalize("NFKD", parts[0]).encode("ascii", "ignore").decode().casefold()
    return FOLDERS.get(first)


class PdfImporter:
    name = "pdf"

    def identify(self, source: Source) -> bool:
        return source.name.lower().endswith(".pdf") or source.head.lstrip()[:5] == b"%PDF-"

    def extract(self, source: Source) -> Extraction:
        size = source.path.stat().st_size
        if size > MAX_PDF_BYTES:
            return self._refuse(f"the file is {size // (1024 * 1024)} MB; PDFs over 50 MB are not sent")
        data = source.path.read_bytes()
        reason = pdf_problem(data)
        if reason is not None:
            return self._refuse(f"{source.name} is not a PDF: {reason}")
        stem = PurePosixPath(source.name).stem
        target, reference = read_name(stem)
        digest = hashlib.sha256(data).hexdigest()
        where = f"{target}:{'-'.join(r for r in reference if r)}" if target else "inbox"
        document = PdfFile(
            source_key=f"{where}:{digest[:16]}",
            file=Attachment(f"{stem}.pdf", PDF_MEDIA_TYPE, data),
            folder=_folder_of(source.origin or source.name),
            target=target,
            reference=reference,
        )
        facts = {"target": target, "reference": list(reference), "folder": document.folder, "bytes": size}
        return Extraction(self.name, (document,), facts=facts)

    def _refuse(self, message: str) -> Extraction:
        problem = Problem(
            message, hint=N_("drop the document's real PDF (as saved or scanned)"), code="pdf.not-a-pdf"
        )
        return Extraction(self.name, problems=(problem,))
