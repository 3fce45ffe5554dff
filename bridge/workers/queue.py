"""The companies' work as jobs on procrastinate: one `serve(company)` job per company with work.

procrastinate gives what a coordinator of our own would otherwise have to: per-key
serialisation (`lock=company`: two jobs of one company never run at once, so its documents go
in order and its pacing stays whole), one waiting job per key (`queueing_lock=company`: a
hundred files for a company make one job, not a hundred), scheduling (`schedule_at` for a
backoff or the next due retry), and worker heartbeats, which let any worker find the jobs of a
worker that died and put them back (`retry_stalled`). A job serves its company for a bounded
slice and then defers itself again if work remains, so companies move between workers and a
new worker gets some at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

import procrastinate
import psycopg
from procrastinate import exceptions
from procrastinate.jobs import Status

__all__ = ["QUEUE", "SERVE", "Queue", "open_queue", "prepare", "retry_stalled"]

log = logging.getLogger("bridge.workers")

SERVE = "bridge.serve"
QUEUE = "companies"


class Queue:
    """Deferring and recovering the companies' jobs, from any thread (a sync connection pool)."""

    def __init__(self, url: str) -> None:
        self.app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=url))
        self.app.open()

    def close(self) -> None:
        self.app.close()

    def defer(self, company: str, at: float | None = None, *, sooner: bool = False) -> None:
        """A job to serve `company` (at epoch `at`, else now). When one waits already, it stays
        (it will see the new work too) — moved to now if `sooner` (a new file came)."""
        options: dict[str, Any] = {"lock": company, "queueing_lock": company, "queue": QUEUE}
        if at is not None:
            options["schedule_at"] = dt.datetime.fromtimestamp(at, tz=dt.UTC)
        try:
            self.app.configure_task(SERVE, **options).defer(company=company)
        except exceptions.AlreadyEnqueued:
            if sooner:
                self.app.connector.execute_query(
                    query="UPDATE procrastinate_jobs SET scheduled_at = NULL"
                    " WHERE queueing_lock = %(company)s AND status = 'todo'",
                    company=company,
                )


def open_queue(url: str) -> Queue:
    return Queue(url)


def prepare(connection: psycopg.Connection[Any], lock: int) -> None:
    """procrastinate's tables, created once by whichever worker starts first."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
        found = connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if not (found and found[0]):
            schema = procrastinate.App(connector=procrastinate.SyncPsycopgConnector()).schema_manager
            connection.execute(schema.get_schema().encode())


async def retry_stalled(app: procrastinate.App, seconds: float) -> int:
    """Jobs whose worker has not beaten for `seconds` go back to the queue: another worker
    takes them (and the company's lease, once it has expired). Answers how many."""
    manager = app.job_manager
    retried = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
        try:
            await manager.retry_job(job)
        except exceptions.UniqueViolation:
            # A job of the company waits already (queueing_lock): it does the work, once this
            # one no longer holds the company's lock.
            await _end(manager, job)
        except exceptions.ProcrastinateException:
            continue  # another worker put it back first
        retried += 1
        log.info("%s: its worker stopped beating; another worker serves it", job.task_kwargs)
    return retried


async def _end(manager: Any, job: Any) -> None:
    with contextlib.suppress(exceptions.ProcrastinateException):
        await manager.finish_job(job, status=Status.FAILED, delete_job=False)
