"""What the console starts and keeps between requests: retries and exports running in the
background (a page never waits for Fortnox), consent links waiting for their answer, and the
pace of a file being sent."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bridge.config import ConfigError
from bridge.connect import Connected, ConnectFailed, Consent, ask_consent, finish_consent
from bridge.fortnox import FortnoxError
from bridge.pipeline import Bridge, FileRecord
from bridge.pipeline.progress import FORTNOX_CALLS_PER_SECOND

__all__ = ["EXPORT_KINDS", "Job", "Pace", "Work"]

log = logging.getLogger("bridge.console")

CONSENT_SECONDS = 600.0  # Fortnox's code lives 10 minutes; a link is kept a little longer than that
PACE_WINDOW = 20.0  # seconds of samples the pace is measured over
EXPORT_KINDS = ("sie", "payments", "masterdata")


@dataclass
class Job:
    """An export started from the page."""

    id: int
    kind: str
    tenant: str
    started_at: str
    state: str = "running"  # running, done, failed
    message: str = ""
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Pace:
    """How a file is going: documents through of all, calls a second, seconds left at that pace."""

    through: int
    total: int
    calls_per_second: float  # calls this process made (0 when another process sends)
    documents_per_second: float
    seconds_left: float | None
    measured: bool  # False: no calls seen yet, the time left is at Fortnox's limit


class Work:
    def __init__(
        self,
        bridge: Bridge,
        *,
        kick: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bridge = bridge
        self.kick = kick
        self.clock = clock
        self.jobs: list[Job] = []
        self.consents: dict[str, tuple[float, Consent]] = {}
        self._lock = threading.Lock()
        self._sending: dict[str, threading.Lock] = {}
        self._calls: deque[tuple[float, int]] = deque()
        self._through: dict[int, deque[tuple[float, int]]] = {}

    # --- retry -----------------------------------------------------------------------------

    def retry(self, file: FileRecord) -> None:
        """Send again what failed in `file`: by the company's worker when `watch` runs here,
        else on a thread of ours (one per company at a time)."""
        if self.kick is not None:
            self.bridge.retry([file], send=False)
            self.kick(file.tenant)
            return
        with self._lock:
            lock = self._sending.setdefault(file.tenant, threading.Lock())

        def send() -> None:
            with lock:
                try:
                    self.bridge.retry([file])
                except Exception:  # the page shows the file's state; the log the cause
                    log.exception("retrying %s failed", file.name)

        threading.Thread(target=send, name=f"console-retry-{file.id}", daemon=True).start()

    # --- connecting ------------------------------------------------------------------------

    def check_companies(self, names: list[str] | None = None) -> None:
        """Ask Fortnox what each company allows (or these), in the background (what `watch`
        does at start; after a licence is bought, what `tenants` does)."""
        chosen = [
            t.name
            for t in self.bridge.settings.tenants
            if not t.embedded and t.name in self.bridge.clients and (names is None or t.name in names)
        ]

        def check() -> None:
            for name in chosen:
                try:
                    if self.bridge.check_access(name) is not None and self.kick is not None:
                        self.kick(name)
                except Exception:
                    log.exception("checking %s failed", name)

        threading.Thread(target=check, name="console-check", daemon=True).start()

    def consent(self, tenant: str, redirect_uri: str) -> Consent:
        """A new activation link for `tenant`, answered at `redirect_uri`. Raises ConfigError."""
        consent = ask_consent(self.bridge.settings, tenant, redirect_uri=redirect_uri)
        now = time.monotonic()
        with self._lock:
            self.consents = {k: v for k, v in self.consents.items() if v[0] > now - CONSENT_SECONDS}
            self.consents[consent.state] = (now, consent)
        return consent

    def answer(self, answer: dict[str, str]) -> Connected | str:
        """Finish the consent this answer belongs to; the connected company, or why not."""
        with self._lock:
            _, consent = self.consents.pop(answer.get("state", ""), (0.0, None))
        if consent is None:
            return "unknown"
        try:
            connected = finish_consent(self.bridge.settings, consent, answer)
        except (ConnectFailed, ConfigError) as failure:
            return str(failure)
        tenant = consent.target.name or self.bridge.settings.tenants[0].name
        self.bridge.gate.checked(tenant, connected.check)  # a waiting worker sees it and sends
        if self.kick is not None:
            self.kick(tenant)
        return connected

    # --- exports ---------------------------------------------------------------------------

    def export(self, kind: str, tenant: str, year: int | None = None) -> Job:
        with self._lock:
            job = Job(
                len(self.jobs) + 1, kind, tenant, datetime.now().astimezone().isoformat(timespec="seconds")
            )
            self.jobs.append(job)
        threading.Thread(
            target=self._export, args=(job, year), name=f"console-export-{job.id}", daemon=True
        ).start()
        return job

    def _export(self, job: Job, year: int | None) -> None:
        settings = self.bridge.settings
        client = self.bridge.clients.get(job.tenant)
        try:
            if client is None:
                raise ConfigError(f"{job.tenant} has no connection to Fortnox")
            if job.kind == "sie":
                from bridge.exporters.sie import export_sie

                written = export_sie(client, settings.outbox / "exports", year=year)
                job.files = [str(w.path) for w in written if w.path is not None]
                job.message = "; ".join(p for w in written for p in w.problems)
            elif job.kind == "payments":
                from bridge.exporters.payments import export_payments

                result: Any = export_payments(client, job.tenant, settings.outbox, settings.state_dir)
                job.files = [str(p) for p in _paths(result)]
            else:
                from bridge.exporters.masterdata import export_masterdata

                result = export_masterdata(client, job.tenant, settings.outbox, settings.state_dir)
                job.files = [str(p) for p in _paths(result)]
            job.state = "failed" if job.message and not job.files else "done"
        except (FortnoxError, ConfigError, ValueError, OSError) as error:
            job.state, job.message = "failed", str(error)
        except Exception as error:  # shown on the page; the log keeps the trace
            log.exception("export %s for %s failed", job.kind, job.tenant)
            job.state, job.message = "failed", f"{type(error).__name__}: {error}"

    # --- pace --------------------------------------------------------------------------------

    def pace(self, file_id: int) -> Pace:
        """Documents through of all, and the pace measured over the last `PACE_WINDOW` seconds."""
        counts = self.bridge.document_counts(file_id)
        total = sum(counts.values())
        left = counts.get("queued", 0) + counts.get("sending", 0)
        through = total - left
        now = self.clock()
        with self._lock:
            calls = self._window(self._calls, now, self.bridge.progress.calls)
            done = self._window(self._through.setdefault(file_id, deque()), now, through)
        calls_per_second = _rate(calls)
        documents_per_second = _rate(done)
        if not left:
            return Pace(through, total, calls_per_second, documents_per_second, 0.0, True)
        if documents_per_second > 0:
            seconds = left / documents_per_second
            return Pace(through, total, calls_per_second, documents_per_second, seconds, True)
        seconds = left / FORTNOX_CALLS_PER_SECOND  # at least a call each: at best Fortnox's limit
        return Pace(through, total, calls_per_second, documents_per_second, seconds, False)

    @staticmethod
    def _window(samples: deque[tuple[float, int]], now: float, value: int) -> deque[tuple[float, int]]:
        samples.append((now, value))
        while len(samples) > 2 and samples[0][0] < now - PACE_WINDOW:
            samples.popleft()
        return samples


def _rate(samples: deque[tuple[float, int]]) -> float:
    if len(samples) < 2:
        return 0.0
    (t0, v0), (t1, v1) = samples[0], samples[-1]
    return (v1 - v0) / (t1 - t0) if t1 > t0 and v1 >= v0 else 0.0


def _paths(result: Any) -> list[Any]:
    """The files an exporter's answer names (its dataclasses differ a little)."""
    found = []
    for name in ("csv_path", "json_path", "path", "folder"):
        value = getattr(result, name, None)
        if value is not None:
            found.append(value)
    return found
