"""Voucher semantics: a voucher balances on its rows as booked; #RTRANS replaces its twin,
#BTRANS never counts (research/sie4.md §6)."""

from __future__ import annotations

from decimal import Decimal

from sie_helpers import codes, errors, read_text

from bridge import sie


def test_a_voucher_balances_when_its_trans_rows_sum_to_zero(fixture_path):
    document = sie.read(fixture_path("unbalanced_voucher.se"))
    assert [voucher.balance for voucher in document.vouchers] == [Decimal(0), Decimal("0.10")]
    (problem,) = document.problems
    assert (problem.code, problem.line, problem.label) == ("sie.unbalanced", 19, "#VER")
    assert problem.message == "voucher A 2 2025-01-11 does not balance: its rows sum to 0.10"


def test_rtrans_replaces_the_trans_that_follows_it(fixture_path):
    document = sie.read(fixture_path("rtrans_replaces_following_trans.se"))
    (voucher,) = document.vouchers
    assert document.problems == ()
    assert len(voucher.rows) == 5  # everything the file says is kept …
    booked = voucher.booked_rows  # … and this is what stands in the books
    assert [(row.label, row.account, row.amount) for row in booked] == [
        ("#TRANS", "5410", Decimal("800.00")),
        ("#TRANS", "2640", Decimal("200.00")),
        ("#RTRANS", "2440", Decimal("-1000.00")),
    ]
    assert (booked[2].text, booked[2].signature) == ("rättad", "Anna Berg")  # the twin differs in these


def test_btrans_never_counts(fixture_path):
    document = sie.read(fixture_path("btrans_never_counts.se"))
    (voucher,) = document.vouchers
    assert document.problems == ()
    assert voucher.balance == 0
    assert [row.label for row in voucher.booked_rows] == ["#TRANS"] * 3


def test_a_twin_that_differs_in_amount_is_warned_about_and_the_rtrans_booked(fixture_path):
    document = sie.read(fixture_path("rtrans_twin_differs.se"))
    twin, unbalanced = document.problems
    assert (twin.code, twin.line, twin.severity) == ("sie.rtrans-twin", 18, "warning")
    assert "amount -1000.00 vs -900.00" in twin.message
    assert unbalanced.code == "sie.unbalanced"  # as booked, -1000 + 800 + 200 - 100 ≠ 0


def test_an_rtrans_without_a_twin_is_an_added_row():
    document = read_text(
        """
        #VER A 1 20250110 "Rättelse"
        {
        #TRANS 5410 {} 100.00
        #RTRANS 1930 {} -100.00
        }
        """
    )
    assert codes(document) == ["sie.rtrans-twin"]
    assert document.vouchers[0].balance == 0


def test_a_row_added_and_later_removed_is_written_only_as_btrans():
    document = read_text(
        """
        #VER A 1 20250110 "Inköp"
        {
        #TRANS 5410 {} 100.00
        #TRANS 1930 {} -100.00
        #BTRANS 6110 {} 50.00
        }
        """
    )
    assert document.problems == ()


def test_summing_every_row_type_would_be_wrong():
    # Fortnox writes an #RTRANS and its twin for each corrected row: summing all rows counts the
    # correction twice (the false "unbalanced" errors other readers report on Fortnox files).
    document = read_text(
        """
        #VER S 6 20250731 "Avst skattekonto"
        {
        #TRANS 1630 {} -408 "" "" 0
        #BTRANS 8423 {} 408 "" "" 0 "Ingrid"
        #RTRANS 2510 {} 408 "" "" 0 "Ingrid"
        #TRANS 2510 {} 408 "" "" 0
        }
        """
    )
    (voucher,) = document.vouchers
    assert sum(row.amount for row in voucher.rows) == 816
    assert voucher.balance == 0
    assert document.problems == ()


def test_a_row_without_an_amount_does_not_stop_the_balance_check():
    document = read_text(
        """
        #VER A 1 20250110 "Trasig"
        {
        #TRANS 1930
        #TRANS 3001 {} -100.00
        }
        """
    )
    assert [p.code for p in errors(document)] == ["sie.missing-field", "sie.missing-field", "sie.unbalanced"]


def test_vouchers_without_series_or_number_are_allowed(fixture_path):
    document = sie.read(fixture_path("voucher_without_number.si"))
    assert document.problems == ()
    assert [(voucher.series, voucher.number) for voucher in document.vouchers] == [("", ""), ("", "")]
    assert document.vouchers[0].key == "- - 2025-02-25"
