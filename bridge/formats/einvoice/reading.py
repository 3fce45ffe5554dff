"""What a format reader hands on: the invoice as stated, plus what the rules need to check it.

Both readers (UBL and Svefaktura) fill the same `Reading`, so validation and booking signs are
written once. The invoice here keeps the file's own signs; `as_booked` turns them into the
buyer's view once the rules have checked the stated numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from bridge.formats.einvoice.attachments import EmbeddedFile
from bridge.formats.einvoice.identifiers import (
    digits_only,
    looks_like_iban,
    normalise_org_number,
    normalise_vat_number,
    org_number_from_vat,
)
from bridge.formats.einvoice.recognise import Recognised
from bridge.formats.einvoice.xmlread import Position, ValueLog
from bridge.model import MonetaryTotals, Party, PaymentMeans, Problem, SupplierInvoice

__all__ = [
    "LineCheck",
    "Reading",
    "as_booked",
    "mentions_f_tax",
    "organisation_number",
    "party_payment_details",
    "payment_kind",
    "source_key",
]

_F_TAX = re.compile(r"f-?skatt", re.I)


@dataclass(frozen=True)
class LineCheck:
    """A line's own arithmetic as stated: net = quantity × price ÷ base + charges − allowances."""

    net: Decimal
    quantity: Decimal | None
    price: Decimal | None
    base_quantity: Decimal | None
    allowances: Decimal
    charges: Decimal
    position: Position


@dataclass
class Reading:
    recognised: Recognised
    invoice: SupplierInvoice
    log: ValueLog
    declared_credit: bool
    supplier_country: str | None = None
    line_checks: list[LineCheck] = field(default_factory=list)
    embedded_files: list[EmbeddedFile] = field(default_factory=list)
    external_references: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def position(self, key: str) -> Position | None:
        return self.log.positions.get(key)


def mentions_f_tax(texts: list[str]) -> bool | None:
    return True if any(_F_TAX.search(text) for text in texts) else None


def organisation_number(company_id: str | None, vat_number: str | None, *, swedish: bool) -> str | None:
    """The organisation number to match the party by: digits only for Swedish ones."""
    if company_id:
        if swedish:
            return normalise_org_number(company_id) or company_id.replace(" ", "")
        return company_id.replace(" ", "")
    if vat_number:
        return org_number_from_vat(vat_number)
    return None


def party_payment_details(party: Party, means: tuple[PaymentMeans, ...]) -> Party:
    """The supplier with the giro and bank numbers it asks to be paid to (first of each kind)."""

    def first(kind: str) -> PaymentMeans | None:
        return next((m for m in means if m.kind == kind and m.account), None)

    bankgiro, plusgiro, iban = first("bankgiro"), first("plusgiro"), first("iban")
    return replace(
        party,
        bankgiro=digits_only(bankgiro.account) if bankgiro and bankgiro.account else None,
        plusgiro=digits_only(plusgiro.account) if plusgiro and plusgiro.account else None,
        iban=normalise_vat_number(iban.account) if iban and iban.account else None,
        bic=iban.bic if iban else None,
    )


def payment_kind(code: str | None, account: str | None, branch: str | None) -> str:
    branch_upper = (branch or "").upper()
    if branch_upper in ("SE:BANKGIRO", "BGABSESS") or code == "56":
        return "bankgiro"
    if branch_upper in ("SE:PLUSGIRO", "PGSISESS") or code == "50":
        return "plusgiro"
    if account and looks_like_iban(account):
        return "iban"
    if code in ("48", "54", "55"):
        return "card"
    if code in ("49", "59"):
        return "direct-debit"
    return "bank-account" if account else "other"


def source_key(supplier: Party, invoice_number: str) -> str:
    """Supplier identity + the supplier's invoice number: what makes the invoice the same one."""
    identity = (
        supplier.organisation_number
        or (normalise_vat_number(supplier.vat_number) if supplier.vat_number else None)
        or supplier.endpoint_id
        or supplier.name.casefold()
    )
    return f"{identity}:{invoice_number}"


def as_booked(invoice: SupplierInvoice, negate: bool) -> SupplierInvoice:
    """The invoice with every amount negated when the document is a credit with positive amounts."""
    if not negate:
        return invoice

    def neg(value: Decimal | None) -> Decimal | None:
        return None if value is None else -value

    rows = tuple(
        replace(row, amount=-row.amount, quantity=neg(row.quantity) if row.quantity is not None else None)
        for row in invoice.rows
    )
    breakdown = tuple(
        replace(v, taxable_amount=-v.taxable_amount, vat_amount=-v.vat_amount) for v in invoice.vat_breakdown
    )
    charges = tuple(
        replace(c, amount=-c.amount, base_amount=neg(c.base_amount)) for c in invoice.allowance_charges
    )
    totals = invoice.totals
    if totals is not None:
        totals = MonetaryTotals(
            line_extension=-totals.line_extension,
            tax_inclusive=-totals.tax_inclusive,
            payable=-totals.payable,
            tax_exclusive=neg(totals.tax_exclusive),
            allowances=neg(totals.allowances),
            charges=neg(totals.charges),
            prepaid=neg(totals.prepaid),
            rounding=neg(totals.rounding),
        )
    return replace(
        invoice,
        rows=rows,
        vat_breakdown=breakdown,
        allowance_charges=charges,
        totals=totals,
        total=-invoice.total,
        vat=-invoice.vat,
        rounding=-invoice.rounding,
        vat_in_tax_currency=neg(invoice.vat_in_tax_currency),
    )
