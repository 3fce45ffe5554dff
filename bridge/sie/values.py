"""Field values: SIE's dates, periods, amounts, account numbers and object lists.

Each parser takes the field's text and returns the value, or raises `ValueError` with a message
meant for the person who has to fix the file.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from bridge.sie.records import ObjectList

__all__ = [
    "AMOUNT_CHARS",
    "DIGITS",
    "parse_account",
    "parse_amount",
    "parse_date",
    "parse_dimension",
    "parse_int",
    "parse_objects",
    "parse_period",
]

AMOUNT_CHARS = "-0123456789."  # the only characters an amount may hold
DIGITS = "0123456789"


def parse_date(text: str) -> date:
    """`YYYYMMDD` → date."""
    if len(text) != 8 or text.strip(DIGITS):
        raise ValueError(f"{text!r} is not a date; SIE writes dates as YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(f"{text!r} is not a day in the calendar") from None


def parse_period(text: str) -> str:
    """`YYYYMM`, checked and kept as text."""
    if len(text) != 6 or text.strip(DIGITS) or not 1 <= int(text[4:]) <= 12:
        raise ValueError(f"{text!r} is not a period; SIE writes periods as YYYYMM")
    return text


def parse_amount(text: str) -> Decimal:
    """An amount or quantity: digits, at most one point, a leading minus for credit."""
    if not text.strip(AMOUNT_CHARS):
        try:
            return Decimal(text)
        except InvalidOperation:
            pass
    raise ValueError(f"{text!r} is not an amount; write it as -1234.50")


def parse_int(text: str) -> int:
    """A whole number such as a year index (0, -1) or a SIE type."""
    digits = text[1:] if text[:1] == "-" else text
    if not digits or digits.strip(DIGITS):
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


def parse_dimension(text: str) -> int:
    """A dimension number: 1 cost centre, 6 project, 20 and up free (`research/sie4.md` §8)."""
    if not text or text.strip(DIGITS):
        raise ValueError(f"{text!r} is not a dimension number")
    return int(text)


def parse_account(text: str) -> str:
    """An account number: digits only (BAS accounts have four; three to six occur)."""
    if not text:
        raise ValueError("the account number is empty")
    if text.strip(DIGITS):
        raise ValueError(f"{text!r} is not an account number; account numbers are digits")
    return text


def parse_objects(items: tuple[str, ...]) -> ObjectList:
    """The inside of `{1 "Nord" 6 "P1"}` → ((1, "Nord"), (6, "P1"))."""
    if len(items) % 2:
        raise ValueError(f"the object list {_show(items)} is not pairs of dimension and object")
    pairs = tuple((parse_dimension(items[i]), items[i + 1]) for i in range(0, len(items), 2))
    dimensions = [dim for dim, _ in pairs]
    if len(set(dimensions)) != len(dimensions):
        raise ValueError(f"the object list {_show(items)} names one dimension twice")
    return pairs


def _show(items: tuple[str, ...]) -> str:
    return "{" + " ".join(items) + "}"
