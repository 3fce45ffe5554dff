"""Bounded input: a file bigger than its kind may be is refused before it is read, a CSV file
or invoice with more rows than allowed and a cell longer than its Fortnox field are refused
naming line and column, and no message quotes more than a short excerpt of a bad value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.config import ConfigError, load_settings
from bridge.importers import FileSource, Limits, extract_file
from bridge.pipeline.inbox import limits_of
from bridge.util import loads

HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"


def read(path: Path, **limits: int):
    return extract_file(FileSource.open(path, limits=Limits(**limits)))


def only_error(extraction):
    (problem,) = extraction.errors
    return problem


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("FORTNOX_")]:
        monkeypatch.delenv(name)
    return tmp_path


def test_a_csv_file_bigger_than_its_limit_is_refused_unread(tmp_path):
    big = tmp_path / "big.csv"
    big.write_text(HEADER + "1;1001;x;1;1\n")
    os.truncate(big, 2 * 1024**3)  # 2 GB, sparse: reading it would take minutes and the memory
    problem = only_error(read(big))
    assert problem.code == "file.too-large"
    assert "2,048.0 MB" in problem.message and "at most 50 MB" in problem.message
    assert "limits.csv_megabytes" in problem.hint


@pytest.mark.parametrize(
    ("name", "content", "limit"),
    [
        ("year.se", b"#FLAGGA 0\n#SIETYP 4\n", "sie_bytes"),
        ("invoice.xml", b'<?xml version="1.0"?>\n<Invoice xmlns="urn:oasis:names:specification:ubl:'
         b'schema:xsd:Invoice-2"></Invoice>\n', "xml_bytes"),
        ("scan.pdf", b"%PDF-1.4\n", "pdf_bytes"),
    ],
)  # fmt: skip
def test_every_kind_has_its_own_size_limit(tmp_path, name, content, limit):
    path = tmp_path / name
    path.write_bytes(content + b" " * 2048)
    assert only_error(read(path, **{limit: 1024})).code == "file.too-large"


def test_a_csv_file_with_more_rows_than_allowed_is_refused_at_the_first_row_too_many(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text(HEADER + "".join(f"{n};1001;x;1;1\n" for n in range(1, 12)))
    problem = only_error(read(path, csv_rows=10))
    assert (problem.code, problem.line) == ("csv.too-many-rows", 12)
    assert "more than 10 rows" in problem.message


def test_one_invoice_with_more_rows_than_allowed_is_refused_naming_line_and_column(tmp_path):
    path = tmp_path / "one-invoice.csv"
    path.write_text(HEADER + "".join("7;1001;x;1;1\n" for _ in range(6)))
    problem = only_error(read(path, invoice_rows=5))
    assert (problem.code, problem.line, problem.field) == ("csv.too-many-invoice-rows", 7, "Fakturanummer")
    assert "invoice 7 has 6 rows; an invoice takes at most 5" in problem.message


def test_a_cell_longer_than_its_fortnox_field_is_refused_with_a_short_excerpt(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(HEADER + "1;1001;" + "Konsult" * 40 + ";1;1\n")  # 280 > 255 (InvoiceRow.Description)
    problem = only_error(read(path))
    assert (problem.code, problem.line, problem.field) == ("csv.too-long", 2, "Beskrivning")
    assert "255 characters" in problem.message and "(280 characters)" in problem.message
    assert len(problem.message) < 160


def test_a_huge_bad_number_is_quoted_only_in_part(tmp_path):
    path = tmp_path / "number.csv"
    path.write_text(HEADER + "1;1001;x;" + "9" * 50_000 + "x;1\n")
    problem = only_error(read(path))
    assert (problem.line, problem.field) == (2, "Antal")
    assert len(problem.message) < 120 and "50,001 characters" in problem.message


def test_a_line_without_end_is_refused_not_read_into_memory(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_text(HEADER + "1;1001;" + "x" * 1_200_000)
    problem = only_error(read(path))
    assert problem.code == "csv.line-too-long" and problem.line == 2


def test_rows_keep_their_lines_across_quoted_line_breaks_and_blank_lines(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text(HEADER + '1;1001;"two\nlines";1;1\n\n1;1001;x;två;1\n')
    problem = only_error(read(path))
    assert (problem.line, problem.field) == (5, "Antal")


def test_limits_are_settings_of_at_least_one(tmp_path):
    settings = load_settings(
        tmp_path, environ={"FORTNOX_LIMITS_CSV_ROWS": "20", "FORTNOX_LIMITS_PDF_MEGABYTES": "2"}
    )
    limits = limits_of(settings)
    assert (limits.csv_rows, limits.pdf_bytes, limits.csv_bytes) == (20, 2 * 1024**2, 50 * 1024**2)
    with pytest.raises(ConfigError, match=r"limits\.csv_rows must be at least 1"):
        load_settings(tmp_path, environ={"FORTNOX_LIMITS_CSV_ROWS": "0"})


def test_check_says_why_a_too_big_file_is_refused(workdir, monkeypatch):
    path = workdir / "big.csv"
    path.write_text(HEADER + "1;1001;x;1;1\n")
    os.truncate(path, 3 * 1024**2)
    monkeypatch.setenv("FORTNOX_LIMITS_CSV_MEGABYTES", "2")
    result = CliRunner().invoke(main, ["--workdir", str(workdir), "check", str(path), "--json"])
    assert result.exit_code == 1
    (report,) = loads(result.output)["files"]
    assert [p["code"] for p in report["problems"]] == ["file.too-large"]
