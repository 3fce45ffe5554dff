"""`export year --years N`: the books and every document of the latest N financial years in
one run — "sync the two latest years". Per year, into `outbox/exports/documents/<company>/<year>/`:
Fortnox's SIE 4 file (checked before it is published, see `sie.py`) beside the documents and
their manifest (see `documents.py`). Each year is done whole before the next; a run stopped
anywhere continues where it stopped, the SIE file being fetched again (one call)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bridge.exporters.documents import KINDS, DocumentsExport, export_year_documents
from bridge.exporters.mirror import Progress
from bridge.exporters.sie import YearExport, choose_years, export_sie, year_label
from bridge.fortnox import FortnoxClient
from bridge.fortnox.masterdata import fetch_financial_years
from bridge.model import FinancialYear

__all__ = ["YearBooks", "export_years"]


@dataclass
class YearBooks:
    sie: YearExport
    documents: DocumentsExport

    @property
    def ok(self) -> bool:
        return self.sie.ok and not self.documents.mirror.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.documents.label,
            "ok": self.ok,
            "sie": self.sie.to_json(),
            "documents": self.documents.to_json(),
        }


def export_years(
    client: FortnoxClient,
    tenant: str,
    outbox: Path,
    *,
    years: int = 2,
    year: int | None = None,
    kinds: Sequence[str] = KINDS,
    today: date | None = None,
    say: Callable[[str], None] = lambda _: None,
    on_progress: Callable[[FinancialYear, Progress], None] = lambda _y, _p: None,
) -> list[YearBooks]:
    """The latest `years` financial years begun by `today` (or those up to the one beginning in
    `year`), oldest first."""
    done = []
    for chosen in choose_years(fetch_financial_years(client), year, years, today or date.today()):
        label = year_label(chosen)
        folder = outbox / "exports" / "documents" / tenant / label
        [sie] = export_sie(client, folder, year=chosen.from_date.year, progress=_prefixed(say, label))
        documents = export_year_documents(client, tenant, outbox, chosen, kinds, on_progress)
        done.append(YearBooks(sie, documents))
    return done


def _prefixed(say: Callable[[str], None], label: str) -> Callable[[str], None]:
    return lambda text: say(f"{label}: {text}")
