"""Is it really a PDF? Decided by the bytes, never by the name or a declared media type.

A PDF starts with `%PDF-` (readers tolerate a little junk before it, at most 1024 bytes) and
ends with `%%EOF`, possibly followed by line ends or padding. A file that only calls itself a
PDF — an HTML page, a CSV, a truncated download — is refused with a reason a person can act on.
"""

from __future__ import annotations

from bridge.util.i18n import N_

__all__ = ["PDF_MEDIA_TYPE", "is_pdf", "pdf_problem"]

PDF_MEDIA_TYPE = "application/pdf"

_HEADER = b"%PDF-"
_HEADER_WINDOW = 1024
_EOF_MARKER = b"%%EOF"
_EOF_WINDOW = 1024


def pdf_problem(data: bytes) -> str | None:
    """Why `data` is not a PDF, or `None` when it is one."""
    if not data:
        return N_("the file is empty")
    if _HEADER not in data[:_HEADER_WINDOW]:
        return N_("it does not start like a PDF (no '%PDF-' header in its first 1024 bytes)")
    if _EOF_MARKER not in data[-_EOF_WINDOW:]:
        return N_("it does not end like a PDF (no '%%EOF' near its end): it may be cut short")
    return None


def is_pdf(data: bytes) -> bool:
    return pdf_problem(data) is None
