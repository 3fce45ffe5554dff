"""Reading purchase-order files: what a CSV row or an XML element becomes, and what a person
is told when one is wrong (line, column or element, what to do)."""

from __future__ import annotations

from decimal import Decimal

from bridge.importers import FileSource, extract_file
from tests.unit.purchasing.conftest import FIXTURES


def _read(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return extract_file(FileSource.open(path))


def test_the_peppol_order_is_read_with_the_buyers_article_number_and_the_delivery_periods_end():
    extraction = extract_file(FileSource.open(FIXTURES / "peppol-order-kontorsvaror.xml"))
    (order,) = extraction.documents
    assert (order.order_number, order.supplier.organisation_number) == ("IO-1002", "5566778899")
    assert str(order.delivery_date) == "2026-11-12"
    (row,) = order.rows
    assert (row.article_number, row.quantity, row.price, row.account) == (
        "LAMPA-LED",
        Decimal(4),
        Decimal("399.00"),
        5460,
    )


def test_an_order_whose_rows_disagree_on_the_supplier_is_refused_naming_the_line(tmp_path):
    extraction = _read(
        tmp_path,
        "po.csv",
        "Inköpsordernummer;Leverantörsnummer;Artikelnummer;Antal;À-pris\nIO-1;1;A;1;10\nIO-1;2;B;1;10\n",
    )
    (problem,) = extraction.errors
    assert (problem.line, problem.field, problem.code) == (3, "Leverantörsnummer", "csv.order-values-differ")
    assert extraction.documents == ()


def test_an_unknown_status_is_refused_with_the_words_that_are_known(tmp_path):
    extraction = _read(
        tmp_path,
        "po.csv",
        "Ordernummer;Leverantörsnummer;Status;Benämning;Antal;Pris\nIO-1;1;pausad;Papper;1;10\n",
    )
    (problem,) = extraction.errors
    assert problem.line == 2 and "makulerad" in problem.hint


def test_an_order_without_a_supplier_is_refused_naming_the_element(tmp_path):
    text = (FIXTURES / "peppol-order-kontorsvaror.xml").read_text(encoding="utf-8")
    start, end = text.index("  <cac:SellerSupplierParty>"), text.index("  <cac:Delivery>")
    extraction = _read(tmp_path, "po.xml", text[:start] + text[end:])
    (problem,) = extraction.errors
    assert problem.field == "cac:SellerSupplierParty"


def test_an_invoice_csv_is_not_taken_for_purchase_orders(tmp_path):
    extraction = _read(
        tmp_path,
        "f.csv",
        "Fakturanummer;Ordernummer;Kundnummer;Beskrivning;Antal;À-pris\n1;IO-1;1001;Konsult;1;100\n",
    )
    assert extraction.importer == "csv-invoices"
