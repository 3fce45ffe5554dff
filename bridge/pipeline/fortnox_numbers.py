"""Fortnox's numbers for what a file created, said the way a bookkeeper writes them: a voucher
is `A 12`, a run of invoices `1001–1450`, never `(Year 2, VoucherSeries A, VoucherNumber 12)`.

Pure; shared by the receipts and the terminal's results table."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["fortnox_number", "number_ranges"]

# The field that is the record's number, per envelope; anything else falls back on the first of
# `_ANY` it has. Internal ids (the financial year's `Year`, `@url`) are never a person's number.
_NUMBER_FIELD = {
    "Voucher": ("VoucherSeries", "VoucherNumber"),
    "VoucherSeries": ("Code",),
    "Account": ("Number",),
    "CostCenter": ("Code",),
    "Project": ("ProjectNumber",),
    "Customer": ("CustomerNumber",),
    "Article": ("ArticleNumber",),
    "Supplier": ("SupplierNumber",),
    "Invoice": ("DocumentNumber",),
    "SupplierInvoice": ("GivenNumber",),
}
_ANY = ("DocumentNumber", "GivenNumber", "CustomerNumber", "ArticleNumber", "SupplierNumber",
        "ProjectNumber", "Number", "Code", "FileId", "Id")  # fmt: skip

_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def fortnox_number(envelope: str, record: Mapping[str, Any]) -> str:
    """The number a person finds the record by in Fortnox ("" when it has none)."""
    fields = _NUMBER_FIELD.get(envelope)
    if fields and all(record.get(f) not in (None, "") for f in fields):
        return " ".join(str(record[f]) for f in fields)
    for field in _ANY:
        if record.get(field) not in (None, ""):
            return str(record[field])
    return ""


def number_ranges(numbers: Iterable[str]) -> list[str]:
    """Numbers gathered into runs: `A 1, A 2, A 3, A 7, B 1` → `A 1–3, A 7, B 1`; in order of
    first appearance by prefix, each prefix's numbers sorted."""
    by_prefix: dict[str, set[int]] = {}
    others: list[str] = []
    for number in numbers:
        match = _TRAILING_NUMBER.match(number)
        if match is None or (len(match[2]) > 1 and match[2].startswith("0")):
            if number not in others:
                others.append(number)  # not a plain count (a leading zero, no digits): as it is
            continue
        by_prefix.setdefault(match[1], set()).add(int(match[2]))
    runs: list[str] = []
    for prefix, values in by_prefix.items():
        ordered = sorted(values)
        start = previous = ordered[0]
        for value in [*ordered[1:], None]:
            if value is not None and value == previous + 1:
                previous = value
                continue
            runs.append(f"{prefix}{start}" if start == previous else f"{prefix}{start}–{previous}")
            if value is not None:
                start = previous = value
    return runs + others
