"""What vouchers need from the company's registers, judged before anything is sent.

Given what the vouchers of a file use (`Usage`), what the file declares (#KONTO, #OBJEKT, #RAR) and the company's
master data, `check_registers` answers the steps that create what is missing — financial years,
voucher series, accounts (and re-activations), cost centres and projects — and the problems
that creating cannot solve, each with the line where the file first needs it. Unknown master
data (offline, or a register we may not read) is never judged: then every register the file
needs is looked up at send time and created when missing and allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

from bridge.config import TenantSettings
from bridge.model import MasterData
from bridge.planner.register_check import (
    COST_CENTRE,
    OBJECT_CODE_LIMITS,
    OBJECT_WORDS,
    PROJECT,
    PROJECT_NAME_LIMIT,
    SERIES_CODE_LIMIT,
    Declared,
    RegisterCheck,
    Usage,
    Uses,
    YearRef,
)
from bridge.planner.steps import Lookup, Step
from bridge.util.i18n import N_

__all__ = ["check_registers"]


def check_registers(
    usage: Usage, declared: Declared, tenant: TenantSettings, master: MasterData | None
) -> RegisterCheck:
    """Judge what the vouchers (and, per the settings, the rest of the file) need from Fortnox."""
    check = RegisterCheck(judged=master is not None)
    master = master or MasterData()
    _years(check, usage.dates, declared, tenant, master)
    _locked_period(check, usage, master)
    _series(check, usage.series, declared, tenant, master)
    _accounts(check, usage.accounts, declared, tenant, master)
    _objects(check, usage.objects, declared, tenant, master)
    return check


# --- financial years -------------------------------------------------------------------------


def _years(
    check: RegisterCheck,
    dates: Uses,
    declared: Declared,
    tenant: TenantSettings,
    master: MasterData,
) -> None:
    missing: dict[tuple[date, date] | None, list[date]] = {}
    unknown: dict[Any, YearRef] = {}  # years Fortnox was not asked about, by the file's #RAR
    for day in sorted(dates):
        if master.financial_years is None:
            # Named by the group's first date: a date surely inside the Fortnox year, which may
            # begin on another day than the file's #RAR says.
            span = _declared_year(declared, day) or day.year
            check.years[day] = unknown.setdefault(span, YearRef(day))
            continue
        year = master.year_of(day)
        if year is not None:
            check.years[day] = YearRef(year.from_date, year.to_date, year.id)
        else:
            missing.setdefault(_declared_year(declared, day), []).append(day)
    create = tenant["sie.create_financial_years"]
    for span, days in missing.items():
        first_line = min((dates.first[d] for d in days), key=lambda n: n or 0)
        count = sum(dates.count[d] for d in days)
        what = f"{count} voucher{'s' if count != 1 else ''} dated {days[0]}" + (
            f" … {days[-1]}" if len(days) > 1 else ""
        )
        if span is None or not create:
            hint = "create the financial year in Fortnox (Inställningar → Räkenskapsår)"
            if span is not None:
                hint += (
                    f" or set sie.create_financial_years = true to create {span[0]} – {span[1]} from the file"
                )
            check.error(
                f"{what}: Fortnox has no financial year for {'this date' if len(days) == 1 else 'these dates'}",
                first_line,
                hint + ", then retry the file",
                "sie.no-financial-year",
            )
            continue
        overlapping = [
            y for y in master.financial_years or () if y.from_date <= span[1] and span[0] <= y.to_date
        ]
        if overlapping:
            other = overlapping[0]
            check.error(
                f"{what}: the file's financial year {span[0]} – {span[1]} overlaps Fortnox's "
                f"{other.from_date} – {other.to_date}, so it cannot be created",
                first_line,
                "create the right financial year in Fortnox, then retry the file",
                "sie.financial-year-overlaps",
            )
            continue
        start, end = span
        for day in days:
            check.years[day] = YearRef(start, end)
        check.add(
            "financial years",
            f"{start} – {end}",
            Step(
                kind="ensure",
                label=f"financial year {start} – {end}",
                method="POST",
                path="/3/financialyears",
                envelope="FinancialYear",
                body={"FinancialYear": {"FromDate": start.isoformat(), "ToDate": end.isoformat()}},
                lookup=Lookup(
                    path="/3/financialyears",
                    collection="FinancialYears",
                    params={"date": start.isoformat()},
                    match={"FromDate": start.isoformat(), "ToDate": end.isoformat()},
                ),
            ),
        )


def _declared_year(declared: Declared, day: date) -> tuple[date, date] | None:
    return next(((s, e) for s, e in declared.years if s <= day <= e), None)


def _locked_period(check: RegisterCheck, usage: Usage, master: MasterData) -> None:
    if master.locked_until is None or usage.locked_until != master.locked_until:
        return
    if usage.locked:
        lines = ", ".join(str(line) for line in usage.locked_lines) + (
            " …" if usage.locked > len(usage.locked_lines) else ""
        )
        check.error(
            f"{usage.locked} voucher{'s are' if usage.locked != 1 else ' is'} dated on or before "
            f"{master.locked_until}, and Fortnox has locked the books until then (lines {lines})",
            usage.locked_lines[0],
            "vouchers cannot be added to a locked period: open it in Fortnox (Inställningar → "
            "Bokföring → Låst period) or correct the dates, then retry the file",
            "sie.locked-period",
        )


# --- voucher series --------------------------------------------------------------------------


def _series(
    check: RegisterCheck,
    uses: Uses,
    declared: Declared,
    tenant: TenantSettings,
    master: MasterData,
) -> None:
    known = master.voucher_series
    for code in uses:
        line = uses.first[code]
        if len(code) > SERIES_CODE_LIMIT:
            check.error(
                f"voucher series {code!r} is longer than Fortnox allows ({SERIES_CODE_LIMIT} characters)",
                line,
                "choose a series for these vouchers with sie.series, then retry the file",
                "sie.series-code",
            )
            continue
        if known is not None and code in known:
            if not known[code]:
                check.error(
                    N_("voucher series %(code)s does not allow manual vouchers in Fortnox") % {"code": code},
                    line,
                    N_(
                        "in Fortnox, tick 'Manuell' for series %(code)s (Inställningar → Bokföring → "
                        "Verifikationsserier), or send the vouchers to another series with sie.series, then retry"
                    )
                    % {"code": code},
                    "sie.series-not-manual",
                )
            continue
        creatable = tenant["sie.create_series"]
        if known is not None and not creatable:
            check.error(
                N_("voucher series %(code)s does not exist in Fortnox (%(where)s)")
                % {"code": code, "where": uses.where(code)},
                line,
                N_(
                    "create series %(code)s in Fortnox (open for manual vouchers), set sie.create_series = true, "
                    "or choose another with sie.series, then retry the file"
                )
                % {"code": code},
                "sie.series-missing",
            )
            continue
        description = f"Från {declared.program}" if declared.program else "Från SIE-fil"
        check.add(
            "voucher series",
            code,
            Step(
                kind="ensure",
                label=N_("voucher series %(code)s") % {"code": code},
                method="POST",
                path="/3/voucherseries",
                envelope="VoucherSeries",
                body={"VoucherSeries": {"Code": code, "Description": description, "Manual": True}},
                lookup=Lookup(path=f"/3/voucherseries/{quote(code, safe='')}", single=True),
                create_if_missing=creatable,
                missing_hint=f"voucher series {code} does not exist in Fortnox and sie.create_series is off",
            ),
        )


# --- accounts --------------------------------------------------------------------------------


def _accounts(
    check: RegisterCheck,
    by_date: Uses,
    declared: Declared,
    tenant: TenantSettings,
    master: MasterData,
) -> None:
    used = Uses()  # (year, account) → where vouchers post to it
    for day, account in by_date:
        year = check.years.get(day)
        if year is not None:  # else reported with the year
            used.merge((year, account), by_date, (day, account))
    policy = tenant["sie.create_accounts"]
    wanted: Iterable[int] = ()
    if policy == "all":
        wanted = declared.accounts
    elif policy == "used":
        wanted = declared.balance_accounts
    chart_years = list(dict.fromkeys(year for year, _ in used)) or _chart_year(check, declared, master)
    needed = dict.fromkeys(used)
    for year in chart_years:
        for number in wanted:
            needed.setdefault((year, number), None)
    for year, number in needed:
        in_use = (year, number) in used.first
        line = used.first.get((year, number))
        if not 1000 <= number <= 9999:
            if in_use:
                check.error(
                    f"account {number} cannot exist in Fortnox, whose accounts are 1000–9999 ({used.where((year, number))})",
                    line,
                    "map the account to a four-digit one in the program that wrote the file",
                    "sie.account-range",
                )
            continue
        chart = None if year.id is None or master.accounts is None else master.accounts.get(year.id)
        active = None if chart is None else chart.get(number)
        if chart is not None and active is True:
            continue
        if chart is not None and active is False:
            if in_use:
                _reactivate(check, tenant, year, number, line, used)
            continue
        _create_account(check, declared, policy, year, number, line, in_use, chart)
        if chart is None and in_use and tenant["sie.reactivate_accounts"]:
            _reactivate(check, tenant, year, number, line, used, unknown=True)


def _chart_year(check: RegisterCheck, declared: Declared, master: MasterData) -> list[YearRef]:
    """Where accounts the vouchers do not use go: the file's current year, else the latest."""
    if declared.years:
        start = declared.years[0][0]
        known = master.year_of(start) if master.financial_years is not None else None
        if known is not None:
            return [YearRef(known.from_date, known.to_date, known.id)]
        planned = next((y for y in check.years.values() if y.start == start), None)
        if planned is not None or master.financial_years is None:
            return [planned or YearRef(start, declared.years[0][1])]
    if master.financial_years:
        latest = max(master.financial_years, key=lambda y: y.from_date)
        return [YearRef(latest.from_date, latest.to_date, latest.id)]
    return []


def _create_account(
    check: RegisterCheck,
    declared: Declared,
    policy: str,
    year: YearRef,
    number: int,
    line: int | None,
    in_use: bool,
    chart: Mapping[int, bool] | None,
) -> None:
    account = declared.accounts.get(number)
    name = account.name if account else None
    where = f"in {year.name}"
    if policy == "never" or not name:
        if not in_use:
            return
        if chart is not None:
            reason = (
                "and the file does not name it (no #KONTO)"
                if policy != "never"
                else "and sie.create_accounts is never"
            )
            check.error(
                f"account {number} does not exist in Fortnox {where} {reason}",
                line,
                f"create account {number} in Fortnox"
                + (" or set sie.create_accounts = used" if policy == "never" and name else "")
                + ", then retry the file",
                "sie.account-missing",
            )
            return
    body: dict[str, Any] = {"Number": number, "Description": (name or f"Konto {number}")[:200]}
    if account and account.sru and account.sru[0].isdigit():
        body["SRU"] = int(account.sru[0])
    if account and account.unit:
        body["QuantityUnit"] = account.unit
    check.add(
        "accounts",
        f"{number} {name or ''}".strip(),
        Step(
            kind="ensure",
            label=(
                N_("account %(number)s (%(name)s) in %(year)s")
                % {"number": number, "name": name, "year": year.name}
                if name
                else N_("account %(number)s in %(year)s") % {"number": number, "year": year.name}
            ),
            method="POST",
            path=f"/3/accounts?{year.query}",
            envelope="Account",
            body={"Account": body},
            lookup=Lookup(path=f"/3/accounts/{number}", params=year.params, single=True),
            create_if_missing=bool(name) and policy != "never",
            missing_hint=f"account {number} does not exist in Fortnox {where}, and the bridge may not create it"
            + ("" if name else " (the file does not name it)"),
        ),
    )


def _reactivate(
    check: RegisterCheck,
    tenant: TenantSettings,
    year: YearRef,
    number: int,
    line: int | None,
    used: Uses,
    *,
    unknown: bool = False,
) -> None:
    if not tenant["sie.reactivate_accounts"]:
        check.error(
            N_("account %(number)s is inactive in Fortnox in %(year)s (%(where)s)")
            % {"number": number, "year": year.name, "where": used.where((year, number))},
            line,
            N_(
                "activate account %(number)s in Fortnox or set sie.reactivate_accounts = true, then retry the file"
            )
            % {"number": number},
            "sie.account-inactive",
        )
        return
    path = f"/3/accounts/{number}?{year.query}"
    step = Step(
        kind="action",
        label=f"account {number} active in {year.name}",
        method="PUT",
        path=path,
        envelope="Account",
        body={"Account": {"Active": True}},
        done_when={"Active": True},
        check_path=path,
    )
    if unknown:  # only checked when sent; nothing to announce
        check.steps.append(step)
    else:
        check.add("re-activated accounts", str(number), step)


# --- cost centres and projects ---------------------------------------------------------------


def _objects(
    check: RegisterCheck,
    used: Uses,
    declared: Declared,
    tenant: TenantSettings,
    master: MasterData,
) -> None:
    policy = tenant["sie.create_objects"]
    needed = dict.fromkeys(used)
    if policy == "all":
        needed.update(dict.fromkeys(k for k in declared.objects if k[0] in OBJECT_CODE_LIMITS))
    elif policy == "used":
        needed.update(dict.fromkeys(k for k in declared.balance_objects if k[0] in OBJECT_CODE_LIMITS))
    for dimension, code in needed:
        in_use = (dimension, code) in used.first
        line = used.first.get((dimension, code))
        word = OBJECT_WORDS[dimension]
        if len(code) > OBJECT_CODE_LIMITS[dimension]:
            if in_use:
                check.error(
                    f"{word} {code!r} is longer than Fortnox allows ({OBJECT_CODE_LIMITS[dimension]} characters)",
                    line,
                    f"shorten the {word} codes in the program that wrote the file",
                    "sie.object-code",
                )
            continue
        known = master.cost_centers if dimension == COST_CENTRE else master.projects
        if known is not None and code in known:
            continue
        creatable = policy != "never"  # then only what vouchers use is needed
        if not creatable and known is not None:
            check.error(
                f"{word} {code} does not exist in Fortnox ({used.where((dimension, code))}) "
                "and sie.create_objects is never",
                line,
                f"create {word} {code} in Fortnox or set sie.create_objects = used, then retry the file",
                "sie.object-missing",
            )
            continue
        name = declared.objects.get((dimension, code))
        if in_use and not name and creatable:
            check.warn(
                f"{word} {code} is not named in the file (no #OBJEKT); if Fortnox lacks it, it is created "
                "with its code as its name",
                line,
                "sie.object-unnamed",
            )
        _create_object(check, dimension, code, name or code, creatable)


def _create_object(check: RegisterCheck, dimension: int, code: str, name: str, creatable: bool) -> None:
    if dimension == PROJECT and len(name) > PROJECT_NAME_LIMIT:
        check.warn(
            f"project {code}'s name is longer than Fortnox keeps ({PROJECT_NAME_LIMIT} characters): "
            f"{name[:PROJECT_NAME_LIMIT]!r}",
            None,
            "sie.project-name",
        )
        name = name[:PROJECT_NAME_LIMIT]
    if dimension == COST_CENTRE:
        body, envelope, path = (
            {"CostCenter": {"Code": code, "Description": name}},
            "CostCenter",
            "costcenters",
        )
    else:
        body, envelope, path = (
            {"Project": {"ProjectNumber": code, "Description": name}},
            "Project",
            "projects",
        )
    word = OBJECT_WORDS[dimension]
    check.add(
        f"{word}s",
        f"{code} {name}",
        Step(
            kind="ensure",
            label=(
                N_("cost centre %(code)s (%(name)s)")
                if word == "cost centre"
                else N_("project %(code)s (%(name)s)")
            )
            % {"code": code, "name": name},
            method="POST",
            path=f"/3/{path}",
            envelope=envelope,
            body=body,
            lookup=Lookup(path=f"/3/{path}/{quote(code, safe='')}", single=True),
            create_if_missing=creatable,
            missing_hint=f"{word} {code} does not exist in Fortnox and sie.create_objects is never",
        ),
    )
