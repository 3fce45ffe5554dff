"""`watch`: notice files, claim them when they are complete, and keep every tenant's queue
moving. File-system events only wake the loop early; a full scan runs at start and every
`rescan_seconds`, because events get lost on network shares and under load."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from bridge.exporters.live import topics_for
from bridge.pipeline.inbox import Candidate, InboxScanner
from bridge.pipeline.listener import LiveCompany, LiveListener
from bridge.pipeline.live import live_exports
from bridge.pipeline.pool import CompanyPool, Turn
from bridge.pipeline.service import Bridge, RequestError
from bridge.pipeline.status import what_waits

__all__ = ["Wake", "Watcher", "observe"]

log = logging.getLogger("bridge.watch")

EMPTY_FILE_REPORT_SECONDS = 60.0
SETTLING_TICK = 0.1  # how often files that are still settling are looked at again
PENDING_CHECK_SECONDS = 5.0


class Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.event.set()


def observe(folder: Path, wake: threading.Event, *, poll: bool) -> BaseObserver:
    """A started observer that sets `wake` on any change under `folder`: inotify, or polling where
    events never arrive (`watch.poll`: network shares)."""
    observer = PollingObserver(timeout=1.0) if poll else Observer()
    observer.schedule(Wake(wake), str(folder), recursive=True)
    observer.start()
    return observer


class Watcher:
    def __init__(self, bridge: Bridge, *, poll: bool | None = None, tenant: str | None = None) -> None:
        """`tenant`: watch that company's inbox only (`watch --tenant`)."""
        self.bridge = bridge
        settings = bridge.settings
        self.tenants = [t for t in settings.tenants if tenant in (None, t.name)]
        if not self.tenants:
            raise RequestError(f"no company named {tenant!r}; see `fortnox-bridge tenants`")
        self.poll = settings["watch.poll"] if poll is None else poll
        self.settle = settings["watch.settle_seconds"]
        self.rescan = settings["watch.rescan_seconds"]
        folders = {t.name: settings.inbox_of(t.name) for t in self.tenants}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        self.scanner = InboxScanner(folders, self.settle)
        self.observer: BaseObserver | None = None
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.workers = settings["watch.workers"]
        self.pool: CompanyPool | None = None
        self._checked: set[str] = set()  # companies whose access was checked in this run

    # --- the loop ------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> list[str]:
        """Watch until stopped; with `once`, take what is in the inbox now, send what can be
        sent now, and answer what still waits and why (empty: nothing)."""
        self.bridge.recover()
        if once:
            return self._run_once()
        observer = self.observer = observe(self.bridge.settings.inbox, self.wake, poll=self.poll)
        pool = self.pool = self._pool(once=False)
        workers = pool.start()
        listeners = [
            threading.Thread(target=listener.run, name="live", daemon=True) for listener in self.listeners()
        ]
        for listener in listeners:
            listener.start()
        try:
            last_pending_check = time.monotonic()
            while not self.stop.is_set():
                self._take_ready()
                if time.monotonic() - last_pending_check >= PENDING_CHECK_SECONDS:
                    self.bridge.finish_pending()  # answers that could not be written earlier
                    last_pending_check = time.monotonic()
                timeout = SETTLING_TICK if self.scanner.pending() else min(self.rescan, PENDING_CHECK_SECONDS)
                self.wake.wait(timeout)
                self.wake.clear()
        finally:
            self.stop.set()
            observer.stop()
            observer.join(timeout=5)
            for worker in [*listeners, *workers]:
                worker.join(timeout=30)
        return []

    def _run_once(self) -> list[str]:
        """Take what is in the inbox now, send what can be sent, and return what waits. The
        companies start (their access checks, their first files) while files are still taken."""
        pool = self.pool = self._pool(once=True)
        pool.hold()
        workers = pool.start()
        try:
            deadline = time.monotonic() + max(10 * self.settle, 10.0)
            while True:
                self._take_ready()
                waiting = [c for c in self.scanner.seen.values() if c.size > 0]
                if not waiting or time.monotonic() > deadline:
                    break
                time.sleep(min(0.2, self.settle))
        except BaseException:  # Ctrl-C: the workers end after their current turn
            self.stop.set()
            raise
        finally:
            pool.release()
            for worker in workers:
                while worker.is_alive():
                    worker.join(timeout=1.0)
        return what_waits(self.bridge, [c.path for c in self.scanner.seen.values()])

    def _pool(self, *, once: bool) -> CompanyPool:
        names = [t.name for t in self.tenants]
        turn = self._once_turn if once else self._turn
        return CompanyPool(names, turn, workers=self.workers, stop=self.stop, once=once)

    def _first_turn(self, tenant: str) -> bool:
        """A company's first turn asks Fortnox what it allows: what is missing is said before
        any of its files is tried. On the pool, so that hundreds of companies do not all fetch
        their tokens at the same moment, and a slow token endpoint delays its company only."""
        if tenant in self._checked:
            return False
        self._checked.add(tenant)
        if not self.bridge.settings.tenant(tenant).embedded:
            self.bridge.check_access(tenant)
        return True

    def _turn(self, tenant: str) -> Turn:
        """One turn of a company under `watch`: live changes, its scheduled exports, its token
        renewed ahead of expiry, and one document of its queue."""
        if self._first_turn(tenant):
            return Turn(more=True)
        pace = self.bridge.pace_wait(tenant)
        if pace > 0:  # its window at Fortnox is full: a worker would only wait
            return Turn(at=time.monotonic() + pace)
        retry_live = self.bridge.run_live(tenant)
        live_wait = None if retry_live is None else max(retry_live - time.time(), 0.0)
        scheduled = _earliest(live_wait, self.bridge.run_scheduled(tenant))
        scheduled = _earliest(scheduled, self.bridge.renew_token(tenant))
        outcome, later = self.bridge.run_next(tenant)
        if outcome is not None and outcome.state != "later":
            return Turn(more=True)
        wait = 30.0 if later is None else max(later - time.time(), 0.0)
        return Turn(at=time.monotonic() + (wait if scheduled is None else min(wait, scheduled)))

    def _once_turn(self, tenant: str) -> Turn:
        """One turn under `watch --once`: one document; done when nothing more can be sent now
        (all sent, Fortnox unreachable, or a person must act first), as `Bridge.drain` decides."""
        if self._first_turn(tenant):
            return Turn(more=True)
        pace = self.bridge.pace_wait(tenant)
        if pace > 0:
            return Turn(at=time.monotonic() + pace)
        outcome, later = self.bridge.run_next(tenant)
        if outcome is not None and outcome.state != "later":
            return Turn(more=True)
        if later is None or (outcome is not None and outcome.unreachable):
            return Turn(done=True)
        if (outcome is None or outcome.refused) and self.bridge.gate.waiting(tenant):
            return Turn(done=True)
        return Turn(at=time.monotonic() + min(max(later - time.time(), 0.01), 1.0))

    def _take_ready(self) -> None:
        """Take the files that have settled: each company's in the order they arrived, several
        companies at once (reading and recording a file is mostly waiting for the disk, and the
        ledger commits the records of several companies together)."""
        self.bridge.answer_strays()  # a file at the root of inbox/ when several companies are configured
        by_company: dict[str, list[Candidate]] = {}
        for candidate in self.scanner.scan():
            by_company.setdefault(candidate.tenant, []).append(candidate)
        groups = list(by_company.values())
        if len(groups) > 1:
            with ThreadPoolExecutor(min(self.workers, len(groups)), thread_name_prefix="take") as takers:
                taken = list(takers.map(self._take_all, groups))
        else:
            taken = [self._take_all(group) for group in groups]
        for group in taken:
            for candidate, took in group:
                self.scanner.forget(candidate.path)
                if candidate.companion is not None:
                    self.scanner.forget(candidate.companion)
                if took:  # else removed before we could take it
                    self.kick(candidate.tenant)
        for candidate in self.scanner.stale_empty(EMPTY_FILE_REPORT_SECONDS):
            log.warning(
                "%s has stayed empty for a minute; it will be taken once it has content", candidate.path
            )

    def _take_all(self, candidates: list[Candidate]) -> list[tuple[Candidate, bool]]:
        """One company's files, in order; answers those handled (taken, or gone) and whether taken."""
        handled = []
        for candidate in candidates:
            try:
                taken = self._take(candidate)
            except PermissionError as exc:
                log.error("cannot take %s: %s; will try again", candidate.path.name, exc)
                continue
            handled.append((candidate, taken))
        return handled

    def _take(self, candidate: Candidate) -> bool:
        """Whether the file was taken (else it was removed before it could be)."""
        return (
            self.bridge.take_in(candidate.path, candidate.tenant, companion=candidate.companion) is not None
        )

    def listeners(self) -> list[LiveListener]:
        """One connection to Fortnox's topics per integration, for the companies with live updates on."""
        found = []
        for (url, secret), names in self.bridge.live_companies().items():
            companies = [
                LiveCompany(
                    n, self.bridge.clients[n].tokens, topics_for(live_exports(self.bridge.settings, n))
                )
                for n in names
                if n in {t.name for t in self.tenants}
            ]
            if not companies:
                continue
            found.append(LiveListener(self.bridge, url, secret, companies, wake=self.kick, stop=self.stop))
        return found

    def kick(self, tenant: str) -> None:
        """Wake the company: there is work for it."""
        if self.pool is not None:
            self.pool.kick(tenant)

    def folders(self) -> list[Path]:
        return list(self.scanner.folders.values())


def _earliest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)
