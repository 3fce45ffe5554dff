"""CSV files as office programs write them: `;` or `,`, UTF-8 with or without BOM, or Windows-1252.

Every cell stays a string (pandas with `dtype=str`); meaning is given later, by the importer,
so that a bad cell is reported with its line and column instead of silently becoming NaN.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

__all__ = ["CsvError", "Table", "decode_text", "read_table", "sniff_delimiter"]

_DELIMITERS = (";", ",", "\t")


class CsvError(ValueError):
    """The bytes cannot be read as a CSV table at all."""


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


def read_table(data: bytes) -> Table:
    text, encoding = decode_text(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    header = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(header)
    import pandas as pd  # here, not at the top: a third of a second that only CSV files need

    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CsvError(f"not a readable table: {exc}") from None
    columns = tuple(str(c).strip() for c in frame.columns)
    rows = []
    line = 2  # line 1 is the header
    for values in frame.itertuples(index=False, name=None):
        cells = {col: (v or "").strip() for col, v in zip(columns, values, strict=True)}
        if any(cells.values()):
            rows.append((line, cells))
        # A quoted cell may hold line breaks; the next record starts that much further down.
        line += 1 + sum((v or "").count("\n") for v in values)
    return Table(columns=columns, rows=tuple(rows), encoding=encoding, delimiter=delimiter)
