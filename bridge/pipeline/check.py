"""`check`: a dry run. Read and plan a file against the company's cached registers, and say
what would be sent. No network, no ledger, nothing written (but a temporary file).

A file of any size is checked in flat memory: a file read as a stream (SIE) has each
document's calls written to a temporary file as its plan is made, and its report reads them
back in order once the file is judged (the first document, its registers, is made last).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from bridge.config import Settings
from bridge.importers import FileSource, open_file
from bridge.model import Extraction, to_plain
from bridge.pipeline.inbox import limits_of
from bridge.pipeline.masterdata import load_master_data
from bridge.pipeline.spool import PlanSpool
from bridge.planner import DocumentPlan, plan_extraction, plan_stream
from bridge.planner.describe import describe
from bridge.util import dumpb, loads

__all__ = ["CheckReport", "check_file"]


class CheckReport:
    """What `check` says of one file: `head` (the file, what it was read as, its facts, whether
    it would go through, its problems) and its documents with the calls each would make, as
    JSON one by one (`documents()`) or the first few as data (`first`)."""

    def __init__(
        self, head: dict[str, Any], plans: list[DocumentPlan], spool: PlanSpool | None = None
    ) -> None:
        self.head = head
        self._plans = plans  # in full, or (with a spool) those that run before the spooled ones
        self._spool = spool
        self.count = len(plans) + (spool.count if spool else 0)

    @property
    def ok(self) -> bool:
        return bool(self.head["ok"])

    def documents(self) -> Iterator[bytes]:
        for described in describe(self._plans):
            yield dumpb(described)
        if self._spool is not None:
            yield from self._spool.lines()

    def first(self, n: int) -> list[dict[str, Any]]:
        shown: list[dict[str, Any]] = []
        for text in self.documents():
            if len(shown) == n:
                break
            shown.append(loads(text))
        return shown

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()

    def __enter__(self) -> CheckReport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def check_file(settings: Settings, path: Path, tenant: str | None = None) -> CheckReport:
    """The report `check` prints for one file."""
    tenant_settings = settings.tenant_for(path, tenant)
    opened = open_file(FileSource.open(path, tenant=tenant_settings.name, limits=limits_of(settings)))
    master = load_master_data(settings.state_dir, tenant_settings.name)  # cached; no network
    if isinstance(opened, Extraction):
        extraction, plans = opened, list[DocumentPlan]()
        if not extraction.errors:
            extraction, plans = plan_extraction(extraction, tenant_settings, master)
        return CheckReport(_head(path, extraction, plans), plans)
    spool = PlanSpool(lambda plan: dumpb(describe([plan])[0]))
    try:
        extraction, first = plan_stream(opened, tenant_settings, master, spool.add)
    except BaseException:
        spool.close()
        raise
    if extraction.errors:  # refused as a whole: nothing would be sent
        spool.close()
        return CheckReport(_head(path, extraction, []), [])
    return CheckReport(_head(path, extraction, first), first, spool)


def _head(path: Path, extraction: Extraction, plans: list[DocumentPlan]) -> dict[str, Any]:
    problems = list(extraction.problems) + [p for plan in plans for p in plan.problems]
    return {
        "file": str(path),
        "importer": extraction.importer,
        "facts": extraction.facts,
        "ok": not any(p.is_error for p in problems),
        "problems": to_plain(problems),
    }
