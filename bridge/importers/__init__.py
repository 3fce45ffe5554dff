"""One importer per input kind. A file that two importers claim is refused, naming the kinds
it could be (CSV files are told apart by their columns, and a file may have the columns of two)."""

from __future__ import annotations

import errno
import os
import stat
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
from bridge.importers.limits import DEFAULT_LIMITS, MB, Limits
from bridge.importers.pdf import PdfImporter
from bridge.importers.peppol_order import PeppolOrderImporter
from bridge.importers.sie import SieImporter, SieVouchers
from bridge.importers.undo import UndoImporter
from bridge.model import Extraction, Problem
from bridge.util.i18n import N_
from bridge.util.text import printable

__all__ = [
    "IMPORTERS",
    "FileSource",
    "Importer",
    "Limits",
    "extract_file",
    "identify",
    "open_file",
    "special_kind",
]

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


# Which size limit a file of each importer's kind is held to.
_SIZE_KIND = {
    "csv-invoices": "csv",
    "csv-customers": "csv",
    "csv-projects": "csv",
    "csv-articles": "csv",
    "csv-journal": "csv",
    "cancel": "csv",
    "undo": "csv",
    "einvoice": "xml",
    "sie": "sie",
    "pdf": "pdf",
}


def special_kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return N_("a named pipe (FIFO)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return N_("a device")
    if stat.S_ISSOCK(mode):
        return N_("a socket")
    if stat.S_ISDIR(mode):
        return N_("a folder")
    return N_("not a regular file")


@dataclass(frozen=True)
class FileSource:
    path: Path
    name: str
    tenant: str = "default"
    head: bytes = b""
    origin: str = ""  # where in the inbox it was dropped, e.g. `vouchers/A-15.pdf`
    companion: Path | None = None  # a PDF dropped beside it under the same name
    limits: Limits = DEFAULT_LIMITS
    size: int = 0
    special: str | None = None  # a FIFO, device, socket or folder: refused, never read

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        name: str | None = None,
        tenant: str = "default",
        origin: str = "",
        companion: Path | None = None,
        limits: Limits = DEFAULT_LIMITS,
        follow_links: bool = True,
    ) -> FileSource:
        """The file's first bytes and size. A FIFO, a device or a socket is never read (a
        FIFO would block, `/dev/zero` never ends): it is opened without blocking only to
        learn what it is, and answered as `special`. Without `follow_links` (the work area,
        where only a refused link can be one) a symbolic link is special too."""
        name = name or path.name
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
        try:
            fd = os.open(path, flags if follow_links else flags | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno not in (errno.ENXIO, errno.ELOOP):  # a socket; a link not to be followed
                raise
            mode = os.lstat(path).st_mode
            what = "a symbolic link" if stat.S_ISLNK(mode) else special_kind(mode) or "not a regular file"
            return cls(path, name, tenant, b"", origin or name, companion, limits, 0, what)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            kind = special_kind(info.st_mode)
            if kind is not None:
                return cls(path, name, tenant, b"", origin or name, companion, limits, 0, kind)
            head = handle.read(HEAD_BYTES)
        return cls(path, name, tenant, head, origin or name, companion, limits, info.st_size)


def refusal(source: Source, importer: Importer | None) -> Problem | None:
    """Why a file is refused before it is read: it is a special file, or bigger than its kind
    may be (README, 'How big a file may be'). Only the file system is asked."""
    special = getattr(source, "special", None)
    if special:
        return Problem(
            N_("%(name)s is %(kind)s, not a file: the bridge does not read it")
            % {"name": printable(source.name), "kind": special},
            hint=N_("drop ordinary files only; remove this one from the inbox"),
            code="file.special",
        )
    kind = _SIZE_KIND.get(importer.name) if importer is not None else None
    size = getattr(source, "size", 0)
    if kind is None or size <= source.limits.bytes_for(kind):
        return None
    limit = source.limits.bytes_for(kind)
    return Problem(
        N_("%(name)s is %(size)s MB; a %(kind)s file may be at most %(limit)s MB")
        % {
            "name": printable(source.name),
            "size": f"{size / MB:,.1f}",
            "kind": kind.upper(),
            "limit": f"{limit / MB:,.0f}",
        },
        line=1,
        hint=N_("split it into smaller files, or raise limits.%(kind)s_megabytes if it is right")
        % {"kind": kind},
        code="file.too-large",
    )


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
    refused = refusal(source, importer)
    if refused is not None:
        return Extraction(importer.name if importer else "refused", problems=(refused,))
    if isinstance(importer, SieImporter):
        return importer.stream(source)
    if importer is None:  # not a kind the bridge reads, or ambiguous: said by `extract_file`
        return extract_file(source, importers)
    return importer.extract(source)  # identified once: each importer's `identify` reads the head


def extract_file(source: Source, importers: tuple[Importer, ...] = IMPORTERS) -> Extraction:
    """Identify and extract one file; an unknown or ambiguous kind of file is a problem, not
    an exception."""
    if getattr(source, "special", None):
        return Extraction("refused", problems=(refusal(source, None),))  # type: ignore[arg-type]
    try:
        importer = identify(source, importers)
    except AmbiguousFileError:
        kinds = [getattr(imp, "description", imp.name) for imp in importers if imp.identify(source)]
        return Extraction(
            "ambiguous",
            problems=(
                Problem(
                    f"{printable(source.name)} could be {' or '.join(kinds)}: the bridge does not guess",
                    line=1,
                    hint=N_(
                        "keep only the columns of one kind of file (README, 'How a CSV file is "
                        "recognised'), then drop it again"
                    ),
                    code="file.ambiguous",
                ),
            ),
        )
    if importer is None:
        return Extraction(
            "unknown",
            problems=(
                Problem(
                    f"{printable(source.name)} is not a kind of file the bridge reads",
                    line=1,  # what a file is, is told by its name and its first line
                    hint=N_(
                        "drop CSV invoices, SIE files, e-invoice XML or PDFs; see README 'What you can drop'"
                    ),
                    code="file.unknown-kind",
                ),
            ),
        )
    refused = refusal(source, importer)
    if refused is not None:
        return Extraction(importer.name, problems=(refused,))
    return importer.extract(source)
