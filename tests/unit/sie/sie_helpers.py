"""Helpers for the SIE tests: SIE text written inline in a test, what was reported, and the
three ways of reading a file that must agree."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from bridge import sie
from bridge.sie import fast as fast_module
from bridge.sie import reader as reader_module

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "fixtures" / "sie"
SIE_SUFFIXES = (".se", ".si", ".sie")


def in_repo_sie_files() -> list[Path]:
    """Every SIE file kept in the repository's fixtures."""
    return sorted(p for p in (REPO / "fixtures").rglob("*") if p.suffix.lower() in SIE_SUFFIXES)


def assert_fast_paths_agree(paths: Sequence[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole voucher blocks at once, line-by-line fast paths, and the exact tokenizer alone
    read each file into the same document, with the same problems on the same lines."""
    fast = {path: sie.read(path) for path in paths}
    monkeypatch.setattr(fast_module.FastPaths, "block", lambda self, lines, start, number: None)
    line_by_line = {path: sie.read(path) for path in paths}
    monkeypatch.setattr(reader_module, "_FAST", {})
    for path in paths:
        exact = sie.read(path)
        for name, document in (("whole blocks", fast[path]), ("line by line", line_by_line[path])):
            assert sie.differences(document, exact) == [], (path.name, name)
            assert document.problems == exact.problems, (path.name, name)
            assert voucher_lines(document) == voucher_lines(exact), (path.name, name)


def voucher_lines(document: sie.SieDocument) -> list[tuple[int, list[int]]]:
    return [(voucher.line, [row.line for row in voucher.rows]) for voucher in document.vouchers]


HEAD = """\
#FLAGGA 0
#PROGRAM "fortnox-bridge tests" 1.0
#FORMAT PC8
#GEN 20250131
#SIETYP 4
#FNAMN "Övningsbolaget AB"
#RAR 0 20250101 20251231
"""


def sie_bytes(text: str, *, encoding: str = "cp437", head: bool = False) -> bytes:
    """SIE text as a file would hold it: dedented, CRLF line ends, CP437 unless told."""
    body = (HEAD if head else "") + textwrap.dedent(text).lstrip("\n")
    return body.replace("\n", "\r\n").encode(encoding)


def read_text(text: str, *, head: bool = True, strict: bool = False) -> sie.SieDocument:
    """Read SIE written inline in a test (after the standard head unless `head=False`)."""
    return sie.read(sie_bytes(text, head=head), strict=strict)


def codes(document: sie.SieDocument) -> list[str]:
    return [problem.code for problem in document.problems]


def errors(document: sie.SieDocument) -> list[sie.SieProblem]:
    return [problem for problem in document.problems if problem.is_error]
