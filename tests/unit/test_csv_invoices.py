"""CSV invoice exports: what the importer reads, and how it says what is wrong."""

from decimal import Decimal
from pathlib import Path

import pytest

from bridge.importers import FileSource, extract_file, identify
from bridge.importers.csv_invoices import CsvInvoiceImporter
from bridge.model import to_plain
from bridge.util import dumps

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "csv"


def extract(name: str):
    return extract_file(FileSource.open(CASES / name))


def only_errors(extraction):
    return [(p.line, p.field, p.message) for p in extraction.errors]


@pytest.mark.parametrize(
    "name",
    [
        "decimal_comma_thousands_semicolon.csv",
        "utf8_bom_comma_separated.csv",
        "windows1252_swedish_letters.csv",
    ],
)
def test_extraction_matches_golden_file(name, golden):
    extraction = extract(name)
    golden(CASES / f"{name}.expected.json", dumps(to_plain(extraction), indent=2) + "\n")


def test_decimal_comma_and_thousands_separators_are_exact():
    invoices = extract("decimal_comma_thousands_semicolon.csv").documents
    assert [i.source_key for i in invoices] == ["101", "102"]
    first = invoices[0]
    assert [(r.quantity, r.price) for r in first.rows] == [
        (Decimal("12.5"), Decimal("1250.00")),
        (Decimal("1"), Decimal("12345.60")),
    ]
    assert invoices[1].rows[0].vat == Decimal(12)


def test_utf8_with_bom_and_comma_separator():
    extraction = extract("utf8_bom_comma_separated.csv")
    assert extraction.facts["encoding"] == "utf-8-sig"
    assert extraction.facts["delimiter"] == ","
    (invoice,) = extraction.documents
    assert invoice.rows[0].description == "Konsult, senior"
    assert invoice.rows[0].price == Decimal("1250.00")


def test_windows_1252_swedish_letters_and_aliases():
    extraction = extract("windows1252_swedish_letters.csv")
    assert extraction.facts["encoding"] == "cp1252"
    (invoice,) = extraction.documents
    assert invoice.customer.name == "Åsa Öberg"
    assert invoice.customer.is_private
    assert invoice.rows[0].description == "Städning av kontor"
    assert invoice.rows[0].vat == Decimal(25)


def test_a_missing_required_column_is_named():
    extraction = extract("missing_quantity_column.csv")
    assert extraction.documents == ()
    (problem,) = extraction.errors
    assert problem.line == 1
    assert "'Antal'" in problem.message
    assert "Antal" in problem.hint and "Quantity" in problem.hint


def test_a_non_numeric_quantity_names_line_and_column():
    extraction = extract("non_numeric_quantity.csv")
    assert extraction.documents == ()  # the whole file waits until it is right
    assert only_errors(extraction) == [(3, "Antal", "'två' is not a number")]
    assert "1,5" in extraction.errors[0].hint


def test_line_numbers_count_line_breaks_inside_quoted_cells():
    extraction = extract("quoted_text_with_line_break.csv")
    assert only_errors(extraction) == [(4, "Antal", "'x' is not a number")]


def test_invoice_level_values_must_agree_across_rows():
    (problem,) = extract("customer_differs_between_rows.csv").errors
    assert (problem.line, problem.field) == (3, "Kundnummer")
    assert "'1001'" in problem.message and "'1002'" in problem.message


def test_only_swedish_vat_rates():
    (problem,) = extract("unknown_vat_rate.csv").errors
    assert (problem.line, problem.field) == (2, "Moms")
    assert "25, 12, 6 or 0" in problem.hint


def test_unknown_columns_are_warnings_not_errors(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris;Säljare\n1;1001;Konsult;1;100;Eva\n")
    extraction = extract_file(FileSource.open(path))
    assert len(extraction.documents) == 1
    (warning,) = extraction.problems
    assert not warning.is_error and warning.field == "Säljare"


def test_identifies_by_header_not_by_name(tmp_path):
    invoice_csv = tmp_path / "export.txt"
    invoice_csv.write_text("Fakturanr;Kundnr;Text;Antal;Pris\n1;1;x;1;1\n")
    other_csv = tmp_path / "people.csv"
    other_csv.write_text("Name;Email\nEva;eva@example.se\n")
    assert identify(FileSource.open(invoice_csv)).name == CsvInvoiceImporter.name
    assert identify(FileSource.open(other_csv)) is None


def test_an_unknown_file_kind_is_a_problem_with_a_hint(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("just some text\n")
    extraction = extract_file(FileSource.open(path))
    (problem,) = extraction.errors
    assert "not a kind of file the bridge reads" in problem.message
    assert problem.hint
