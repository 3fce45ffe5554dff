"""Fortnox's SIE export (`GET /3/sie/{1..4}?financialyear=ID`) built from the mock's state.

Shaped like a real Fortnox 3.60 export (`research/fortnox-api.md`, "SIE export"): header
`#PROGRAM "Fortnox"`, `#FNR` the company's database number, `#RAR 0` and, when the company has
one, `#RAR -1`; `#KPTYP EUBAS97`; the year's chart as #KONTO/#SRU; #IB/#UB for balance accounts
(1000–2999) with an entered opening balance or a closing balance other than zero; #RES for
result accounts whose result is not zero; #PSALDO per account and month with bookings (zero
when they cancel out) and per object; then the year's vouchers, by series and number.

What each type holds (SIE 4B): 1 the chart and year balances; 2 adds #PSALDO; 3 adds #DIM,
#OBJEKT and balances per object (#PSALDO, #OUB); 4 is 3's records without #OUB — as Fortnox
writes it — plus the vouchers. `fromdate`/`todate` narrow the vouchers only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from bridge import sie
from mockfortnox.resources.common import decimal, money
from mockfortnox.state import Tenant

__all__ = ["FORTNOX_PROGRAM", "sie_export"]

FORTNOX_PROGRAM = sie.Program("Fortnox", "3.60.16")
DIMENSIONS = (sie.Dimension(1, "Kostnadsställe"), sie.Dimension(6, "Projekt"))
FIRST_RESULT_ACCOUNT = 3000

Movements = dict[tuple, Decimal]


def sie_export(
    tenant: Tenant,
    year: dict[str, Any],
    sie_type: int,
    today: date,
    fromdate: str | None = None,
    todate: str | None = None,
) -> sie.SieDocument:
    """The SIE document Fortnox would export for `year` (a financial-year record)."""
    years = [(0, year)]
    previous = _previous_year(tenant, year)
    if previous is not None:
        years.append((-1, previous))
    company = tenant.company
    balances: list[sie.Balance] = []
    object_balances: list[sie.ObjectBalance] = []
    totals: list[sie.PeriodBalance] = []
    per_object: list[sie.PeriodBalance] = []
    for index, record in years:
        ledger = _Ledger(tenant, record)
        balances += ledger.year_balances(index)
        if sie_type >= 2:
            totals += ledger.period_balances(index)
        if sie_type >= 3:
            per_object += ledger.object_period_balances(index)
        if sie_type == 3:
            object_balances += ledger.object_closing_balances(index)
    end = date.fromisoformat(year["ToDate"])
    with_objects = sie_type >= 3
    return sie.SieDocument(
        flag=0,
        program=FORTNOX_PROGRAM,
        generated=sie.Generated(today),
        sie_type=sie_type,
        company_id=str(tenant.id),
        company_name=company.get("CompanyName") or tenant.name,
        address=_address(company),
        financial_years=tuple(
            sie.Year(index, date.fromisoformat(r["FromDate"]), date.fromisoformat(r["ToDate"]))
            for index, r in years
        ),
        org_number=sie.OrgNumber(company["OrganizationNumber"])
        if company.get("OrganizationNumber")
        else None,
        balances_until=min(end, today),
        chart_type="EUBAS97",
        accounts=tuple(_chart(tenant, year["Id"])),
        dimensions=DIMENSIONS if with_objects else (),
        objects=tuple(_objects(tenant)) if with_objects else (),
        balances=tuple(balances),
        object_balances=tuple(object_balances),
        period_balances=(*totals, *per_object),
        vouchers=tuple(_vouchers(tenant, year["Id"], fromdate, todate)) if sie_type == 4 else (),
    )


def _previous_year(tenant: Tenant, year: dict[str, Any]) -> dict[str, Any] | None:
    earlier = [y for y in tenant.table("financialyears").values() if y["ToDate"] < year["FromDate"]]
    return max(earlier, key=lambda y: y["ToDate"]) if earlier else None


def _address(company: dict[str, Any]) -> sie.Address | None:
    contact = " ".join(x for x in (company.get("ContactFirstName"), company.get("ContactLastName")) if x)
    postal = " ".join(x for x in (company.get("ZipCode"), company.get("City")) if x)
    parts = (contact, company.get("Address") or "", postal, company.get("Phone1") or "")
    return sie.Address(*parts) if any(parts) else None


def _chart(tenant: Tenant, year_id: int) -> Iterable[sie.Account]:
    prefix = f"{year_id}:"
    chart = [a for key, a in tenant.table("accounts").items() if key.startswith(prefix)]
    for account in sorted(chart, key=lambda a: a["Number"]):
        sru = (str(account["SRU"]),) if account.get("SRU") else ()
        yield sie.Account(str(account["Number"]), account["Description"], sru=sru)


def _objects(tenant: Tenant) -> Iterable[sie.DimensionObject]:
    for code, centre in sorted(tenant.table("costcenters").items()):
        yield sie.DimensionObject(1, code, centre["Description"])
    for number, project in sorted(tenant.table("projects").items()):
        yield sie.DimensionObject(6, number, project["Description"])


def _row_objects(row: dict[str, Any]) -> sie.ObjectList:
    return tuple((dim, str(row[name])) for dim, name in ((1, "CostCenter"), (6, "Project")) if row.get(name))


def _year_vouchers(tenant: Tenant, year_id: int) -> list[dict[str, Any]]:
    found = [v for v in tenant.table("vouchers").values() if v["Year"] == year_id]
    return sorted(found, key=lambda v: (v["VoucherSeries"], v["VoucherNumber"]))


def _amount(row: dict[str, Any]) -> Decimal:
    return decimal(row["Debit"]) - decimal(row["Credit"])


class _Ledger:
    """One financial year's accounts and bookings, summed the ways SIE reports them."""

    def __init__(self, tenant: Tenant, year: dict[str, Any]) -> None:
        prefix = f"{year['Id']}:"
        self.accounts = {
            a["Number"]: a for key, a in tenant.table("accounts").items() if key.startswith(prefix)
        }
        self.moved: Movements = defaultdict(Decimal)  # account → change over the year
        self.monthly: Movements = defaultdict(Decimal)  # (account, YYYYMM)
        self.by_object: Movements = defaultdict(Decimal)  # (account, YYYYMM, object)
        for voucher in _year_vouchers(tenant, year["Id"]):
            period = voucher["TransactionDate"][:7].replace("-", "")
            for row in voucher["VoucherRows"]:
                account, amount = int(row["Account"]), _amount(row)
                self.moved[account] += amount
                self.monthly[(account, period)] += amount
                for item in _row_objects(row):
                    self.by_object[(account, period, item)] += amount

    def year_balances(self, index: int) -> list[sie.Balance]:
        out = []
        for number in sorted(set(self.accounts) | set(self.moved)):
            account = self.accounts.get(number, {})
            moved = self.moved.get(number, Decimal(0))
            if number < FIRST_RESULT_ACCOUNT:
                opening = decimal(account.get("BalanceBroughtForward"))
                closing = opening + moved
                if account.get("_opening") or opening or closing:
                    out.append(sie.Balance("#IB", index, str(number), money(opening), Decimal(0)))
                    out.append(sie.Balance("#UB", index, str(number), money(closing), Decimal(0)))
        for number in sorted(n for n, moved in self.moved.items() if n >= FIRST_RESULT_ACCOUNT and moved):
            out.append(sie.Balance("#RES", index, str(number), money(self.moved[number]), Decimal(0)))
        return out

    def period_balances(self, index: int) -> list[sie.PeriodBalance]:
        return [
            sie.PeriodBalance("#PSALDO", index, period, str(account), (), money(amount), Decimal(0))
            for (account, period), amount in sorted(self.monthly.items())
        ]

    def object_period_balances(self, index: int) -> list[sie.PeriodBalance]:
        return [
            sie.PeriodBalance("#PSALDO", index, period, str(account), (item,), money(amount), Decimal(0))
            for (account, period, item), amount in sorted(self.by_object.items())
        ]

    def object_closing_balances(self, index: int) -> list[sie.ObjectBalance]:
        closing: Movements = defaultdict(Decimal)
        for (account, _, item), amount in self.by_object.items():
            if account < FIRST_RESULT_ACCOUNT:
                closing[(account, item)] += amount
        return [
            sie.ObjectBalance("#OUB", index, str(account), (item,), money(amount), Decimal(0))
            for (account, item), amount in sorted(closing.items())
            if amount
        ]


def _vouchers(
    tenant: Tenant, year_id: int, fromdate: str | None, todate: str | None
) -> Iterable[sie.Voucher]:
    for voucher in _year_vouchers(tenant, year_id):
        day = voucher["TransactionDate"]
        if (fromdate and day < fromdate) or (todate and day > todate):
            continue
        registered = voucher.get("_registered") or voucher["_created"][:10]
        rows = tuple(
            sie.Transaction(
                "#TRANS",
                str(row["Account"]),
                _row_objects(row),
                money(_amount(row)),
                text=row.get("TransactionInformation") or "",
                quantity=money(decimal(row.get("Quantity"))),
            )
            for row in voucher["VoucherRows"]
        )
        yield sie.Voucher(
            voucher["VoucherSeries"],
            str(voucher["VoucherNumber"]),
            date.fromisoformat(day),
            voucher["Description"],
            date.fromisoformat(registered),
            rows=rows,
        )
