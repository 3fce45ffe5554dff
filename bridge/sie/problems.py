"""Problems found in SIE files, as data: where (line, label, field), how bad, and a stable code.

The reader is lenient: it collects problems and keeps going. In strict mode the first error
is raised as `SieError` instead. Codes are stable so that tests, receipts and people can refer
to them; `CODES` lists every one with what it means.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bridge.model import Problem, Severity

__all__ = ["CODES", "ProblemLog", "SieError", "SieProblem"]

CODES: dict[str, str] = {
    "sie.not-sie": "the file is not a SIE file (its first record is not a #label)",
    "sie.encoding": "the bytes are not in CP437 (UTF-8, Windows-1252 or damaged text)",
    "sie.syntax": "a record cannot be split into fields (unclosed quote or object list, stray brace)",
    "sie.unknown-label": "a label that SIE 4 does not define; the record is kept but not used",
    "sie.extra-field": "more fields than SIE 4 defines for the label; the extra ones are ignored",
    "sie.unquoted-text": "text with spaces that should have been quoted; read as one text",
    "sie.missing-field": "a mandatory field is empty or absent",
    "sie.bad-date": "a date that is not a real YYYYMMDD date",
    "sie.bad-period": "a period that is not YYYYMM",
    "sie.bad-number": "a number (amount, quantity, year, dimension) that cannot be read",
    "sie.bad-account": "an account number that is not made of digits",
    "sie.bad-objects": "an object list that is not pairs of dimension and object",
    "sie.duplicate": "a record that may appear once appears again; the first one counts",
    "sie.structure": "records out of place: rows outside a voucher, a voucher block never closed …",
    "sie.unbalanced": "a voucher whose #TRANS rows do not sum to zero",
    "sie.rtrans-twin": "an #RTRANS whose following #TRANS twin is missing or says something else",
    "sie.type-content": "a record that the file's SIE type does not allow, or a mandatory one missing",
    "sie.format": "#FORMAT is missing or says something other than PC8",
    "sie.orgnr": "an organisation number not written as NNNNNN-NNNN",
    "sie.checksum": "#KSUMMA does not match, cannot be verified, or the file was cut short",
    "sie.write-encoding": "a character CP437 cannot hold was written as '?'",
}

# A file with the same slip on 100 000 lines needs one message and a count, not 100 000 messages.
_KEEP_PER_CODE = 50


@dataclass(frozen=True)
class SieProblem(Problem):
    """A `bridge.model.Problem` that also names the SIE label of the record (`#TRANS`, `#VER` …)."""

    label: str = ""

    def where(self) -> str:
        base = super().where()
        return f"{base} ({self.label})" if self.label and base else base or self.label


class SieError(ValueError):
    """Raised in strict mode for the first error; `problem` says what and where."""

    def __init__(self, problem: SieProblem) -> None:
        where = problem.where()
        super().__init__(f"{where}: {problem.message}" if where else problem.message)
        self.problem = problem


class ProblemLog:
    """Collects problems; keeps the first few of each code and counts the rest."""

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self._kept: list[SieProblem] = []
        self._counts: Counter[str] = Counter()
        self._first_unshown: dict[str, int | None] = {}

    def add(
        self,
        code: str,
        message: str,
        *,
        line: int | None = None,
        label: str = "",
        field: str | None = None,
        hint: str = "",
        severity: Severity = Severity.ERROR,
    ) -> None:
        problem = SieProblem(message, line, field, hint, severity, code, label)
        if self.strict and severity is Severity.ERROR:
            raise SieError(problem)
        self._counts[code] += 1
        if self._counts[code] <= _KEEP_PER_CODE:
            self._kept.append(problem)
        elif self._counts[code] == _KEEP_PER_CODE + 1:
            self._first_unshown[code] = line  # where the summary points: the first not shown

    def warn(self, code: str, message: str, **where) -> None:
        self.add(code, message, severity=Severity.WARNING, **where)

    @property
    def problems(self) -> tuple[SieProblem, ...]:
        """Every kept problem in the order found, then one summary per code that overflowed."""
        summaries = []
        for code, count in self._counts.items():
            if count > _KEEP_PER_CODE:
                first = next(p for p in self._kept if p.code == code)
                summaries.append(
                    SieProblem(
                        f"… and {count - _KEEP_PER_CODE} more like the {_KEEP_PER_CODE} above ({CODES[code]}), "
                        "the first of them on this line",
                        self._first_unshown.get(code),
                        severity=first.severity,
                        code=code,
                        label=first.label,
                    )
                )
        return (*self._kept, *summaries)
