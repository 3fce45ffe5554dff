"""Rules about whole records and whole files, beyond what each field says about itself.

Which records each SIE type requires or forbids (`research/sie4.md` §1), `#FORMAT PC8`, the
form of an organisation number. All of these are warnings: a file that breaks them can still be
read, and programs in the wild break them often.
"""

from __future__ import annotations

import re
from collections import Counter

from bridge.sie.problems import ProblemLog
from bridge.sie.records import OrgNumber, Value

__all__ = ["check_file", "check_record"]

_ORGNR = re.compile(r"\d{6}-\d{4}")
_ALWAYS = ("#FLAGGA", "#PROGRAM", "#GEN", "#FNAMN")
_OBJECT_LABELS = ("#DIM", "#UNDERDIM", "#OBJEKT", "#OIB", "#OUB")
_FORBIDDEN = {
    1: (*_OBJECT_LABELS, "#PSALDO", "#PBUDGET", "#VER"),
    2: (*_OBJECT_LABELS, "#VER"),
    3: ("#VER",),
}
_BALANCES = ("#IB", "#UB", "#RES", "#OIB", "#OUB", "#PSALDO", "#PBUDGET")


def check_record(record: object, log: ProblemLog) -> None:
    if (
        isinstance(record, Value)
        and record.label == "#FORMAT"
        and record.value
        and record.value.upper() != "PC8"
    ):
        log.warn(
            "sie.format",
            f"#FORMAT says {record.value!r}; SIE knows only PC8 (code page 437)",
            line=record.line,
            label="#FORMAT",
        )
    elif isinstance(record, OrgNumber) and record.number and not _ORGNR.fullmatch(record.number):
        log.warn(
            "sie.orgnr",
            f"organisation number {record.number!r} is not written NNNNNN-NNNN",
            line=record.line,
            label="#ORGNR",
            field="number",
        )


def check_file(counts: Counter[str], sie_type: int | None, vouchers: int, log: ProblemLog) -> None:
    """Warnings about records a file of its SIE type must have or must not have."""
    if not counts["#FORMAT"]:
        log.warn("sie.format", "#FORMAT PC8 is missing; some programs refuse such files", label="#FORMAT")
    for label in _ALWAYS:
        if not counts[label]:
            log.warn("sie.type-content", f"{label} is missing; every SIE file has one", label=label)
    if sie_type is None:
        sie_type = 4 if vouchers else 1
        if vouchers or counts["#IB"] or counts["#UB"]:
            log.warn("sie.type-content", f"#SIETYP is missing; read as type {sie_type}", label="#SIETYP")
    if sie_type not in (1, 2, 3, 4):
        log.warn("sie.type-content", f"#SIETYP {sie_type} is not a SIE type (1, 2, 3 or 4)", label="#SIETYP")
        return
    for label in _FORBIDDEN.get(sie_type, ()):
        found = vouchers if label == "#VER" else counts[label]
        if found:
            log.warn(
                "sie.type-content",
                f"a type {sie_type} file may not hold {label} ({found} found); they are read all the same",
                label=label,
            )
    if sie_type in (2, 3) and not counts["#OMFATTN"]:
        log.warn(
            "sie.type-content",
            f"#OMFATTN is missing; type {sie_type} files must say how far balances go",
            label="#OMFATTN",
        )
    export = sie_type < 4 or any(counts[label] for label in _BALANCES)
    for label in ("#RAR", "#KONTO"):
        if export and not counts[label]:
            log.warn(
                "sie.type-content", f"{label} is missing; a type {sie_type} export must have it", label=label
            )
