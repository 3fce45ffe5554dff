"""Files embedded in an e-invoice: decoded strictly, capped, typed by their bytes, named by us.

The sender's `mimeCode` and `filename` are never trusted: real files declare a PDF and carry
CSV text, or declare a JPEG and carry HTML. The type is sniffed from the bytes and only the
types EN 16931 allows (BR-CL-24: PDF, PNG, JPEG, CSV, XLSX, ODS) are kept; an attachment whose
bytes contradict its declared type is refused. The stored name is built from the invoice
number and the sniffed type, so no path, control character or odd extension can come in.
"""

from __future__ import annotations

import binascii
import io
import re
import zipfile
from dataclasses import dataclass

from bridge.formats.pdf import PDF_MEDIA_TYPE, pdf_problem
from bridge.model import Attachment, Problem, Severity
from bridge.util.i18n import N_

__all__ = ["MAX_ATTACHMENT_BYTES", "EmbeddedFile", "decode_attachment"]

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
_EXTENSIONS = {
    PDF_MEDIA_TYPE: "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "text/csv": "csv",
    XLSX: "xlsx",
    ODS: "ods",
}
_WHITESPACE = re.compile(rb"\s+")
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class EmbeddedFile:
    """An attachment as the invoice carries it: base64 text and what the sender says it is."""

    base64_text: str
    declared_type: str | None
    line: int | None
    path: str


def decode_attachment(embedded: EmbeddedFile, invoice_number: str, index: int) -> Attachment | Problem:
    """The attachment, or a warning saying why it was left out (the invoice itself still counts)."""
    compact = _WHITESPACE.sub(b"", embedded.base64_text.encode("ascii", errors="replace"))
    if len(compact) * 3 // 4 > MAX_ATTACHMENT_BYTES:
        return _left_out(
            embedded, N_("it is larger than %(limit)s MB") % {"limit": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
        )
    try:
        data = binascii.a2b_base64(compact, strict_mode=True)
    except (binascii.Error, ValueError):
        return _left_out(embedded, N_("its content is not valid base64"))
    media_type = sniff_media_type(data)
    declared = (embedded.declared_type or "").lower() or None
    if declared == PDF_MEDIA_TYPE and media_type != PDF_MEDIA_TYPE:
        reason = pdf_problem(data)
        return _left_out(
            embedded, N_("it calls itself a PDF but is not one: %(reason)s") % {"reason": reason}
        )
    if media_type is None:
        return _left_out(embedded, N_("its content is none of PDF, PNG, JPEG, CSV, XLSX or ODS"))
    if declared and declared != media_type and not _compatible(declared, media_type):
        return _left_out(
            embedded,
            N_("it calls itself %(declared)s but its content is %(found)s")
            % {"declared": declared, "found": media_type},
        )
    return Attachment(
        name=attachment_name(invoice_number, index, media_type), media_type=media_type, data=data
    )


def attachment_name(invoice_number: str, index: int, media_type: str) -> str:
    stem = _UNSAFE_IN_NAME.sub("_", invoice_number).strip("_")[:60] or "invoice"
    return f"invoice-{stem}-attachment-{index}.{_EXTENSIONS[media_type]}"


def sniff_media_type(data: bytes) -> str | None:
    """One of the allowed media types, judged only from the bytes; `None` for anything else."""
    if pdf_problem(data) is None:
        return PDF_MEDIA_TYPE
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if _looks_like_csv(data):
        return "text/csv"
    return None


def _sniff_zip(data: bytes) -> str | None:
    # ODS stores its media type uncompressed as the first member; XLSX has an xl/ folder.
    if data[30:38] == b"mimetype" and ODS.encode() in data[38:120]:
        return ODS
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return None
    return XLSX if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names) else None


def _looks_like_csv(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    if not text.strip() or any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        return False
    # HTML and XML are text too, but not tables; they are not allowed as attachments.
    return not text.lstrip().startswith("<")


def _compatible(declared: str, sniffed: str) -> bool:
    # Spreadsheets are often declared by their generic container or text type.
    generic = {
        "text/plain": {"text/csv"},
        "application/csv": {"text/csv"},
        "application/zip": {XLSX, ODS},
        "application/octet-stream": set(_EXTENSIONS),
        "image/jpg": {"image/jpeg"},
    }
    return sniffed in generic.get(declared, set())


def _left_out(embedded: EmbeddedFile, reason: str) -> Problem:
    return Problem(
        N_("an attachment was left out: %(reason)s") % {"reason": reason},
        line=embedded.line,
        field=embedded.path,
        hint=N_("the invoice is imported without it; ask the sender for the file if it is needed"),
        severity=Severity.WARNING,
        code="einvoice.attachment-refused",
    )
