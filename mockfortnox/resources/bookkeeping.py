"""The ledger's frame: financial years, the chart of accounts (one per financial year, as in
Fortnox), voucher series and which series each kind of document books into."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import Resource, crud_routes, decimal, lower_args, money, stamp, today
from mockfortnox.state import Tenant

# Which series each kind of booking goes to in a new Fortnox company (docs' examples: B for
# customer invoices, C customer payments, D supplier invoices; E inferred).
DEFAULT_PREDEFINED_SERIES = {
    "ACCRUAL": "A",
    "CASHINVOICE": "B",
    "INVOICE": "B",
    "MANUAL": "A",
    "PAYMENT": "C",
    "SUPPLIERINVOICE": "D",
    "SUPPLIERPAYMENT": "E",
}
SETTINGS = ("ALLOWED", "MANDATORY", "NOTALLOWED")


class FinancialYears(Resource):
    name, singular, plural = "financialyears", "FinancialYear", "FinancialYears"
    key = "Id"
    scope = "bookkeeping"
    not_found = "financialyear_not_found"
    location = "financialyears"
    list_fields = ("Id", "FromDate", "ToDate", "AccountChartType", "AccountingMethod")
    template = {
        "Id": 0,
        "FromDate": "",
        "ToDate": "",
        "AccountChartType": "BAS 2024",
        "AccountingMethod": "ACCRUAL",
    }

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        record["Id"] = int(record["Id"])
        try:
            start, end = date.fromisoformat(record["FromDate"]), date.fromisoformat(record["ToDate"])
        except (TypeError, ValueError):
            raise ApiError("required_field", field="FromDate/ToDate") from None
        if end < start or record["AccountingMethod"] not in ("ACCRUAL", "CASH"):
            raise ApiError("invalid_value", field="ToDate", value=record["ToDate"])
        for other in tenant.table(self.name).values():
            if (
                other["Id"] != record["Id"]
                and other["FromDate"] <= record["ToDate"]
                and record["FromDate"] <= other["ToDate"]
            ):
                raise ApiError("financialyear_overlap")
        if creating:
            _copy_chart_from_previous_year(tenant, record["Id"])

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        records = sorted(tenant.table(self.name).values(), key=lambda r: r["Id"])
        if "date" in args:  # the spec spells it `Date`; lower_args makes it `date`
            records = [r for r in records if r["FromDate"] <= args["date"] <= r["ToDate"]]
        return records


def year_for_date(tenant: Tenant, day: str) -> dict | None:
    return next(
        (y for y in tenant.table("financialyears").values() if y["FromDate"] <= day <= y["ToDate"]), None
    )


def chart_account(tenant: Tenant, number: object) -> dict | None:
    """An account by number from the newest chart that has it (documents name accounts by
    number only; the voucher they make checks the year's own chart)."""
    suffix = f":{number}"
    found = [a for key, a in tenant.table("accounts").items() if key.endswith(suffix)]
    return max(found, key=lambda a: a["Year"]) if found else None


def resolve_year(tenant: Tenant, args: dict[str, str]) -> dict:
    """The financial year a request means: `financialyear` (an id), `financialyeardate`, or the
    preselected one (the year holding today, else the latest)."""
    years = tenant.table("financialyears")
    if args.get("financialyear"):
        year = years.get(str(args["financialyear"]))
        if year is None:
            raise ApiError("financialyear_not_found", status=400)
        return year
    day = args.get("financialyeardate") or today().isoformat()
    year = year_for_date(tenant, day)
    if year is None and "financialyeardate" not in args and years:
        year = max(years.values(), key=lambda y: y["FromDate"])
    if year is None:
        raise ApiError("financialyear_missing", date=day)
    return year


def _copy_chart_from_previous_year(tenant: Tenant, year_id: int) -> None:
    """A new year starts with the chart of the year before it, as in Fortnox."""
    accounts = tenant.table(accounts_resource.name)
    earlier = [int(key.split(":")[0]) for key in accounts if int(key.split(":")[0]) < year_id]
    if not earlier:
        return
    source = max(earlier)
    for key, account in list(accounts.items()):
        if key.startswith(f"{source}:"):
            copy = {k: v for k, v in account.items() if k != "_opening"}
            copy.update(Year=year_id, BalanceBroughtForward=0, BalanceCarriedForward=0)
            tenant.put(accounts_resource.name, f"{year_id}:{account['Number']}", copy)


class Accounts(Resource):
    """Accounts live per financial year; the table key is `<year id>:<number>`."""

    name, singular, plural = "accounts", "Account", "Accounts"
    key = "Number"
    scope = "bookkeeping"
    not_found = "account_not_found"
    location = "accounts"
    deletable = True
    read_only = frozenset({"BalanceCarriedForward", "Year"})
    template = {
        "Active": True,
        "BalanceBroughtForward": 0,
        "BalanceCarriedForward": 0,
        "CostCenter": "",
        "CostCenterSettings": "ALLOWED",
        "Description": "",
        "Number": 0,
        "OpeningQuantities": [],
        "Project": "",
        "ProjectSettings": "ALLOWED",
        "QuantitySettings": "ALLOWED",
        "QuantityUnit": "",
        "SRU": 0,
        "TransactionInformation": "",
        "TransactionInformationSettings": "ALLOWED",
        "VATCode": "",
        "Year": 0,
    }
    list_fields = tuple(template)
    sort = {"number": "Number"}

    def url(self, record: dict) -> str:
        return f"{super().url(record)}?financialyear={record['Year']}"

    def table_key(self, year_id: int, number: Any) -> str:
        return f"{year_id}:{number}"

    def get(self, tenant: Tenant, key: str, args: dict[str, str] | None = None) -> dict:
        year = resolve_year(tenant, lower_args() if args is None else args)
        record = tenant.table(self.name).get(self.table_key(year["Id"], key))
        if record is None:
            raise ApiError(self.not_found)
        return record

    def create(self, tenant: Tenant, body: dict, year_id: int | None = None) -> dict:
        self.check_fields(body)
        year = year_id if year_id is not None else resolve_year(tenant, lower_args())["Id"]
        record = {**self.fresh_template(), **self.apply_blanks(body, {}), "Year": year}
        self.complete(tenant, record, creating=True)
        if self.table_key(year, record["Number"]) in tenant.table(self.name):
            raise ApiError("code_taken", value=record["Number"])
        record["_created"] = record["_modified"] = stamp()
        if body.get("BalanceBroughtForward") is not None:
            record["_opening"] = True  # SIE exports show #IB/#UB for an entered opening balance
        return tenant.put(self.name, self.table_key(year, record["Number"]), record)

    def update(self, tenant: Tenant, record: dict, body: dict) -> dict:
        before = decimal(record["BalanceBroughtForward"])
        super().update(tenant, record, body)
        if body.get("BalanceBroughtForward") is not None:
            # The year's vouchers stay booked on top of the new opening balance.
            change = decimal(record["BalanceBroughtForward"]) - before
            record["BalanceCarriedForward"] = money(decimal(record["BalanceCarriedForward"]) + change)
            record["_opening"] = True
        return record

    def save(self, tenant: Tenant, record: dict) -> dict:
        record["_modified"] = stamp()
        tenant.touch(self.name, self.table_key(record["Year"], record["Number"]))
        return record

    def delete(self, tenant: Tenant, record: dict) -> None:
        tenant.remove(self.name, self.table_key(record["Year"], record["Number"]))

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        number = str(record.get("Number") or "")
        if not (number.isdigit() and 1000 <= int(number) <= 9999):
            raise ApiError("invalid_value", field="Number", value=number)
        record["Number"] = int(number)
        if not str(record.get("Description") or "").strip():
            raise ApiError("required_field", field="Description")
        for field_name in (
            "CostCenterSettings",
            "ProjectSettings",
            "QuantitySettings",
            "TransactionInformationSettings",
        ):
            if record[field_name] not in SETTINGS:
                raise ApiError("invalid_value", field=field_name, value=record[field_name])
        record["SRU"] = int(record["SRU"] or 0)
        for field_name in ("BalanceBroughtForward", "BalanceCarriedForward"):
            record[field_name] = money(record[field_name] or 0)
        if creating:
            record["BalanceCarriedForward"] = record["BalanceBroughtForward"]

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        year = resolve_year(tenant, args)
        prefix = f"{year['Id']}:"
        rows = [r for k, r in tenant.table(self.name).items() if k.startswith(prefix)]
        if "sru" in args:
            rows = [r for r in rows if str(r["SRU"]) == args["sru"]]
        return self.filter_query(rows, {k: v for k, v in args.items() if k != "sru"})


class VoucherSeries(Resource):
    """Series are shared by every year here; their number counters run per financial year."""

    name, singular, plural = "voucherseries", "VoucherSeries", "VoucherSeriesCollection"
    key = "Code"
    scope = "bookkeeping"
    not_found = "voucherseries_not_found"
    location = "voucherseries"
    read_only = frozenset({"NextVoucherNumber", "Year"})
    template = {
        "Code": "",
        "Description": "",
        "Manual": False,
        "NextVoucherNumber": 1,
        "Year": 0,
        "Approver": {"Id": 0, "Name": ""},
    }
    list_fields = tuple(template)
    sort = {"code": "Code"}

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("required_field", field="Code")

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        code = str(record["Code"]).upper()
        if not code or len(code) > 10:
            raise ApiError("invalid_value", field="Code", value=code)
        if creating and code in tenant.table(self.name):
            raise ApiError("code_taken", value=code)
        record["Code"] = code
        record["Manual"] = record["Manual"] in (True, "true")

    def single(self, record: dict) -> dict:
        view = super().single(record)
        try:
            year = resolve_year(g.tenant, lower_args())["Id"]
        except ApiError:
            year = 0
        view["Year"] = year
        view["NextVoucherNumber"] = g.tenant.counters.get(voucher_counter(record["Code"], year), 0) + 1
        return view

    def list_row(self, record: dict) -> dict:
        return self.single(record)


def voucher_counter(series: str, year_id: int) -> str:
    return f"voucher:{series}:{year_id}"


class PreDefinedVoucherSeries(Resource):
    name, singular, plural = (
        "predefinedvoucherseries",
        "PreDefinedVoucherSeries",
        "PreDefinedVoucherSeriesCollection",
    )
    key = "Name"
    scope = "settings"
    not_found = "predefinedvoucherseries_not_found"
    location = "predefinedvoucherseries"
    template = {"Name": "", "VoucherSeries": ""}
    list_fields = tuple(template)

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        series = str(record["VoucherSeries"]).upper()
        if len(series) != 1:
            raise ApiError("invalid_value", field="VoucherSeries", value=series)
        if series not in tenant.table(voucherseries.name):
            raise ApiError("voucherseries_missing", series=series)
        record["VoucherSeries"] = series


def series_for(tenant: Tenant, function: str) -> str:
    record = tenant.table(predefinedvoucherseries.name).get(function)
    return record["VoucherSeries"] if record else DEFAULT_PREDEFINED_SERIES[function]


financialyears = FinancialYears()
accounts_resource = Accounts()
voucherseries = VoucherSeries()
predefinedvoucherseries = PreDefinedVoucherSeries()

years_bp = crud_routes(financialyears, update=False)
series_bp = crud_routes(voucherseries)
predefined_bp = crud_routes(predefinedvoucherseries, create=False)
accounts_bp = crud_routes(accounts_resource)


BLUEPRINTS = (years_bp, accounts_bp, series_bp, predefined_bp)
