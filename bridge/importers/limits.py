"""How big a file of each kind may be, and how many rows a CSV file may have.

Checked before a file is read (its size from the file system), so that a 2 GB file dropped by
mistake is refused in a moment instead of filling the memory; the readers stream, so a file
within its limit is read in bounded memory too. The defaults fit real files with room to spare
(README, "How big a file may be"); each is a setting (`[limits]` in bridge.toml).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "MB", "Limits"]

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    csv_bytes: int = 50 * MB  # CSV invoices, journals, registers, cancel and undo files
    sie_bytes: int = 1024 * MB  # read as a stream: the limit is for disk and time, not memory
    xml_bytes: int = 20 * MB  # e-invoices, attachments embedded as base64 included
    pdf_bytes: int = 50 * MB
    csv_rows: int = 100_000  # rows of one CSV file
    invoice_rows: int = 1_000  # rows of one invoice in a CSV file

    def bytes_for(self, kind: str) -> int:
        return {"csv": self.csv_bytes, "sie": self.sie_bytes, "xml": self.xml_bytes, "pdf": self.pdf_bytes}[
            kind
        ]


DEFAULT_LIMITS = Limits()
