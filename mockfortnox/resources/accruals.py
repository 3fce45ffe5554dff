"""`/3/invoiceaccruals` and `/3/supplierinvoiceaccruals`: spreading an invoice over periods
(periodisering). One accrual per invoice, keyed by its number; rows balance, at least two."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from mockfortnox.errors import ApiError
from mockfortnox.resources.bookkeeping import chart_account
from mockfortnox.resources.common import Resource, check_rows, crud_routes, decimal, money
from mockfortnox.resources.invoices import invoices
from mockfortnox.resources.supplierinvoices import supplierinvoices
from mockfortnox.state import Tenant

PERIODS = (
    "MONTHLY", "BIMONTHLY", "QUARTERLY", "SEMIANNUALLY", "ANNUALLY",
    "1_MONTHS", "2_MONTHS", "3_MONTHS", "6_MONTHS", "12_MONTHS",
)  # fmt: skip
ROW_TEMPLATE = {
    "Account": 0,
    "CostCenter": "",
    "Credit": 0,
    "Debit": 0,
    "Project": "",
    "TransactionInformation": "",
}
COMMON = {
    "AccrualAccount": 0,
    "Description": "",
    "EndDate": "",
    "Period": "MONTHLY",
    "StartDate": "",
    "Times": 1,
    "Total": 0,
    "VATIncluded": False,
}


class Accruals(Resource):
    not_found = "accrual_not_found"
    deletable = True
    rows_field: ClassVar[str]
    document: ClassVar[Resource]
    required: ClassVar[tuple[str, ...]]

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("required_field", field=self.key)

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        for field_name in self.required:
            if record.get(field_name) in (None, "", 0, []):
                raise ApiError("required_field", field=field_name)
        if str(record[self.key]) not in tenant.table(self.document.name):
            raise ApiError(self.document.not_found, status=400)
        if creating and str(record[self.key]) in tenant.table(self.name):
            raise ApiError("code_taken", value=record[self.key])
        record[self.key] = int(record[self.key])
        if record["Period"] not in PERIODS:
            raise ApiError("invalid_value", field="Period", value=record["Period"])
        if record["EndDate"] < record["StartDate"]:
            raise ApiError("invalid_value", field="EndDate", value=record["EndDate"])
        rows = record[self.rows_field]
        if len(rows) < 2:
            raise ApiError("too_few_rows")
        complete_rows = []
        for row in check_rows(rows, ROW_TEMPLATE):
            if chart_account(tenant, row.get("Account")) is None:
                raise ApiError("account_missing_in_body")
            merged = {**ROW_TEMPLATE, **row}
            merged.update(
                Account=int(merged["Account"]),
                Debit=money(decimal(merged["Debit"])),
                Credit=money(decimal(merged["Credit"])),
            )
            complete_rows.append(merged)
        debit = sum((r["Debit"] for r in complete_rows), Decimal(0))
        credit = sum((r["Credit"] for r in complete_rows), Decimal(0))
        if debit != credit:
            raise ApiError("unbalanced", debit=money(debit), credit=money(credit))
        record[self.rows_field] = complete_rows
        record["Total"] = money(decimal(record["Total"]))
        record["Times"] = int(record["Times"])


class InvoiceAccruals(Accruals):
    name, singular, plural = "invoiceaccruals", "InvoiceAccrual", "InvoiceAccruals"
    key = "InvoiceNumber"
    scope = "invoice"
    location = "invoiceaccruals"
    rows_field = "InvoiceAccrualRows"
    document = invoices
    required = (
        "InvoiceNumber",
        "Description",
        "StartDate",
        "EndDate",
        "AccrualAccount",
        "RevenueAccount",
        "Total",
    )
    template = {**COMMON, "InvoiceAccrualRows": [], "InvoiceNumber": 0, "RevenueAccount": 0}
    list_fields = (
        "AccrualAccount",
        "Description",
        "EndDate",
        "InvoiceNumber",
        "Period",
        "RevenueAccount",
        "StartDate",
        "Times",
        "Total",
        "VATIncluded",
    )


class SupplierInvoiceAccruals(Accruals):
    name, singular, plural = "supplierinvoiceaccruals", "SupplierInvoiceAccrual", "SupplierInvoiceAccruals"
    key = "SupplierInvoiceNumber"
    scope = "supplierinvoice"
    location = "supplierinvoiceaccruals"
    rows_field = "SupplierInvoiceAccrualRows"
    document = supplierinvoices
    required = (
        "SupplierInvoiceNumber",
        "StartDate",
        "EndDate",
        "AccrualAccount",
        "CostAccount",
        "Period",
        "Times",
        "Total",
    )
    template = {**COMMON, "CostAccount": 0, "SupplierInvoiceAccrualRows": [], "SupplierInvoiceNumber": 0}
    list_fields = (
        "AccrualAccount",
        "CostAccount",
        "Description",
        "EndDate",
        "Period",
        "StartDate",
        "SupplierInvoiceNumber",
        "Times",
        "Total",
        "VATIncluded",
    )


invoiceaccruals = InvoiceAccruals()
supplierinvoiceaccruals = SupplierInvoiceAccruals()
BLUEPRINTS = (crud_routes(invoiceaccruals), crud_routes(supplierinvoiceaccruals))
