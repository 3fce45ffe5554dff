"""Reading SIE: every label into typed records, leniently, with problems as data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sie_helpers import codes, errors, read_text, sie_bytes

from bridge import sie
from bridge.model import Severity


def test_every_label_of_the_digest_reads_into_its_record(fixture_path):
    document = sie.read(fixture_path("every_label_type4e.se"))

    assert document.problems == ()
    assert document.flag == 0
    assert document.program == sie.Program("fortnox-bridge tests", "1.0")
    assert document.generated == sie.Generated(date(2026, 1, 15), "Anna Berg")
    assert document.sie_type == 4
    assert (document.prosa, document.company_type, document.company_id) == ("Alla etiketter", "AB", "4711")
    assert document.org_number == sie.OrgNumber("556334-3689", "1", "2")
    assert document.industry_code == "62010"
    assert document.address == sie.Address("Anna Berg", "Storgatan 1", "123 45 Storstad", "012-34 56 78")
    assert document.company_name == "Övningsbolaget AB"
    assert document.financial_years == (
        sie.Year(0, date(2025, 1, 1), date(2025, 12, 31)),
        sie.Year(-1, date(2024, 1, 1), date(2024, 12, 31)),
    )
    assert (document.tax_year, document.balances_until) == (2026, date(2025, 12, 31))
    assert (document.chart_type, document.currency, document.format) == ("BAS2025", "SEK", "PC8")
    assert document.accounts == (
        sie.Account("1930", "Företagskonto", "T", None, ("7281",)),
        sie.Account("3001", "Försäljning", "I", "st", ("7410", "7411")),
    )
    assert document.dimensions == (
        sie.Dimension(1, "Kostnadsställe"),
        sie.Dimension(21, "Avdelning", parent=1),
        sie.Dimension(6, "Projekt"),
    )
    assert document.objects[1] == sie.DimensionObject(21, "N1", "Nord ett")
    assert document.balances == (
        sie.Balance("#IB", 0, "1930", Decimal("1000.00")),
        sie.Balance("#UB", 0, "1930", Decimal("1125.00"), Decimal(0)),
        sie.Balance("#RES", 0, "3001", Decimal("-125.00"), Decimal(-1)),
    )
    assert document.object_balances[0] == sie.ObjectBalance("#OIB", 0, "1930", ((1, "N"),), Decimal("400.00"))
    assert document.period_balances[1] == sie.PeriodBalance(
        "#PSALDO", 0, "202501", "3001", ((1, "N"), (21, "N1")), Decimal("-125.00")
    )
    assert document.period_balances[2].label == "#PBUDGET"
    (voucher,) = document.vouchers
    assert voucher[:6] == ("A", "1", date(2025, 1, 10), "Försäljning", date(2025, 1, 11), "Anna Berg")
    assert voucher.rows[0] == sie.Transaction(
        "#TRANS", "1930", (), Decimal("125.00"), date(2025, 1, 10), "kontant", Decimal(0), "Anna Berg"
    )
    assert voucher.rows[1].objects == ((1, "N"), (21, "N1"), (6, "P1"))
    assert [row.label for row in voucher.rows] == [
        "#TRANS",
        "#TRANS",
        "#BTRANS",
        "#RTRANS",
        "#TRANS",
        "#TRANS",
    ]


def test_records_remember_their_line_but_compare_by_content():
    first = sie.Transaction("#TRANS", "1930", (), Decimal(1), line=10)
    moved = first._replace(line=99)
    assert first == moved and hash(first) == hash(moved)
    assert first != first._replace(amount=Decimal(2))


def test_the_reader_streams_records_in_file_order_and_vouchers_whole():
    reader = sie.SieReader(
        sie_bytes(
            """
            #KONTO 1930 Bank
            #VER A 1 20250110 Kaffe
            {
            #TRANS 1930 {} -45.00
            #TRANS 5410 {} 45.00
            }
            """,
            head=True,
        )
    )
    kinds = [type(record).__name__ for record in reader]
    assert kinds[-2:] == ["AccountFact", "Voucher"]
    assert reader.vouchers == 1 and reader.rows == 2


def test_a_reader_reads_once():
    reader = sie.SieReader(sie_bytes("#FLAGGA 0\n"))
    list(reader)
    with pytest.raises(RuntimeError):
        list(reader)


def test_unknown_labels_are_kept_reported_and_never_fatal(fixture_path):
    document = sie.read(fixture_path("unknown_label_kept.se"))
    assert [record.label for record in document.unknown] == ["#MOMSKOD", "#XTRA"]
    assert document.unknown[0].fields == ("3001", "10")
    assert codes(document) == ["sie.unknown-label", "sie.unknown-label"]
    assert len(document.vouchers) == 1  # the block after #XTRA is skipped, the voucher is not


def test_extra_trailing_fields_are_ignored_with_a_warning(fixture_path):
    document = sie.read(fixture_path("extra_fields_ignored.se"))
    assert codes(document) == ["sie.extra-field"] * 3
    assert document.account("1930").type == "T"
    row = document.vouchers[0].rows[0]
    assert (row.text, row.quantity, row.signature) == ("kontant", Decimal(1), "Anna")


def test_unquoted_text_with_spaces_is_read_as_one_text(fixture_path):
    document = sie.read(fixture_path("unquoted_text_with_spaces.si"))
    assert document.company_name == "Övningsbolaget i Norr AB"
    assert document.program == sie.Program("Kassa", "1.0")
    assert codes(document) == ["sie.unquoted-text"]


def test_invalid_dates_and_periods_are_reported_where_they_stand(fixture_path):
    document = sie.read(fixture_path("invalid_dates_and_periods.se"))
    found = [(p.line, p.label, p.field, p.code) for p in errors(document)]
    assert found == [
        (4, "#GEN", "date", "sie.bad-date"),
        (8, "#RAR", "end", "sie.bad-date"),
        (9, "#OMFATTN", "value", "sie.bad-date"),
        (11, "#PSALDO", "period", "sie.bad-period"),
        (12, "#PSALDO", "period", "sie.bad-period"),
    ]
    assert document.generated.date is None
    assert document.financial_years[1] == sie.Year(-1, date(2024, 1, 1), None)
    assert [balance.period for balance in document.period_balances] == [None, None, "202501"]


def test_a_voucher_date_that_is_no_date_is_reported_and_the_voucher_kept():
    document = read_text(
        """
        #VER K "" rappakalja "Försäljning"
        {
        #TRANS 1930 {} 100.00
        #TRANS 3001 {} -100.00
        }
        """
    )
    assert [(p.code, p.label, p.field) for p in document.problems] == [("sie.bad-date", "#VER", "date")]
    assert document.vouchers[0].date is None


def test_missing_mandatory_fields_are_reported():
    document = read_text(
        """
        #VER A 1 20250110 "Trasig"
        {
        #TRANS "" {} 100.00
        #TRANS 1930
        }
        """
    )
    assert [(p.line, p.field) for p in errors(document)][:3] == [
        (10, "account"),
        (11, "objects"),
        (11, "amount"),
    ]


def test_account_numbers_must_be_digits_and_are_kept_as_written_when_not():
    document = read_text("#KONTO 11AF Konstigt\n")
    assert [p.code for p in errors(document)] == ["sie.bad-account"]
    assert document.accounts == (sie.Account("11AF", "Konstigt"),)


def test_a_missing_object_list_before_the_amount_is_read_as_empty(fixture_path):
    document = sie.read(fixture_path("missing_object_braces.se"))
    assert codes(document) == ["sie.syntax"]
    assert document.period_balances[0].objects == ()
    assert document.period_balances[0].amount == Decimal("-1666.00")


def test_bad_object_lists_are_errors(fixture_path):
    document = sie.read(fixture_path("bad_object_list.se"))
    assert [(p.line, p.code) for p in document.problems] == [(16, "sie.bad-objects"), (17, "sie.bad-objects")]


def test_structural_slips_are_reported_and_the_rest_still_read(fixture_path):
    document = sie.read(fixture_path("structure_slips.se"))
    found = [(p.line, p.severity, p.message) for p in document.problems]
    assert found == [
        (14, Severity.ERROR, "#TRANS outside a voucher; ignored"),
        (15, Severity.WARNING, "voucher A 1 2025-01-10 has no rows"),
        (17, Severity.WARNING, "the '{' before this voucher's rows is missing"),
        (20, Severity.ERROR, "voucher A 3 2025-01-10 is not closed with '}'"),
    ]
    assert [len(voucher.rows) for voucher in document.vouchers] == [0, 2, 2]


def test_a_record_that_may_appear_once_counts_the_first_time():
    document = read_text('#FNAMN "Ett annat namn"\n')
    assert document.company_name == "Övningsbolaget AB"
    assert codes(document) == ["sie.duplicate"]


def test_what_a_sie_type_requires_or_forbids_is_warned_about():
    document = read_text(
        """
        #FLAGGA 0
        #PROGRAM Test 1
        #FORMAT PC8
        #GEN 20250131
        #SIETYP 1
        #FNAMN Test
        #RAR 0 20250101 20251231
        #KONTO 1930 Bank
        #DIM 1 Kostnadsställe
        #VER A 1 20250110 Fel
        {
        #TRANS 1930 {} 0
        }
        """,
        head=False,
    )
    assert [p.message for p in document.problems] == [
        "a type 1 file may not hold #DIM (1 found); they are read all the same",
        "a type 1 file may not hold #VER (1 found); they are read all the same",
    ]


def test_format_other_than_pc8_and_orgnr_without_hyphen_are_warned_about():
    document = read_text("#ORGNR 5563343689\n")
    assert codes(document) == ["sie.orgnr"]
    document = sie.read(sie_bytes("#FLAGGA 0\n#FORMAT UTF8\n"))
    assert "sie.format" in codes(document)


def test_a_file_that_is_not_sie_is_refused_at_its_first_line(fixture_path):
    reader = sie.SieReader(fixture_path("html_saved_as.se"))
    assert list(reader) == []
    assert [(p.code, p.line) for p in reader.problems] == [("sie.not-sie", 1)]


def test_an_empty_file_is_not_sie():
    assert codes(sie.read(b"")) == ["sie.not-sie"]


def test_strict_mode_raises_the_first_error_with_where_it_is():
    with pytest.raises(sie.SieError) as raised:
        read_text('#VER A 1 2025-01-10 "x"\n', strict=True)
    assert raised.value.problem.line == 8
    assert raised.value.problem.code == "sie.bad-date"
    assert str(raised.value).startswith("line 8, column/field 'date' (#VER)")


def test_strict_mode_still_only_warns_about_warnings():
    document = read_text("#MOMSKOD 3001 10\n", strict=True)
    assert codes(document) == ["sie.unknown-label"]


def test_a_slip_repeated_on_every_line_is_told_once_with_a_count():
    rows = "".join(f"#PBUDGET 0 2025{month:02d} 3001 -10.00\n" for month in range(1, 13)) * 10
    document = read_text(rows)
    kept = [p for p in document.problems if p.code == "sie.syntax"]
    assert len(kept) == 51
    assert kept[-1].message.startswith("… and 70 more like the 50 above")
    assert len(document.period_balances) == 120


def test_a_source_may_be_a_path_bytes_or_a_binary_file(fixture_path, tmp_path):
    path = fixture_path("btrans_never_counts.se")
    from_path = sie.read(path)
    assert sie.read(str(path)) == from_path
    assert sie.read(path.read_bytes()) == from_path
    with path.open("rb") as handle:
        assert sie.read(handle) == from_path


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
def test_any_line_end_and_no_final_line_end(line_end):
    text = "#FLAGGA 0\n#VER A 1 20250110 Kaffe\n{\n#TRANS 1930 {} -45.00\n#TRANS 5410 {} 45.00\n}"
    document = sie.read(text.replace("\n", line_end).encode("cp437"))
    assert [len(voucher.rows) for voucher in document.vouchers] == [2]
    assert not [p for p in document.problems if p.is_error]
