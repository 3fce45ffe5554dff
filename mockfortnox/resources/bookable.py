"""The booking life cycle that customer and supplier invoices share.

A bookable document is written freely until it is booked or cancelled; booking makes one
voucher in the series its function names (B for customer invoices, D for supplier invoices
unless changed) and, for a credit document, settles the balance of the document it credits.
Its due date, when not given, is the invoice date plus the payment terms' days (30 when the
terms are not a number of days). Subclasses say only what differs: the voucher's rows, how
a credit points at its original, how an amount is typed on the record.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from mockfortnox.errors import ApiError
from mockfortnox.resources.bookkeeping import series_for
from mockfortnox.resources.common import CancelledNotDeleted, Resource, decimal, money
from mockfortnox.resources.vouchers import vouchers
from mockfortnox.state import Tenant

__all__ = ["DEFAULT_TERMS_DAYS", "BookableDocument"]

DEFAULT_TERMS_DAYS = 30


class BookableDocument(CancelledNotDeleted, Resource):
    series_function: ClassVar[str]  # the predefined voucher series' function, e.g. "INVOICE"
    reference_type: ClassVar[str]  # the voucher's ReferenceType
    voucher_title: ClassVar[str]  # the voucher's description starts with it, e.g. "Kundfaktura"
    party_field: ClassVar[str]  # the customer's or supplier's name on the record
    credit_reference: ClassVar[str]  # the field pointing between a credit and its original

    # --- what subclasses say --------------------------------------------------------------

    def voucher_rows(self, tenant: Tenant, record: dict) -> list[dict]:
        """The rows of the voucher that booking makes."""
        raise NotImplementedError

    def is_credit(self, record: dict) -> bool:
        raise NotImplementedError

    def amount(self, value: Decimal) -> Any:
        """An amount as this record types it (a number, or a string where the spec says so)."""
        return money(value)

    # --- the shared life cycle ------------------------------------------------------------

    def check_writable(self, record: dict) -> None:
        """Booked and cancelled documents are read-only (the update guard)."""
        if record["Booked"]:
            raise ApiError("document_booked")
        if record["Cancelled"]:
            raise ApiError("document_cancelled")

    def update(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self.check_writable(record)
        return super().update(tenant, record, body)

    def fill_due_date(self, record: dict, terms: Any) -> None:
        """The due date from the terms of payment (`"30"` → 30 days), unless one was given."""
        if record["DueDate"]:
            return
        text = str(terms or DEFAULT_TERMS_DAYS)
        days = int(text) if text.isdigit() else DEFAULT_TERMS_DAYS
        record["DueDate"] = (date.fromisoformat(record["InvoiceDate"]) + timedelta(days=days)).isoformat()

    def check_creditable(self, record: dict) -> None:
        if record["Cancelled"]:
            raise ApiError("document_cancelled")
        if not record["Booked"]:
            raise ApiError("not_booked")
        if self.is_credit(record) or str(record[self.credit_reference] or "0") != "0":
            raise ApiError("already_credited")

    def bookkeep(self, tenant: Tenant, record: dict, body: dict) -> dict:
        """Book: one voucher; a credit document also settles the document it credits."""
        if body:
            self.update(tenant, record, body)
        if record["Cancelled"]:
            raise ApiError("document_cancelled")
        if record["Booked"]:
            raise ApiError("already_booked")
        voucher = vouchers.post(
            tenant,
            series=series_for(tenant, self.series_function),
            transaction_date=record["InvoiceDate"],
            description=f"{self.voucher_title} {record[self.key]}, {record[self.party_field]}"[:200],
            rows=self.voucher_rows(tenant, record),
            reference_type=self.reference_type,
            reference_number=record[self.key],
        )
        record.update(
            Booked=True,
            VoucherSeries=voucher["VoucherSeries"],
            VoucherNumber=voucher["VoucherNumber"],
            VoucherYear=voucher["Year"],
        )
        self.booked(record, voucher)
        if self.is_credit(record):
            self.settle_credit(tenant, record)
        tenant.mark(self.name, str(record[self.key]), "bookkeep")
        return self.save(tenant, record)

    def booked(self, record: dict, voucher: dict) -> None:
        """Anything else a record notes about its voucher."""

    def settle_credit(self, tenant: Tenant, record: dict) -> None:
        """A booked credit pays what it credits: the original's balance falls by the credit's
        (never below zero) and the credit itself is settled on its invoice date."""
        original = tenant.table(self.name).get(str(record[self.credit_reference]))
        if original is None:
            return
        settled = max(decimal(original["Balance"]) + decimal(record["Balance"]), Decimal(0))
        original["Balance"] = self.amount(settled)
        record["Balance"] = self.amount(Decimal(0))
        record["FinalPayDate"] = record["InvoiceDate"]
        if settled == 0:
            original["FinalPayDate"] = record["InvoiceDate"]
        self.save(tenant, original)
