"""Numbers and dates as Swedish office files write them, read exactly.

`1 234,50`, `1.234,50`, `1,234.50`, `1234.5`, `−12` and `12 %` all mean what a person means.
Nothing here ever produces a float.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from bridge.util.i18n import N_
from bridge.util.text import excerpt

__all__ = ["parse_date", "parse_decimal"]

NOT_A_NUMBER = N_("%(value)s is not a number")  # translated where it is shown

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-"})
_PLAIN = re.compile(r"[+-]?\d+(\.\d+)?")


def parse_decimal(text: str, *, allow_percent: bool = False) -> Decimal:
    """Read a number written with a decimal comma or point and optional thousands separators.

    A single `,` or `.` is the decimal separator. When both appear, the last one is. A separator
    that repeats (`1.234.567`) groups thousands. Raises `ValueError` with a readable reason.
    """
    raw = text
    text = _SPACES.sub("", text.translate(_MINUSES))
    if allow_percent and text.endswith("%"):
        text = text[:-1]
    if not text:
        raise ValueError("empty where a number is needed")
    commas, points = text.count(","), text.count(".")
    if commas and points:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        if text.count(decimal_sep) > 1:
            raise ValueError(NOT_A_NUMBER % {"value": excerpt(raw)})
        text = text.replace(group_sep, "").replace(decimal_sep, ".")
    elif commas > 1 or points > 1:
        sep = "," if commas else "."
        groups = text.lstrip("+-").split(sep)
        if not all(len(g) == 3 for g in groups[1:]):
            raise ValueError(NOT_A_NUMBER % {"value": excerpt(raw)})
        text = text.replace(sep, "")
    else:
        text = text.replace(",", ".")
    if not _PLAIN.fullmatch(text):
        raise ValueError(NOT_A_NUMBER % {"value": excerpt(raw)})
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid input
        raise ValueError(NOT_A_NUMBER % {"value": excerpt(raw)}) from None


_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d")


def parse_date(text: str) -> date:
    """Read an ISO date (`2026-11-22`) or its compact form (`20261122`)."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(N_("%(value)s is not a date; write it as YYYY-MM-DD") % {"value": excerpt(text)})
