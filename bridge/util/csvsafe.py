"""CSV the way the bridge writes it for people: `;`-separated, UTF-8 with a BOM (so Excel shows
å, ä, ö), a header row, and no cell that a spreadsheet would run as a formula.

A text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is what Excel,
LibreOffice and Google Sheets evaluate (`=HYPERLINK(…)`, `@SUM(…)`, `-2+3`); such a cell gets
a leading `'`, the spreadsheets' own mark for "this is text". Numbers are never touched: a
`Decimal` or `int` is written as it is, and so is text that is nothing but a number
(`-1250.50`), so a negative amount stays a number in the spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

__all__ = ["FORMULA_STARTS", "render_csv", "safe_cell"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")


def safe_cell(value: Any) -> str:
    """One cell's text: booleans as `true`/`false`, `None` as empty, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(abs(value) if value.is_zero() else value, "f")  # never "-0"
    if isinstance(value, float):
        raise TypeError("floats are not money: convert to Decimal before writing a CSV")
    text = value.isoformat() if isinstance(value, date) else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def render_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole file as text (BOM first); write it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow([safe_cell(c) for c in columns])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return "\ufeff" + out.getvalue()
