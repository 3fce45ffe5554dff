"""A SIE file planned as a whole: one "registers" document, then one document per voucher.

A file of any size is planned in one pass and in flat memory (`plan_sie_stream`): each voucher
is planned as it is read and handed on, and what judging the file needs is gathered as the
vouchers pass; the registers document, which runs first, is made last.

The registers document holds only what the company's master data says is missing — financial
years, voucher series, accounts, cost centres, projects — so each is created once per file,
before the vouchers that need it (documents run in order). Types 1–3 have no vouchers: their
registers document creates the accounts and objects the file declares, per the settings.

The file is judged before anything is sent: any problem that is an error (a date without a
financial year, a series closed to manual vouchers, a missing account that may not be
created, a locked period, another company's organisation number …) refuses the whole file,
every problem listed with its line, and nothing goes to Fortnox. Fix it in Fortnox or in the
settings and `retry`: the file is judged again against fresh master data.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from typing import Protocol

from bridge.config import TenantSettings
from bridge.model import (
    DocumentKey,
    Extraction,
    MasterData,
    Problem,
    Severity,
    SieDeclarations,
    Voucher,
    to_plain,
)
from bridge.planner.register_check import COST_CENTRE, PROJECT, Declared, RegisterCheck, Usage, YearRef
from bridge.planner.registers import check_registers
from bridge.planner.steps import DocumentPlan
from bridge.planner.vouchers import voucher_plan, voucher_problems
from bridge.util import dumpb
from bridge.util.i18n import N_

__all__ = ["VoucherStream", "declared_registers", "plan_sie_file", "plan_sie_stream"]

REGISTERS_KIND = "registers"


def plan_sie_file(
    extraction: Extraction, tenant: TenantSettings, master: MasterData | None
) -> tuple[list[Problem], list[DocumentPlan]]:
    """Problems about the file, and its plans (none when any problem is an error)."""
    vouchers: list[DocumentPlan] = []
    planned, first = plan_sie_stream(_Read(extraction), tenant, master, vouchers.append)
    problems = list(planned.problems[len(extraction.problems) :])
    if planned.errors:
        return problems, []
    return problems, [*first, *vouchers]


class VoucherStream(Protocol):
    """Vouchers as a file is read; `extraction` is the rest of what the file holds (problems,
    facts, declarations) once they are all through."""

    @property
    def extraction(self) -> Extraction: ...
    def __iter__(self) -> Iterator[Voucher]: ...


class _Read:
    """An extraction already in memory, as a stream."""

    def __init__(self, extraction: Extraction) -> None:
        self.extraction = extraction

    def __iter__(self) -> Iterator[Voucher]:
        return (d for d in self.extraction.documents if isinstance(d, Voucher))


def plan_sie_stream(
    vouchers: VoucherStream,
    tenant: TenantSettings,
    master: MasterData | None,
    sink: Callable[[DocumentPlan], object],
) -> tuple[Extraction, list[DocumentPlan]]:
    """Plan each voucher as it is read and hand its plan to `sink`; then judge the file as a
    whole. Answers the file's extraction with the judgement's problems joined to it, and the
    plans that must run before the vouchers (none when any problem is an error: then what
    `sink` took must be thrown away). Memory stays flat however long the file: what the
    judgement needs is gathered as the vouchers pass (`Usage`), not kept."""
    usage = Usage(tenant, master.locked_until if master else None)
    left_out = _LeftOut()
    problems = _Capped()
    year_of = _years_known(master)
    keys = hashlib.sha256()
    count = 0
    for voucher in vouchers:
        usage.add(voucher)
        left_out.add(voucher)
        problems.extend(voucher_problems(voucher))
        keys.update(voucher.source_key.encode() + b"\n")
        sink(voucher_plan(voucher, tenant, year_of(voucher.transaction_date)))
        count += 1
    extraction = vouchers.extraction
    if extraction.errors:  # the file cannot be read as it stands: that is the whole report
        return extraction, []
    declared = extraction.declarations
    declarations = declared if isinstance(declared, SieDeclarations) else SieDeclarations()
    check = check_registers(usage, declared_registers(declarations), tenant, master)
    judged = [
        *check.problems,
        *_company(declarations, tenant, master),
        *problems.kept(),
        *left_out.problems(),
    ]
    judged.sort(key=lambda p: (not p.is_error, p.line or 0))
    planned = replace(extraction, problems=(*extraction.problems, *judged))
    if planned.errors:
        return planned, []
    return planned, [_registers_plan(tenant, declarations, count, keys.hexdigest(), check)]


def _years_known(master: MasterData | None) -> Callable[[date], YearRef]:
    """A voucher's financial year as its plan names it: Fortnox's, by id, when it is known;
    else the year holding the voucher's own date."""
    found: dict[date, YearRef] = {}

    def year_of(day: date) -> YearRef:
        year = found.get(day)
        if year is None:
            known = master.year_of(day) if master is not None else None
            year = YearRef(day) if known is None else YearRef(known.from_date, known.to_date, known.id)
            found[day] = year
        return year

    return year_of


class _Capped:
    """Problems about single vouchers, at most `LIMIT` of each kind; the rest are counted."""

    LIMIT = 200

    def __init__(self) -> None:
        self._kept: list[Problem] = []
        self._seen: Counter[str] = Counter()
        self._first: dict[str, Problem] = {}

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self._seen[problem.code] += 1
            if self._seen[problem.code] <= self.LIMIT:
                self._kept.append(problem)
                self._first.setdefault(problem.code, problem)

    def kept(self) -> list[Problem]:
        more = [
            Problem(
                f"… and {n - self.LIMIT} more like this: {self._first[code].message}",
                line=None,
                hint=self._first[code].hint,
                severity=self._first[code].severity,
                code=code,
            )
            for code, n in self._seen.items()
            if n > self.LIMIT
        ]
        return [*self._kept, *more]


def declared_registers(declarations: SieDeclarations) -> Declared:
    """What the file declares in #KONTO, #OBJEKT, #RAR and its balances, as the checks look it up."""
    years = sorted(declarations.years, key=lambda y: -y.index)
    balances = declarations.balances
    return Declared(
        accounts={account.number: account for account in declarations.accounts},
        objects={(o.dimension, o.number): o.name for o in declarations.objects},
        years=tuple((y.start, y.end) for y in years),
        balance_accounts=frozenset(b.account for b in balances),
        balance_objects=frozenset((int(d), n) for b in balances for d, n in b.objects),
        program=declarations.program,
    )


def _company(
    declarations: SieDeclarations, tenant: TenantSettings, master: MasterData | None
) -> list[Problem]:
    """The file must be this company's, in Swedish kronor."""
    problems = []
    currency = declarations.currency
    if currency != "SEK":
        problems.append(
            Problem(
                N_("the file's amounts are in %(currency)s (#VALUTA); Fortnox vouchers are in SEK")
                % {"currency": currency},
                hint=N_("export the file in SEK from the program that wrote it"),
                code="sie.currency",
            )
        )
    policy = tenant["sie.org_number"]
    theirs = declarations.company.org_number
    ours = master.organisation_number if master else None
    if policy == "ignore" or not theirs or not ours or _digits(theirs) == _digits(ours):
        return problems
    problems.append(
        Problem(
            f"the file is for organisation number {theirs} (#ORGNR), but this Fortnox company is {ours}",
            hint=N_(
                "drop the file into the right company's inbox; if it is right, set sie.org_number = "
                "warning (or ignore) and retry the file"
            ),
            severity=Severity.ERROR if policy == "error" else Severity.WARNING,
            code="sie.org-number",
        )
    )
    return problems


def _digits(org_number: str) -> str:
    digits = "".join(ch for ch in org_number if ch.isdigit())
    return digits[-10:]  # 16/19/20 in front of a 12-digit number is the same company


class _LeftOut:
    """What a Fortnox voucher cannot hold, gathered as the vouchers pass and said once per file."""

    def __init__(self) -> None:
        self.dimensions: dict[str, int | None] = {}
        self.dated = 0
        self.first_dated: int | None = None

    def add(self, voucher: Voucher) -> None:
        for row in voucher.rows:
            for dimension, _ in row.objects:
                if dimension not in _CARRIED:
                    self.dimensions.setdefault(dimension, row.line)
            if row.transaction_date and row.transaction_date != voucher.transaction_date:
                if not self.dated:
                    self.first_dated = row.line
                self.dated += 1

    def problems(self) -> list[Problem]:
        problems = []
        if self.dimensions:
            names = ", ".join(sorted(self.dimensions, key=lambda d: (len(d), d)))
            problems.append(
                Problem(
                    f"objects in dimension {names} are not imported: Fortnox vouchers carry cost centres "
                    "(dimension 1) and projects (dimension 6) only",
                    line=min(line or 0 for line in self.dimensions.values()),
                    severity=Severity.WARNING,
                    code="sie.objects-left-out",
                )
            )
        if self.dated:
            problems.append(
                Problem(
                    f"{self.dated} row(s) have a date of their own; in Fortnox every row takes its voucher's date",
                    line=self.first_dated,
                    severity=Severity.WARNING,
                    code="sie.row-dates-left-out",
                )
            )
        return problems


_CARRIED = (str(COST_CENTRE), str(PROJECT))


def _registers_plan(
    tenant: TenantSettings, declarations: SieDeclarations, vouchers: int, keys: str, check: RegisterCheck
) -> DocumentPlan:
    # Named after the file's content (its registers, its vouchers' keys), so that a retry finds
    # the same document again.
    registers = {
        "accounts": declarations.accounts,
        "dimensions": declarations.dimensions,
        "objects": declarations.objects,
        "financial_years": declarations.years,
        "balances": declarations.balances,
    }
    digest = hashlib.sha256(dumpb([to_plain(registers), keys])).hexdigest()
    parts = ", ".join(_count(len(names), kind) for kind, names in check.created.items())
    if not check.judged:  # Fortnox's registers were not known when the file was read
        summary = f"look up {parts}, create what is missing" if parts else "nothing"
    else:
        summary = f"create {parts}" if parts else "nothing missing"
    if not vouchers:
        summary += f" (a SIE type {declarations.sie_type} file: no vouchers)"
    return DocumentPlan(
        key=DocumentKey(tenant.name, REGISTERS_KIND, digest[:12]),
        summary=f"accounts, series and objects the file needs: {summary}",
        content_hash=digest,
        steps=tuple(check.steps),
        document={"creates": check.created, "vouchers": vouchers},
    )


def _count(n: int, kind: str) -> str:
    return f"{n} {kind if n != 1 or kind.endswith('series') else kind[:-1]}"
