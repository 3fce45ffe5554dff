"""Live changes, the company's side: events kept in the ledger until the export they cause is
written, and sweeps that fill gaps. Runs on the company's worker (`Bridge.run_live`), beside
its queue and its scheduled exports, so that a company's exports are never written by two
threads at once and a slow company delays only itself.

The listener (`listener.py`) only receives: it hands events to `receive` and asks for sweeps.
An event is marked done, and its topic's offset committed, only after its export is written:
a crash in between leaves it pending, and Fortnox replays it from the committed offset.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from bridge.config import ConfigError, Settings
from bridge.exporters.live import EXPORTS, apply_events, sweep
from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.fortnox.topics import TopicEvent
from bridge.pipeline.executor import backoff_seconds
from bridge.pipeline.ledger import Ledger

__all__ = ["LiveWork", "live_exports"]

log = logging.getLogger("bridge.live")

BATCH = 500  # events taken at once: one write of each export per batch


def live_exports(settings: Settings, tenant: str) -> tuple[str, ...]:
    """The exports `live.exports` names for the company (none when live is off)."""
    values = settings.tenant(tenant)
    if not values["live.enabled"]:
        return ()
    names = tuple(n.strip() for n in str(values["live.exports"]).split(",") if n.strip())
    unknown = [n for n in names if n not in EXPORTS]
    if unknown:
        raise ConfigError(f"live.exports: unknown export {', '.join(unknown)} (known: {', '.join(EXPORTS)})")
    return names


class LiveWork:
    def __init__(self, settings: Settings, ledger: Ledger, clients: dict[str, FortnoxClient]) -> None:
        self.settings = settings
        self.ledger = ledger
        self.clients = clients
        self._lock = threading.Lock()
        self._sweeps: dict[str, list[str]] = {}  # company -> why a sweep is due
        self._live: set[str] = set()  # companies on an open connection
        self._failures: dict[str, int] = {}

    # --- from the listener ---------------------------------------------------------------

    def receive(self, stream: str, events: Sequence[tuple[str | None, TopicEvent]]) -> list[str]:
        """Keep the events; answers the companies that have new ones to work on."""
        return sorted(self.ledger.add_live_events(stream, events))

    def request_sweep(self, tenant: str, reason: str) -> None:
        with self._lock:
            reasons = self._sweeps.setdefault(tenant, [])
            if reason not in reasons:
                reasons.append(reason)

    def set_live(self, tenant: str, live: bool) -> None:
        with self._lock:
            (self._live.add if live else self._live.discard)(tenant)

    def is_live(self, tenant: str) -> bool:
        with self._lock:
            return tenant in self._live

    # --- on the company's worker ---------------------------------------------------------

    def run(self, tenant: str) -> float | None:
        """Sweep if one is due, then write what the pending events change. Answers when to try
        again after Fortnox failed to answer (the events stay pending), else None."""
        exports = live_exports(self.settings, tenant)
        client = self.clients.get(tenant)
        if not exports or client is None:
            return None
        try:
            self._sweep(client, tenant, exports)
            while events := self.ledger.pending_live(tenant, BATCH):
                outcome = apply_events(
                    client,
                    tenant,
                    self.settings.outbox,
                    self.settings.state_dir,
                    exports,
                    [e.event for e in events],
                )
                self.ledger.live_done(events)  # only now: a crash before this replays them
                log.info(
                    "%s: live: %d event(s) → %s",
                    tenant,
                    len(events),
                    "; ".join(outcome.written) or "nothing to write",
                )
                for name in outcome.sweep:
                    self.request_sweep(tenant, f"an event {name} cannot follow by itself")
                self._sweep(client, tenant, exports)
        except FortnoxError as error:
            if not error.transient:
                log.warning("%s: live: Fortnox refused: %s; the events wait for a sweep", tenant, error)
                for event in self.ledger.pending_live(tenant, BATCH):
                    self.ledger.live_done([event])
                self.request_sweep(tenant, f"after Fortnox refused: {error.message}")
                return time.time() + 60.0
            failures = self._failures[tenant] = self._failures.get(tenant, 0) + 1
            log.warning("%s: live: Fortnox did not answer (%s); trying again", tenant, error)
            return time.time() + backoff_seconds(failures)
        self._failures.pop(tenant, None)
        return None

    def _sweep(self, client: FortnoxClient, tenant: str, exports: tuple[str, ...]) -> None:
        with self._lock:
            reasons = self._sweeps.pop(tenant, [])
        if not reasons:
            return
        log.info("%s: live: sweeping with lastmodified (%s)", tenant, "; ".join(reasons))
        try:
            written = sweep(client, tenant, self.settings.outbox, self.settings.state_dir, exports)
        except (FortnoxError, OSError):
            for reason in reasons:
                self.request_sweep(tenant, reason)  # still due: the gap is not filled yet
            raise
        log.info("%s: live: sweep done: %s", tenant, "; ".join(written))
