"""JSON bodies carry money as numbers; we read and write them without floats."""

from datetime import date
from decimal import Decimal

import pytest

from bridge.jsonnum import dumps, loads


def test_numbers_come_back_as_decimal_with_their_digits():
    assert loads('{"Total": 1250.50, "Count": 3}') == {"Total": Decimal("1250.50"), "Count": 3}
    assert str(loads("0.1")) == "0.1"


def test_decimals_are_written_as_bare_numbers():
    assert dumps({"Price": Decimal("1250.50"), "Qty": Decimal("1E+3")}) == '{"Price":1250.50,"Qty":1000}'


def test_negative_zero_is_written_as_zero():
    assert dumps([Decimal("-0.00")]) == "[0.00]"


def test_floats_are_refused():
    with pytest.raises(TypeError, match="floats are not money"):
        dumps({"Price": 1.5})


def test_dates_and_text_round_trip():
    text = dumps({"d": date(2026, 11, 22), "s": "Åkesson & Öberg", "n": None, "b": True}, indent=2)
    assert loads(text) == {"d": "2026-11-22", "s": "Åkesson & Öberg", "n": None, "b": True}


def test_the_fast_encoder_writes_the_same_text():
    from bridge.jsonnum import dumps_fast

    body = {
        "Invoice": {"Total": Decimal("1250.50"), "Rows": [{"Qty": Decimal("1E+3")}], "Day": date(2026, 1, 2)}
    }
    assert dumps_fast(body) == dumps(body)
    tricky = {"Text": "\x00#not a number", "Amount": Decimal("1")}  # the data carries the mark itself
    assert dumps_fast(tricky) == dumps(tricky)
