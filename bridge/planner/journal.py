"""A journal CSV planned as a whole: its vouchers into one series, balanced to the öre.

The series (`vouchers.series`) is checked first: it must exist and allow manual vouchers, or
the file is refused with the place in Fortnox where that is set (Extend's requirement). Then
each voucher must balance: one off by at most `vouchers.rounding_tolerance` gets a visible
row on `vouchers.rounding_account` (öres- och kronutjämning, 3740 in BAS); a larger
difference refuses the file, naming the voucher and its sums. Against the company's master
data (when known) the dates need financial years outside the locked period, and the accounts,
cost centres and projects must exist: nothing is created for a journal. Any error refuses the
whole file before anything is sent; each voucher is then created once, found again by its
stamp (voucher id and date).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bridge.config import TenantSettings
from bridge.model import Extraction, MasterData, Problem, Severity, Voucher, VoucherRow
from bridge.planner.register_check import Uses, YearRef
from bridge.planner.steps import DocumentPlan
from bridge.planner.vouchers import voucher_plan, voucher_problems
from bridge.util.i18n import N_

__all__ = ["ROUNDING_TEXT", "SERIES_SETTINGS", "plan_journal_file"]

ROUNDING_TEXT = "Öres- och kronutjämning"
SERIES_SETTINGS = "Inställningar → Bokföring → Verifikationsserier"


def plan_journal_file(
    extraction: Extraction, tenant: TenantSettings, master: MasterData | None
) -> tuple[list[Problem], list[DocumentPlan]]:
    vouchers = [d for d in extraction.documents if isinstance(d, Voucher)]
    series = str(tenant["vouchers.series"]).upper()
    problems = _series(series, master)
    if problems:  # checked first: nothing else matters until the series takes manual vouchers
        return problems, []
    balanced: list[tuple[Voucher, VoucherRow | None]] = []
    for voucher in vouchers:
        rounding, found = _rounding(voucher, tenant)
        balanced.append((replace(voucher, rows=(*voucher.rows, rounding)) if rounding else voucher, rounding))
        problems += found
    problems += _registers([v for v, _ in balanced], master)
    for voucher, _ in balanced:  # its balance is judged above, with the tolerance
        problems += [p for p in voucher_problems(voucher) if p.code != "sie.unbalanced"]
    problems.sort(key=lambda p: (not p.is_error, p.line or 0))
    if any(p.is_error for p in problems):
        return problems, []
    return problems, [_plan(v, rounding, tenant, master, series) for v, rounding in balanced]


def _series(series: str, master: MasterData | None) -> list[Problem]:
    known = master.voucher_series if master else None
    if known is None:
        return []  # not known: Fortnox itself refuses a closed series
    if series not in known:
        return [
            Problem(
                f"voucher series {series} (vouchers.series) does not exist in Fortnox",
                hint=f"create series {series} in Fortnox ({SERIES_SETTINGS}) with 'Manuell' ticked, or set "
                "vouchers.series to a series that allows manual vouchers, then retry the file",
                code="journal.series-missing",
            )
        ]
    if not known[series]:
        return [
            Problem(
                f"voucher series {series} (vouchers.series) does not allow manual vouchers in Fortnox",
                hint=f"in Fortnox, {SERIES_SETTINGS}: tick 'Manuell' for series {series}, or set "
                "vouchers.series to another series, then retry the file",
                code="journal.series-not-manual",
            )
        ]
    return []


def _rounding(voucher: Voucher, tenant: TenantSettings) -> tuple[VoucherRow | None, list[Problem]]:
    """The row that balances a voucher off by no more than the tolerance (and a note that
    says so); a larger difference is an error."""
    difference = voucher.balance
    if not difference:
        return None, []
    tolerance: Decimal = tenant["vouchers.rounding_tolerance"]
    account: int = tenant["vouchers.rounding_account"]
    debit = sum((r.amount for r in voucher.rows if r.amount > 0), Decimal(0))
    credit = -sum((r.amount for r in voucher.rows if r.amount < 0), Decimal(0))
    sums = f"debit {debit}, credit {credit}, difference {difference}"
    if abs(difference) > tolerance:
        return None, [
            Problem(
                f"voucher {voucher.source_number} of {voucher.transaction_date} does not balance: {sums}, "
                f"more than vouchers.rounding_tolerance ({tolerance})",
                line=voucher.line,
                hint=N_("correct the voucher in the program that wrote the file, then drop it again"),
                code="journal.unbalanced",
            )
        ]
    rounding = VoucherRow(account=account, amount=-difference, text=ROUNDING_TEXT)
    note = Problem(
        f"voucher {voucher.source_number} of {voucher.transaction_date} is off by {difference} ({sums}): "
        f"a rounding row of {-difference} on account {account} balances it",
        line=voucher.line,
        severity=Severity.WARNING,
        code="journal.rounding-row",
    )
    return rounding, [note]


def _registers(vouchers: list[Voucher], master: MasterData | None) -> list[Problem]:
    """What must already be in Fortnox; judged only where the master data is known."""
    if master is None:
        return []
    problems: list[Problem] = []
    years = Uses()
    accounts = Uses()
    objects = Uses()
    for voucher in vouchers:
        year = master.year_of(voucher.transaction_date) if master.financial_years is not None else None
        if master.financial_years is not None and year is None:
            years.add(voucher.transaction_date, voucher.line)
        if master.locked_until and voucher.transaction_date <= master.locked_until:
            problems.append(
                Problem(
                    f"voucher {voucher.source_number} is dated {voucher.transaction_date}, and Fortnox has "
                    f"locked the books until {master.locked_until}",
                    line=voucher.line,
                    hint=N_(
                        "open the period in Fortnox (Inställningar → Bokföring → Låst period) or correct "
                        "the date, then retry the file"
                    ),
                    code="journal.locked-period",
                )
            )
        for row in voucher.rows:
            if year is not None:
                accounts.add((year.id, row.account), row.line or voucher.line)
            if row.cost_center:
                objects.add(("cost centre", row.cost_center), row.line)
            if row.project:
                objects.add(("project", row.project), row.line)
    for day in years:
        problems.append(
            Problem(
                f"Fortnox has no financial year for {day} ({years.where(day)})",
                line=years.first[day],
                hint=N_(
                    "create the financial year in Fortnox (Inställningar → Räkenskapsår), then retry the file"
                ),
                code="journal.no-financial-year",
            )
        )
    for year_id, number in accounts:
        chart = (master.accounts or {}).get(year_id)
        if chart is None or chart.get(number) is True:
            continue
        state = "is inactive" if number in chart else "does not exist"
        problems.append(
            Problem(
                f"account {number} {state} in Fortnox ({accounts.where((year_id, number))})",
                line=accounts.first[(year_id, number)],
                hint=f"{'activate' if number in chart else 'create'} account {number} in Fortnox "
                "(Inställningar → Bokföring → Kontoplan), then retry the file",
                code="journal.account",
            )
        )
    for word, code in objects:
        known = master.cost_centers if word == "cost centre" else master.projects
        if known is not None and code not in known:
            problems.append(
                Problem(
                    f"{word} {code} does not exist in Fortnox ({objects.where((word, code))})",
                    line=objects.first[(word, code)],
                    hint=f"create {word} {code} in Fortnox, then retry the file",
                    code="journal.object-missing",
                )
            )
    return problems


def _plan(
    voucher: Voucher,
    rounding: VoucherRow | None,
    tenant: TenantSettings,
    master: MasterData | None,
    series: str,
) -> DocumentPlan:
    year = master.year_of(voucher.transaction_date) if master else None
    ref = YearRef(year.from_date, year.to_date, year.id) if year else YearRef(voucher.transaction_date)
    plan = voucher_plan(voucher, tenant, ref, series)
    if rounding is None:
        return plan
    return replace(plan, summary=f"{plan.summary}, incl. rounding {rounding.amount} on {rounding.account}")
