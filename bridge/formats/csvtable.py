"""CSV files as office programs write them: `;` or `,`, UTF-8 with or without BOM, or Windows-1252.

Every cell stays a string; meaning is given later, by the importer, so that a bad cell is
reported with its line and column instead of silently becoming something else.

The file is read as a stream (Python's `csv` over the open file), never whole: a first pass
tells UTF-8 from Windows-1252 without keeping anything, the second keeps the rows. How much
is kept is bounded: at most `max_rows` rows (the file is refused at the first row past it,
naming its line), no physical line longer than `MAX_LINE_CHARS` and no cell longer than
`MAX_CELL_CHARS`, so a file of any size is read in bounded memory.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bridge.util.i18n import N_

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_LINE_CHARS",
    "CsvError",
    "Table",
    "decode_text",
    "read_table",
    "sniff_delimiter",
]

_DELIMITERS = (";", ",", "\t")
MAX_LINE_CHARS = 1_000_000  # no office program writes a line this long; a binary file does
MAX_CELL_CHARS = 100_000  # longer than any Fortnox field, so a too-long cell is named, not cut
_CHUNK = 1 << 20


class CsvError(ValueError):
    """The bytes cannot be read as a CSV table at all (`line`: where that became clear)."""

    def __init__(self, message: str, line: int = 1, code: str = "csv.unreadable") -> None:
        super().__init__(message)
        self.line = line
        self.code = code


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (1-based line in the file, cells by column)
    encoding: str
    delimiter: str


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode as UTF-8 (BOM or not) when the bytes are valid UTF-8, else as Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(header: str) -> str:
    """The delimiter used in the header line: the most frequent of `;`, `,` and tab outside quotes."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    if counts[best] == 0:
        raise CsvError("the first line has no ';', ',' or tab: it is not a table with a header")
    return best


def _encoding_of(handle: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when every byte decodes as UTF-8, else Windows-1252; read
    in chunks, nothing kept."""
    start = handle.read(3)
    handle.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := handle.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        handle.seek(0)
    return "utf-8-sig" if start == b"\xef\xbb\xbf" else "utf-8"


def _lines(text: IO[str], numbered: list[int]) -> Iterator[str]:
    """The physical lines of `text`, each at most MAX_LINE_CHARS long; `numbered[0]` counts them."""
    while line := text.readline(MAX_LINE_CHARS + 1):
        numbered[0] += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise CsvError(
                f"line {numbered[0]} is longer than {MAX_LINE_CHARS:,} characters: this is not a "
                "table an office program wrote",
                line=numbered[0],
                code="csv.line-too-long",
            )
        yield line


def _unique(columns: list[str]) -> tuple[str, ...]:
    """Header names, a repeated one numbered `Antal.1` (each column keeps its own cells)."""
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return tuple(out)


def read_table(data: bytes | Path, *, max_rows: int | None = None) -> Table:
    """The table in `data` (bytes, or a file read as a stream): its header and its non-empty
    rows, each with the line it starts on. More than `max_rows` rows is a `CsvError`."""
    handle: IO[bytes] = data.open("rb") if isinstance(data, Path) else io.BytesIO(data)
    with handle:
        encoding = _encoding_of(handle)
        text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
        try:
            return _read(text, encoding, max_rows)
        finally:
            text.detach()


def _read(text: IO[str], encoding: str, max_rows: int | None) -> Table:
    numbered = [0]
    lines = _lines(text, numbered)
    first = next(lines, "")
    if not first.strip():
        raise CsvError("not a readable table: the file is empty or its first line is")
    delimiter = sniff_delimiter(first.rstrip("\r\n"))
    header_lines = iter((first,))
    reader = csv.reader(_chain(header_lines, lines), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CsvError(f"not a readable table: the header line: {exc}") from None
    columns = _unique([c.strip() for c in header])
    width = len(columns)
    rows: list[tuple[int, dict[str, str]]] = []
    line = numbered[0] + 1
    try:
        for values in reader:
            if any(len(v) > MAX_CELL_CHARS for v in values):
                raise CsvError(
                    f"line {line} has a cell longer than {MAX_CELL_CHARS:,} characters",
                    line=line,
                    code="csv.cell-too-long",
                )
            if len(values) > width and any(v.strip() for v in values[width:]):
                raise CsvError(
                    N_("not a readable table: line %(line)s has %(cells)s cells, the header %(width)s")
                    % {"line": line, "cells": len(values), "width": width},
                    line=line,
                    code="csv.too-many-cells",
                )
            cells = {col: v.strip() for col, v in zip(columns, values, strict=False)}
            if any(cells.values()):
                if max_rows is not None and len(rows) >= max_rows:
                    raise CsvError(
                        N_("the file has more than %(rows)s rows (line %(line)s is past the limit)")
                        % {"rows": f"{max_rows:,}", "line": line},
                        line=line,
                        code="csv.too-many-rows",
                    )
                rows.append((line, cells))
            line = numbered[0] + 1  # a quoted cell may hold line breaks: the next row starts below
    except csv.Error as exc:
        raise CsvError(
            N_("not a readable table: line %(line)s: %(error)s") % {"line": line, "error": exc}, line=line
        ) from None
    return Table(columns=columns, rows=tuple(rows), encoding=encoding, delimiter=delimiter)


def _chain(*parts: Iterator[str]) -> Iterator[str]:
    for part in parts:
        yield from part
