"""The CSV kinds beside invoices: each recognised by its columns, read exactly, its errors
named by line and column."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.importers import FileSource, extract_file
from bridge.model import Article, Customer, Project, Voucher

CASES = Path(__file__).resolve().parents[3] / "fixtures" / "csv"


def read(name: str):
    return extract_file(FileSource.open(CASES / name))


def dropped(tmp_path: Path, text: str, name: str = "export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return extract_file(FileSource.open(path))


@pytest.mark.parametrize(
    ("name", "importer"),
    [
        ("customer_register.csv", "csv-customers"),
        ("project_register.csv", "csv-projects"),
        ("article_register.csv", "csv-articles"),
        ("journal_with_rounding_row.csv", "csv-journal"),
        ("journal_signed_amounts.csv", "csv-journal"),
        ("invoice_with_new_article.csv", "csv-invoices"),
    ],
)
def test_each_kind_is_recognised_by_its_columns(name, importer):
    assert read(name).importer == importer


def test_the_name_of_the_file_does_not_matter(tmp_path):
    text = (CASES / "project_register.csv").read_text(encoding="utf-8")
    assert dropped(tmp_path, text, name="kunder-och-fakturor.txt").importer == "csv-projects"


def test_a_file_with_the_columns_of_two_kinds_is_refused_naming_both():
    extraction = read("ambiguous_customers_or_articles.csv")
    (problem,) = extraction.errors
    assert extraction.documents == ()
    assert problem.code == "file.ambiguous"
    assert "customer register" in problem.message and "article register" in problem.message


def test_invoice_rows_without_their_invoice_number_are_not_a_customer_register(tmp_path):
    extraction = dropped(
        tmp_path, "Kundnummer;Namn;Beskrivning;Antal;À-pris\n1001;Bolaget AB;Konsult;1;100\n"
    )
    assert extraction.importer == "unknown" and extraction.documents == ()


def test_customer_register_reads_one_customer_per_row():
    extraction = read("customer_register.csv")
    customers = extraction.documents
    assert [c.number for c in customers] == ["1001", "1002", "2001"]
    new = customers[2]
    assert isinstance(new, Customer)
    assert (new.name, new.organisation_number, new.city, new.terms_of_payment, new.line) == (
        "Nybygge i Norr AB",
        "556700-1234",
        "Umeå",
        "30",
        4,
    )
    assert new.phone is None  # no column: Fortnox's value is left alone


def test_a_register_record_is_keyed_by_number_and_file():
    first = read("customer_register.csv").documents[0]
    number, _, digest = first.source_key.partition("@")
    assert number == "1001" and len(digest) == 8


def test_the_same_number_twice_in_a_register_names_both_lines(tmp_path):
    extraction = dropped(tmp_path, "Kundnummer;Namn\n1;A\n2;B\n1;C\n")
    assert [(p.line, p.message) for p in extraction.errors] == [(4, "customer 1 is on line 2 already")]
    assert extraction.documents == ()


def test_project_register_reads_dates_and_swedish_statuses():
    projects = read("project_register.csv").documents
    roof, front, move = projects
    assert isinstance(roof, Project)
    assert (roof.start_date, roof.end_date, roof.leader, roof.status) == (
        date(2026, 2, 1),
        date(2026, 6, 30),
        "Sven Snickare",
        "ONGOING",
    )
    assert (front.start_date, front.status) == (None, "NOTSTARTED")  # the planner refuses it
    assert move.status == "COMPLETED"


def test_an_unknown_project_status_is_named(tmp_path):
    extraction = dropped(tmp_path, "Projektnummer;Projektnamn;Startdatum;Status\n7;X;2026-01-01;Halvklar\n")
    ((line, field, message),) = [(p.line, p.field, p.message) for p in extraction.errors]
    assert (line, field) == (2, "Status") and "'Halvklar'" in message


def test_article_register_reads_prices_exactly():
    consulting, nails = read("article_register.csv").documents
    assert isinstance(nails, Article)
    assert (consulting.sales_price, consulting.type) == (Decimal("1350.00"), "SERVICE")
    assert (nails.description, nails.unit, nails.vat, nails.sales_account, nails.type) == (
        "Spik 50 mm, 1 kg",
        "st",
        Decimal(25),
        3001,
        "STOCK",
    )


def test_journal_rows_with_one_voucher_id_and_date_form_one_voucher():
    extraction = read("journal_with_rounding_row.csv")
    till, purchase = extraction.documents
    assert isinstance(till, Voucher)
    assert (till.source_key, till.transaction_date, till.description) == (
        "K-0131 20260131",
        date(2026, 1, 31),
        "Kassa 31 januari",
    )
    assert [(r.account, r.amount, r.cost_center) for r in till.rows] == [
        (1910, Decimal("1250.40"), None),
        (3001, Decimal("-1000.00"), "STHLM"),
        (2611, Decimal("-250.00"), None),
    ]
    assert till.balance == Decimal("0.40")  # the planner decides what that means
    assert purchase.source_key == "L-17 20260131"


def test_journal_with_signed_amounts_and_english_columns():
    (payroll,) = read("journal_signed_amounts.csv").documents
    assert [(r.account, r.amount, r.project) for r in payroll.rows] == [
        (7010, Decimal("45000.00"), None),
        (2710, Decimal("-13500.00"), None),
        (1930, Decimal("-31500.00"), "100"),
    ]


def test_the_same_voucher_id_on_two_dates_is_two_vouchers(tmp_path):
    extraction = dropped(
        tmp_path,
        "Datum;Vernr;Konto;Belopp\n2026-01-01;1;1910;10\n2026-01-01;1;3001;-10\n"
        "2026-01-02;1;1910;20\n2026-01-02;1;3001;-20\n",
    )
    assert [v.source_key for v in extraction.documents] == ["1 20260101", "1 20260102"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Datum;Ver;Konto;Debet;Kredit\n2026-01-01;1;1910;10;5\n", 2, "the row has both a debit (10) and a credit (5)"),
        ("Datum;Ver;Konto;Debet;Kredit\n2026-01-01;1;1910;;\n", 2, "the debit or credit is empty"),
        ("Datum;Ver;Konto;Belopp\n2026-01-01;1;19100;10\n", 2, "'19100' is not an account number; accounts have four digits (1000–9999)"),
        ("Datum;Ver;Konto;Belopp;Debet\n2026-01-01;1;1910;10;\n", 1, "the file has both a signed amount ('Belopp') and 'Debet'/'Kredit' columns"),
        ("Ver;Konto;Belopp\n1;1910;10\n", 1, "the required column 'Datum' is missing"),
    ],
)  # fmt: skip
def test_journal_errors_name_line_and_reason(tmp_path, text, line, message):
    extraction = dropped(tmp_path, text)
    assert (extraction.errors[0].line, extraction.errors[0].message) == (line, message)
    assert extraction.documents == ()


def test_a_personnummer_or_kundtyp_privat_makes_a_private_customer():
    anna, bertil = read("customers_private_persons_created.csv").documents
    assert (anna.customer.is_private, anna.customer.organisation_number) == (True, "19850312-2384")
    assert bertil.customer.is_private  # no Kundtyp, but a personnummer


def test_an_organisation_number_makes_a_company():
    invoices = read("customers_companies_by_org_number.csv").documents
    assert [i.customer.is_private for i in invoices] == [False, False, False]


def test_kundtyp_foretag_wins_over_a_number_that_looks_personal(tmp_path):
    extraction = dropped(
        tmp_path,
        "Fakturanummer;Kundnamn;Kundtyp;Organisationsnummer;Beskrivning;Antal;À-pris\n"
        "1;Enskild firma;Företag;760614-1234;x;1;1\n",
    )
    assert extraction.documents[0].customer.is_private is False


def test_one_article_number_with_two_descriptions_is_ignored_with_a_warning_naming_both_lines():
    extraction = read("article_number_with_two_descriptions.csv")
    (invoice,) = extraction.documents
    assert [(r.article_number, r.description) for r in invoice.rows] == [
        (None, "Grus 0-8, ton"),
        (None, "Hjullastare, timme"),
    ]
    (warning,) = extraction.problems
    assert not warning.is_error
    assert (
        "'Grus 0-8, ton' (line 2)" in warning.message and "'Hjullastare, timme' (line 3)" in warning.message
    )


def test_a_credit_goes_after_the_invoice_it_credits_in_one_file(tmp_path):
    extraction = dropped(
        tmp_path,
        "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris;Krediterar\nK-2;1;x;-1;10;K-1\nK-1;1;x;1;10;\n",
    )
    assert [i.source_key for i in extraction.documents] == ["K-1", "K-2"]
