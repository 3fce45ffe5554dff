"""A whole SIE file as one immutable document: what the file says, grouped by meaning.

`read()` builds it from a `SieReader`; `bridge.sie.write()` writes it back. Two documents are
equal when they say the same things; where in the file they said it (line numbers), which
character set the file used, its #FORMAT label and records with unknown labels are facts about
the file, not about the books, and take no part in `==`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from bridge.sie.checksum import ChecksumResult
from bridge.sie.problems import ProblemLog, SieProblem
from bridge.sie.reader import SieReader, Source
from bridge.sie.records import (
    AccountFact,
    Address,
    Balance,
    Dimension,
    DimensionObject,
    Generated,
    ObjectBalance,
    OrgNumber,
    PeriodBalance,
    Program,
    UnknownRecord,
    Value,
    Voucher,
    Year,
)

__all__ = ["Account", "DocumentStream", "SieDocument", "differences", "read"]


@dataclass(frozen=True)
class Account:
    """An account with what #KONTO, #KTYP, #ENHET and #SRU say about it."""

    number: str
    name: str | None = None  # None: the file has no #KONTO for it
    type: str | None = None  # T asset, S liability, K cost, I income
    unit: str | None = None
    sru: tuple[str, ...] = ()


@dataclass(frozen=True)
class SieDocument:
    """Identification (#FLAGGA … #VALUTA, one attribute each), the chart (#KONTO/#KTYP/#ENHET/#SRU
    as `accounts`; #DIM/#UNDERDIM; #OBJEKT), balances (#IB/#UB/#RES; #OIB/#OUB; #PSALDO/#PBUDGET)
    and vouchers, each group in file order. Build one in code the same way to write a file."""

    flag: int | None = None
    program: Program | None = None
    generated: Generated | None = None
    sie_type: int | None = None
    prosa: str | None = None
    company_type: str | None = None
    company_id: str | None = None
    org_number: OrgNumber | None = None
    industry_code: str | None = None
    address: Address | None = None
    company_name: str | None = None
    financial_years: tuple[Year, ...] = ()
    tax_year: int | None = None
    balances_until: date | None = None
    chart_type: str | None = None
    currency: str | None = None
    accounts: tuple[Account, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    objects: tuple[DimensionObject, ...] = ()
    balances: tuple[Balance, ...] = ()
    object_balances: tuple[ObjectBalance, ...] = ()
    period_balances: tuple[PeriodBalance, ...] = ()
    vouchers: tuple[Voucher, ...] = ()
    # Facts about the file rather than the books:
    format: str | None = field(default=None, compare=False)
    unknown: tuple[UnknownRecord, ...] = field(default=(), compare=False)
    encoding: str | None = field(default=None, compare=False)
    checksum: ChecksumResult = field(default_factory=ChecksumResult, compare=False)
    problems: tuple[SieProblem, ...] = field(default=(), compare=False)

    @property
    def rows(self) -> int:
        """How many voucher rows (#TRANS, #RTRANS and #BTRANS) the document holds."""
        return sum(len(voucher.rows) for voucher in self.vouchers)

    @property
    def every_balance(self) -> tuple[Balance | ObjectBalance | PeriodBalance, ...]:
        """#IB, #UB and #RES; then #OIB and #OUB; then #PSALDO and #PBUDGET."""
        every: tuple[Balance | ObjectBalance | PeriodBalance, ...] = (
            *self.balances,
            *self.object_balances,
            *self.period_balances,
        )
        return every

    def account(self, number: str) -> Account | None:
        return next((account for account in self.accounts if account.number == number), None)


_VALUE_FIELDS = {
    "#FLAGGA": "flag",
    "#FORMAT": "format",
    "#SIETYP": "sie_type",
    "#PROSA": "prosa",
    "#FTYP": "company_type",
    "#FNR": "company_id",
    "#BKOD": "industry_code",
    "#FNAMN": "company_name",
    "#TAXAR": "tax_year",
    "#OMFATTN": "balances_until",
    "#KPTYP": "chart_type",
    "#VALUTA": "currency",
}
_SINGLE_RECORDS = {
    Program: ("program", "#PROGRAM"),
    Generated: ("generated", "#GEN"),
    OrgNumber: ("org_number", "#ORGNR"),
    Address: ("address", "#ADRESS"),
}
_LIST_RECORDS = {
    Year: "financial_years",
    Dimension: "dimensions",
    DimensionObject: "objects",
    Balance: "balances",
    ObjectBalance: "object_balances",
    PeriodBalance: "period_balances",
    Voucher: "vouchers",
    UnknownRecord: "unknown",
}
_ACCOUNT_FIELDS = {"#KONTO": "name", "#KTYP": "type", "#ENHET": "unit"}


def read(source: Source, *, strict: bool = False) -> SieDocument:
    """Read a whole SIE file (a path, bytes or a binary file) into a document.

    Problems are in `document.problems`; with `strict=True` the first error raises `SieError`.
    For files too large to hold, iterate a `SieReader` instead.
    """
    # A big file is millions of small tuples that all stay alive: the cyclic garbage collector
    # would walk them again and again to find no garbage. It is paused while they are built.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _read(source, strict)
    finally:
        if was_enabled:
            gc.enable()


def _read(source: Source, strict: bool) -> SieDocument:
    kept: list[Voucher] = []
    stream = DocumentStream(source, strict=strict)
    kept.extend(stream)
    return replace(stream.document, vouchers=tuple(kept))


class DocumentStream:
    """A whole file read once, its vouchers handed out as they are read and not kept: iterate
    it for the vouchers; then `document` is the file without them (`vouchers` empty) and
    `vouchers`/`rows` say how many there were. For files of any size: memory stays flat."""

    def __init__(self, source: Source, *, strict: bool = False) -> None:
        self.source = source
        self.strict = strict
        self.document = SieDocument()
        self.vouchers = self.rows = 0

    def __iter__(self) -> Iterator[Voucher]:
        reader = SieReader(self.source, strict=self.strict)
        values: dict[str, Any] = {}
        lists: dict[str, list[Any]] = {name: [] for name in _LIST_RECORDS.values() if name != "vouchers"}
        accounts: dict[str, dict[str, Any]] = {}
        record: Any  # told apart by `type(record) is …`, the fastest test on millions of rows
        for record in reader:
            kind = type(record)
            if kind is Voucher:
                yield record
            elif kind is Value:
                _set_once(
                    values, _VALUE_FIELDS[record.label], record.value, record.label, record.line, reader.log
                )
            elif kind is AccountFact:
                _add_account_fact(accounts, record, reader.log)
            elif kind in _SINGLE_RECORDS:
                name, label = _SINGLE_RECORDS[kind]
                _set_once(values, name, record, label, record.line, reader.log)
            elif kind in _LIST_RECORDS:
                lists[_LIST_RECORDS[kind]].append(record)
        self.vouchers, self.rows = reader.vouchers, reader.rows
        grouped: dict[str, Any] = {name: tuple(items) for name, items in lists.items()}
        self.document = SieDocument(
            **values,
            **grouped,
            accounts=tuple(Account(number, **facts) for number, facts in accounts.items()),
            encoding=reader.encoding,
            checksum=reader.checksum,
            problems=reader.problems,
        )


def _set_once(values: dict[str, Any], name: str, value: Any, label: str, line: int, log: ProblemLog) -> None:
    if name in values:
        log.warn("sie.duplicate", f"{label} appears again; the first one counts", line=line, label=label)
    else:
        values[name] = value


def _add_account_fact(accounts: dict[str, dict[str, Any]], fact: AccountFact, log: ProblemLog) -> None:
    facts = accounts.setdefault(fact.account, {})
    if fact.label == "#SRU":
        facts["sru"] = (*facts.get("sru", ()), fact.value)
        return
    name = _ACCOUNT_FIELDS[fact.label]
    if name in facts:
        log.warn(
            "sie.duplicate",
            f"{fact.label} for account {fact.account} appears again; the first one counts",
            line=fact.line,
            label=fact.label,
        )
    else:
        facts[name] = fact.value


def differences(first: SieDocument, second: SieDocument, *, limit: int = 20) -> list[str]:
    """What two documents say differently, in words (empty when they are equal)."""
    found: list[str] = []
    for spec in fields(SieDocument):
        if not spec.compare:
            continue
        a, b = getattr(first, spec.name), getattr(second, spec.name)
        if a == b:
            continue
        if isinstance(a, tuple) and isinstance(b, tuple):
            if len(a) != len(b):
                found.append(f"{spec.name}: {len(a)} vs {len(b)} entries")
            found.extend(
                f"{spec.name}[{i}]: {x!r} vs {y!r}"
                for i, (x, y) in enumerate(zip(a, b, strict=False))
                if x != y
            )
        else:
            found.append(f"{spec.name}: {a!r} vs {b!r}")
        if len(found) >= limit:
            break
    return found[:limit]
