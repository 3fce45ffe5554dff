"""What the CSV importers share: columns known by several names, and cells read exactly.

A column is matched without regard to case, spaces, dashes or accents (`À-pris` is `a pris`
is `APRIS`), in Swedish or English. Each kind of CSV file is recognised by the columns it
has, never by its name (`identify` looks at the header line only). Cells stay strings until
a column gives them a meaning; a cell that does not fit is a problem with its line and column.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from bridge.formats.csvtable import CsvError, decode_text, sniff_delimiter
from bridge.formats.numbers import parse_date, parse_decimal
from bridge.model import Problem, Severity
from bridge.util.i18n import N_
from bridge.util.text import excerpt

__all__ = [
    "Column",
    "ColumnSet",
    "header_fields",
    "missing_cell",
    "table_problem",
]

# A number, percentage, date or account is never longer than this; a longer cell is refused
# before it is parsed, quoting only its start.
_MAX_VALUE_CHARS = 40


@dataclass(frozen=True)
class Column:
    field: str
    names: tuple[str, ...]  # the first is the Swedish name used in messages
    level: str = "row"  # for files grouped into documents: "invoice" values repeat on every row
    kind: str = "text"  # text | decimal | percent | date | account
    required: bool = False
    max_length: int | None = None  # of the Fortnox field it fills (ref/fortnox/openapi.json)


@lru_cache(maxsize=4096)
def normalise(name: str) -> str:
    """A column name as compared: case, accents and punctuation aside. Kept: every CSV importer
    asks of every file's header whether it is its kind, and the headers of a folder repeat."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in folded if c.isalnum())


def _parse_account(text: str) -> int:
    if not (text.isdigit() and len(text) == 4):
        raise ValueError(
            N_("%(value)s is not an account number; accounts have four digits (1000–9999)")
            % {"value": excerpt(text)}
        )
    return int(text)


def _parse_percent(text: str) -> Decimal:
    return parse_decimal(text, allow_percent=True)


HINT_NUMBER = N_("write a number such as 2, 1,5 or 1 234,50")

_CONVERTERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "decimal": (parse_decimal, HINT_NUMBER),
    "percent": (_parse_percent, N_("write a percentage such as 25 or 12,5")),
    "date": (parse_date, N_("write the date as YYYY-MM-DD")),
    "account": (_parse_account, N_("write a four-digit BAS account such as 3001")),
}


class ColumnSet:
    """The columns one kind of CSV file may have."""

    def __init__(self, columns: Iterable[Column]) -> None:
        self.columns = tuple(columns)
        self.by_name: dict[str, Column] = {normalise(n): col for col in self.columns for n in col.names}

    def fields_of(self, header: Iterable[str]) -> set[str]:
        """The fields a header line names."""
        return {self.by_name[n].field for n in map(normalise, header) if n in self.by_name}

    def map(self, header: Iterable[str]) -> tuple[dict[str, str], list[Problem]]:
        """field → the header as written; unknown columns are warnings, doubled ones errors,
        missing required ones errors."""
        mapping: dict[str, str] = {}
        problems: list[Problem] = []
        for name in header:
            column = self.by_name.get(normalise(name))
            if column is None:
                problems.append(
                    Problem(
                        N_("column %(name)s is not one the bridge knows; it is ignored")
                        % {"name": repr(name)},
                        line=1,
                        field=name,
                        severity=Severity.WARNING,
                        code="csv.unknown-column",
                    )
                )
            elif column.field in mapping:
                problems.append(
                    Problem(
                        f"columns {mapping[column.field]!r} and {name!r} both mean {column.field}",
                        line=1,
                        field=name,
                        hint=N_("keep one of them"),
                        code="csv.duplicate-column",
                    )
                )
            else:
                mapping[column.field] = name
        for column in self.columns:
            if column.required and column.field not in mapping:
                problems.append(self.missing_column(column.field))
        return mapping, problems

    def missing_column(self, field: str, why: str = "") -> Problem:
        column = next(c for c in self.columns if c.field == field)
        return Problem(
            N_("the required column %(name)s is missing") % {"name": repr(column.names[0])}
            + (f": {why}" if why else ""),
            line=1,
            field=column.names[0],
            hint=N_("add a column named %(names)s")
            % {"names": " / ".join(repr(n) for n in column.names[:3])},
            code="csv.missing-column",
        )

    def convert(
        self, line: int, cells: Mapping[str, str], mapping: Mapping[str, str]
    ) -> tuple[dict[str, Any], list[Problem]]:
        """The row's non-empty cells by field, each read per its column's kind."""
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for column in self.columns:
            header = mapping.get(column.field)
            text = cells.get(header, "") if header else ""
            if not text or header is None:
                continue
            if column.kind == "text":
                if column.max_length is not None and len(text) > column.max_length:
                    problems.append(too_long(line, header, text, column.max_length))
                values[column.field] = text
                continue
            convert, hint = _CONVERTERS[column.kind]
            if len(text) > _MAX_VALUE_CHARS:
                problems.append(
                    Problem(
                        f"{excerpt(text)} is not a {column.kind}",
                        line=line,
                        field=header,
                        hint=hint,
                        code="csv.bad-value",
                    )
                )
                continue
            try:
                values[column.field] = convert(text)
            except ValueError as exc:
                problems.append(Problem(str(exc), line=line, field=header, hint=hint, code="csv.bad-value"))
        return values, problems


def too_long(line: int, header: str, text: str, limit: int) -> Problem:
    return Problem(
        f"{excerpt(text)} is longer than the {limit} characters Fortnox takes in this field",
        line=line,
        field=header,
        hint=f"shorten it to at most {limit} characters in the program that wrote the file",
        code="csv.too-long",
    )


def table_problem(exc: CsvError) -> Problem:
    """A file that cannot be read as a table (or is too big a one), as a problem with its line."""
    hints = {
        "csv.too-many-rows": "split the file into smaller ones (README, 'How big a file may be'), "
        "or raise limits.csv_rows",
        "csv.cell-too-long": "this is not a table an office program wrote; export it again",
        "csv.line-too-long": "this is not a table an office program wrote; export it again",
    }
    return Problem(
        str(exc),
        line=exc.line,
        hint=hints.get(
            exc.code, "save it again as CSV (';' or ',' separated) from the program that wrote it"
        ),
        code=exc.code,
    )


def missing_cell(line: int, header: str, what: str) -> Problem:
    return Problem(
        N_("the %(what)s is empty") % {"what": what},
        line=line,
        field=header,
        hint=N_("fill in the %(what)s") % {"what": what},
        code="csv.empty-cell",
    )


def header_fields(head: bytes, columns: ColumnSet) -> set[str] | None:
    """The fields named by the first line of `head`, or None when it is not a table's header."""
    cells = _header_cells(head)
    return None if cells is None else columns.fields_of(cells)


@lru_cache(maxsize=64)
def _header_cells(head: bytes) -> tuple[str, ...] | None:
    """Decoded and split once per file: every CSV importer asks whether the file is its kind."""
    try:
        header = decode_text(head)[0].splitlines()[0]
        delimiter = sniff_delimiter(header)
    except (CsvError, IndexError, UnicodeDecodeError):
        return None
    return tuple(cell.strip().strip('"') for cell in header.split(delimiter))
