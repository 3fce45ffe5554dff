"""Work a company's worker does on a clock rather than because a file arrived: exports that
`watch` writes every so many minutes (`exports.*_every_minutes`; 0 means never).

Jobs run on the company's own sending worker, so a slow or unreachable Fortnox delays that
company only, and never the loop that takes files from the inbox.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bridge.config import Settings
from bridge.exporters.masterdata import export_masterdata
from bridge.exporters.payments import export_payments
from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.pipeline.ledger import Ledger
from bridge.pipeline.matching import run_matching
from bridge.pipeline.rebuild import ledger_path

__all__ = ["JOBS", "Job", "Schedule"]

log = logging.getLogger("bridge.schedule")


@dataclass(frozen=True)
class Job:
    """`run(client, tenant, settings)` does the work and answers what to log."""

    name: str
    export: str  # as `live.exports` names it: live updates replace the schedule while connected
    every_minutes: str  # the setting that says how often
    run: Callable[[FortnoxClient, str, Settings], str]
    enabled_by: str = ""  # a setting that must be true for the job to be scheduled at all


def _payments(client: FortnoxClient, tenant: str, settings: Settings) -> str:
    result = export_payments(client, tenant, settings.outbox, settings.state_dir)
    return f"{len(result.rows)} invoice(s) → {result.csv_path}"


def _masterdata(client: FortnoxClient, tenant: str, settings: Settings) -> str:
    result = export_masterdata(client, tenant, settings.outbox, settings.state_dir)
    skipped = f"; not allowed to read {', '.join(result.skipped)}" if result.skipped else ""
    return f"{sum(result.counts.values())} records, {result.changes_path or 'no changes'}{skipped}"


def _matching(client: FortnoxClient, tenant: str, settings: Settings) -> str:
    ledger = Ledger(
        ledger_path(settings), str(settings["ledger.url"])
    )  # this worker thread's own connections
    try:
        run = run_matching(client, ledger, settings, tenant)
    finally:
        ledger.close()
    return f"{len(run.matched)} supplier invoice(s) matched → {run.csv_path}"


JOBS: tuple[Job, ...] = (
    Job("payment status", "payments", "exports.payments_every_minutes", _payments),
    Job("master data", "masterdata", "exports.masterdata_every_minutes", _masterdata),
    Job("purchase-order matching", "matching", "matching.every_minutes", _matching, "matching.enabled"),
)


class Schedule:
    """When each job is next due for each company; every job is due once at start."""

    def __init__(self, settings: Settings, jobs: tuple[Job, ...] = JOBS) -> None:
        self.settings = settings
        self.jobs = jobs
        self._due: dict[tuple[str, str], float] = {}

    def run_due(
        self, client: FortnoxClient, tenant: str, replaced: frozenset[str] = frozenset()
    ) -> float | None:
        """Run the jobs due for `tenant`, except those whose export live updates keep current
        (`replaced`); answers the seconds until the next is due (None: none is scheduled)."""
        waits = []
        for job in self.jobs:
            company = self.settings.tenant(tenant)
            every = company[job.every_minutes] * 60.0
            if not every or (job.enabled_by and not company[job.enabled_by]):
                continue
            now = time.monotonic()
            due = self._due.setdefault((tenant, job.name), now)
            if job.export in replaced:
                self._due[(tenant, job.name)] = due = max(due, now + every)  # polling resumes if live stops
            elif now >= due:
                self._due[(tenant, job.name)] = due = now + every
                try:
                    log.info("%s of %s: %s", job.name, tenant, job.run(client, tenant, self.settings))
                except (FortnoxError, OSError) as error:
                    log.warning("%s of %s not exported: %s; trying again next time", job.name, tenant, error)
            waits.append(max(due - time.monotonic(), 0.0))
        return min(waits, default=None)
