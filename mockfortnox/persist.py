"""The state file behind `mockfortnox serve --state FILE`: a snapshot plus an append-only journal.

Durability chosen: every answered write is in the journal before its answer leaves (the
changed records are appended and flushed to the operating system), so killing the process —
even with `kill -9` — never loses a write a client saw confirmed. The journal is not fsynced
per write (a power cut may lose the last moments); snapshots are written atomically with
fsync. Cost per write is proportional to what changed, not to the whole state: the snapshot
(O(state)) is rewritten only when the journal has grown past the snapshot's size, when
tenants or clients are added or removed, and on shutdown.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bridge.util import dumps
from mockfortnox.state import MockState, Tenant, journal_path

__all__ = ["StateFile"]

MIN_COMPACT_BYTES = 1_000_000


class StateFile:
    def __init__(self, path: Path, state: MockState) -> None:
        self.path = path
        self.state = state
        self._lock = threading.Lock()
        self._journal_bytes = 0
        self._snapshot_bytes = 0

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> None:
        self.state.load(self.path)
        self.snapshot()  # fold the replayed journal into a fresh snapshot

    def snapshot(self) -> None:
        with self._lock:
            self._snapshot()

    def _snapshot(self) -> None:
        with self.state.lock:
            self.state.token_changes = []  # the snapshot holds them
        self.state.save(self.path)
        self._snapshot_bytes = self.path.stat().st_size
        self._journal_bytes = 0

    def collect(self, tenant: Tenant) -> list[dict]:
        """What the request changed in `tenant`; call it while the tenant's lock is held."""
        return tenant.drain_changes(next(self.state.sequence))

    def commit(self, entries: list[dict]) -> None:
        """Make a request's changes durable; call it after the tenant's lock is released (a
        snapshot takes every tenant's lock in turn)."""
        with self._lock:
            if self.state.needs_snapshot or self._journal_bytes > max(
                MIN_COMPACT_BYTES, self._snapshot_bytes
            ):
                self._snapshot()
                return
            with self.state.lock:
                entries = self.state.token_changes + entries
                self.state.token_changes = []
            if not entries:
                return
            text = "".join(dumps(entry) + "\n" for entry in entries)
            with journal_path(self.path).open("a", encoding="utf-8") as journal:
                journal.write(text)
            self._journal_bytes += len(text)
