"""The vocabulary of the register checks: what a file declares, how a plan names a financial
year, and what a check answers (steps, problems, each voucher date's year)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bridge.config import TenantSettings
from bridge.model import Account, Problem, Severity, Voucher
from bridge.planner.steps import Step
from bridge.util.i18n import N_

__all__ = [
    "COST_CENTRE",
    "OBJECT_CODE_LIMITS",
    "OBJECT_WORDS",
    "PROJECT",
    "PROJECT_NAME_LIMIT",
    "SERIES_CODE_LIMIT",
    "Declared",
    "RegisterCheck",
    "Usage",
    "Uses",
    "YearRef",
    "series_for",
]

COST_CENTRE, PROJECT = 1, 6
OBJECT_CODE_LIMITS = {COST_CENTRE: 6, PROJECT: 20}
OBJECT_WORDS = {COST_CENTRE: "cost centre", PROJECT: "project"}
PROJECT_NAME_LIMIT = 50
SERIES_CODE_LIMIT = 10


@dataclass(frozen=True)
class Declared:
    """What the file says about registers: names of accounts and objects, its financial years
    (#RAR, current year first) and what its balances name."""

    accounts: Mapping[int, Account] = field(default_factory=dict)
    objects: Mapping[tuple[int, str], str] = field(default_factory=dict)
    years: tuple[tuple[date, date], ...] = ()
    balance_accounts: frozenset[int] = frozenset()
    balance_objects: frozenset[tuple[int, str]] = frozenset()
    program: str = ""


@dataclass(frozen=True)
class YearRef:
    """A financial year as a plan names it: by Fortnox id when it exists, else by a date in it
    (a year that the plan creates, or one the bridge could not look up)."""

    start: date
    end: date | None = None
    id: int | None = None

    @property
    def params(self) -> dict[str, Any]:
        return {"financialyear": self.id} if self.id else {"financialyeardate": self.start.isoformat()}

    @property
    def query(self) -> str:
        return "&".join(f"{k}={v}" for k, v in self.params.items())

    @property
    def name(self) -> str:
        return (
            N_("financial year %(start)s – %(end)s") % {"start": self.start, "end": self.end}
            if self.end
            else N_("the financial year holding %(day)s") % {"day": self.start}
        )


def series_for(voucher: Voucher, tenant: TenantSettings) -> str:
    """The Fortnox series a voucher goes to: the file's own (or the default), or a fixed one."""
    chosen: str = tenant["sie.series"]
    if chosen.lower() != "file":
        return chosen.upper()
    default: str = tenant["sie.default_series"]
    return (voucher.series or default).upper()


class Uses:
    """Where a file first needs something, and how often."""

    def __init__(self) -> None:
        self.first: dict[Any, int | None] = {}
        self.count: dict[Any, int] = {}

    def add(self, key: Any, line: int | None) -> None:
        if key not in self.first:
            self.first[key] = line
            self.count[key] = 0
        self.count[key] += 1

    def merge(self, key: Any, other: Uses, other_key: Any) -> None:
        """Count `other`'s uses of `other_key` as uses of `key` (the first stays first)."""
        if key not in self.first:
            self.first[key] = other.first[other_key]
            self.count[key] = 0
        self.count[key] += other.count[other_key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.first)

    def where(self, key: Any) -> str:
        n = self.count[key]
        return f"used {n} time{'s' if n != 1 else ''}"


class Usage:
    """What a file's vouchers need from the registers, gathered one voucher at a time: the
    dates, series, accounts (by date) and objects they use and where first, and which fall in
    a locked period. It stays small however many vouchers pass: the check needs no voucher
    itself, so a file of any size is judged in one pass."""

    LOCKED_LINES = 10  # lines named when vouchers fall in a locked period

    def __init__(self, tenant: TenantSettings, locked_until: date | None = None) -> None:
        self.tenant = tenant
        self.locked_until = locked_until
        self.dates = Uses()
        self.series = Uses()
        self.accounts = Uses()  # (date, account)
        self.objects = Uses()  # (dimension, code)
        self.locked = 0
        self.locked_lines: list[int | None] = []

    def add(self, voucher: Voucher) -> None:
        day, line = voucher.transaction_date, voucher.line
        self.dates.add(day, line)
        self.series.add(series_for(voucher, self.tenant), line)
        # Uses.add inlined: this runs once per row of the file.
        accounts_first, accounts_count = self.accounts.first, self.accounts.count
        objects = self.objects
        for row in voucher.rows:
            key = (day, row.account)
            if key in accounts_count:
                accounts_count[key] += 1
            else:
                accounts_first[key], accounts_count[key] = row.line, 1
            if row.cost_center:
                objects.add((COST_CENTRE, row.cost_center), row.line)
            if row.project:
                objects.add((PROJECT, row.project), row.line)
        if self.locked_until is not None and day <= self.locked_until:
            self.locked += 1
            if len(self.locked_lines) < self.LOCKED_LINES:
                self.locked_lines.append(line)

    @classmethod
    def of(cls, vouchers: Iterable[Voucher], tenant: TenantSettings, locked_until: date | None) -> Usage:
        usage = cls(tenant, locked_until)
        for voucher in vouchers:
            usage.add(voucher)
        return usage


@dataclass
class RegisterCheck:
    """The outcome: steps in the order they must run, problems, and each voucher date's year."""

    judged: bool = True  # False: master data unknown, so every step looks up before it creates
    steps: list[Step] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    years: dict[date, YearRef] = field(default_factory=dict)
    created: dict[str, list[str]] = field(default_factory=dict)  # what the steps make, by kind

    def add(self, kind: str, name: str, step: Step) -> None:
        self.steps.append(step)
        self.created.setdefault(kind, []).append(name)

    def error(self, message: str, line: int | None, hint: str, code: str) -> None:
        self.problems.append(Problem(message, line=line, hint=hint, code=code))

    def warn(self, message: str, line: int | None, code: str, hint: str = "") -> None:
        self.problems.append(Problem(message, line=line, hint=hint, severity=Severity.WARNING, code=code))
