"""The CSV, SIE and e-invoice readers under fuzzing (hypothesis): the sample files, cut,
spliced and sprinkled with what breaks parsers (quotes, delimiters, line breaks, braces, NUL,
control characters, odd Unicode, huge numbers). Whatever comes in, a reader answers: no
exception, no hang, and every refusal a `Problem` that says on which line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.importers import FileSource, Limits, open_file
from bridge.importers.limits import DEFAULT_LIMITS
from bridge.model import Extraction

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "samples"
EINVOICES = Path(__file__).resolve().parents[3] / "fixtures" / "einvoice"

CSV_FILES = sorted(SAMPLES.glob("*.csv"))
SIE_FILES = sorted(SAMPLES.glob("*.se")) + sorted((SAMPLES.parent / "sie").glob("*.se"))[:6]
XML_FILES = [*sorted(EINVOICES.glob("*.xml")), SAMPLES / "leverantorsfaktura-kontorsvaror.xml"]

NASTY = [
    b";", b",", b"\t", b'"', b'""', b"\n", b"\r", b"\r\n", b"\x00", b"\x1b[2J", b"{", b"}", b"#VER", b"#TRANS",
    b"<", b">", b"&", b"]]>", b"<!DOCTYPE x>", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3", b"\xe2\x80\xae",
    b"1e999999", b"-0", b"NaN", b"9" * 40, b"=HYPERLINK(1)", "å".encode(), "ä".encode("cp1252"),
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, files: list[Path]) -> tuple[str, bytes]:
    path = draw(st.sampled_from(files))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "replace", "cut", "repeat"]))
        piece = draw(st.one_of(st.sampled_from(NASTY), st.binary(max_size=12)))
        if op == "insert":
            data[at:at] = piece
        elif op == "replace":
            data[at : at + len(piece)] = piece
        elif op == "cut":
            data[at : at + draw(st.integers(1, 200))] = b""
        else:
            data[at:at] = data[at : at + 40] * draw(st.integers(2, 50))
    return path.name, bytes(data)


def answer(name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Extraction:
    """What the bridge makes of these bytes under this name: a stream (SIE) read to its end."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        opened = open_file(FileSource.open(path, limits=limits))
        if isinstance(opened, Extraction):
            return opened
        for _ in opened:
            pass
        return opened.extraction


def assert_every_refusal_has_a_line(extraction: Extraction) -> None:
    assert isinstance(extraction, Extraction)
    for problem in extraction.errors:
        assert problem.message and problem.line is not None, problem


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.timeout(300)
@FUZZ
@given(mutated(CSV_FILES))
def test_csv_reader(sample):
    assert_every_refusal_has_a_line(answer(*sample))


@pytest.mark.timeout(300)
@FUZZ
@given(mutated(SIE_FILES))
def test_sie_reader(sample):
    assert_every_refusal_has_a_line(answer(*sample))


@pytest.mark.timeout(300)
@FUZZ
@given(mutated(XML_FILES))
def test_einvoice_reader(sample):
    assert_every_refusal_has_a_line(answer(*sample))


@pytest.mark.timeout(300)
@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=4096), st.sampled_from(["x.csv", "x.se", "x.xml", "x.txt", "x.si"]))
def test_any_bytes_under_any_name(data, name):
    extraction = answer(name, data)
    assert isinstance(extraction, Extraction)
    if extraction.importer not in ("unknown", "ambiguous", "pdf"):  # a PDF has no lines
        assert_every_refusal_has_a_line(extraction)


def test_a_csv_name_on_bytes_that_begin_like_a_pdf_is_refused_as_a_pdf_cut_short():
    """Found by the fuzzer: the PDF reader takes these bytes by their start whatever the name, and
    its refusal speaks of the whole document (a PDF has no lines) with what to drop instead."""
    extraction = answer("x.csv", b"%PDF-1.4\n")
    assert extraction.importer == "pdf"
    (problem,) = extraction.errors
    assert "x.csv is not a PDF" in problem.message and problem.hint


@pytest.mark.parametrize("record", [b"#IB 0\r\n", b"#PSALDO 0 202501\r\n", b"#RES 0\r\n"])
def test_a_balance_without_its_account_is_a_problem_not_a_crash(record):
    """Found by the fuzzer: a cut #IB/#PSALDO/#RES line left a balance with no account."""
    head = b'#FLAGGA 0\r\n#SIETYP 4\r\n#FNAMN "X"\r\n#RAR 0 20250101 20251231\r\n'
    extraction = answer("cut.se", head + record)
    assert_every_refusal_has_a_line(extraction)
