"""SIE records: one immutable tuple per line of a SIE file, named after what it says.

Records are `NamedTuple`s rather than dataclasses because a large file holds millions of
`#TRANS` rows and a tuple is built several times faster. Every record ends with `line`, the
1-based line it was read from (0 when built in code); two records that say the same thing are
equal wherever they stand, so `line` takes no part in `==` or `hash`.

Amounts and quantities are `Decimal`; dates are `datetime.date` (None when the file's date was
not a date — the reader reports that); account numbers, series, voucher numbers and object ids
are strings exactly as written ("0001" stays "0001"); dimension numbers are ints.
"""

from __future__ import annotations

import datetime
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

__all__ = [
    "AccountFact",
    "Address",
    "Balance",
    "Checksum",
    "Dimension",
    "DimensionObject",
    "Generated",
    "ObjectBalance",
    "ObjectList",
    "OrgNumber",
    "PeriodBalance",
    "Program",
    "Record",
    "Transaction",
    "UnknownRecord",
    "Value",
    "Voucher",
    "Year",
    "book_rows",
]

ObjectList = tuple[tuple[int, str], ...]
"""An object list `{1 "Nord" 6 "P104"}` as ((1, "Nord"), (6, "P104"))."""


def _line_is_not_content(cls: type) -> type:
    def __eq__(self: tuple, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self[:-1] == other[:-1]

    def __ne__(self: tuple, other: object) -> bool:
        equal = __eq__(self, other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self: tuple) -> int:
        return hash((type(self).__name__, self[:-1]))

    cls.__eq__ = __eq__  # type: ignore[method-assign,assignment]
    cls.__ne__ = __ne__  # type: ignore[method-assign,assignment]
    cls.__hash__ = __hash__  # type: ignore[method-assign,assignment]
    return cls


@_line_is_not_content
class Value(NamedTuple):
    """An identification record with one value: #FLAGGA, #FORMAT, #SIETYP, #PROSA, #FTYP, #FNR,
    #BKOD, #FNAMN, #TAXAR, #OMFATTN, #KPTYP or #VALUTA. `value` is an int for #FLAGGA, #SIETYP
    and #TAXAR, a date for #OMFATTN, text otherwise."""

    label: str
    value: Any
    line: int = 0


@_line_is_not_content
class Program(NamedTuple):
    """#PROGRAM: the program that wrote the file, and its version."""

    name: str
    version: str = ""
    line: int = 0


@_line_is_not_content
class Generated(NamedTuple):
    """#GEN: when the file was written, and by whom."""

    date: date | None
    signature: str = ""
    line: int = 0


@_line_is_not_content
class OrgNumber(NamedTuple):
    """#ORGNR: organisation number (NNNNNN-NNNN) and two legacy numbers."""

    number: str
    acquisition: str = ""
    activity: str = ""
    line: int = 0


@_line_is_not_content
class Address(NamedTuple):
    """#ADRESS: contact person, street address, postal address, phone."""

    contact: str = ""
    street: str = ""
    postal: str = ""
    phone: str = ""
    line: int = 0


@_line_is_not_content
class Year(NamedTuple):
    """#RAR: one of the file's financial years; `year` is 0 for the current year, -1 for the one
    before … (Fortnox's own years, by id, are `bridge.model.FinancialYear`)."""

    year: int
    start: date | None
    end: date | None
    line: int = 0


@_line_is_not_content
class AccountFact(NamedTuple):
    """#KONTO (name), #KTYP (type T/S/K/I), #ENHET (unit) or #SRU (tax-form code) of an account."""

    label: str
    account: str
    value: str
    line: int = 0


@_line_is_not_content
class Dimension(NamedTuple):
    """#DIM, or #UNDERDIM when `parent` is set: a dimension such as 1 cost centre or 6 project."""

    number: int
    name: str
    parent: int | None = None
    line: int = 0


@_line_is_not_content
class DimensionObject(NamedTuple):
    """#OBJEKT: an object (a cost centre, a project …) within a dimension."""

    dimension: int
    number: str
    name: str
    line: int = 0


@_line_is_not_content
class Balance(NamedTuple):
    """#IB (opening), #UB (closing) or #RES (result) balance of an account in a year."""

    label: str
    year: int
    account: str
    amount: Decimal
    quantity: Decimal | None = None
    line: int = 0


@_line_is_not_content
class ObjectBalance(NamedTuple):
    """#OIB or #OUB: opening or closing balance of an account for some objects."""

    label: str
    year: int
    account: str
    objects: ObjectList
    amount: Decimal
    quantity: Decimal | None = None
    line: int = 0


@_line_is_not_content
class PeriodBalance(NamedTuple):
    """#PSALDO (change in a month) or #PBUDGET (budget for a month); `period` is "YYYYMM"."""

    label: str
    year: int
    period: str
    account: str
    objects: ObjectList
    amount: Decimal
    quantity: Decimal | None = None
    line: int = 0


@_line_is_not_content
class Transaction(NamedTuple):
    """A voucher row: #TRANS, #RTRANS (added later) or #BTRANS (removed later).

    `amount` is positive for debit, negative for credit; `date` is the row's own date, None when
    the row takes the voucher's date.
    """

    label: str
    account: str
    objects: ObjectList
    amount: Decimal
    date: date | None = None
    text: str = ""
    quantity: Decimal | None = None
    signature: str = ""
    line: int = 0


@_line_is_not_content
class Voucher(NamedTuple):
    """#VER with its rows, in file order (#RTRANS and #BTRANS included)."""

    series: str
    number: str
    date: datetime.date | None  # the field's name hides the type below it: spelled in full
    text: str = ""
    registration_date: datetime.date | None = None
    signature: str = ""
    rows: tuple[Transaction, ...] = ()
    line: int = 0

    @property
    def booked_rows(self) -> tuple[Transaction, ...]:
        """The rows as they stand after corrections: an #RTRANS takes the place of the #TRANS
        right after it (its twin, there for readers that do not know #RTRANS); #BTRANS rows
        drop out."""
        return book_rows(self.rows)[0]

    @property
    def balance(self) -> Decimal:
        """Sum of the booked rows (those with an amount); zero when the voucher balances."""
        return sum((row.amount for row in self.booked_rows if row.amount is not None), Decimal(0))

    @property
    def key(self) -> str:
        """Series, number and date as a person would name the voucher: `A 12 2025-01-31`."""
        when = self.date.isoformat() if self.date else "no date"
        return f"{self.series or '-'} {self.number or '-'} {when}"


def book_rows(
    rows: tuple[Transaction, ...],
) -> tuple[tuple[Transaction, ...], list[tuple[Transaction, Transaction | None]]]:
    """The booked rows of a voucher, and each #RTRANS paired with the twin it replaced (None
    when no #TRANS follows it: then it is an added row all the same)."""
    if all(row.label == "#TRANS" for row in rows):
        return rows, []
    booked: list[Transaction] = []
    pairs: list[tuple[Transaction, Transaction | None]] = []
    twin_at = -1
    for index, row in enumerate(rows):
        if row.label == "#BTRANS" or index == twin_at:
            continue
        booked.append(row)
        if row.label == "#RTRANS":
            following = rows[index + 1] if index + 1 < len(rows) else None
            if following is not None and following.label == "#TRANS":
                twin_at = index + 1
                pairs.append((row, following))
            else:
                pairs.append((row, None))
    return tuple(booked), pairs


@_line_is_not_content
class Checksum(NamedTuple):
    """#KSUMMA: without a value it starts the checksummed part, with one it ends it."""

    value: int | None = None
    line: int = 0


@_line_is_not_content
class UnknownRecord(NamedTuple):
    """A record whose label SIE 4 does not define (such as #MOMSKOD), kept as written."""

    label: str
    fields: tuple[str | tuple[str, ...], ...]
    line: int = 0


Record = (
    Value
    | Program
    | Generated
    | OrgNumber
    | Address
    | Year
    | AccountFact
    | Dimension
    | DimensionObject
    | Balance
    | ObjectBalance
    | PeriodBalance
    | Transaction
    | Voucher
    | Checksum
    | UnknownRecord
)
