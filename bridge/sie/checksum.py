"""#KSUMMA: the CRC-32 a SIE file may carry over its own contents (`research/sie4.md` §7).

A checksummed file opens with `#KSUMMA` (no value) right after `#FLAGGA` and ends with
`#KSUMMA <crc>`. The CRC is zlib's CRC-32 over, for every record in between, the label and
then each field's content, with nothing between them: no spaces, no quotes, no braces (those of
object lists and those around voucher rows), no line ends; `\\"` counts as `"`. Characters count
with their CP437 byte values.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from enum import StrEnum

from bridge.sie.encodings import to_cp437

__all__ = ["ChecksumResult", "ChecksumStatus", "Crc", "record_content"]


class ChecksumStatus(StrEnum):
    ABSENT = "absent"  # the file has no #KSUMMA
    VALID = "valid"
    INVALID = "invalid"
    UNVERIFIABLE = "unverifiable"  # e.g. text CP437 cannot hold, or a closing #KSUMMA alone
    TRUNCATED = "truncated"  # opened but never closed: the file was cut short


@dataclass(frozen=True)
class ChecksumResult:
    status: ChecksumStatus = ChecksumStatus.ABSENT
    stated: int | None = None
    computed: int | None = None
    note: str = ""


def record_content(label: str, fields: list) -> str:
    """What one record contributes to the checksum, as text."""
    parts = [label]
    for field in fields:
        if isinstance(field, tuple):
            parts.extend(field)
        else:
            parts.append(field)
    return "".join(parts)


class Crc:
    """CRC-32 fed record by record; keeps a second sum over the file's own bytes when those are
    not CP437 (a UTF-8 file), since writers disagree on which one they sum."""

    def __init__(self, file_codec: str) -> None:
        self._cp437 = 0
        self._raw = 0 if file_codec not in ("cp437", "ascii") else None
        self._file_codec = file_codec
        self._unencodable = ""

    def add(self, label: str, fields: list) -> None:
        text = record_content(label, fields)
        try:
            self._cp437 = zlib.crc32(to_cp437(text), self._cp437)
        except UnicodeEncodeError:
            self._unencodable = self._unencodable or text
        if self._raw is not None:
            self._raw = zlib.crc32(text.encode(self._file_codec), self._raw)

    @property
    def value(self) -> int:
        """The CRC so far over the CP437 form of what was added."""
        return self._cp437

    def result(self, stated: int) -> ChecksumResult:
        stated_unsigned = stated % (1 << 32)  # some writers print it as a signed 32-bit number
        if not self._unencodable and self._cp437 == stated_unsigned:
            note = "" if self._raw is None else "over the CP437 form of the file's UTF-8 text"
            return ChecksumResult(ChecksumStatus.VALID, stated, self._cp437, note)
        if self._raw is not None and self._raw == stated_unsigned:
            return ChecksumResult(
                ChecksumStatus.VALID, stated, self._raw, f"over the file's {self._file_codec} bytes"
            )
        if self._unencodable:
            return ChecksumResult(
                ChecksumStatus.UNVERIFIABLE,
                stated,
                None,
                f"the text holds characters CP437 lacks, e.g. in {self._unencodable[:40]!r}",
            )
        return ChecksumResult(ChecksumStatus.INVALID, stated, self._cp437)
