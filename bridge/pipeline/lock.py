"""One bridge per state folder: an exclusive lock on `.bridge/` for every command that sends
or moves files.

Two bridges on the same folders would each take files and send their documents: the ledger's
unique index keeps one process honest, not two racing over the same inbox and an embedded mock.
The lock is `flock` on `.bridge/lock`, so the kernel releases it when its process dies, however
it dies: a stale lock is no lock, and the next command takes it over. Who holds it (pid, host,
since, command) is written into the file for the message the second one prints; that text is
only for people, the `flock` alone decides.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from bridge.pipeline.dialect import Postgres, Unreachable
from bridge.util.i18n import _

__all__ = ["LOCK_NAME", "LockHeld", "StateLock"]

LOCK_NAME = "lock"


class LockHeld(RuntimeError):
    """Another bridge works on this state folder; the message says who and what to do."""


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    since: str
    command: str

    def describe(self) -> str:
        return _("%(command)s (pid %(pid)s on %(host)s, since %(since)s)") % {
            "command": self.command or _("a bridge"),
            "pid": self.pid,
            "host": self.host,
            "since": self.since,
        }


class StateLock:
    """`with StateLock(state_dir, "watch"):` — raises LockHeld when another process holds it.

    With the ledger in PostgreSQL (`ledger_url`), other state folders may name the same
    database, so the lock is the database's too (`Postgres.hold_sending`): two bridges sending
    from one ledger would each take the other's queued documents and send them twice."""

    def __init__(self, state_dir: Path, command: str, ledger_url: str = "") -> None:
        self.path = state_dir / LOCK_NAME
        self.command = command
        self.ledger_url = ledger_url
        self._fd: int | None = None
        self._held: Any = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            who = holder.describe() if holder else _("another bridge")
            raise LockHeld(
                _(
                    "%(who)s is already working on %(folder)s; only one bridge may send from one"
                    " state folder. Stop it first (or wait until it ends); `fortnox-bridge check` and"
                    " `status` work beside it"
                )
                % {"who": who, "folder": self.path.parent}
            ) from None
        except BaseException:
            os.close(fd)
            raise
        holder = Holder(os.getpid(), socket.gethostname(), _now(), self.command)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder.__dict__).encode(), 0)
        self._fd = fd
        if self.ledger_url:
            try:
                self._hold_ledger(holder)
            except BaseException:
                self.release()
                raise

    def _hold_ledger(self, holder: Holder) -> None:
        database = Postgres(self.ledger_url)
        try:
            # ASCII, and short: the server keeps 63 bytes of a connection's application_name
            held, who = database.hold_sending(
                f"{holder.command or 'fortnox-bridge'} (pid {holder.pid} on {holder.host}, since {holder.since})"
            )
        except Unreachable as exc:
            raise LockHeld(str(exc)) from None
        if held is None:
            raise LockHeld(
                _(
                    "%(who)s is already sending from the ledger %(url)s; only one bridge may send from"
                    " one ledger. Stop it first (or wait until it ends); `fortnox-bridge check` and"
                    " `status` work beside it"
                )
                % {"who": who or _("another bridge"), "url": database.where}
            )
        self._held = held

    def release(self) -> None:
        if self._held is not None:
            self._held.close()  # the database lets go of the ledger's lock with its connection
            self._held = None
        if self._fd is not None:
            # Truncate before unlocking: a holder's text is never left beside a free lock.
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()


def _read_holder(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"null")
        return Holder(int(data["pid"]), str(data["host"]), str(data["since"]), str(data.get("command", "")))
    except (ValueError, TypeError, KeyError, OSError):
        return None  # being written this very moment, or an older format: the sentence says less


def _now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")
