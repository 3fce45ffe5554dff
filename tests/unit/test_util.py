"""The leaf plumbing: JSON bodies carry money as numbers, read and written without floats;
files are published whole or not at all."""

import itertools
import os
from datetime import date
from decimal import Decimal

import pytest

from bridge.util import AtomicFile, atomic_write, atomic_write_all, dumps, files, loads, move_file


def test_numbers_come_back_as_decimal_with_their_digits():
    assert loads('{"Total": 1250.50, "Count": 3}') == {"Total": Decimal("1250.50"), "Count": 3}
    assert str(loads("0.1")) == "0.1"


def test_decimals_are_written_as_bare_numbers():
    assert dumps({"Price": Decimal("1250.50"), "Qty": Decimal("1E+3")}) == '{"Price":1250.50,"Qty":1000}'


def test_negative_zero_is_written_as_zero():
    assert dumps([Decimal("-0.00")]) == "[0.00]"
    assert (
        dumps({"a": Decimal("-0"), "b": Decimal("-0.50"), "c": "1E+3 -0"})
        == '{"a":0,"b":-0.50,"c":"1E+3 -0"}'
    )
    assert dumps([Decimal("0E-7"), Decimal("0.0000001")]) == "[0.0000000,0.0000001]"


def test_not_a_number_is_not_json():
    # The standard library would have read these as floats.
    for text in ('{"Total": NaN}', "[Infinity]", "[-Infinity]"):
        with pytest.raises(ValueError):
            loads(text)


def test_a_decimal_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match="cannot be written as a JSON number"):
        dumps({"Total": Decimal("NaN")})


def test_what_json_cannot_hold_is_refused():
    with pytest.raises(TypeError, match="cannot serialise"):
        dumps({"when": object()})


def test_dates_and_text_round_trip():
    text = dumps({"d": date(2026, 11, 22), "s": "Åkesson & Öberg", "n": None, "b": True}, indent=2)
    assert loads(text) == {"d": "2026-11-22", "s": "Åkesson & Öberg", "n": None, "b": True}


def test_indented_text_is_the_compact_text_laid_out():
    body = {"Invoice": {"Rows": [{"Qty": Decimal("1E+3"), "Text": "Åkesson"}], "Tags": [], "Extra": {}}}
    assert dumps(body, indent=2) == (
        '{\n  "Invoice": {\n    "Rows": [\n      {\n        "Qty": 1000,\n        "Text": "Åkesson"\n'
        '      }\n    ],\n    "Tags": [],\n    "Extra": {}\n  }\n}'
    )
    assert loads(dumps(body, indent=2)) == loads(dumps(body))


def test_an_atomic_write_replaces_the_file_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out" / "receipt.json"
    atomic_write(target, "first")
    atomic_write(target, b"second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["receipt.json"]


def test_files_written_together_are_all_whole_and_leave_no_temporary(tmp_path):
    receipts = tmp_path / "receipts"
    atomic_write_all({receipts / "a.receipt.json": "{}", receipts / "a.receipt.txt": b"Klart"})
    assert (receipts / "a.receipt.json").read_text() == "{}"
    assert (receipts / "a.receipt.txt").read_text() == "Klart"
    assert sorted(p.name for p in receipts.iterdir()) == ["a.receipt.json", "a.receipt.txt"]


def test_files_written_together_are_all_old_when_one_cannot_be_written(tmp_path):
    atomic_write(tmp_path / "a.receipt.json", "old")
    with pytest.raises(TypeError):
        atomic_write_all({tmp_path / "a.receipt.json": "new", tmp_path / "a.receipt.txt": 42})  # type: ignore[dict-item]
    assert (tmp_path / "a.receipt.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.receipt.json"]


def test_a_temporary_left_by_an_earlier_process_of_the_same_number_is_stepped_over(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_TEMPORARY_NUMBERS", itertools.count())
    stale = tmp_path / f".receipt.json.{os.getpid():x}-0.tmp"
    stale.write_text("from before a restart")
    atomic_write(tmp_path / "receipt.json", "new")
    assert (tmp_path / "receipt.json").read_text() == "new"
    assert stale.read_text() == "from before a restart"  # cleared by remove_stale_temporaries


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


def test_threads_writing_into_one_new_folder_all_succeed(tmp_path):
    """Whichever thread makes the missing folder, the others' writes into it go through."""
    from concurrent.futures import ThreadPoolExecutor

    for round_ in range(40):
        folder = tmp_path / f"round-{round_}" / "vouchers"
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n, f=folder: atomic_write(f / f"kvitto-{n}.pdf", b"x"), range(8)))
        assert len(list(folder.iterdir())) == 8


def test_threads_moving_into_one_new_folder_all_succeed(tmp_path):
    """As above for moves: the originals of several companies' files going to a new archive/."""
    from concurrent.futures import ThreadPoolExecutor

    sources = tmp_path / "work"
    sources.mkdir()
    for round_ in range(40):
        folder = tmp_path / f"round-{round_}" / "archive"
        names = [f"{round_}-{n}.csv" for n in range(8)]
        for name in names:
            (sources / name).write_text("x")
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda name, f=folder: move_file(sources / name, f / name), names))
        assert sorted(p.name for p in folder.iterdir()) == sorted(names)
