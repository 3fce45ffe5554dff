"""Matching a supplier invoice to its purchase order, line by line (pure: no network, no SQL).

The order is the one the invoice names (its order reference, same supplier); an invoice that
names none is matched by supplier and amount: the supplier's one open order whose open value
equals the invoice's net amount within the price tolerance. Then each invoice line finds its
order row — by article number when both have one, else by description (case, spaces and
punctuation aside) — and is compared with what is still open on that row:

- quantity: within `quantity_tolerance` units of the open quantity is a match; less is a
  partial delivery (the rest stays open), more is over-invoiced;
- price: within `price_tolerance_percent` of the order's unit price is a match.

An invoice line with no order row is an extra line; an order row left open after the invoice
is part of a partial delivery. No deviation at all: `matched`, and the invoice may be booked.
Every amount is a `Decimal`, rounded to öre only where it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bridge.util.i18n import N_

__all__ = [
    "Deviation",
    "InvoiceLine",
    "InvoiceToMatch",
    "MatchResult",
    "MatchedLine",
    "OrderLine",
    "OrderToMatch",
    "Tolerances",
    "match_invoice",
    "same_text",
]

ORE = Decimal("0.01")
_NOT_WORD = re.compile(r"[\W_]+")


def same_text(a: str | None, b: str | None) -> bool:
    return bool(a and b) and _NOT_WORD.sub("", (a or "").casefold()) == _NOT_WORD.sub(
        "", (b or "").casefold()
    )


def _ore(value: Decimal) -> Decimal:
    return value.quantize(ORE)


@dataclass(frozen=True)
class Tolerances:
    quantity: Decimal = Decimal(0)
    price_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class OrderLine:
    row: int  # 1-based, as the order lists them
    quantity: Decimal
    price: Decimal
    invoiced: Decimal = Decimal(0)  # by invoices matched before
    article_number: str | None = None
    description: str | None = None

    @property
    def open(self) -> Decimal:
        return max(self.quantity - self.invoiced, Decimal(0))


@dataclass(frozen=True)
class OrderToMatch:
    order_number: str
    supplier_number: str | None
    organisation_number: str | None
    lines: tuple[OrderLine, ...]
    cancelled: bool = False
    fortnox_id: str | None = None
    currency: str = "SEK"

    @property
    def open_value(self) -> Decimal:
        return sum((line.open * line.price for line in self.lines), Decimal(0))

    @property
    def is_open(self) -> bool:
        return not self.cancelled and any(line.open > 0 for line in self.lines)


@dataclass(frozen=True)
class InvoiceLine:
    line: int  # 1-based among the invoice's cost rows
    quantity: Decimal
    price: Decimal
    article_number: str | None = None
    description: str | None = None

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.price


@dataclass(frozen=True)
class InvoiceToMatch:
    key: str  # Fortnox's number of the supplier invoice (GivenNumber)
    supplier_number: str
    invoice_number: str
    lines: tuple[InvoiceLine, ...]
    organisation_number: str | None = None
    supplier_name: str = ""
    order_reference: str | None = None
    total: Decimal = Decimal(0)  # incl. VAT, as Fortnox has it
    currency: str = "SEK"
    booked: bool = False
    cancelled: bool = False

    @property
    def net(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class MatchedLine:
    order_row: int
    invoice_line: int
    quantity: Decimal
    price: Decimal
    order_price: Decimal
    article_number: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Deviation:
    """What a person must decide about. `amount`: what it is worth, in the invoice currency
    (an extra line's amount; a price difference times the quantity; what stays open)."""

    kind: str  # no-order | order-cancelled | partial-delivery | over-invoiced | price | extra-line | currency
    message: str
    amount: Decimal = Decimal(0)
    order_row: int | None = None
    invoice_line: int | None = None
    expected: Decimal | None = None
    actual: Decimal | None = None


@dataclass(frozen=True)
class MatchResult:
    invoice: InvoiceToMatch
    status: str  # matched | deviation | no-order
    order_number: str | None = None
    how: str = ""  # "order reference" | "supplier and amount"
    lines: tuple[MatchedLine, ...] = ()
    deviations: tuple[Deviation, ...] = ()
    fortnox_order: str | None = None
    invoiced: dict[int, Decimal] = field(default_factory=dict)  # order row → quantity this invoice takes

    @property
    def bookable(self) -> bool:
        return self.status == "matched"

    def report(self) -> dict[str, Any]:
        """What the deviation report and the exports show (amounts to öre)."""
        invoice = self.invoice
        return {
            "invoice": {
                "given_number": invoice.key,
                "supplier_number": invoice.supplier_number,
                "supplier_name": invoice.supplier_name,
                "invoice_number": invoice.invoice_number,
                "order_reference": invoice.order_reference,
                "currency": invoice.currency,
                "net": _ore(invoice.net),
                "total": _ore(invoice.total),
            },
            "status": self.status,
            "order": self.order_number,
            "fortnox_order": self.fortnox_order,
            "matched_by": self.how,
            "bookable": self.bookable,
            "lines": [
                {
                    "order_row": m.order_row,
                    "invoice_line": m.invoice_line,
                    "article": m.article_number,
                    "description": m.description,
                    "quantity": m.quantity,
                    "price": m.price,
                    "order_price": m.order_price,
                    "amount": _ore(m.quantity * m.price),
                }
                for m in self.lines
            ],
            "deviations": [
                {
                    "kind": d.kind,
                    "message": d.message,
                    "amount": _ore(d.amount),
                    "order_row": d.order_row,
                    "invoice_line": d.invoice_line,
                    "expected": d.expected,
                    "actual": d.actual,
                }
                for d in self.deviations
            ],
            "deviation_amount": _ore(sum((abs(d.amount) for d in self.deviations), Decimal(0))),
        }


def _same_supplier(order: OrderToMatch, invoice: InvoiceToMatch) -> bool:
    if order.supplier_number and order.supplier_number == invoice.supplier_number:
        return True
    digits = re.sub(r"\D", "", order.organisation_number or "")[-10:]
    return bool(digits) and digits == re.sub(r"\D", "", invoice.organisation_number or "")[-10:]


def find_order(
    invoice: InvoiceToMatch, orders: tuple[OrderToMatch, ...], tolerances: Tolerances
) -> tuple[OrderToMatch | None, str, Deviation | None]:
    """The invoice's order, how it was found, or why none was."""
    reference = (invoice.order_reference or "").strip()
    if reference:
        named = [o for o in orders if o.order_number.strip().casefold() == reference.casefold()]
        mine = [o for o in named if _same_supplier(o, invoice)]
        if mine:
            return mine[0], N_("order reference"), None
        why = (
            N_("order %(reference)s is an order to another supplier")
            if named
            else N_("the invoice names order %(reference)s, which the bridge has not received")
        ) % {"reference": reference}
        return None, "", Deviation("no-order", why, invoice.net)
    candidates = [o for o in orders if o.is_open and _same_supplier(o, invoice)]
    fitting = [o for o in candidates if _within_percent(invoice.net, o.open_value, tolerances.price_percent)]
    if len(fitting) == 1:
        return fitting[0], N_("supplier and amount"), None
    if not candidates:
        return None, "", None  # nothing on order from this supplier: not a purchase the bridge knows
    why = (
        N_("the invoice names no order and %(count)s open orders from the supplier are worth %(net)s")
        if fitting
        else N_("the invoice names no order and no open order from the supplier is worth %(net)s")
    ) % {"count": len(fitting), "net": _ore(invoice.net)}
    return None, "", Deviation("no-order", why, invoice.net)


def _within_percent(actual: Decimal, expected: Decimal, percent: Decimal) -> bool:
    if expected == 0:
        return actual == 0
    return abs(actual - expected) * 100 <= abs(expected) * percent


def match_invoice(
    invoice: InvoiceToMatch, orders: tuple[OrderToMatch, ...], tolerances: Tolerances
) -> MatchResult | None:
    """None: the invoice concerns no order (it names none, and its supplier has none open)."""
    order, how, missing = find_order(invoice, orders, tolerances)
    if order is None:
        if missing is None:
            return None
        return MatchResult(invoice, "no-order", deviations=(missing,))
    if order.cancelled:
        why = N_("order %(number)s was cancelled by the ordering system") % {"number": order.order_number}
        return MatchResult(
            invoice,
            "deviation",
            order.order_number,
            how,
            deviations=(Deviation("order-cancelled", why, invoice.net),),
            fortnox_order=order.fortnox_id,
        )
    deviations: list[Deviation] = []
    if invoice.currency != order.currency:
        deviations.append(
            Deviation(
                "currency",
                N_("the invoice is in %(invoiced)s, the order in %(ordered)s")
                % {"invoiced": invoice.currency, "ordered": order.currency},
            )
        )
    matched: list[MatchedLine] = []
    invoiced: dict[int, Decimal] = {}
    used: set[int] = set()
    for line in invoice.lines:
        row = _row_for(line, order.lines, used)
        if row is None:
            what = line.article_number or line.description or N_("line %(line)s") % {"line": line.line}
            deviations.append(
                Deviation(
                    "extra-line",
                    N_("invoice line %(line)s (%(what)s) is on no order row")
                    % {"line": line.line, "what": what},
                    line.amount,
                    invoice_line=line.line,
                    actual=line.quantity,
                )
            )
            continue
        used.add(row.row)
        matched.append(
            MatchedLine(
                row.row, line.line, line.quantity, line.price, row.price, row.article_number, row.description
            )
        )
        invoiced[row.row] = line.quantity
        deviations += _compare(line, row, tolerances)
    for row in order.lines:
        if row.row not in used and row.open > 0:
            deviations.append(
                Deviation(
                    "partial-delivery",
                    N_("order row %(row)s (%(name)s): %(open)s still open, not on this invoice")
                    % {"row": row.row, "name": row.article_number or row.description, "open": row.open},
                    row.open * row.price,
                    order_row=row.row,
                    expected=row.open,
                    actual=Decimal(0),
                )
            )
    status = "deviation" if deviations else "matched"
    return MatchResult(
        invoice,
        status,
        order.order_number,
        how,
        tuple(matched),
        tuple(deviations),
        order.fortnox_id,
        invoiced,
    )


def _row_for(line: InvoiceLine, rows: tuple[OrderLine, ...], used: set[int]) -> OrderLine | None:
    free = [r for r in rows if r.row not in used]
    if line.article_number:
        by_article = [r for r in free if r.article_number == line.article_number]
        if by_article:
            return by_article[0]
    return next((r for r in free if same_text(r.description, line.description)), None)


def _compare(line: InvoiceLine, row: OrderLine, tolerances: Tolerances) -> list[Deviation]:
    found: list[Deviation] = []
    name = row.article_number or row.description
    difference = line.quantity - row.open
    if abs(difference) > tolerances.quantity:
        if difference < 0:
            found.append(
                Deviation(
                    "partial-delivery",
                    N_(
                        "order row %(row)s (%(name)s): %(quantity)s invoiced of %(open)s open; %(left)s stays open"
                    )
                    % {
                        "row": row.row,
                        "name": name,
                        "quantity": line.quantity,
                        "open": row.open,
                        "left": -difference,
                    },
                    -difference * row.price,
                    row.row,
                    line.line,
                    row.open,
                    line.quantity,
                )
            )
        else:
            found.append(
                Deviation(
                    "over-invoiced",
                    N_("order row %(row)s (%(name)s): %(quantity)s invoiced but only %(open)s open")
                    % {"row": row.row, "name": name, "quantity": line.quantity, "open": row.open},
                    difference * line.price,
                    row.row,
                    line.line,
                    row.open,
                    line.quantity,
                )
            )
    if not _within_percent(line.price, row.price, tolerances.price_percent):
        percent = ((line.price - row.price) * 100 / row.price).quantize(Decimal("0.1")) if row.price else None
        found.append(
            Deviation(
                "price",
                (
                    N_(
                        "order row %(row)s (%(name)s): unit price %(price)s against %(ordered)s on the order"
                        " (%(percent)s %%, tolerance %(tolerance)s %%)"
                    )
                    if percent is not None
                    else N_(
                        "order row %(row)s (%(name)s): unit price %(price)s against %(ordered)s on the order"
                    )
                )
                % {
                    "row": row.row,
                    "name": name,
                    "price": line.price,
                    "ordered": row.price,
                    "percent": f"{percent:+}" if percent is not None else "",
                    "tolerance": tolerances.price_percent,
                },
                (line.price - row.price) * line.quantity,
                row.row,
                line.line,
                row.price,
                line.price,
            )
        )
    return found
