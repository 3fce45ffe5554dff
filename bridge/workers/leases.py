"""Leases: which worker serves which company now, and the fence that stops one that no longer does.

The queue engine (procrastinate, `queue.py`) already runs one job per company at a time and
finds the jobs of workers that stopped beating. What it cannot know is that a worker it gave up
on may still be running: a process paused (SIGSTOP, a frozen VM, a long GC) past its heartbeat
wakes up in the middle of a document, after its job was handed to another worker. So a job
that serves a company first takes the company's lease here, and the lease is what fences:

- **Generation.** Taking a company's lease increments its generation; the serving code holds
  that number, and every check compares it, so an old slice is never mistaken for a new one.
- **Expiry.** A lease lasts `workers.lease_seconds` past its worker's last heartbeat, by the
  database's clock; it is taken over only once expired (or given back).
- **Before every call to Fortnox**, the process compares its monotonic clock with the lease's
  expiry as last renewed (`Lease.check`, through the company's pacer): a process that was
  paused past its lease knows it at once, without asking anyone, and sends nothing.
- **Every ledger write about a company's documents** (a step's intent, its result, the
  document's state) is refused by a trigger in the database unless the connection's worker
  (`bridge.worker`, set in the connection string) holds the company's unexpired lease: a
  worker that lost its company cannot record, and so cannot send, anything more for it. A new
  file is recorded only under the intake's lease, in the same way.

The remaining window is a process paused between that last check and the bytes leaving it;
the ledger's record of the intent and the look-up before any resend (DESIGN §5) cover it as
they cover a crash.

A lease row also carries the company's recent call times, so the next worker to serve it
goes on in the same 25-per-5-s window at Fortnox. Workers register in `workers` with a
heartbeat (`fortnox-bridge workers` lists them).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from bridge.pipeline.lock import LockHeld
from bridge.util.i18n import N_, _

__all__ = [
    "INTAKE",
    "Lease",
    "LeaseLost",
    "Leases",
    "WorkerRow",
    "fenced_url",
    "install_fence",
    "valid_worker_id",
]

log = logging.getLogger("bridge.workers")

INTAKE = "@intake"  # the lease of the role that watches inbox/ (no company name starts with @)
SCHEMA_LOCK = 7_301_946  # an advisory lock: workers starting together create the tables once
MARGIN = 0.2  # of the lease: a worker stops trusting its lease this much before the database would

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workers (
    worker TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    heartbeat TIMESTAMPTZ NOT NULL,
    stopped_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS leases (
    company TEXT PRIMARY KEY,
    worker TEXT,
    generation BIGINT NOT NULL DEFAULT 0,
    expires_at TIMESTAMPTZ,
    heartbeat TIMESTAMPTZ,
    calls TEXT NOT NULL DEFAULT '[]',
    access_checked TIMESTAMPTZ
);
ALTER TABLE leases ADD COLUMN IF NOT EXISTS access_checked TIMESTAMPTZ;
"""

# The fence in the database: with `bridge.worker` set on the connection (worker mode), a write
# about a company's documents needs that worker's unexpired lease. Commands run by people
# (`retry`, `status`) set nothing and are not fenced. A file is recorded only by the worker that
# holds the intake's lease (a paused intake that wakes up cannot record a claim twice); its
# documents are inserted by whoever reads it, and then changed only by the company's worker.
_FENCE = """
CREATE OR REPLACE FUNCTION bridge_fence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    me TEXT := current_setting('bridge.worker', true);
    owner TEXT;
BEGIN
    IF me IS NULL OR me = '' THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'steps' THEN
        SELECT tenant INTO owner FROM documents WHERE id = NEW.document_id;
    ELSIF TG_TABLE_NAME = 'files' THEN
        owner := '@intake';  -- only the intake records files in worker mode
    ELSE
        owner := NEW.tenant;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM leases
        WHERE company = owner AND worker = me AND expires_at > clock_timestamp()
    ) THEN
        RAISE EXCEPTION 'worker % no longer serves company %', me, owner
            USING ERRCODE = 'BR001', HINT = 'another worker took the company over';
    END IF;
    RETURN NEW;
END $$;
"""
# Each trigger is made once, by the first worker: making one locks its table against writes, and
# a worker starting beside others that write would deadlock with them.
_TRIGGERS = {
    "fence_documents": "CREATE TRIGGER fence_documents BEFORE UPDATE ON documents"
    " FOR EACH ROW EXECUTE FUNCTION bridge_fence()",
    "fence_steps": "CREATE TRIGGER fence_steps BEFORE UPDATE ON steps FOR EACH ROW EXECUTE FUNCTION bridge_fence()",
    "fence_files": "CREATE TRIGGER fence_files BEFORE INSERT ON files FOR EACH ROW EXECUTE FUNCTION bridge_fence()",
}

FENCE_ERROR = "BR001"  # the SQLSTATE the fence raises


class LeaseLost(RuntimeError):
    """This worker no longer serves the company: its lease expired or was taken over."""


def valid_worker_id(worker: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", worker))


def fenced_url(url: str, worker: str) -> str:
    """The ledger's connection string with this worker named on every connection, which the
    fence trigger reads (`options=-c bridge.worker=ID`)."""
    if not valid_worker_id(worker):
        raise ValueError(worker)
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-c%20bridge.worker%3D{worker}"


def _ensure_tables(connection: psycopg.Connection[Any]) -> None:
    """The workers' and leases' tables, made once by whichever worker comes first."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        connection.execute(_SCHEMA)


def install_fence(connection: psycopg.Connection[Any]) -> bool:
    """The fence trigger on the ledger's documents and steps; False while the ledger's tables
    are not there yet (the first worker to open the ledger creates them, then this runs)."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        connection.execute(_SCHEMA)
        found = connection.execute(
            "SELECT to_regclass('documents') IS NOT NULL AND to_regclass('steps') IS NOT NULL"
            " AND to_regclass('files') IS NOT NULL"
        ).fetchone()
        if not (found and found[0]):
            return False
        connection.execute(_FENCE)  # the function alone: replacing it locks no table
        present = {
            name
            for (name,) in connection.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname = ANY(%s)",
                (list(_TRIGGERS),),
            ).fetchall()
        }
        for name, create in _TRIGGERS.items():
            if name not in present:
                connection.execute(create)
    return True


class Lease:
    """A company served by this process, from `Leases.take` until `Leases.give_back`."""

    def __init__(
        self,
        company: str,
        generation: int,
        calls: list[float],
        valid_until: float,
        access_checked_ago: float | None = None,
    ) -> None:
        self.company = company
        self.generation = generation
        self.calls = calls  # seconds since each recent call, as the last worker left them
        self.access_checked_ago = access_checked_ago  # seconds since any worker asked Fortnox
        self.valid_until = valid_until  # time.monotonic(): trusted until then
        self.lost = False

    def valid(self) -> bool:
        return not self.lost and time.monotonic() < self.valid_until

    def check(self) -> None:
        """Raises LeaseLost unless this process may still act for the company (before each call)."""
        if not self.valid():
            self.lost = True
            raise LeaseLost(
                N_("this worker no longer serves %(company)s (its lease ran out); another takes over")
                % {"company": self.company}
            )


@dataclass(frozen=True)
class WorkerRow:
    """One worker as `fortnox-bridge workers` shows it."""

    worker: str
    host: str
    pid: int
    started_at: datetime
    heartbeat: datetime
    seconds_since_heartbeat: float
    alive: bool
    stopped: bool
    companies: tuple[str, ...]
    intake: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "host": self.host,
            "pid": self.pid,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "heartbeat": self.heartbeat.isoformat(timespec="seconds"),
            "seconds_since_heartbeat": round(self.seconds_since_heartbeat, 1),
            "alive": self.alive,
            "stopped": self.stopped,
            "companies": list(self.companies),
            "intake": self.intake,
        }


class Leases:
    """This worker's leases on one PostgreSQL database (its own connection, shared by threads)."""

    def __init__(self, url: str, worker: str, seconds: float) -> None:
        self.worker = worker
        self.seconds = float(seconds)
        self._db = psycopg.connect(url, autocommit=True)
        self._lock = threading.Lock()
        self._held: dict[str, Lease] = {}
        _ensure_tables(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            cursor = self._db.execute(sql, args)
            return cursor.fetchall() if cursor.description else []

    # --- the worker itself ---------------------------------------------------------------

    def register(self) -> None:
        """Records this worker; refuses when a live process already works under its id (the
        fence tells workers apart by id, so two with one id would be one worker to it). A
        process of the same id that died on this host is replaced at once, as on a restart."""
        with self._lock:
            install_fence(self._db)
        with self._lock, self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            other = self._db.execute(
                "SELECT host, pid, EXTRACT(EPOCH FROM clock_timestamp() - heartbeat)::float8 FROM workers"
                " WHERE worker = %s AND stopped_at IS NULL",
                (self.worker,),
            ).fetchone()
            if other and _alive_elsewhere(other[0], int(other[1]), float(other[2]), self.seconds):
                raise LockHeld(
                    _(
                        "worker %(worker)s already runs on %(host)s (pid %(pid)s, last heartbeat"
                        " %(age)s s ago); give each worker its own --worker-id (e.g. host name and"
                        " number), or stop that one first"
                    )
                    % {
                        "worker": self.worker,
                        "host": other[0],
                        "pid": other[1],
                        "age": f"{float(other[2]):.0f}",
                    }
                )
            self._db.execute(
                "INSERT INTO workers (worker, host, pid, started_at, heartbeat)"
                " VALUES (%s, %s, %s, clock_timestamp(), clock_timestamp())"
                " ON CONFLICT (worker) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
                " started_at = excluded.started_at, heartbeat = excluded.heartbeat, stopped_at = NULL",
                (self.worker, socket.gethostname(), os.getpid()),
            )

    def beat(self) -> list[str]:
        """The worker's heartbeat, and its leases renewed; answers the companies it lost (a
        lease that expired before this beat stays lost: another worker may have it now)."""
        started = time.monotonic()
        with self._lock:
            held = [company for company, lease in self._held.items() if not lease.lost]
        rows = self._run(
            "WITH beat AS (UPDATE workers SET heartbeat = clock_timestamp() WHERE worker = %s)"
            " UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => %s),"
            " heartbeat = clock_timestamp()"
            " WHERE worker = %s AND company = ANY(%s) AND expires_at > clock_timestamp()"
            " RETURNING company, generation",
            (self.worker, self.seconds, self.worker, held),
        )
        renewed = dict(rows)
        lost = []
        with self._lock:
            for company, lease in list(self._held.items()):
                if lease.lost:  # its slice gave up on it; `give_back` frees it if still ours
                    continue
                if renewed.get(company) == lease.generation:
                    lease.valid_until = max(lease.valid_until, self._trusted_until(started))
                elif company in held:
                    lease.lost = True
                    del self._held[company]
                    lost.append(company)
        return lost

    def stop(self) -> None:
        """Stopping in good order: every lease given back, the worker marked stopped."""
        self._run("UPDATE leases SET worker = NULL, expires_at = NULL WHERE worker = %s", (self.worker,))
        self._run("UPDATE workers SET stopped_at = clock_timestamp() WHERE worker = %s", (self.worker,))

    def _trusted_until(self, asked_at: float) -> float:
        return asked_at + self.seconds * (1 - MARGIN)

    # --- companies -----------------------------------------------------------------------

    def take(self, company: str) -> Lease | None:
        """The company's lease with a new generation; None while another worker's is unexpired."""
        asked_at = time.monotonic()
        rows = self._run(
            # `since`: how long ago the last worker gave it back, to age its call times by.
            "WITH before AS (SELECT EXTRACT(EPOCH FROM clock_timestamp() - heartbeat)::float8 AS since"
            " FROM leases WHERE company = %s),"
            " taken AS (INSERT INTO leases (company, worker, generation, expires_at, heartbeat)"
            " VALUES (%s, %s, 1, clock_timestamp() + make_interval(secs => %s), clock_timestamp())"
            " ON CONFLICT (company) DO UPDATE SET worker = excluded.worker,"
            " generation = leases.generation + 1, expires_at = excluded.expires_at,"
            " heartbeat = excluded.heartbeat"
            " WHERE leases.worker IS NULL OR leases.worker = excluded.worker"
            " OR leases.expires_at <= clock_timestamp()"
            " RETURNING generation, calls,"
            " EXTRACT(EPOCH FROM clock_timestamp() - access_checked)::float8 AS checked_ago)"
            " SELECT generation, calls, (SELECT since FROM before), checked_ago FROM taken",
            (company, company, self.worker, self.seconds),
        )
        if not rows:
            return None
        generation, calls, since, checked_ago = rows[0]
        ages = [age + float(since or 0.0) for age in _ages(calls)]
        checked = float(checked_ago) if checked_ago is not None else None
        lease = Lease(company, int(generation), ages, self._trusted_until(asked_at), checked)
        with self._lock:
            earlier = self._held.get(company)
            if earlier is not None:  # an older slice of this very process: it stops at its next check
                earlier.lost = True
            self._held[company] = lease
        return lease

    def access_checked(self, lease: Lease) -> None:
        """This worker asked Fortnox what the company allows (recorded in the ledger): the
        company's next workers need not ask again for a while."""
        self._run(
            "UPDATE leases SET access_checked = clock_timestamp()"
            " WHERE company = %s AND worker = %s AND generation = %s",
            (lease.company, self.worker, lease.generation),
        )

    def holds(self, lease: Lease) -> bool:
        """Asks the database (once per document): the lease is still this generation's, unexpired."""
        if not lease.valid():
            return False
        rows = self._run(
            "SELECT 1 FROM leases WHERE company = %s AND worker = %s AND generation = %s"
            " AND expires_at > clock_timestamp()",
            (lease.company, self.worker, lease.generation),
        )
        if not rows:
            lease.lost = True
        return bool(rows)

    def give_back(self, lease: Lease, calls: list[float]) -> None:
        """The slice is over: the company is free for any worker, with its recent call times."""
        with self._lock:
            if self._held.get(lease.company) is lease:
                del self._held[lease.company]
        self._run(
            "UPDATE leases SET worker = NULL, expires_at = NULL, heartbeat = clock_timestamp(), calls = %s"
            " WHERE company = %s AND worker = %s AND generation = %s",
            (json.dumps(calls), lease.company, self.worker, lease.generation),
        )

    def held(self) -> list[str]:
        with self._lock:
            return sorted(self._held)


class LedgerUnreachable(RuntimeError):
    """The ledger's PostgreSQL did not answer; the message says what to check."""


def workers_at(url: str, seconds: float) -> list[WorkerRow]:
    """`list_workers` on the ledger at `url` (the `workers` command)."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as db:
            return list_workers(db, seconds)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise LedgerUnreachable(
            _("cannot reach the ledger's PostgreSQL (%(error)s); check ledger.url and that the server runs")
            % {"error": first}
        ) from None


def list_workers(connection: psycopg.Connection[Any], seconds: float) -> list[WorkerRow]:
    """Every worker that registered, with the companies whose lease it holds now."""
    _ensure_tables(connection)
    rows = connection.execute(
        "SELECT w.worker, w.host, w.pid, w.started_at, w.heartbeat,"
        " EXTRACT(EPOCH FROM clock_timestamp() - w.heartbeat)::float8, w.stopped_at IS NOT NULL,"
        " COALESCE(array_agg(l.company ORDER BY l.company)"
        "   FILTER (WHERE l.company IS NOT NULL), ARRAY[]::text[])"
        " FROM workers w LEFT JOIN leases l ON l.worker = w.worker AND l.expires_at > clock_timestamp()"
        " GROUP BY w.worker ORDER BY w.worker"
    ).fetchall()
    found = []
    for worker, host, pid, started, heartbeat, age, stopped, companies in rows:
        found.append(
            WorkerRow(
                worker=worker,
                host=host,
                pid=int(pid),
                started_at=started,
                heartbeat=heartbeat,
                seconds_since_heartbeat=float(age),
                alive=not stopped and float(age) < seconds,
                stopped=bool(stopped),
                companies=tuple(c for c in companies if c != INTAKE),
                intake=INTAKE in companies,
            )
        )
    return found


def _alive_elsewhere(host: str, pid: int, age: float, seconds: float) -> bool:
    """Whether the worker process recorded as `host`/`pid` may still be running: its heartbeat
    is recent and, on this host, its process exists (a killed one is gone at once)."""
    if age >= seconds:
        return False
    if host != socket.gethostname():
        return True
    if pid == os.getpid():
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        state = stat.rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False  # no such process
    return state not in ("Z", "X")  # a killed process not yet reaped by its parent is gone too


def _ages(calls: str | None) -> list[float]:
    try:
        return [float(a) for a in json.loads(calls or "[]")]
    except (ValueError, TypeError):
        return []
