"""Helpers for the SIE tests: SIE text written inline in a test, and what was reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bridge import sie

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sie"

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
