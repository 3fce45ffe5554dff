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

__all__ = ["JOBS", "Job", "Schedule"]

log = logging.getLogger("bridge.schedule")


@dataclass(frozen=True)
class Job:
    """`run(client, tenant, settings)` does the work and answers what to log."""

    name: str
    every_minutes: str  # the setting that says how often
    run: Callable[[FortnoxClient, str, Settings], str]


def _payments(client: FortnoxClient, tenant: str, settings: Settings) -> str:
    result = export_payments(client, tenant, settings.outbox, settings.state_dir)
    return f"{len(result.rows)} invoice(s) → {result.csv_path}"


def _masterdata(client: FortnoxClient, tenant: str, settings: Settings) -> str:
    result = export_masterdata(client, tenant, settings.outbox, settings.state_dir)
    skipped = f"; not allowed to read {', '.join(result.skipped)}" if result.skipped else ""
    return f"{sum(result.counts.values())} records, {result.changes_path or 'no changes'}{skipped}"


JOBS: tuple[Job, ...] = (
    Job("payment status", "exports.payments_every_minutes", _payments),
    Job("master data", "exports.masterdata_every_minutes", _masterdata),
)


class Schedule:
    """When each job is next due for each company; every job is due once at start."""

    def __init__(self, settings: Settings, jobs: tuple[Job, ...] = JOBS) -> None:
        self.settings = settings
        self.jobs = jobs
        self._due: dict[tuple[str, str], float] = {}

    def run_due(self, client: FortnoxClient, tenant: str) -> float | None:
        """Run the jobs due for `tenant`; answers the seconds until the next is due (None: none
        is scheduled)."""
        waits = []
        for job in self.jobs:
            every = self.settings.tenant(tenant)[job.every_minutes] * 60.0
            if not every:
                continue
            now = time.monotonic()
            due = self._due.setdefault((tenant, job.name), now)
            if now >= due:
                self._due[(tenant, job.name)] = due = now + every
                try:
                    log.info("%s of %s: %s", job.name, tenant, job.run(client, tenant, self.settings))
                except (FortnoxError, OSError) as error:
                    log.warning("%s of %s not exported: %s; trying again next time", job.name, tenant, error)
            waits.append(max(due - time.monotonic(), 0.0))
        return min(waits, default=None)
