"""`/3/vouchers`: the ledger. Vouchers are immutable (no PUT, no DELETE: a mistake is corrected
by a new voucher), keyed by series, number and financial-year id, and every one obeys the
bookkeeping rules in `Vouchers.post`, whether a client sends it or booking a document makes it.

To find a voucher again by a stamp in `Comments` (Fortnox has no search on it), list the
candidates — `?financialyear=<id>&voucherseries=<series>&fromdate=<d>&todate=<d>` — and
read `Comments` in the list rows, then fetch the one that matches.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Blueprint, g

from mockfortnox.errors import ApiError
from mockfortnox.resources.bookkeeping import (
    accounts_resource,
    resolve_year,
    voucher_counter,
    voucherseries,
    year_for_date,
)
from mockfortnox.resources.common import (
    Resource,
    api_root,
    check_rows,
    decimal,
    json_response,
    list_response,
    lower_args,
    money,
    read_body,
    stamp,
)
from mockfortnox.resources.registers import costcenters, projects
from mockfortnox.state import Tenant

ROW_TEMPLATE: dict[str, Any] = {
    "Account": 0,
    "CostCenter": "",
    "Credit": 0,
    "Debit": 0,
    "Description": "",
    "Project": "",
    "Quantity": 0,
    "Removed": False,
    "TransactionInformation": "",
}
REFERENCE_TYPES = (
    "INVOICE",
    "SUPPLIERINVOICE",
    "INVOICEPAYMENT",
    "SUPPLIERPAYMENT",
    "MANUAL",
    "CASHINVOICE",
    "ACCRUAL",
)


class Vouchers(Resource):
    name, singular, plural = "vouchers", "Voucher", "Vouchers"
    key = "VoucherNumber"
    scope = "bookkeeping"
    not_found = "voucher_not_found"
    location = "vouchers"
    date_field = "TransactionDate"
    # Set by Fortnox whatever a client sends.
    read_only = frozenset({"VoucherNumber", "ReferenceType", "ReferenceNumber", "ApprovalState", "Year"})
    template = {
        "ApprovalState": 0,
        "Comments": "",
        "CostCenter": "",
        "Description": "",
        "Project": "",
        "ReferenceNumber": "",
        "ReferenceType": "MANUAL",
        "TransactionDate": "",
        "VoucherNumber": 0,
        "VoucherRows": [],
        "VoucherSeries": "",
        "Year": 0,
    }
    # List rows carry no VoucherRows (docs' example; C# SDK maintainer) but do carry Comments.
    list_fields = tuple(k for k in template if k != "VoucherRows")
    search = {"costcenter": "CostCenter"}
    sort = {
        "referencenumber": "ReferenceNumber",
        "referencetype": "ReferenceType",
        "vouchernumber": "VoucherNumber",
        "voucherseries": "VoucherSeries",
    }

    @staticmethod
    def table_key(year_id: int, series: str, number: int) -> str:
        return f"{year_id}:{series}:{number}"

    def url(self, record: dict) -> str:
        series = quote(record["VoucherSeries"], safe="")
        return f"{api_root()}3/vouchers/{series}/{record['VoucherNumber']}?financialyear={record['Year']}"

    def find(self, tenant: Tenant, series: str, number: str, args: dict[str, str]) -> dict:
        year = resolve_year(tenant, args)
        record = tenant.table(self.name).get(self.table_key(year["Id"], series.upper(), int(number)))
        if record is None:
            raise ApiError(self.not_found)
        return record

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        records = list(tenant.table(self.name).values())
        if "financialyear" in args or "financialyeardate" in args:
            year_id = resolve_year(tenant, args)["Id"]
            records = [r for r in records if r["Year"] == year_id]
        if args.get("voucherseries"):
            records = [r for r in records if r["VoucherSeries"] == args["voucherseries"].upper()]
        found = self.filter_query(records, args)
        if "sortby" not in args:  # vouchers by year, series, then number
            found.sort(key=lambda r: (r["Year"], r["VoucherSeries"], r["VoucherNumber"]))
        return found

    def create_from_body(self, tenant: Tenant, body: dict, args: dict[str, str]) -> dict:
        self.check_fields(body)
        rows = check_rows(body.get("VoucherRows") or [], ROW_TEMPLATE)
        for field_name in ("Description", "TransactionDate", "VoucherSeries"):
            if not str(body.get(field_name) or "").strip():
                raise ApiError("required_field", field=field_name)
        year_id = None
        if args.get("financialyear") or args.get("financialyeardate"):
            year_id = resolve_year(tenant, args)["Id"]
        return self.post(
            tenant,
            series=str(body["VoucherSeries"]),
            transaction_date=str(body["TransactionDate"]),
            description=str(body["Description"]),
            rows=rows,
            year_id=year_id,
            manual=True,
            comments=str(body.get("Comments") or ""),
            cost_center=str(body.get("CostCenter") or ""),
            project=str(body.get("Project") or ""),
        )

    def post(
        self,
        tenant: Tenant,
        *,
        series: str,
        transaction_date: str,
        description: str,
        rows: list[dict],
        year_id: int | None = None,
        manual: bool = False,
        reference_type: str = "MANUAL",
        reference_number: str = "",
        comments: str = "",
        cost_center: str = "",
        project: str = "",
    ) -> dict:
        """Book a voucher, checking every rule; `manual` vouchers need a series that allows them."""
        if len(description) > 200 or len(comments) > 1000:
            raise ApiError("invalid_value", field="Description/Comments", value=description[:20])
        if len(rows) < 2:
            raise ApiError("too_few_rows")
        year = year_for_date(tenant, transaction_date)
        if year_id is not None and (year is None or year["Id"] != year_id):
            raise ApiError("date_outside_year", date=transaction_date)
        if year is None:
            raise ApiError("financialyear_missing", date=transaction_date)
        locked = tenant.settings.get("LockedPeriodEnd") or ""
        if locked and transaction_date <= locked:
            raise ApiError("locked_period", date=transaction_date, end=locked)
        series = series.upper()
        series_record = tenant.table(voucherseries.name).get(series)
        if series_record is None:
            raise ApiError("voucherseries_missing", series=series)
        if manual and not series_record["Manual"]:
            raise ApiError("voucherseries_not_manual", series=series)
        self._check_object(tenant, cost_center, project)
        complete_rows = [self._row(tenant, year["Id"], row, cost_center, project) for row in rows]
        debit = sum((r["Debit"] for r in complete_rows), Decimal(0))
        credit = sum((r["Credit"] for r in complete_rows), Decimal(0))
        if debit != credit:
            raise ApiError("unbalanced", debit=money(debit), credit=money(credit))
        number = tenant.next_number(voucher_counter(series, year["Id"]))
        record = {
            **self.fresh_template(),
            "Comments": comments,
            "CostCenter": cost_center,
            "Description": description,
            "Project": project,
            "ReferenceNumber": reference_number,
            "ReferenceType": reference_type,
            "TransactionDate": transaction_date,
            "VoucherNumber": number,
            "VoucherRows": complete_rows,
            "VoucherSeries": series,
            "Year": year["Id"],
        }
        record["_created"] = record["_modified"] = stamp()
        for row in complete_rows:
            account = accounts_resource.get(tenant, str(row["Account"]), {"financialyear": str(year["Id"])})
            account["BalanceCarriedForward"] = money(
                decimal(account["BalanceCarriedForward"]) + row["Debit"] - row["Credit"]
            )
            accounts_resource.save(tenant, account)
        return tenant.put(self.name, self.table_key(year["Id"], series, number), record)

    def _check_object(self, tenant: Tenant, cost_center: str, project: str) -> None:
        if cost_center and cost_center not in tenant.table(costcenters.name):
            raise ApiError("costcenter_missing", value=cost_center)
        if project and project not in tenant.table(projects.name):
            raise ApiError("project_not_found", status=400)

    def _row(self, tenant: Tenant, year_id: int, row: dict, cost_center: str, project: str) -> dict:
        account_number = str(row.get("Account") or "")
        account = tenant.table(accounts_resource.name).get(f"{year_id}:{account_number}")
        if account is None:
            raise ApiError("account_missing_in_body")
        if not account["Active"]:
            raise ApiError("account_inactive", account=account_number)
        merged = {**ROW_TEMPLATE, **{k: v for k, v in row.items() if v is not None}}
        merged["CostCenter"] = str(merged["CostCenter"] or cost_center)
        merged["Project"] = str(merged["Project"] or project)
        self._check_object(tenant, merged["CostCenter"], merged["Project"])
        if account["CostCenterSettings"] == "MANDATORY" and not merged["CostCenter"]:
            raise ApiError("costcenter_required", account=account_number)
        if account["ProjectSettings"] == "MANDATORY" and not merged["Project"]:
            raise ApiError("project_required", account=account_number)
        debit, credit = decimal(merged["Debit"]), decimal(merged["Credit"])
        if debit < 0 or credit < 0:  # a negative amount belongs on the other side
            debit, credit = max(debit, -credit, Decimal(0)), max(credit, -debit, Decimal(0))
        merged.update(
            Account=int(account_number),
            Debit=money(debit),
            Credit=money(credit),
            Quantity=money(decimal(merged["Quantity"])),
            Description=account["Description"],
            Removed=False,
        )
        if len(merged["TransactionInformation"]) > 100:
            raise ApiError(
                "invalid_value", field="TransactionInformation", value=merged["TransactionInformation"][:20]
            )
        return merged


vouchers = Vouchers()
bp = Blueprint("vouchers", __name__)
bp.scope = vouchers.scope


@bp.get("/3/vouchers", strict_slashes=False)
def list_vouchers():
    return list_response(vouchers, vouchers.query(g.tenant, lower_args()))


@bp.get("/3/vouchers/sublist", strict_slashes=False)
def sublist():
    args = lower_args()
    args.setdefault("financialyear", str(resolve_year(g.tenant, args)["Id"]))
    return list_response(vouchers, vouchers.query(g.tenant, args))


@bp.get("/3/vouchers/sublist/<series>", strict_slashes=False)
def sublist_of_series(series: str):
    args = {**lower_args(), "voucherseries": series}
    args.setdefault("financialyear", str(resolve_year(g.tenant, args)["Id"]))
    return list_response(vouchers, vouchers.query(g.tenant, args))


@bp.get("/3/vouchers/<series>/<int:number>", strict_slashes=False)
def get_voucher(series: str, number: int):
    record = vouchers.find(g.tenant, series, str(number), lower_args())
    return json_response({"Voucher": vouchers.single(record)})


@bp.post("/3/vouchers", strict_slashes=False)
def create_voucher():
    record = vouchers.create_from_body(g.tenant, read_body("Voucher"), lower_args())
    return json_response({"Voucher": vouchers.single(record)}, 201, {"Location": vouchers.location})
