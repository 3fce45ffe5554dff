"""Invoice rows as Fortnox takes them, and the amounts the planners reckon with."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bridge.model import Invoice, InvoiceRow

__all__ = ["credit_rows", "invoice_row", "row_net", "vat_value"]

ORE = Decimal("0.01")


def invoice_row(row: InvoiceRow) -> dict[str, Any]:
    out: dict[str, Any] = {"DeliveredQuantity": format(row.quantity, "f"), "Price": row.price}
    if row.description:
        out["Description"] = row.description
    if row.article_number:
        out["ArticleNumber"] = row.article_number
    if row.account:
        out["AccountNumber"] = row.account
    if row.vat is not None:
        out["VAT"] = vat_value(row.vat)
    if row.unit:
        out["Unit"] = row.unit
    if row.discount:
        out["Discount"] = row.discount
        out["DiscountType"] = "PERCENT"
    if row.cost_center:
        out["CostCenter"] = row.cost_center
    if row.project:
        out["Project"] = row.project
    return out


def row_net(row: InvoiceRow) -> Decimal:
    """The row's amount excluding VAT, in öre, as Fortnox reckons it (discount in percent)."""
    gross = row.quantity * row.price
    if row.discount:
        gross = gross * (1 - row.discount / 100)
    return gross.quantize(ORE, ROUND_HALF_UP)


def vat_value(rate: Decimal) -> int | Decimal:
    return int(rate) if rate == rate.to_integral() else rate


def credit_rows(invoice: Invoice) -> tuple[InvoiceRow, ...]:
    """The rows as a credit: negative. A source that writes the credited amounts as positive
    numbers (its 'Krediterar' column says it is a credit) gets its quantities turned."""
    if sum((row_net(row) for row in invoice.rows), Decimal(0)) <= 0:
        return invoice.rows
    return tuple(replace(row, quantity=-row.quantity) for row in invoice.rows)
