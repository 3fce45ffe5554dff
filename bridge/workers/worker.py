"""`watch --worker-id ID`: one of several bridge processes sharing a bureau's companies over one
PostgreSQL ledger.

Each worker runs procrastinate's worker over the `serve(company)` jobs (`queue.py`), a
`watch.workers` of them at a time, each in a thread. A job serves its company for a slice:
it takes the company's lease (`leases.py`), reads and queues the files claimed for it, sends its
due documents under the company's pacer until `workers.slice_seconds` are over or nothing more
can be sent now, gives the lease back with the company's recent call times, and defers the
next job: now when more is due, at the time of the next retry or scheduled export, or not at
all (a new file defers one). So the companies move between the workers slice by slice, and a
new worker gets its share at once.

One worker at a time also holds the intake's lease and watches inbox/: it claims settled files
into the shared work area (the state folder on the shared file system) and defers their
companies' jobs. When the holder dies, another takes the role once the lease runs out.

A worker that dies loses everything within `workers.lease_seconds`: its procrastinate heartbeat
stops, any worker puts its jobs back (`retry_stalled`), and whoever runs them takes the expired
leases and resumes from the ledger exactly as a restarted bridge does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import procrastinate
import psycopg

from bridge.config import ConfigError, Settings
from bridge.pipeline.dialect import Held, Unreachable
from bridge.pipeline.inbox import Candidate
from bridge.pipeline.ledger import Ledger
from bridge.pipeline.lock import LockHeld
from bridge.pipeline.records import FileState
from bridge.pipeline.service import Bridge
from bridge.pipeline.watcher import SETTLING_TICK, Watcher, observe
from bridge.util.i18n import _
from bridge.workers.leases import (
    FENCE_ERROR,
    INTAKE,
    SCHEMA_LOCK,
    Lease,
    LeaseLost,
    Leases,
    fenced_url,
    install_fence,
    valid_worker_id,
)
from bridge.workers.queue import QUEUE, SERVE, Queue, prepare, retry_stalled

__all__ = ["Worker", "is_fenced", "ledger_url", "share_sending", "worker_settings"]

log = logging.getLogger("bridge.workers")

# A company's access check (a token and some ten calls) by any worker holds for its next slices
# this long, wherever they run: a company moving between workers is not asked again each time,
# and a licence or scope that changed is still seen within the hour (a refusal at once).
ACCESS_CHECK_HOLDS = 3600.0
PACE_SLEEP_AT_MOST = 1.0  # a slice waits out a full window this short; a longer wait ends it


def ledger_url(settings: Settings) -> str:
    """The PostgreSQL ledger the workers share; worker mode needs one (the settings refuse any
    other kind of URL)."""
    url = str(settings.values.get(("ledger", "url"), "") or "")
    if not url:
        raise ConfigError(
            _(
                "worker mode (--worker-id) needs the ledger on PostgreSQL that all workers share: set"
                ' ledger.url = "postgresql://…" in bridge.toml (or FORTNOX_LEDGER_URL)'
            )
        )
    return url


def worker_settings(settings: Settings, worker: str) -> Settings:
    """The settings a worker opens its bridge with: its name on every ledger connection (the
    fence reads it). Refuses what cannot be shared: the embedded mock, a bad worker name."""
    if not valid_worker_id(worker):
        raise ConfigError(
            _(
                "--worker-id %(worker)r: use letters, digits, '.', '_' or '-' (at most 63), e.g. --worker-id w1"
            )
            % {"worker": worker}
        )
    url = ledger_url(settings)
    embedded = [t.name for t in settings.tenants if t.embedded]
    if embedded:
        raise ConfigError(
            _(
                "worker mode needs a Fortnox URL for every company (fortnox.url); %(companies)s would"
                " each get an embedded mock of its own in every worker"
            )
            % {"companies": ", ".join(embedded)}
        )
    values = dict(settings.values)
    values[("ledger", "url")] = fenced_url(url, worker)
    return replace(settings, values=values)


def share_sending(ledger: Ledger, worker: str) -> Held:
    """The ledger's sending lock, shared by the workers: a single bridge (`watch` without
    --worker-id, `process`, `retry`, which take it whole) does not send beside them, nor do
    they start beside one. Held by a connection of its own for the life of the process."""
    try:
        held, _who = ledger.hold_sending(f"watch --worker-id {worker}", shared=True)
    except Unreachable as exc:
        raise LockHeld(str(exc)) from None
    if held is None:
        raise LockHeld(
            _(
                "a single bridge is sending from this ledger; workers cannot send beside it. Stop it"
                " first (see `fortnox-bridge status`), then start the workers"
            )
        )
    return held


class _Intake(Watcher):
    """The watcher's scanning and settling, claiming only: the company's worker reads the file."""

    def __init__(self, bridge: Bridge, queue: Queue, lease: Lease) -> None:
        super().__init__(bridge, poll=True)
        self.queue = queue
        self.lease = lease

    def _take(self, candidate: Candidate) -> bool:
        """Only claimed here: the company's worker reads it."""
        self.lease.check()  # a paused intake that lost its role claims nothing more
        return self.bridge.claim(candidate.path, candidate.tenant, companion=candidate.companion) is not None

    def kick(self, tenant: str) -> None:
        self.queue.defer(tenant, sooner=True)

    def take_settled(self) -> None:
        self._take_ready()


class Worker:
    def __init__(self, bridge: Bridge, worker: str) -> None:
        settings = bridge.settings
        self.bridge = bridge
        self.worker = worker
        self.url = ledger_url(settings)  # without the fence's options: procrastinate's and the leases' own
        self.lease_seconds = float(settings["workers.lease_seconds"])
        self.slice_seconds = float(settings["workers.slice_seconds"])
        self.concurrency = int(settings["watch.workers"])
        self.rescan = float(settings["watch.rescan_seconds"])
        self.poll = bool(settings["watch.poll"])
        self.stop = threading.Event()
        self.leases = Leases(self.url, worker, self.lease_seconds)
        self.queue = Queue(self.url)

    # --- the process -----------------------------------------------------------------------

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT; the slices running then end at their next document."""
        sharing = share_sending(self.bridge.ledger, self.worker)
        with psycopg.connect(self.url, autocommit=True) as db:
            prepare(db, SCHEMA_LOCK)
            install_fence(db)
        self.leases.register()
        intake = threading.Thread(target=self._intake, name="intake", daemon=True)
        intake.start()
        try:
            asyncio.run(self._serve())  # until SIGTERM or SIGINT
        finally:
            self.stop.set()
            intake.join(timeout=10)
            self.leases.stop()
            self.queue.close()
            self.leases.close()
            sharing.close()

    async def _serve(self) -> None:
        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=self.url))

        @app.task(name=SERVE, queue=QUEUE)
        def serve(company: str) -> None:
            self.serve(company)

        loop = asyncio.get_running_loop()
        # procrastinate runs each sync job on the loop's default executor: as many threads as
        # companies served at once (the default would be a few per core), and the heartbeat on
        # a thread of its own, so a busy worker never misses a beat.
        loop.set_default_executor(ThreadPoolExecutor(self.concurrency, thread_name_prefix="serve"))
        beat_thread = ThreadPoolExecutor(1, thread_name_prefix="beat")
        async with app.open_async():
            beating = asyncio.create_task(self._beat(app, beat_thread))
            working = asyncio.create_task(
                app.run_worker_async(
                    queues=[QUEUE],
                    name=self.worker,
                    concurrency=self.concurrency,
                    update_heartbeat_interval=max(self.lease_seconds / 4, 0.5),
                    stalled_worker_timeout=self.lease_seconds,
                    fetch_job_polling_interval=1.0,
                    shutdown_graceful_timeout=self.slice_seconds + 10,
                    delete_jobs="successful",
                    install_signal_handlers=False,
                )
            )

            def stop() -> None:  # slices end at their next document; procrastinate waits for them
                self.stop.set()
                working.cancel()

            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop)
            try:
                with contextlib.suppress(asyncio.CancelledError):
                    await working
            finally:
                self.stop.set()
                beating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beating
                beat_thread.shutdown(wait=True)

    async def _beat(self, app: procrastinate.App, thread: ThreadPoolExecutor) -> None:
        """The leases renewed a few times per lease; the jobs of workers that stopped beating
        put back (any worker does it; the first one wins)."""
        while True:
            try:
                lost = await asyncio.get_running_loop().run_in_executor(thread, self.leases.beat)
                for company in lost:
                    log.warning("%s: this worker's lease ran out; another worker takes it over", company)
                if not self.stop.is_set():  # stopping, this worker's own heartbeat ends first
                    await retry_stalled(app, self.lease_seconds)
            except (psycopg.Error, procrastinate.exceptions.ProcrastinateException) as exc:
                log.error("the workers' database did not answer: %s; trying again", exc)
            await asyncio.sleep(max(self.lease_seconds / 3, 0.5))

    # --- the intake ------------------------------------------------------------------------

    def _intake(self) -> None:
        """Wait for the intake's lease; while held, claim settled files and see that every
        company with work has a job."""
        while not self.stop.is_set():
            try:
                lease = self.leases.take(INTAKE)
            except psycopg.Error as exc:
                log.error("the workers' database did not answer: %s; trying again", exc)
                lease = None
            if lease is None:
                self.stop.wait(max(self.lease_seconds / 3, 0.5))
                continue
            log.info("this worker (%s) watches the inbox now", self.worker)
            try:
                self._watch(lease)
            except LeaseLost:
                log.warning("this worker lost the inbox to another worker")
            except Exception:  # the role passes on; the loop takes it again if it can
                log.exception("watching the inbox failed")
                self.stop.wait(1.0)

    def _watch(self, lease: Lease) -> None:
        intake = _Intake(self.bridge, self.queue, lease)
        # Every company's first slice (its access check; its scheduled exports and token renewal
        # then defer its next ones), as every company has a first turn in a single `watch`.
        for tenant in self.bridge.settings.tenants:
            self.queue.defer(tenant.name)
        # Events only wake the loop early; the full scan every few seconds is what counts (events
        # from other machines never arrive over NFS or SMB).
        observer = observe(self.bridge.settings.inbox, intake.wake, poll=self.poll)
        try:
            last_sweep = -float("inf")
            while not self.stop.is_set():
                lease.check()
                intake.take_settled()
                if time.monotonic() - last_sweep >= min(self.rescan, 10.0):
                    self._sweep()
                    last_sweep = time.monotonic()
                intake.wake.wait(SETTLING_TICK if intake.scanner.pending() else min(self.rescan, 2.0))
                intake.wake.clear()
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _sweep(self) -> None:
        """Files claimed but not recorded are recorded, and every company with work has a job
        (after every worker stopped, a `retry` by a person, a lost job): deferring one where
        one waits already changes nothing. Runs in the intake's thread, between its claims."""
        self.bridge.adopt_work_files()  # a claim whose intake died (or lost the role) before recording it
        ledger = self.bridge.ledger
        busy = ledger.tenants_with_open_documents()
        busy |= {f.tenant for f in ledger.files([FileState.CLAIMED])}
        busy |= {f.tenant for f in ledger.unfinished_files()}
        for tenant in sorted(busy & {t.name for t in self.bridge.settings.tenants}):
            self.queue.defer(tenant)

    # --- a company's slice -----------------------------------------------------------------

    def serve(self, company: str) -> None:
        """One slice of `company` (a procrastinate job); defers the next one when work remains."""
        if self.stop.is_set():  # stopping: another worker serves it
            self.queue.defer(company)
            return
        lease = self.leases.take(company)
        if lease is None:  # its last worker's lease has not run out yet: look again then
            self.queue.defer(company, time.time() + self.lease_seconds / 3)
            return
        client = self.bridge.clients.get(company)
        pacer = client.pacer if client is not None else None
        if pacer is not None:
            pacer.remember(lease.calls)
            pacer.before_call = lease.check
        again: float | None = None
        try:
            again = self._slice(company, lease)
        except Exception as exc:
            if isinstance(exc, LeaseLost) or is_fenced(exc) or not lease.valid():
                log.warning(
                    "%s: taken over by another worker, or this one's lease ran out: it sends and"
                    " records nothing more for it",
                    company,
                )
                again = time.time()  # it waits for whoever holds the company now
            else:
                log.exception("serving %s failed unexpectedly", company)
                again = time.time() + 5.0
        finally:
            calls = pacer.recent() if pacer is not None else []
            if pacer is not None:
                pacer.before_call = None
            self.leases.give_back(lease, calls)  # nothing, when another worker holds it now
        if again is not None:
            self.queue.defer(company, again)

    def _slice(self, company: str, lease: Lease) -> float | None:
        """Answers when the company's next slice is due (epoch), or None: only when new work comes."""
        bridge = self.bridge
        bridge.catch_up(company)
        ago = lease.access_checked_ago
        if (ago is None or ago >= ACCESS_CHECK_HOLDS) and bridge.check_access(company) is not None:
            self.leases.access_checked(lease)
        end = time.monotonic() + self.slice_seconds
        while True:
            if not self.leases.holds(lease):
                raise LeaseLost(company)
            pace = bridge.pace_wait(company)
            if pace > 0:
                if pace <= PACE_SLEEP_AT_MOST and time.monotonic() + pace < end:
                    time.sleep(pace)
                    continue
                return time.time() + pace
            scheduled = _earliest(bridge.run_scheduled(company), bridge.renew_token(company))
            outcome, later = bridge.run_next(company)
            if outcome is not None and outcome.state != "later":
                if time.monotonic() >= end or self.stop.is_set():
                    return time.time()  # more to send: back in the queue, behind the others
                continue
            return _earliest(later, None if scheduled is None else time.time() + scheduled)


def _earliest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def is_fenced(error: BaseException) -> bool:
    """The database's fence refused a write: another worker serves the company now."""
    while error is not None:  # the ledger says PostgreSQL's errors in sqlite3's words, with the SQLSTATE
        if getattr(error, "sqlstate", None) == FENCE_ERROR:
            return True
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return False


def run_worker(settings: Settings, worker: str, open_bridge: Any, announce: Any) -> None:
    """Open the bridge as this worker and serve until stopped (`watch --worker-id`)."""
    shared = worker_settings(settings, worker)
    with open_bridge(shared) as bridge:
        values = {"worker": worker, "count": len(bridge.settings.tenants), "inbox": bridge.settings.inbox}
        announce(
            _(
                "Worker %(worker)s: serving the %(count)s companies of %(inbox)s with the other workers."
                " Stop with Ctrl-C."
            )
            % values
        )
        Worker(bridge, worker).run()
