"""One importer per input kind. A file that two importers claim is refused, naming the kinds
it could be (CSV files are told apart by their columns, and a file may have the columns of two)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bridge.importers.base import Importer, Source
from bridge.importers.cancel import CancelImporter
from bridge.importers.csv_invoices import CsvInvoiceImporter
from bridge.importers.csv_journal import JournalImporter
from bridge.importers.csv_purchaseorders import PurchaseOrderCsvImporter
from bridge.importers.csv_registers import (
    ArticleRegisterImporter,
    CustomerRegisterImporter,
    ProjectRegisterImporter,
)
from bridge.importers.einvoice import EInvoiceImporter
from bridge.importers.pdf import PdfImporter
from bridge.importers.peppol_order import PeppolOrderImporter
from bridge.importers.sie import SieImporter, SieVouchers
from bridge.importers.undo import UndoImporter
from bridge.model import Extraction, Problem

__all__ = ["IMPORTERS", "FileSource", "Importer", "extract_file", "identify", "open_file"]

HEAD_BYTES = 8192

IMPORTERS: tuple[Importer, ...] = (
    CsvInvoiceImporter(),
    CustomerRegisterImporter(),
    ProjectRegisterImporter(),
    ArticleRegisterImporter(),
    JournalImporter(),
    PurchaseOrderCsvImporter(),
    PeppolOrderImporter(),
    EInvoiceImporter(),
    SieImporter(),
    PdfImporter(),
    CancelImporter(),
    UndoImporter(),
)


@dataclass(frozen=True)
class FileSource:
    path: Path
    name: str
    tenant: str = "default"
    head: bytes = b""
    origin: str = ""  # where in the inbox it was dropped, e.g. `vouchers/A-15.pdf`
    companion: Path | None = None  # a PDF dropped beside it under the same name

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        name: str | None = None,
        tenant: str = "default",
        origin: str = "",
        companion: Path | None = None,
    ) -> FileSource:
        name = name or path.name
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        return cls(path, name, tenant, head, origin or name, companion)


class AmbiguousFileError(RuntimeError):
    """More than one importer claims the same file."""


def identify(source: Source, importers: tuple[Importer, ...] = IMPORTERS) -> Importer | None:
    claimed = [imp for imp in importers if imp.identify(source)]
    if len(claimed) > 1:
        names = ", ".join(imp.name for imp in claimed)
        raise AmbiguousFileError(f"{source.name} is claimed by several importers: {names}")
    return claimed[0] if claimed else None


def open_file(source: Source, importers: tuple[Importer, ...] = IMPORTERS) -> Extraction | SieVouchers:
    """`extract_file`, except that a file whose importer reads it as a stream (SIE: files of any
    size) is answered as that stream, read only when it is iterated."""
    try:
        importer = identify(source, importers)
    except AmbiguousFileError:
        importer = None  # said by `extract_file`
    if isinstance(importer, SieImporter):
        return importer.stream(source)
    return extract_file(source, importers)


def extract_file(source: Source, importers: tuple[Importer, ...] = IMPORTERS) -> Extraction:
    """Identify and extract one file; an unknown or ambiguous kind of file is a problem, not
    an exception."""
    try:
        importer = identify(source, importers)
    except AmbiguousFileError:
        kinds = [getattr(imp, "description", imp.name) for imp in importers if imp.identify(source)]
        return Extraction(
            "ambiguous",
            problems=(
                Problem(
                    f"{source.name} could be {' or '.join(kinds)}: the bridge does not guess",
                    line=1,
                    hint="keep only the columns of one kind of file (README, 'How a CSV file is "
                    "recognised'), then drop it again",
                    code="file.ambiguous",
                ),
            ),
        )
    if importer is None:
        return Extraction(
            "unknown",
            problems=(
                Problem(
                    f"{source.name} is not a kind of file the bridge reads",
                    hint="drop CSV invoices, SIE files, e-invoice XML or PDFs; see README 'What you can drop'",
                    code="file.unknown-kind",
                ),
            ),
        )
    return importer.extract(source)
