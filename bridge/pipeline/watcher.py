"""`watch`: notice files, claim them when they are complete, and keep every tenant's queue
moving. File-system events only wake the loop early; a full scan runs at start and every
`rescan_seconds`, because events get lost on network shares and under load."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from bridge.exporters.live import topics_for
from bridge.pipeline.inbox import InboxScanner
from bridge.pipeline.listener import LiveCompany, LiveListener
from bridge.pipeline.live import live_exports
from bridge.pipeline.service import Bridge, RequestError

__all__ = ["Watcher"]

log = logging.getLogger("bridge.watch")

EMPTY_FILE_REPORT_SECONDS = 60.0
SETTLING_TICK = 0.1  # how often files that are still settling are looked at again
PENDING_CHECK_SECONDS = 5.0


class _Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.event.set()


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
        self._kicks = {t.name: threading.Event() for t in self.tenants}

    # --- the loop ------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> None:
        self.bridge.recover()
        for tenant in self.tenants:  # what is missing is said before any file is tried
            if not tenant.embedded:
                self.bridge.check_access(tenant.name)
        if once:
            self._run_once()
            return
        observer = self.observer = PollingObserver(timeout=1.0) if self.poll else Observer()
        observer.schedule(_Wake(self.wake), str(self.bridge.settings.inbox), recursive=True)
        observer.start()
        workers = [
            threading.Thread(target=self._work, args=(name,), name=f"send-{name}", daemon=True)
            for name in self._kicks
        ]
        for worker in workers:
            worker.start()
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
            for kick in self._kicks.values():
                kick.set()
            observer.stop()
            observer.join(timeout=5)
            for worker in [*listeners, *workers]:
                worker.join(timeout=30)

    def _run_once(self) -> None:
        """Take what is in the inbox now, send what can be sent, and return."""
        deadline = time.monotonic() + max(10 * self.settle, 10.0)
        while True:
            self._take_ready()
            waiting = [c for c in self.scanner.seen.values() if c.size > 0]
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(min(0.2, self.settle))
        for name in self._kicks:
            self.bridge.drain(name, until_blocked=True)

    def _take_ready(self) -> None:
        for candidate in self.scanner.scan():
            try:
                taken = self.bridge.take(candidate.path, candidate.tenant, companion=candidate.companion)
            except PermissionError as exc:
                log.error("cannot take %s: %s; will try again", candidate.path.name, exc)
                continue
            self.scanner.forget(candidate.path)
            if candidate.companion is not None:
                self.scanner.forget(candidate.companion)
            if taken is not None:  # else removed before we could take it
                self._kicks[candidate.tenant].set()
        for candidate in self.scanner.stale_empty(EMPTY_FILE_REPORT_SECONDS):
            log.warning(
                "%s has stayed empty for a minute; it will be taken once it has content", candidate.path
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
                if n in self._kicks
            ]
            if not companies:
                continue
            found.append(LiveListener(self.bridge, url, secret, companies, wake=self.kick, stop=self.stop))
        return found

    def kick(self, tenant: str) -> None:
        """Wake the company's worker: there is work for it."""
        kick = self._kicks.get(tenant)
        if kick is not None:
            kick.set()

    def _work(self, tenant: str) -> None:
        """The company's worker: live changes, its scheduled exports, and its queue, one document
        at a time."""
        kick = self._kicks[tenant]
        while not self.stop.is_set():
            scheduled = None
            try:
                retry_live = self.bridge.run_live(tenant)
                live_wait = None if retry_live is None else max(retry_live - time.time(), 0.0)
                scheduled = _earliest(live_wait, self.bridge.run_scheduled(tenant))
                outcome, later = self.bridge.run_next(tenant)
            except Exception:  # keep the tenant's queue alive whatever one document does
                log.exception("sending for %s failed unexpectedly", tenant)
                outcome, later = None, time.time() + 5
            if outcome is not None and outcome.state != "later":
                continue
            wait = 30.0 if later is None else max(later - time.time(), 0.0)
            kick.wait(wait if scheduled is None else min(wait, scheduled))
            kick.clear()

    def folders(self) -> list[Path]:
        return list(self.scanner.folders.values())


def _earliest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)
