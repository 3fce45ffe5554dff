"""Helpers for the SIE flow tests: SIE text → extraction and plans, a company's master data."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from bridge.config import TenantSettings, load_settings
from bridge.importers.base import Source
from bridge.importers.sie import SieImporter
from bridge.model import Extraction, FinancialYear, MasterData, Problem
from bridge.planner import DocumentPlan, plan_extraction

HEAD = """\
#FLAGGA 0
#FORMAT PC8
#SIETYP 4
#PROGRAM "Kassan" 2.1
#GEN 20250201
#FNAMN "Övningsbolaget AB"
#ORGNR 556334-3689
#RAR 0 20250101 20251231
#RAR -1 20240101 20241231
#KONTO 1930 "Företagskonto"
#KONTO 2641 "Debiterad ingående moms"
#KONTO 3001 "Försäljning 25 %"
#KONTO 6110 "Kontorsmateriel"
#SRU 6110 7513
#KONTO 6570 "Bankkostnader"
#DIM 1 "Kostnadsställe"
#DIM 6 "Projekt"
#OBJEKT 1 "NORD" "Nord"
#OBJEKT 6 "P1" "Projekt ett"
"""

VOUCHER = """\
#VER A 12 20250131 "Kontorsmaterial" 20250201
{
#TRANS 6110 {1 "NORD" 6 "P1"} 800.00 "" "Pennor" 10
#TRANS 2641 {} 200.00
#TRANS 1930 {} -1000.00
}
"""


def sie_file(tmp_path: Path, body: str = VOUCHER, *, head: str = HEAD, name: str = "bok.se") -> Path:
    text = head + textwrap.dedent(body).lstrip("\n")
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode("cp437"))
    return path


class _Dropped:
    def __init__(self, path: Path) -> None:
        self.path, self.name, self.tenant = path, path.name, "default"
        self.head = path.read_bytes()[:8192]


def extract(path: Path) -> Extraction:
    source: Source = _Dropped(path)  # type: ignore[assignment]
    return SieImporter().extract(source)


def settings(tmp_path: Path, **sie: object) -> TenantSettings:
    environ = {
        f"FORTNOX_SIE_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v) for k, v in sie.items()
    }
    return load_settings(tmp_path, environ=environ).tenants[0]


def company(**changes: object) -> MasterData:
    """Övningsbolaget in Fortnox: 2025 (id 1), a usual chart, series A (manual) and B (not)."""
    chart = {1930: True, 2641: True, 3001: True, 6110: True, 6570: True}
    values: dict = {
        "organisation_number": "556334-3689",
        "financial_years": (FinancialYear(1, date(2025, 1, 1), date(2025, 12, 31)),),
        "accounts": {1: chart},
        "voucher_series": {"A": True, "B": False},
        "cost_centers": frozenset({"NORD"}),
        "projects": frozenset({"P1"}),
    }
    values.update(changes)
    return MasterData(**values)


def plan(
    tmp_path: Path, body: str = VOUCHER, master: MasterData | None = None, *, head: str = HEAD, **sie: object
) -> tuple[list[Problem], list[DocumentPlan]]:
    """The problems the whole file planner reports (beyond the importer's) and its plans."""
    extraction = extract(sie_file(tmp_path, body, head=head))
    assert not extraction.errors, extraction.errors
    planned, plans = plan_extraction(extraction, settings(tmp_path, **sie), master)
    return list(planned.problems[len(extraction.problems) :]), plans


def errors(problems: list[Problem]) -> list[tuple[str, int | None]]:
    return [(p.code, p.line) for p in problems if p.is_error]


def labels(plan: DocumentPlan) -> list[str]:
    return [step.label for step in plan.steps]
