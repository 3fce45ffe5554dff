"""The ledger: a SQLite database (WAL) in the state folder, or a PostgreSQL database
(`ledger.url`), that is the only memory of what was claimed and sent.

Files move through claimed → queued → done | failed | partial | duplicate; their documents
through queued → sending → done | failed | duplicate; each document's steps through
pending → sending → done (`records.py`). A document key is live in at most one document at a
time: the database itself refuses a second live copy, whatever the code around it does.

This is the only module that speaks SQL: rows become frozen records here, at the edge. Its SQL is
SQLite's; `dialect.py` says it in PostgreSQL's words, the one place where the two differ.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import msgspec

from bridge.fortnox.topics import TopicEvent
from bridge.model import Problem, to_json, to_plain
from bridge.pipeline.dialect import Connection, Dialect, Held, Postgres, Row, Unreachable, dialect_for
from bridge.pipeline.records import (
    DocumentRecord,
    DocumentState,
    EarlierDocument,
    EarlierFile,
    FileRecord,
    FileState,
    LiveEvent,
    LiveOffset,
    Notice,
    StepRecord,
    StepState,
    TenantHealth,
    UndoRecord,
)
from bridge.planner import DocumentPlan, Step
from bridge.util import dumpb, dumps, loads
from bridge.util.files import atomic_write
from bridge.util.i18n import _

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "IntegrityError",
    "Ledger",
    "LedgerTrouble",
    "copy_ledger",
    "keep_private",
    "newest_backup",
    "now_iso",
    "open_ledger",
]


_SCHEMA_1 = """
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    work_path TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed','queued','done','failed','partial','duplicate')),
    importer TEXT,
    facts TEXT,
    problems TEXT,
    error TEXT,
    duplicate_of INTEGER REFERENCES files(id),
    outcome_path TEXT,
    origin TEXT,
    companion TEXT,
    claimed_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX files_by_hash ON files(tenant, sha256);
CREATE INDEX files_by_state ON files(state);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_key TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    summary TEXT NOT NULL,
    document TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued','sending','done','failed','duplicate')),
    attempts INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    error_detail TEXT,
    duplicate_of INTEGER REFERENCES documents(id),
    note TEXT,
    result TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE UNIQUE INDEX one_live_document_per_key
    ON documents(tenant, kind, source_key) WHERE state IN ('queued','sending','done');
CREATE INDEX documents_due ON documents(tenant, state, next_attempt_at);
CREATE INDEX documents_of_file ON documents(file_id);
CREATE INDEX documents_of_file_by_state ON documents(file_id, state);
CREATE TABLE steps (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending','sending','done')),
    attempts INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    UNIQUE (document_id, position)
);
CREATE TABLE notices (
    key TEXT PRIMARY KEY,
    tenant TEXT,
    message TEXT NOT NULL,
    since TEXT NOT NULL
);
CREATE TABLE tenants (
    name TEXT PRIMARY KEY,
    unreachable_since TEXT,
    last_error TEXT,
    last_success TEXT
);
"""

# Which files an undo file undoes, and who asked (the OS user).
_UNDOS = """
CREATE TABLE undos (
    undo_file_id INTEGER NOT NULL REFERENCES files(id),
    file_id INTEGER NOT NULL REFERENCES files(id),
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    PRIMARY KEY (undo_file_id, file_id)
);
CREATE INDEX undos_of_file ON undos(file_id);
"""

# What Fortnox lets each company do, as `connect`, `tenants`, `watch` last found it; `version`
# grows with every change, so a waiting process notices another one's reconnect.
_ACCESS = """
CREATE TABLE access (
    tenant TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    since TEXT NOT NULL,
    notices TEXT NOT NULL,
    checked TEXT,
    version INTEGER NOT NULL
);
"""

# Live changes from Fortnox's topics: each event as it arrived (pending until the export it
# causes is written), and per connection and topic the offset up to which everything is done.
_SCHEMA_LIVE = """
CREATE TABLE live_events (
    id INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    topic TEXT NOT NULL,
    offset TEXT NOT NULL,
    tenant TEXT,
    event TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending','done')),
    received_at TEXT NOT NULL,
    done_at TEXT,
    UNIQUE (stream, topic, offset)
);
CREATE INDEX live_events_pending ON live_events(tenant, state, id);
CREATE INDEX live_events_by_topic ON live_events(stream, topic, state, id);
CREATE TABLE live_offsets (
    stream TEXT NOT NULL,
    topic TEXT NOT NULL,
    offset TEXT NOT NULL,
    event_time TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    PRIMARY KEY (stream, topic)
);
"""

# Supplier invoices matched to purchase orders (the orders are the `purchaseorder` documents):
# one row per invoice (Fortnox's GivenNumber), written with its report in one transaction;
# `state` says how far recording it in Fortnox has come (`matched` → `recorded`), `decision`
# what a person decided on a deviation. `invoiced`: order row → quantity this invoice takes.
_MATCHES = """
CREATE TABLE matches (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    invoice TEXT NOT NULL,
    order_number TEXT,
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    report TEXT NOT NULL,
    invoiced TEXT NOT NULL,
    decision TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant, invoice)
);
CREATE TABLE match_cursors (tenant TEXT PRIMARY KEY, since TEXT NOT NULL);
"""

# What `ledger rebuild` found in Fortnox: the fields by which the planners' look-ups find the
# bridge's records again (an invoice's stamp in ExternalInvoiceReference1, a voucher's in
# Comments, a supplier invoice's number, an upload's name). A step whose look-up matches one is
# looked up before it is sent, as after a lost answer. `dismissed_at`: a failed file the
# operator (or the bridge, finding it gone from outbox/failed/) asked to forget.
_REBUILD = """
CREATE TABLE fortnox_records (
    tenant TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant, field, value)
) WITHOUT ROWID;
ALTER TABLE files ADD COLUMN dismissed_at TEXT;
"""

# Each entry takes a ledger one version further; a new ledger runs them all. `origin` is where
# in the inbox a file was dropped (`vouchers/A-15.pdf`), `companion` the work path of a PDF
# claimed together with its e-invoice.
MIGRATIONS: tuple[str, ...] = (_SCHEMA_1, _UNDOS, _ACCESS, _SCHEMA_LIVE, _MATCHES, _REBUILD)
SCHEMA_VERSION = len(MIGRATIONS)
TABLES = (
    "meta", "files", "documents", "steps", "notices", "tenants", "undos", "access", "live_events",
    "live_offsets", "matches", "match_cursors", "fortnox_records",
)  # fmt: skip

# A second live document for a key, refused by the database, whichever it is (PostgreSQL's
# refusal is raised as a subclass of SQLite's: see dialect.py).
IntegrityError = sqlite3.IntegrityError

IDENTITY = "ledger.identity"  # beside the SQLite ledger's place: which PostgreSQL ledger is ours


BACKUPS = "backups"  # beside the ledger: `ledger backup` and `watch`'s rolling copies


class LedgerTrouble(RuntimeError):
    """The ledger cannot be trusted as it is (missing while earlier work shows, damaged, a
    rebuild half done): the bridge stops, and the message says why and the way out."""


def open_ledger(
    path: Path,
    earlier_work: Callable[[], str | None],
    *,
    full_check: bool = False,
    rebuilding: bool = False,
    url: str = "",
) -> Ledger:
    """The ledger at `path` (or in the PostgreSQL database at `url`: `_open_postgres`), checked
    before anything is sent: never silently new, never damaged.

    A new ledger forgets what was sent, so that every file dropped again would be sent again:
    when `earlier_work()` names a trace of work (a receipt, the archive, a backup) the bridge
    stops instead. `PRAGMA quick_check` runs on every open (it reads every page, so a cut or
    overwritten file is caught); `full_check` runs `integrity_check` (indexes too), which
    `watch` does at its start and each backup before copying."""
    if url:
        return _open_postgres(path, url, earlier_work, full_check=full_check, rebuilding=rebuilding)
    new = not path.exists() or path.stat().st_size == 0
    if new:
        trace = earlier_work()
        if trace:
            template = (
                _(
                    "the ledger %(path)s is missing, yet %(trace)s: with a new ledger everything dropped"
                    " again would be sent to Fortnox again, so nothing is sent. Put the ledger back, or"
                    " rebuild it: %(way_out)s"
                )
                if not path.exists()
                else _(
                    "the ledger %(path)s is empty, yet %(trace)s: with a new ledger everything dropped"
                    " again would be sent to Fortnox again, so nothing is sent. Put the ledger back, or"
                    " rebuild it: %(way_out)s"
                )
            )
            raise LedgerTrouble(template % {"path": path, "trace": trace, "way_out": _way_out(path)})
        path.unlink(missing_ok=True)
        for leftover in (_sibling(path, "-wal"), _sibling(path, "-shm")):
            leftover.unlink(missing_ok=True)  # a journal of another database must not be replayed
    keep_private(path)
    try:
        ledger = Ledger(path)
        ledger.verify(full=full_check)
    except sqlite3.DatabaseError as exc:
        raise LedgerTrouble(
            _(
                "the ledger %(path)s is damaged (%(error)s); nothing was sent. %(way_out)s"
                " (the damaged file is kept beside it)"
            )
            % {"path": path, "error": exc, "way_out": _way_out(path)}
        ) from None
    _refuse_half_rebuilt(ledger, rebuilding)
    return ledger


def _refuse_half_rebuilt(ledger: Ledger, rebuilding: bool) -> None:
    if ledger.meta("rebuild") == "started" and not rebuilding:
        ledger.close()
        raise LedgerTrouble(
            _("the rebuild of the ledger %(path)s was interrupted; run `fortnox-bridge ledger rebuild` again")
            % {"path": ledger.where}
        )


def identity_path(path: Path) -> Path:
    """Where the state folder keeps the identity of its PostgreSQL ledger."""
    return path.with_name(IDENTITY)


def _open_postgres(
    path: Path, url: str, earlier_work: Callable[[], str | None], *, full_check: bool, rebuilding: bool
) -> Ledger:
    """`open_ledger` on PostgreSQL. A database cannot go missing as a file does, but it can be
    emptied, or ledger.url can name another one: the ledger's identity (a random id) is kept in
    the database and in the state folder (`ledger.identity`), and a database that lacks it, or
    holds another one, is refused as a missing ledger is. A state folder without an identity
    yet (a new machine, a worker) takes the database's."""
    dialect = Postgres(url)
    kept_at = identity_path(path)
    kept = (
        kept_at.read_text(encoding="utf-8").split()[0]
        if kept_at.is_file() and kept_at.stat().st_size
        else None
    )
    try:
        probe = dialect.raw(shared=False)
    except Unreachable as exc:
        raise LedgerTrouble(str(exc)) from None
    try:
        tables = {
            row[0]
            for row in probe.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        }
        stored = None
        if "meta" in tables:
            row = probe.execute("SELECT value FROM meta WHERE key = 'ledger_id'").fetchone()
            stored = None if row is None else str(row[0])
    finally:
        probe.close()
    where = {"url": dialect.where, "file": kept_at, "kept": kept, "stored": stored}
    if stored is None:
        trace = None
        if kept:
            trace = _("%(file)s says this bridge's ledger %(kept)s was there") % where
        elif path.is_file() and path.stat().st_size:
            trace = _("%(file)s is the ledger this bridge kept in SQLite") % {"file": path}
        else:
            trace = earlier_work()
        if trace:
            raise LedgerTrouble(
                _(
                    "the ledger's database %(url)s holds no ledger, yet %(trace)s: with a new ledger"
                    " everything dropped again would be sent to Fortnox again, so nothing is sent. Point"
                    " ledger.url at the database that holds it, put it back (`pg_restore` from your"
                    " `pg_dump`), or rebuild it: `fortnox-bridge ledger rebuild` reads what the bridge"
                    " sent from Fortnox itself"
                )
                % {**where, "trace": trace}
            )
        if "meta" not in tables and tables:  # (a ledger made but not yet claimed has its meta)
            raise LedgerTrouble(
                _(
                    "the database %(url)s holds tables but no ledger (%(tables)s): give the ledger a"
                    " database of its own (`createdb`) and name it in ledger.url"
                )
                % {**where, "tables": ", ".join(sorted(tables)[:5])}
            )
    elif kept and kept != stored:
        raise LedgerTrouble(
            _(
                "the database %(url)s holds another ledger (%(stored)s) than this state folder's (%(kept)s,"
                " in %(file)s), so nothing is sent: correct ledger.url; if this database is the one to use"
                " from now on, delete %(file)s"
            )
            % where
        )
    try:
        ledger = Ledger(path, url)
        if stored is None:
            stored = ledger.claim_identity(str(uuid.uuid4()))
        if kept != stored:
            keep_identity(path, stored)
        problems = ledger.check(full=full_check)
    except Unreachable as exc:
        raise LedgerTrouble(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise LedgerTrouble(
            _("the ledger's database %(url)s answered with an error (%(error)s); nothing was sent")
            % {"url": dialect.where, "error": exc}
        ) from None
    if problems:
        ledger.close()
        raise LedgerTrouble(
            _(
                "the ledger's database %(url)s is damaged (%(error)s); nothing was sent. Put it back"
                " (`pg_restore` from your `pg_dump`) or rebuild it in an empty database:"
                " `fortnox-bridge ledger rebuild`"
            )
            % {"url": dialect.where, "error": "; ".join(problems)}
        )
    _refuse_half_rebuilt(ledger, rebuilding)
    return ledger


def keep_identity(path: Path, identity: str) -> None:
    """The state folder remembers which PostgreSQL ledger is its own."""
    kept_at = identity_path(path)
    kept_at.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(kept_at, identity + "\n")
    os.chmod(kept_at, 0o600)


def keep_private(path: Path) -> None:
    """The ledger and its journals are 0600, whatever the umask: they are the bridge's state.
    SQLite gives its journals the database's mode, so the database is made 0600 first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, _sibling(path, "-wal"), _sibling(path, "-shm")):
        if file.exists():
            os.chmod(file, 0o600)


def _way_out(path: Path) -> str:
    newest = newest_backup(path)
    if newest is None:
        return _("`fortnox-bridge ledger rebuild` reads what the bridge sent from Fortnox itself")
    return _(
        "`fortnox-bridge ledger rebuild --from %(backup)s` starts from the newest backup and adds what"
        " Fortnox shows since (`fortnox-bridge ledger rebuild` alone reads it from Fortnox only)"
    ) % {"backup": newest}


def newest_backup(path: Path) -> Path | None:
    folder = path.parent / BACKUPS
    copies = sorted(folder.glob(f"{path.stem}-*.sqlite3")) if folder.is_dir() else []
    return copies[-1] if copies else None


def copy_ledger(source: Path, target: Path) -> None:
    """`target` made a copy of the ledger (a backup) at `source`, after checking it whole."""
    try:
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            rows = [row[0] for row in origin.execute("PRAGMA integrity_check")]
            if rows != ["ok"]:
                raise sqlite3.DatabaseError("; ".join(rows[:3]))
            copy = sqlite3.connect(target)
            try:
                origin.backup(copy)
            finally:
                copy.close()
        finally:
            origin.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise LedgerTrouble(
            _("the backup %(backup)s cannot be used (%(error)s); name another one")
            % {"backup": source, "error": exc}
        ) from None
    os.chmod(target, 0o600)


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


@contextmanager
def _held(lock: threading.Lock) -> Iterator[None]:
    """Release `lock`, acquired already, at the end of the block."""
    try:
        yield
    finally:
        lock.release()


_NOW: tuple[int, str] = (0, "")  # the last second formatted, and how


def now_iso() -> str:
    """Now in local time, to the second, with its offset. Formatted once a second: a file's
    records ask for it several times, and finding the local offset is what costs."""
    global _NOW
    second = int(time.time())
    if _NOW[0] != second:
        _NOW = (second, datetime.fromtimestamp(second, UTC).astimezone().isoformat(timespec="seconds"))
    return _NOW[1]


_FILES = (
    "SELECT f.*, e.name AS e_name, e.claimed_at AS e_claimed_at, e.outcome_path AS e_outcome_path"
    " FROM files f LEFT JOIN files e ON e.id = f.duplicate_of"
)
_DOCUMENTS = (
    "SELECT d.*, e.content_hash AS e_content_hash, e.document AS e_document, ef.name AS e_file_name,"
    " ef.claimed_at AS e_file_claimed_at FROM documents d LEFT JOIN documents e ON e.id = d.duplicate_of"
    " LEFT JOIN files ef ON ef.id = e.file_id"
)
_LIVE = "('queued','sending','done')"

SPOOL_BATCH = 500  # plans a batch: one query asks which of their keys are live


def spool_line(plan: DocumentPlan) -> bytes:
    """A plan as one line for `queue_spooled`: what its document row and step rows hold, the
    JSON already written. Only plans without problems or files (a SIE file's vouchers)."""
    if plan.problems or plan.files:
        raise ValueError(f"{plan.key}: a plan with problems or files is queued with `queue`")
    return dumpb(
        [
            plan.key.kind,
            plan.key.source_key,
            plan.content_hash,
            plan.summary,
            msgspec.Raw(to_json(plan.document)),
            [msgspec.Raw(dumpb(step)) for step in plan.steps],
        ]
    )


_Spooled = tuple[str, str, str, str, msgspec.Raw, list[msgspec.Raw]]
_SPOOLED = msgspec.json.Decoder(_Spooled).decode
_OPEN = "('queued','sending')"


StepsDone = Sequence[tuple[int, Any]]  # (step id, what it answered)


def _steps_done_rows(done: StepsDone) -> list[tuple[str, int]]:
    """Steps' answers as the rows that record them, encoded before the write lock is taken:
    every thread's writes wait while one holds it."""
    return [(dumps(result), step_id) for step_id, result in done]


def _record_steps_done(db: Connection, rows: list[tuple[str, int]]) -> None:
    db.executemany("UPDATE steps SET state = 'done', result = ? WHERE id = ?", rows)


@dataclass(frozen=True)
class _Encoded:
    """A document plan as the ledger stores it, encoded before the write lock is taken: every
    thread's writes wait while one holds it, so what can be done outside is."""

    plan: DocumentPlan
    document: str
    steps: list[str]
    failed: bool  # the plan has errors: it is stored failed, never sent
    error_text: str | None
    error_detail: str | None

    @classmethod
    def of(cls, plan: DocumentPlan) -> _Encoded:
        errors = [p for p in plan.problems if p.is_error]
        return cls(
            plan,
            to_json(plan.document).decode(),
            [dumpb(step).decode() for step in plan.steps],
            bool(errors),
            "; ".join(_problem_text(p) for p in errors) or None,
            dumps(to_plain(errors)) if errors else None,
        )


class Ledger:
    def __init__(self, path: Path, url: str = "") -> None:
        """The ledger at `path`, or (`url`) in that PostgreSQL database; `path` still names the
        state folder's place for it (its identity and backups live beside it)."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._dialect: Dialect = dialect_for(path, url)
        self.postgres = self._dialect.postgres
        self.where = self._dialect.where  # as messages name it: the file, or the URL without its password
        self._local = threading.local()
        # Writers of this process queue here rather than in SQLite's busy handler, which sleeps
        # in growing steps: with many sending workers, that sleeping became most of their time.
        self._writing = threading.Lock()
        self._writer: Connection | None = None  # every thread's writes, see `transaction`
        self._open = False  # a transaction is open on the writer
        self._batch = 0  # the transaction writes join now (counted from 1)
        self._committed = 0  # the last transaction committed (or failed)
        self._committing = False
        self._committed_changed = threading.Condition()
        self._entering = 0  # writers waiting for `_writing`: the commit waits for them to join
        self._failed: dict[int, BaseException] = {}
        with self.transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{path} was written by a newer fortnox-bridge (schema {version}); upgrade the bridge"
                )
            for migration in MIGRATIONS[version:]:
                for statement in migration.split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

    @property
    def db(self) -> Connection:
        """This thread's connection, for reading; writes go through `transaction`."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _connect(self, *, shared: bool = False) -> Connection:
        return self._dialect.connect(shared=shared)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write, durable when this returns. Group commit: the writes of every thread go
        through one connection, each in a savepoint of the transaction open at that moment,
        and one commit (one fsync) makes all of them durable together; each caller returns
        once the commit that holds its write is done. With many sending workers, a commit per
        write (about 5 ms each, one at a time) was what limited the whole bridge.

        A write that raises is rolled back alone; a commit that fails fails every write in
        it, and each of their callers gets the error: nothing is reported done that is not."""
        with self._committed_changed:
            self._entering += 1
        try:
            self._writing.acquire()
        finally:
            with self._committed_changed:
                self._entering -= 1
                if not self._entering and self._committing:
                    self._committed_changed.notify_all()  # the commit waits for no one now
        with _held(self._writing):
            if self._writer is None:
                self._writer = self._connect(shared=True)
            db = self._writer
            if self._open and not db.in_transaction:  # lost (a dropped connection): fail its writes
                self._commit_open()
            if not self._open:
                db.execute("BEGIN IMMEDIATE")
                self._open = True
                self._batch += 1
            batch = self._batch
            db.execute("SAVEPOINT write")
            try:
                yield db
            except BaseException:
                if db.in_transaction:  # else SQLite gave the whole transaction up: see _commit_open
                    db.execute("ROLLBACK TO write")
                    db.execute("RELEASE write")
                self._commit(batch, raising=True)
                raise
            db.execute("RELEASE write")
        self._commit(batch)

    def _commit(self, batch: int, *, raising: bool = False) -> None:
        """Wait until `batch` is committed: by another writer, or by this one."""
        if raising:  # called holding the writer: commit now what the others wrote
            self._commit_open()
            return
        with self._committed_changed:
            while self._committed < batch and self._committing:
                self._committed_changed.wait()
            if self._committed >= batch:
                error = self._failed.get(batch)
                if error is not None:
                    raise error
                return
            self._committing = True
        try:
            # The writers already queued for the transaction join it before it is committed:
            # each worker has one write at a time in flight, so this wait is short and bounded,
            # and one fsync makes many workers' writes durable rather than two or three.
            with self._committed_changed:
                while self._entering:
                    self._committed_changed.wait()
            with self._writing:
                self._commit_open()
        finally:
            with self._committed_changed:
                self._committing = False
                self._committed_changed.notify_all()
        error = self._failed.get(batch)
        if error is not None:
            raise error

    def _commit_open(self) -> None:
        """Commit the open transaction, if any (hold `_writing`)."""
        if not self._open:
            return
        assert self._writer is not None
        batch = self._batch
        try:
            if not self._writer.in_transaction:  # rolled back by SQLite itself (a full disk, I/O)
                raise sqlite3.OperationalError("the ledger's transaction was rolled back; nothing written")
            self._writer.execute("COMMIT")
        except sqlite3.Error as error:
            self._failed[batch] = error
            if self._writer.in_transaction:
                self._writer.execute("ROLLBACK")
        finally:
            self._open = False
            with self._committed_changed:
                self._committed = batch
                self._committed_changed.notify_all()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        with self._writing:
            if self._writer is not None:
                self._commit_open()
                self._writer.close()
                self._writer = None

    # --- the ledger itself ---------------------------------------------------------------

    def verify(self, *, full: bool = False) -> None:
        """Raises sqlite3.DatabaseError when the file is damaged (`open_ledger` says what to do)."""
        problems = self.check(full=full)
        if problems:
            raise sqlite3.DatabaseError("; ".join(problems))

    def check(self, *, full: bool = False) -> list[str]:
        """What is damaged: SQLite's `quick_check` (`full`: `integrity_check`) of every page; on
        PostgreSQL, whose server keeps its pages whole, every table of the schema present."""
        return self._dialect.check(self.db, full=full)

    def hold_sending(self, holder: str, *, shared: bool = False) -> tuple[Held | None, str]:
        """The database's sending lock (`Postgres.hold_sending`): a ledger in PostgreSQL only;
        SQLite's is the state folder's lock alone (`lock.py`)."""
        if not isinstance(self._dialect, Postgres):
            raise TypeError(f"{self.where}: only a ledger in PostgreSQL has a sending lock of its own")
        return self._dialect.hold_sending(holder, shared=shared)

    def claim_identity(self, identity: str) -> str:
        """The ledger's identity: `identity` when it has none yet (see `_open_postgres`)."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('ledger_id', ?)", (identity,))
        return str(self.meta("ledger_id"))

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        with self.transaction() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                db.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def backup(self, target: Path) -> Path:
        """A consistent copy of the ledger at `target` (SQLite's online backup: pages copied
        while others go on writing, restarted when they change), mode 0600, whole or not at all.
        Raises LedgerTrouble when the ledger is damaged: a copy would only hide the damage.
        A PostgreSQL ledger is copied by the server's own tool, `pg_dump`: LedgerTrouble says so."""
        self._refuse_copy_on_postgres()
        try:
            self.verify(full=True)
        except sqlite3.DatabaseError as exc:
            raise LedgerTrouble(
                _("the ledger %(path)s is damaged (%(error)s); no copy was made")
                % {"path": self.path, "error": exc}
            ) from None
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            copy = sqlite3.connect(name)
            try:
                origin = self.db
                assert isinstance(origin, sqlite3.Connection)  # PostgreSQL's was refused above
                origin.backup(copy, pages=1024)
            finally:
                copy.close()
            os.chmod(name, 0o600)
            with open(name, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(name, target)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return target

    def rolling_backup(self, keep: int) -> Path:
        """A new copy in `backups/` beside the ledger; only the newest `keep` stay."""
        self._refuse_copy_on_postgres()
        folder = self.path.parent / BACKUPS
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.backup(folder / f"{self.path.stem}-{stamp}.sqlite3")
        for old in sorted(folder.glob(f"{self.path.stem}-*.sqlite3"))[: -max(keep, 1)]:
            old.unlink(missing_ok=True)
        return target

    def _refuse_copy_on_postgres(self) -> None:
        if self.postgres:
            raise LedgerTrouble(
                _(
                    "the ledger is in PostgreSQL (%(url)s), which copies it itself: `pg_dump --format=custom"
                    " --file=ledger.dump '%(url)s'` while the bridge runs, `pg_restore` to put it back;"
                    " `ledger backup` copies a SQLite ledger only"
                )
                % {"url": self.where}
            )

    # --- what `ledger rebuild` found in Fortnox ------------------------------------------

    def add_fortnox_records(self, tenant: str, records: Iterable[tuple[str, str]]) -> int:
        """Remember fields of records found in Fortnox; answers how many were new."""
        added = 0
        rows = iter(records)
        while batch := list(islice(rows, SPOOL_BATCH)):
            with self.transaction() as db:
                added += db.executemany(
                    "INSERT OR IGNORE INTO fortnox_records (tenant, field, value) VALUES (?, ?, ?)",
                    [(tenant, field, value) for field, value in batch],
                ).rowcount
        return added

    def knows_fortnox_records(self, tenant: str) -> bool:
        row = self.db.execute("SELECT 1 FROM fortnox_records WHERE tenant = ? LIMIT 1", (tenant,)).fetchone()
        return row is not None

    def seen_in_fortnox(self, tenant: str, fields: Sequence[tuple[str, str]]) -> bool:
        """Whether a rebuild found a record in Fortnox with one of these (field, value)."""
        return any(
            self.db.execute(
                "SELECT 1 FROM fortnox_records WHERE tenant = ? AND field = ? AND value = ?",
                (tenant, field, value),
            ).fetchone()
            for field, value in fields
        )

    # --- files ---------------------------------------------------------------------------

    def add_file(
        self,
        tenant: str,
        name: str,
        sha256: str,
        size: int,
        work_path: Path | None,
        *,
        origin: str | None = None,
        companion: Path | None = None,
    ) -> int:
        """Record a claimed file; `work_path` None for one made in code (nothing to move)."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO files (tenant, name, sha256, size, work_path, state, claimed_at, origin, companion)"
                " VALUES (?, ?, ?, ?, ?, 'claimed', ?, ?, ?)",
                (
                    tenant,
                    name,
                    sha256,
                    size,
                    str(work_path) if work_path else "",
                    now_iso(),
                    origin,
                    str(companion) if companion else None,
                ),
            )
            return int(cursor.lastrowid or 0)

    def file(self, file_id: int) -> FileRecord:
        row = self.db.execute(f"{_FILES} WHERE f.id = ?", (file_id,)).fetchone()
        if row is None:
            raise KeyError(f"no file {file_id} in the ledger")
        return _file(row)

    def file_by_work_path(self, work_path: Path) -> FileRecord | None:
        """The file kept at `work_path`, or whose companion is kept there."""
        row = self.db.execute(
            f"{_FILES} WHERE f.work_path = ? OR f.companion = ?", (str(work_path), str(work_path))
        ).fetchone()
        return None if row is None else _file(row)

    def unfinished_work_paths(self) -> set[str]:
        """Where the files not finished yet (and their companions) are kept in the work area."""
        rows = self.db.execute("SELECT work_path, companion FROM files WHERE finished_at IS NULL")
        return {path for row in rows for path in (row["work_path"], row["companion"]) if path}

    def earlier_copy(self, file: FileRecord) -> FileRecord | None:
        """An earlier file of the same tenant with the same bytes that was not refused (nor
        dismissed: dropped again, its documents not yet in Fortnox are sent)."""
        row = self.db.execute(
            f"{_FILES} WHERE f.tenant = ? AND f.sha256 = ? AND f.id < ? AND f.dismissed_at IS NULL"
            " AND f.state IN ('claimed','queued','done','partial') ORDER BY f.id LIMIT 1",
            (file.tenant, file.sha256, file.id),
        ).fetchone()
        return None if row is None else _file(row)

    def files(
        self, states: Sequence[FileState] | None = None, tenant: str | None = None, after: int = 0
    ) -> list[FileRecord]:
        """Files in the order they were taken; dismissed ones are left out."""
        return self._listed(states, tenant, after, "ORDER BY f.id")

    def latest_files(
        self, tenant: str, states: Sequence[FileState] | None = None, limit: int = 100
    ) -> list[FileRecord]:
        """The company's last `limit` files (of `states`), newest first: a page needs no more."""
        return self._listed(states, tenant, 0, "ORDER BY f.id DESC LIMIT ?", limit)

    def _listed(
        self, states: Sequence[FileState] | None, tenant: str | None, after: int, order: str, *tail: Any
    ) -> list[FileRecord]:
        sql = f"{_FILES} WHERE f.id > ? AND f.dismissed_at IS NULL"
        args: list[Any] = [after]
        if states:
            sql += f" AND f.state IN ({','.join('?' * len(states))})"
            args += list(states)
        if tenant:
            sql += " AND f.tenant = ?"
            args.append(tenant)
        return [_file(row) for row in self.db.execute(f"{sql} {order}", [*args, *tail])]

    def find_files(self, name: str) -> list[FileRecord]:
        """Files dropped under `name`, or answered under it in outbox/ (dismissed ones aside)."""
        rows = self.db.execute(
            f"{_FILES} WHERE (f.name = ? OR f.outcome_path LIKE ?) AND f.dismissed_at IS NULL ORDER BY f.id",
            (name, f"%/{name}"),
        )
        return [_file(row) for row in rows]

    def last_file_id(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM files").fetchone()[0])

    def _update_file(self, file_id: int, **fields: Any) -> None:
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction() as db:
            db.execute(f"UPDATE files SET {assignments} WHERE id = ?", (*fields.values(), file_id))

    def dismiss(self, file_id: int) -> None:
        """A failed file to forget: left out of lists, its state (and documents) kept as they are."""
        self._update_file(file_id, dismissed_at=now_iso())

    def mark_duplicate(self, file_id: int, earlier: FileRecord) -> None:
        self._update_file(file_id, state=FileState.DUPLICATE, duplicate_of=earlier.id)

    def fail_file(
        self, file_id: int, importer: str, facts: Any, problems: Sequence[Problem], error: str
    ) -> None:
        self._update_file(
            file_id,
            state=FileState.FAILED,
            importer=importer,
            facts=dumps(facts),
            problems=dumps(to_plain(list(problems))),
            error=error,
        )

    def set_outcome_path(self, file_id: int, path: Path) -> None:
        """Where the file's answer goes in outbox/, chosen once (a retried file keeps it)."""
        self._update_file(file_id, outcome_path=str(path))

    def file_finished(self, file_id: int, state: FileState) -> None:
        """Its answer is written and its original moved: the file is through."""
        self._update_file(file_id, state=state, finished_at=now_iso())

    def reopen_file(self, file_id: int, *, reread: bool) -> None:
        """A retried file: queued again, or (`reread`) claimed again to be read from the start."""
        if reread:
            self._update_file(
                file_id,
                state=FileState.CLAIMED,
                outcome_path=None,
                finished_at=None,
                problems=None,
                error=None,
            )
        else:
            self._update_file(file_id, state=FileState.QUEUED, outcome_path=None, finished_at=None)

    # --- documents -----------------------------------------------------------------------

    def queue(
        self,
        file_id: int,
        importer: str,
        facts: Any,
        problems: Sequence[Problem],
        plans: Sequence[DocumentPlan],
        *,
        undoes: Sequence[int] = (),
        requested_by: str = "",
    ) -> int:
        """Record a parsed file and its documents in one transaction; a document whose key is
        already live elsewhere is stored as a duplicate of it and never sent. An undo file
        records the files it `undoes` and who asked. Answers how many documents wait to be sent."""
        encoded = [_Encoded.of(plan) for plan in plans]  # before the write lock: see _Encoded
        file_facts, file_problems = dumps(facts), dumps(to_plain(list(problems)))
        with self.transaction() as db:
            states = [self._insert_document(db, file_id, document) for document in encoded]
            db.executemany(
                "INSERT OR IGNORE INTO undos (undo_file_id, file_id, requested_by, requested_at)"
                " VALUES (?, ?, ?, ?)",
                [(file_id, original, requested_by, now_iso()) for original in undoes],
            )
            db.execute(
                "UPDATE files SET state = 'queued', importer = ?, facts = ?, problems = ? WHERE id = ?",
                (importer, file_facts, file_problems, file_id),
            )
        return states.count(DocumentState.QUEUED)

    def queue_spooled(
        self,
        file_id: int,
        importer: str,
        facts: Any,
        problems: Sequence[Problem],
        first: Sequence[DocumentPlan],
        spooled: Iterable[bytes],
    ) -> int:
        """`queue` for a file of any size: `first`, then the plans `spooled` as lines of
        `spool_line`, taken in batches, in one transaction. Answers how many were queued."""
        with self.transaction() as db:
            for plan in first:
                self._insert_document(db, file_id, plan)
            tenant = db.execute("SELECT tenant FROM files WHERE id = ?", (file_id,)).fetchone()[0]
            taken = 0
            lines = iter(spooled)
            while batch := list(islice(lines, SPOOL_BATCH)):
                ids = self._dialect.next_ids(db, "documents", len(batch))
                self._insert_spooled(db, file_id, tenant, ids, [_SPOOLED(line) for line in batch])
                taken += len(batch)
            db.execute(
                "UPDATE files SET state = 'queued', importer = ?, facts = ?, problems = ? WHERE id = ?",
                (importer, dumps(facts), dumps(to_plain(list(problems))), file_id),
            )
        return len(first) + taken

    @staticmethod
    def _insert_spooled(
        db: Connection, file_id: int, tenant: str, ids: list[int], plans: list[_Spooled]
    ) -> None:
        """One batch: which keys are live elsewhere asked at once, documents and steps written
        with `executemany` under the `ids` given (`Dialect.next_ids`)."""
        live: dict[tuple[str, str], int] = {}
        for kind in {plan[0] for plan in plans}:
            keys = [plan[1] for plan in plans if plan[0] == kind]
            live.update(
                ((kind, key), document_id)
                for key, document_id in db.execute(
                    f"SELECT source_key, id FROM documents WHERE tenant = ? AND kind = ? AND state IN {_LIVE}"
                    f" AND source_key IN ({','.join('?' * len(keys))})",
                    (tenant, kind, *keys),
                )
            )
        now = now_iso()
        documents, steps = [], []
        for next_id, (kind, key, digest, summary, document, specs) in zip(ids, plans, strict=True):
            earlier = live.get((kind, key))
            state = DocumentState.QUEUED if earlier is None else DocumentState.DUPLICATE
            documents.append(
                (next_id, file_id, tenant, kind, key, digest, summary, bytes(document).decode(), state,
                 earlier, now, None if earlier is None else now)
            )  # fmt: skip
            if earlier is None:
                steps += [(next_id, i, bytes(spec).decode()) for i, spec in enumerate(specs)]
        db.executemany(
            "INSERT INTO documents (id, file_id, tenant, kind, source_key, content_hash, summary, document,"
            " state, duplicate_of, created_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            documents,
        )
        db.executemany(
            "INSERT INTO steps (document_id, position, spec, state) VALUES (?, ?, ?, 'pending')", steps
        )

    def _insert_document(self, db: Connection, file_id: int, plan: DocumentPlan | _Encoded) -> DocumentState:
        encoded = plan if isinstance(plan, _Encoded) else _Encoded.of(plan)
        plan = encoded.plan
        now = now_iso()
        live = None
        if not encoded.failed:
            live = db.execute(
                f"SELECT id FROM documents WHERE tenant = ? AND kind = ? AND source_key = ? AND state IN {_LIVE}",
                (plan.key.tenant, plan.key.kind, plan.key.source_key),
            ).fetchone()
        state = (
            DocumentState.FAILED
            if encoded.failed
            else DocumentState.QUEUED
            if live is None
            else DocumentState.DUPLICATE
        )
        cursor = db.execute(
            "INSERT INTO documents (file_id, tenant, kind, source_key, content_hash, summary, document, state,"
            " duplicate_of, last_error, error_detail, created_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                file_id,
                plan.key.tenant,
                plan.key.kind,
                plan.key.source_key,
                plan.content_hash,
                plan.summary,
                encoded.document,
                state,
                None if live is None else live["id"],
                encoded.error_text,
                encoded.error_detail,
                now,
                None if state == DocumentState.QUEUED else now,
            ),
        )
        if state == DocumentState.QUEUED:
            db.executemany(
                "INSERT INTO steps (document_id, position, spec, state) VALUES (?, ?, ?, 'pending')",
                [(cursor.lastrowid, i, spec) for i, spec in enumerate(encoded.steps)],
            )
        return state

    def replan(self, document_id: int, plan: DocumentPlan) -> None:
        """Replace a document that failed before sending with a fresh plan of it."""
        with self.transaction() as db:
            row = db.execute("SELECT file_id FROM documents WHERE id = ?", (document_id,)).fetchone()
            db.execute("DELETE FROM steps WHERE document_id = ?", (document_id,))
            db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
            self._insert_document(db, row["file_id"], plan)

    def documents_of(self, file_id: int, *, with_plan: bool = False) -> list[DocumentRecord]:
        """The file's documents in order; `with_plan` adds each one's planned calls."""
        rows = self.db.execute(f"{_DOCUMENTS} WHERE d.file_id = ? ORDER BY d.id", (file_id,))
        documents = [_document(row) for row in rows]
        if not with_plan:
            return documents
        plans: dict[int, list[Step]] = {}
        for row in self.db.execute(
            "SELECT s.document_id, s.spec FROM steps s JOIN documents d ON d.id = s.document_id"
            " WHERE d.file_id = ? ORDER BY s.document_id, s.position",
            (file_id,),
        ):
            plans.setdefault(row["document_id"], []).append(Step.from_json(loads(row["spec"])))
        return [replace(d, plan=tuple(plans.get(d.id, ()))) for d in documents]

    def document_counts(self, file_id: int) -> dict[str, int]:
        """The file's documents by state, counted (a SIE file holds thousands)."""
        rows = self.db.execute(
            "SELECT state, COUNT(*) FROM documents WHERE file_id = ? GROUP BY state", (file_id,)
        )
        return {state: count for state, count in rows}

    def documents_finished(self, file_id: int) -> bool:
        """Whether the file has documents and every one of them is through (counted, not
        loaded: a SIE file holds thousands)."""
        exists = "EXISTS (SELECT 1 FROM documents WHERE file_id = ?"
        some, open_ = self.db.execute(
            f"SELECT {exists}), {exists} AND state IN {_OPEN})", (file_id, file_id)
        ).fetchone()
        return bool(some) and not open_

    def next_due(
        self,
        tenant: str,
        now: float | None = None,
        skip_kinds: Sequence[str] = (),
        files: Sequence[int] = (),
    ) -> tuple[DocumentRecord | None, float | None]:
        """The oldest document ready to run, or None and when the next one will be. Documents of
        `skip_kinds` wait (their flow lacks a licence or a scope); with `files`, only theirs."""
        now = time.time() if now is None else now
        skip = f" AND kind NOT IN ({', '.join('?' * len(skip_kinds))})" if skip_kinds else ""
        skip += f" AND file_id IN ({', '.join('?' * len(files))})" if files else ""
        row = self.db.execute(
            f"{_DOCUMENTS} WHERE d.tenant = ? AND d.state IN {_OPEN} AND d.next_attempt_at <= ?"
            f"{skip.replace('kind', 'd.kind').replace('file_id', 'd.file_id')} ORDER BY d.id LIMIT 1",
            (tenant, now, *skip_kinds, *files),
        ).fetchone()
        if row is not None:
            return _document(row), None
        later = self.db.execute(
            f"SELECT MIN(next_attempt_at) FROM documents WHERE tenant = ? AND state IN {_OPEN}{skip}",
            (tenant, *skip_kinds, *files),
        ).fetchone()[0]
        return None, later

    def live_documents(self, tenant: str, kind: str, source_keys: Sequence[str]) -> dict[str, int]:
        """Which of these keys are live (queued, being sent or done), and in which file."""
        found = {}
        for source_key in source_keys:
            row = self.db.execute(
                f"SELECT file_id FROM documents WHERE tenant = ? AND kind = ? AND source_key = ? AND state IN {_LIVE}",
                (tenant, kind, source_key),
            ).fetchone()
            if row is not None:
                found[source_key] = row["file_id"]
        return found

    def undos_of(self, file_id: int) -> list[UndoRecord]:
        """The undo files that undid this file, oldest first."""
        rows = self.db.execute(
            "SELECT u.*, f.name, f.state, f.outcome_path, f.finished_at FROM undos u"
            " JOIN files f ON f.id = u.undo_file_id WHERE u.file_id = ? ORDER BY u.undo_file_id",
            (file_id,),
        )
        return [
            UndoRecord(
                row["undo_file_id"],
                row["name"],
                FileState(row["state"]),
                row["requested_by"],
                row["requested_at"],
                row["finished_at"],
                _path(row["outcome_path"]),
            )
            for row in rows
        ]

    def undone_files(self, undo_file_id: int) -> list[int]:
        """The files an undo file undoes."""
        rows = self.db.execute(
            "SELECT file_id FROM undos WHERE undo_file_id = ? ORDER BY file_id", (undo_file_id,)
        )
        return [row["file_id"] for row in rows]

    def register_records(self, tenant: str, kind: str, numbers: Sequence[str]) -> dict[str, Any]:
        """The latest record of each number that a register file gave (documents of `kind`
        keyed `number@file`), whatever became of it, as plain data."""
        found: dict[str, Any] = {}
        for number in numbers:
            row = self.db.execute(
                "SELECT document FROM documents WHERE tenant = ? AND kind = ?"
                " AND substr(source_key, 1, length(CAST(? AS TEXT)) + 1) = CAST(? AS TEXT) || '@' ORDER BY id DESC LIMIT 1",
                (tenant, kind, number, number),
            ).fetchone()
            if row is not None:
                found[number] = loads(row["document"])
        return found

    def steps(self, document_id: int) -> list[StepRecord]:
        rows = self.db.execute("SELECT * FROM steps WHERE document_id = ? ORDER BY position", (document_id,))
        return [_step(row) for row in rows]

    def step_sending(self, step_id: int, document_id: int, *, done: StepsDone = ()) -> None:
        """The intent, committed before the call: after a crash we know it may have been sent.
        `done`: earlier steps' answers, recorded in the same commit (see `Executor.run`)."""
        rows = _steps_done_rows(done)
        with self.transaction() as db:
            _record_steps_done(db, rows)
            db.execute("UPDATE steps SET state = 'sending', attempts = attempts + 1 WHERE id = ?", (step_id,))
            db.execute(
                "UPDATE documents SET state = 'sending', attempts = attempts + 1 WHERE id = ?", (document_id,)
            )

    def step_done(self, step_id: int, result: Any) -> None:
        self.steps_done([(step_id, result)])

    def steps_done(self, done: StepsDone) -> None:
        rows = _steps_done_rows(done)
        with self.transaction() as db:
            _record_steps_done(db, rows)

    def document_done(self, document_id: int, result: Any, *, done: StepsDone = ()) -> None:
        rows, encoded = _steps_done_rows(done), dumps(result)
        with self.transaction() as db:
            _record_steps_done(db, rows)
            db.execute(
                "UPDATE documents SET state = 'done', result = ?, last_error = NULL, failures = 0, finished_at = ?"
                " WHERE id = ?",
                (encoded, now_iso(), document_id),
            )

    def document_failed(
        self, document_id: int, error: str, detail: Any = None, *, done: StepsDone = ()
    ) -> None:
        rows, encoded = _steps_done_rows(done), dumps(detail)
        with self.transaction() as db:
            _record_steps_done(db, rows)
            db.execute(
                "UPDATE documents SET state = 'failed', last_error = ?, error_detail = ?, finished_at = ?"
                " WHERE id = ?",
                (error, encoded, now_iso(), document_id),
            )

    def document_later(self, document_id: int, error: str, at: float) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE documents SET last_error = ?, next_attempt_at = ? WHERE id = ?",
                (error, at, document_id),
            )

    def requeue(self, document_ids: Sequence[int]) -> list[int]:
        """Put failed documents back in the queue; those whose key went live again stay failed."""
        requeued = []
        with self.transaction() as db:
            for document_id in document_ids:
                try:
                    with self._dialect.alone(db):
                        db.execute(
                            "UPDATE documents SET state = 'queued', next_attempt_at = 0, finished_at = NULL"
                            " WHERE id = ? AND state = 'failed'",
                            (document_id,),
                        )
                except IntegrityError:
                    continue
                db.execute(
                    "UPDATE steps SET state = 'pending' WHERE document_id = ? AND state = 'sending'",
                    (document_id,),
                )
                requeued.append(document_id)
        return requeued

    def uploads_pending(self, tenant: str, sha256: str) -> bool:
        """Does a document that is not done yet still mean to upload these bytes?"""
        return (
            self.db.execute(
                "SELECT 1 FROM steps s JOIN documents d ON d.id = s.document_id WHERE d.tenant = ?"
                " AND d.state IN ('queued','sending','failed') AND s.state != 'done' AND s.spec LIKE ?"
                " LIMIT 1",
                (tenant, f"%{sha256}%"),
            ).fetchone()
            is not None
        )

    def lookups_ahead(self, file_id: int, path_prefix: str) -> int:
        """How many steps of the file's unfinished documents still name a path that starts
        with `path_prefix` (`/3/accounts/`): the look-ups a register list would answer."""
        return int(
            self.db.execute(
                "SELECT COUNT(*) FROM steps s JOIN documents d ON d.id = s.document_id WHERE d.file_id = ?"
                " AND d.state IN ('queued','sending') AND s.state != 'done' AND instr(s.spec, ?) > 0",
                (file_id, f'"{path_prefix}'),
            ).fetchone()[0]
        )

    def tenants_with_open_documents(self) -> set[str]:
        """Companies with a document queued or being sent (worker mode: each needs a job)."""
        rows = self.db.execute(f"SELECT DISTINCT tenant FROM documents WHERE state IN {_OPEN}")
        return {row["tenant"] for row in rows}

    def unfinished_files(self, tenant: str | None = None) -> list[FileRecord]:
        """Files whose documents are all through, or that were refused, but whose answer in
        outbox/ is not written yet (a crash, or an outbox that could not be written); of
        `tenant` only, when given."""
        where, args = (" AND f.tenant = ?", (tenant,)) if tenant else ("", ())
        rows = self.db.execute(
            f"{_FILES} WHERE f.finished_at IS NULL AND (f.state IN ('failed','duplicate','done','partial')"
            " OR (f.state = 'queued' AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.file_id = f.id"
            f" AND d.state IN {_OPEN}) AND EXISTS (SELECT 1 FROM documents d WHERE d.file_id = f.id))){where}"
            " ORDER BY f.id",
            args,
        )
        return [_file(row) for row in rows]

    # --- live changes: events from Fortnox's topics ---------------------------------------

    def add_live_events(self, stream: str, events: Sequence[tuple[str | None, TopicEvent]]) -> dict[str, int]:
        """Keep events as they arrive (those for no company of ours as done at once); an event
        already kept (the same topic and offset: a duplicate, a replay) is ignored. Answers how
        many new ones each company has to work on."""
        new: dict[str, int] = {}
        topics = set()
        with self.transaction() as db:
            for tenant, event in events:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO live_events (stream, topic, offset, tenant, event, state, received_at,"
                    " done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (stream, event.topic, event.offset, tenant, dumps(event.to_json()),
                     "pending" if tenant else "done", now_iso(), None if tenant else now_iso()),
                )  # fmt: skip
                if cursor.rowcount and tenant:
                    new[tenant] = new.get(tenant, 0) + 1
                elif cursor.rowcount:
                    topics.add(event.topic)
            for topic in topics:
                self._commit_offset(db, stream, topic)
        return new

    def pending_live(self, tenant: str, limit: int = 500) -> list[LiveEvent]:
        rows = self.db.execute(
            "SELECT * FROM live_events WHERE tenant = ? AND state = 'pending' ORDER BY id LIMIT ?",
            (tenant, limit),
        )
        return [
            LiveEvent(r["id"], r["stream"], r["tenant"], TopicEvent.from_json(loads(r["event"])))
            for r in rows
        ]

    def live_done(self, events: Sequence[LiveEvent]) -> None:
        """The exports these events caused are written: mark them, and move each topic's committed
        offset as far as every earlier event of the topic is done too."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE live_events SET state = 'done', done_at = ? WHERE id = ?",
                [(now_iso(), e.id) for e in events],
            )
            for stream, topic in {(e.stream, e.event.topic) for e in events}:
                self._commit_offset(db, stream, topic)

    def _commit_offset(self, db: Connection, stream: str, topic: str) -> None:
        pending = db.execute(
            "SELECT MIN(id) FROM live_events WHERE stream = ? AND topic = ? AND state = 'pending'",
            (stream, topic),
        ).fetchone()[0]
        row = db.execute(
            "SELECT offset, event FROM live_events WHERE stream = ? AND topic = ? AND state = 'done'"
            " AND (CAST(? AS INTEGER) IS NULL OR id < ?) ORDER BY id DESC LIMIT 1",
            (stream, topic, pending, pending),
        ).fetchone()
        if row is not None:
            db.execute(
                "INSERT INTO live_offsets VALUES (?, ?, ?, ?, ?) ON CONFLICT(stream, topic) DO UPDATE SET"
                " offset = excluded.offset, event_time = excluded.event_time, committed_at = excluded.committed_at",
                (stream, topic, row["offset"], loads(row["event"]).get("timestamp") or "", now_iso()),
            )

    def live_offsets(self, stream: str) -> dict[str, LiveOffset]:
        rows = self.db.execute("SELECT * FROM live_offsets WHERE stream = ?", (stream,))
        return {
            r["topic"]: LiveOffset(r["topic"], r["offset"], r["event_time"], r["committed_at"]) for r in rows
        }

    def live_counts(self) -> dict[str, dict[str, int]]:
        """Events per company and state (`status`)."""
        rows = self.db.execute(
            "SELECT tenant, state, COUNT(*) AS n FROM live_events WHERE tenant IS NOT NULL GROUP BY tenant, state"
        )
        counts: dict[str, dict[str, int]] = {}
        for row in rows:
            counts.setdefault(row["tenant"], {})[row["state"]] = row["n"]
        return counts

    def forget_live_before(self, received_before: str) -> None:
        """Done events older than Fortnox keeps them can never come again: no need to know them."""
        with self.transaction() as db:
            db.execute("DELETE FROM live_events WHERE state = 'done' AND received_at < ?", (received_before,))

    # --- notices: conditions a person should know about, shown by `status` ---------------

    def notice(self, key: str, message: str, tenant: str | None = None) -> bool:
        """Record a condition; answers True when it is new (worth logging once)."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO notices (key, tenant, message, since) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET message = excluded.message WHERE notices.message != excluded.message",
                (key, tenant, message, now_iso()),
            )
            return cursor.rowcount > 0

    def clear_notice(self, key: str) -> None:
        if self.db.execute("SELECT 1 FROM notices WHERE key = ?", (key,)).fetchone() is None:
            return  # the usual case, asked after every file: no write, no commit
        with self.transaction() as db:
            db.execute("DELETE FROM notices WHERE key = ?", (key,))

    def notices(self) -> list[Notice]:
        rows = self.db.execute("SELECT * FROM notices ORDER BY since")
        return [Notice(row["key"], row["message"], row["since"], row["tenant"]) for row in rows]

    # --- tenants -------------------------------------------------------------------------

    def tenant_unreachable(self, tenant: str, error: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO tenants (name, unreachable_since, last_error) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET unreachable_since = COALESCE(tenants.unreachable_since, excluded.unreachable_since),"
                " last_error = excluded.last_error",
                (tenant, now_iso(), error),
            )

    def tenant_reachable(self, tenant: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO tenants (name, last_success) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET unreachable_since = NULL, last_error = NULL,"
                " last_success = excluded.last_success",
                (tenant, now_iso()),
            )

    def tenant_health(self, tenant: str) -> TenantHealth:
        row = self.db.execute("SELECT * FROM tenants WHERE name = ?", (tenant,)).fetchone()
        if row is None:
            return TenantHealth(tenant)
        return TenantHealth(tenant, row["unreachable_since"], row["last_error"], row["last_success"])

    # --- access: what Fortnox lets each company do -------------------------------------

    def record_access(
        self, tenant: str, state: str, notices: list[dict[str, Any]], checked: dict[str, Any] | None = None
    ) -> int:
        """Write the company's access state; `since` stays while the state does. A check's
        details (`checked`: scopes, licences, company) are kept until the next check. Answers
        the new version."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT state, since, checked, version FROM access WHERE tenant = ?", (tenant,)
            ).fetchone()
            since = row["since"] if row is not None and row["state"] == state else now_iso()
            kept = dumps(checked) if checked is not None else (row["checked"] if row is not None else None)
            version = (row["version"] if row is not None else 0) + 1
            db.execute(
                "INSERT INTO access (tenant, state, since, notices, checked, version) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(tenant) DO UPDATE SET state = excluded.state, since = excluded.since,"
                " notices = excluded.notices, checked = excluded.checked, version = excluded.version",
                (tenant, state, since, dumps(notices), kept, version),
            )
            return version

    def access(self, tenant: str) -> dict[str, Any] | None:
        """`{"state", "since", "notices", "checked", "version"}`, or None before the first check."""
        row = self.db.execute("SELECT * FROM access WHERE tenant = ?", (tenant,)).fetchone()
        if row is None:
            return None
        return {
            "state": row["state"],
            "since": row["since"],
            "notices": loads(row["notices"]),
            "checked": loads(row["checked"]) if row["checked"] else None,
            "version": row["version"],
        }

    def access_version(self, tenant: str) -> int:
        row = self.db.execute("SELECT version FROM access WHERE tenant = ?", (tenant,)).fetchone()
        return row[0] if row is not None else 0

    def counts(self, tenant: str | None = None) -> dict[str, dict[str, int]]:
        """How many files and documents are in each state."""
        where, args = ("WHERE tenant = ?", [tenant]) if tenant else ("", [])
        out: dict[str, dict[str, int]] = {"files": {}, "documents": {}}
        states = {
            "files": "CASE WHEN dismissed_at IS NULL THEN state ELSE 'dismissed' END",
            "documents": "state",
        }
        for table in ("files", "documents"):
            for state, count in self.db.execute(
                f"SELECT {states[table]} AS s, COUNT(*) FROM {table} {where} GROUP BY s", args
            ):
                out[table][state] = count
        return out

    def waiting(self) -> dict[str, tuple[int, int]]:
        """Per company with any: its documents still to send (queued or sending) and its files
        read but not yet judged (claimed) — two queries for every company at once."""
        out: dict[str, tuple[int, int]] = {}
        for tenant, count in self.db.execute(
            "SELECT tenant, COUNT(*) FROM documents WHERE state IN ('queued','sending') GROUP BY tenant"
        ):
            out[tenant] = (count, 0)
        for tenant, count in self.db.execute(
            "SELECT tenant, COUNT(*) FROM files WHERE state = 'claimed' AND dismissed_at IS NULL GROUP BY tenant"
        ):
            out[tenant] = (out.get(tenant, (0, 0))[0], count)
        return out

    # --- purchase orders and their matches ------------------------------------------------

    def finished_documents(self, tenant: str, kind: str) -> list[dict[str, Any]]:
        """Documents of `kind` that are through (`done`), oldest first: `source_key`, the
        document and what its steps answered."""
        rows = self.db.execute(
            "SELECT source_key, document, result FROM documents WHERE tenant = ? AND kind = ? AND state = 'done'"
            " ORDER BY id",
            (tenant, kind),
        )
        return [
            {
                "source_key": r["source_key"],
                "document": loads(r["document"]),
                "result": loads(r["result"] or "[]"),
            }
            for r in rows
        ]

    def add_match(
        self, tenant: str, invoice: str, decide: Callable[[], tuple[str | None, str, Any, Any] | None]
    ) -> bool:
        """Record the invoice's match once: `decide()` answers (order number, status, report,
        quantities taken) or None, reading the ledger inside this one write transaction, so
        that two processes never count the same open quantity twice. False when the invoice
        was matched before, or `decide` found nothing to record."""
        now = now_iso()
        with self.transaction() as db:
            if db.execute(
                "SELECT 1 FROM matches WHERE tenant = ? AND invoice = ?", (tenant, invoice)
            ).fetchone():
                return False
            decided = decide()
            if decided is None:
                return False
            order_number, status, report, invoiced = decided
            cursor = db.execute(
                "INSERT INTO matches (tenant, invoice, order_number, status, state, report, invoiced, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, 'matched', ?, ?, ?, ?) ON CONFLICT (tenant, invoice) DO NOTHING",
                (tenant, invoice, order_number, status, dumps(report), dumps(invoiced), now, now),
            )
            return cursor.rowcount == 1

    def matches(self, tenant: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM matches WHERE tenant = ? ORDER BY id", (tenant,))
        return [
            {
                "invoice": r["invoice"],
                "order_number": r["order_number"],
                "status": r["status"],
                "state": r["state"],
                "report": loads(r["report"]),
                "invoiced": loads(r["invoiced"]),
                "decision": r["decision"],
                "created_at": r["created_at"],
            }
            for r in rows
        ]

    def match_state(self, tenant: str, invoice: str, state: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE matches SET state = ?, updated_at = ? WHERE tenant = ? AND invoice = ?",
                (state, now_iso(), tenant, invoice),
            )

    def match_cursor(self, tenant: str) -> str | None:
        row = self.db.execute("SELECT since FROM match_cursors WHERE tenant = ?", (tenant,)).fetchone()
        return row[0] if row is not None else None

    def set_match_cursor(self, tenant: str, since: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO match_cursors VALUES (?, ?) ON CONFLICT (tenant) DO UPDATE SET since = excluded.since",
                (tenant, since),
            )


# --- rows to records ---------------------------------------------------------------------


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


def _file(row: Row) -> FileRecord:
    earlier = None
    if row["duplicate_of"] is not None:
        earlier = EarlierFile(
            row["duplicate_of"], row["e_name"], row["e_claimed_at"], _path(row["e_outcome_path"])
        )
    return FileRecord(
        id=row["id"],
        tenant=row["tenant"],
        name=row["name"],
        sha256=row["sha256"],
        size=row["size"],
        work_path=_path(row["work_path"]),
        state=FileState(row["state"]),
        claimed_at=row["claimed_at"],
        importer=row["importer"] or "",
        facts=loads(row["facts"]) if row["facts"] else {},
        problems=tuple(loads(row["problems"])) if row["problems"] else (),
        error=row["error"] or "",
        duplicate_of=earlier,
        outcome_path=_path(row["outcome_path"]),
        origin=row["origin"] or "",
        companion=_path(row["companion"]),
        finished_at=row["finished_at"],
    )


def _document(row: Row) -> DocumentRecord:
    earlier = None
    joined = "e_content_hash" in row.keys()  # noqa: SIM118 (`in` on a Row looks at its values)
    if row["duplicate_of"] is not None and joined:
        earlier = EarlierDocument(
            row["duplicate_of"],
            row["e_file_name"],
            row["e_file_claimed_at"],
            row["e_content_hash"],
            loads(row["e_document"]),
        )
    return DocumentRecord(
        id=row["id"],
        file_id=row["file_id"],
        tenant=row["tenant"],
        kind=row["kind"],
        source_key=row["source_key"],
        content_hash=row["content_hash"],
        summary=row["summary"],
        state=DocumentState(row["state"]),
        document=loads(row["document"]),
        attempts=row["attempts"],
        failures=row["failures"],
        last_error=row["last_error"] or "",
        error_detail=loads(row["error_detail"]) if row["error_detail"] else None,
        duplicate_of=earlier,
        result=tuple(loads(row["result"])) if row["result"] else (),
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


def _step(row: Row) -> StepRecord:
    return StepRecord(
        id=row["id"],
        document_id=row["document_id"],
        position=row["position"],
        spec=Step.from_json(loads(row["spec"])),
        state=StepState(row["state"]),
        attempts=row["attempts"],
        result=loads(row["result"]) if row["result"] else None,
    )


def _problem_text(problem: Problem) -> str:
    where = problem.where()
    return f"{where}: {problem.message}" if where else problem.message
