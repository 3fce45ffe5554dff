"""The leaf plumbing: JSON bodies carry money as numbers, read and written without floats;
files are published whole or not at all."""

from datetime import date
from decimal import Decimal

import pytest

from bridge.util import AtomicFile, atomic_write, dumps, loads


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
    from bridge.util import dumps_fast

    body = {
        "Invoice": {"Total": Decimal("1250.50"), "Rows": [{"Qty": Decimal("1E+3")}], "Day": date(2026, 1, 2)}
    }
    assert dumps_fast(body) == dumps(body)
    tricky = {"Text": "\x00#not a number", "Amount": Decimal("1")}  # the data carries the mark itself
    assert dumps_fast(tricky) == dumps(tricky)


def test_an_atomic_write_replaces_the_file_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out" / "receipt.json"
    atomic_write(target, "first")
    atomic_write(target, b"second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["receipt.json"]


def test_a_file_not_committed_is_never_published(tmp_path):
    target = tmp_path / "export.se"
    with AtomicFile(target) as pending:
        pending.handle.write(b"#FLAGGA 0\n")
        pending.flush()
        assert pending.temporary.read_bytes() == b"#FLAGGA 0\n"  # readable for a check first
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "state.json"
    atomic_write(target, "old")
    with pytest.raises(RuntimeError), AtomicFile(target) as pending:
        pending.handle.write(b"half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
