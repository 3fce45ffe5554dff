"""`check`: a dry run. Read and plan a file against the company's cached registers, and say
what would be sent. No network, no ledger, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.config import Settings
from bridge.importers import FileSource, extract_file
from bridge.model import to_plain
from bridge.pipeline.masterdata import load_master_data
from bridge.planner import DocumentPlan, plan_extraction
from bridge.planner.describe import describe

__all__ = ["check_file"]


def check_file(settings: Settings, path: Path, tenant: str | None = None) -> dict[str, Any]:
    """The report `check --json` prints for one file: what it was read as, its facts, its
    problems and the calls each of its documents would make."""
    tenant_settings = settings.tenant_for(path, tenant)
    extraction = extract_file(FileSource.open(path, tenant=tenant_settings.name))
    master = load_master_data(settings.state_dir, tenant_settings.name)  # cached; no network
    plans: list[DocumentPlan] = []
    if not extraction.errors:
        extraction, plans = plan_extraction(extraction, tenant_settings, master)
    problems = list(extraction.problems) + [p for plan in plans for p in plan.problems]
    return {
        "file": str(path),
        "importer": extraction.importer,
        "facts": extraction.facts,
        "ok": not any(p.is_error for p in problems),
        "problems": to_plain(problems),
        "documents": describe(plans),
    }
