"""The matching rules on their own: which order, which row, which deviation, which amount."""

from __future__ import annotations

from decimal import Decimal as D

from bridge.planner.matching import (
    InvoiceLine,
    InvoiceToMatch,
    OrderLine,
    OrderToMatch,
    Tolerances,
    match_invoice,
)

ORDER = OrderToMatch(
    "IO-1",
    "1",
    "556677-8899",
    (OrderLine(1, D(10), D("249.00"), article_number="PAPP-A4", description="Papper A4"),
     OrderLine(2, D(2), D("1190.00"), description="Toner HP 305A svart")),
)  # fmt: skip


def invoice(*lines: InvoiceLine, reference: str | None = "IO-1", supplier: str = "1") -> InvoiceToMatch:
    return InvoiceToMatch("7", supplier, "F-1", lines, order_reference=reference)


def line(
    n: int, quantity: str, price: str, article: str | None = None, text: str | None = None
) -> InvoiceLine:
    return InvoiceLine(n, D(quantity), D(price), article, text)


def test_a_row_without_an_article_is_found_by_its_description_whatever_its_case_and_spacing():
    result = match_invoice(
        invoice(line(1, "10", "249.00", "PAPP-A4"), line(2, "2", "1190.00", text="TONER HP 305A  svart.")),
        (ORDER,),
        Tolerances(),
    )
    assert result is not None and result.status == "matched"
    assert result.invoiced == {1: D(10), 2: D(2)}


def test_a_quantity_within_the_tolerance_matches_and_beyond_it_is_over_invoiced():
    lines = (line(1, "11", "249.00", "PAPP-A4"), line(2, "2", "1190.00", text="Toner HP 305A svart"))
    assert match_invoice(invoice(*lines), (ORDER,), Tolerances(quantity=D(1))).status == "matched"
    result = match_invoice(invoice(*lines), (ORDER,), Tolerances())
    (deviation,) = result.deviations
    assert (deviation.kind, deviation.amount) == ("over-invoiced", D("249.00"))


def test_a_line_the_order_does_not_have_is_an_extra_line_worth_its_amount():
    result = match_invoice(
        invoice(
            line(1, "10", "249.00", "PAPP-A4"),
            line(2, "2", "1190.00", text="Toner HP 305A svart"),
            line(3, "1", "95.00", text="Frakt"),
        ),
        (ORDER,),
        Tolerances(),
    )
    assert [(d.kind, d.amount, d.invoice_line) for d in result.deviations] == [("extra-line", D("95.00"), 3)]


def test_an_order_of_another_supplier_is_not_this_invoices_order():
    result = match_invoice(invoice(line(1, "10", "249.00", "PAPP-A4"), supplier="2"), (ORDER,), Tolerances())
    assert result.status == "no-order" and "another supplier" in result.deviations[0].message


def test_without_a_reference_two_orders_of_the_same_value_are_not_guessed_between():
    twin = OrderToMatch("IO-2", "1", None, ORDER.lines)
    lines = (line(1, "10", "249.00", "PAPP-A4"), line(2, "2", "1190.00", text="Toner HP 305A svart"))
    result = match_invoice(invoice(*lines, reference=None), (ORDER, twin), Tolerances())
    assert result.status == "no-order" and "2 open orders" in result.deviations[0].message


def test_what_earlier_invoices_took_is_no_longer_open():
    taken = OrderToMatch("IO-1", "1", None, (OrderLine(1, D(10), D("249.00"), D(6), "PAPP-A4"),))
    result = match_invoice(invoice(line(1, "4", "249.00", "PAPP-A4")), (taken,), Tolerances())
    assert result.status == "matched"
