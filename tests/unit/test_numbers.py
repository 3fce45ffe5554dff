"""Numbers and dates as Swedish office files write them."""

from datetime import date
from decimal import Decimal

import pytest

from bridge.formats.numbers import parse_date, parse_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1250", "1250"),
        ("1250,50", "1250.50"),
        ("1250.50", "1250.50"),
        ("1 250,50", "1250.50"),
        ("1\u00a0250,50", "1250.50"),
        ("1.250,50", "1250.50"),
        ("1,250.50", "1250.50"),
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        ("0,125", "0.125"),
        ("-12,5", "-12.5"),
        ("\u221212,5", "-12.5"),
        ("+3", "3"),
    ],
)
def test_reads_numbers_exactly(text, expected):
    value = parse_decimal(text)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)
    assert str(value) == expected  # no float ever touched it: the digits are the ones written


@pytest.mark.parametrize("text", ["abc", "1,2,3", "1.2.3", "1,23,4", "", "12 %", "1e5", "NaN"])
def test_refuses_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_percent_sign_only_where_allowed():
    assert parse_decimal("25 %", allow_percent=True) == Decimal(25)


@pytest.mark.parametrize("text", ["2026-11-22", "20261122", "2026-11-22 13:45"])
def test_reads_dates(text):
    assert parse_date(text) == date(2026, 11, 22)


def test_a_bad_date_says_how_to_write_it():
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date("22/11/2026")
