"""How the ledger speaks to its database: SQLite in the state folder (the embedded default, nothing
to install) or PostgreSQL (`ledger.url`, psycopg 3). This is the one place where the two differ.

The ledger's SQL is written once, in SQLite's words; a PostgreSQL connection translates each
statement once (cached) before it runs: `?` → `%s`, `INSERT OR IGNORE` → `ON CONFLICT DO
NOTHING`, the column `offset` (reserved in PostgreSQL) quoted, `instr` → `strpos`, and in the
schema `INTEGER PRIMARY KEY` → an identity column, `INTEGER` → `BIGINT`, `REAL` → `DOUBLE
PRECISION` (PostgreSQL's REAL is 4 bytes: a Unix time would lose minutes), no `WITHOUT ROWID`.
An insert into a table with an identity answers its `lastrowid` through `RETURNING id`; rows
are read by name or by position, as `sqlite3.Row` is.

`BEGIN IMMEDIATE` becomes `BEGIN` and a transaction-level advisory lock that every writer of
the database takes: as with SQLite's single writer, one write transaction at a time, so what
a transaction reads it may rely on until it commits (the live-key check before an insert, an
access version counted up, a purchase-order match decided on the open quantities). Group
commit keeps the lock held for one batch of many threads' writes, not for each of them.

PostgreSQL's errors are raised as subclasses of sqlite3's DB-API errors (`IntegrityError`,
`OperationalError`, `DatabaseError`): one `except sqlite3.IntegrityError` — exported by the
ledger as `IntegrityError` — catches a second live document on either database.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from bridge.util.i18n import _

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "Connection",
    "DatabaseError",
    "Dialect",
    "Held",
    "IntegrityError",
    "OperationalError",
    "Postgres",
    "Row",
    "Sqlite",
    "Unreachable",
    "dialect_for",
    "redacted",
]


class IntegrityError(sqlite3.IntegrityError):
    """PostgreSQL refused a write on a constraint (a second live document for a key)."""


class OperationalError(sqlite3.OperationalError):
    """PostgreSQL's connection failed, or a transaction was given up."""


class DatabaseError(sqlite3.DatabaseError):
    """Any other error PostgreSQL answered."""


class Unreachable(Exception):
    """The database refuses the connection; the message says why and what to do."""


class Row(Protocol):
    def __getitem__(self, key: int | str, /) -> Any: ...
    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    @property
    def lastrowid(self) -> int | None: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the ledger asks of a connection: sqlite3's, or a PostgreSQL one dressed as it."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor: ...
    @property
    def in_transaction(self) -> bool: ...
    def close(self) -> None: ...


class Held(Protocol):
    """A lock held for as long as the connection holding it stays open."""

    def close(self) -> None: ...


class Dialect(Protocol):
    postgres: bool
    where: str  # the ledger as a message names it: its file, or its URL without the password

    def connect(self, *, shared: bool = False) -> Connection: ...
    def alone(self, db: Connection) -> Any:
        """A context in which one failing statement is undone alone (PostgreSQL gives up the
        whole transaction on an error unless a savepoint says otherwise)."""

    def next_ids(self, db: Connection, table: str, count: int) -> list[int]:
        """`count` new ids for rows of `table` written with their id given (inside a write)."""

    def check(self, db: Connection, *, full: bool) -> list[str]:
        """What is wrong with the database's structure; empty when nothing is."""


def dialect_for(path: Path, url: str = "") -> Dialect:
    return Postgres(url) if url else Sqlite(path)


# --- SQLite ------------------------------------------------------------------------------


class Sqlite:
    postgres = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def connect(self, *, shared: bool = False) -> Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=not shared)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def alone(self, db: Connection) -> Any:
        return nullcontext()  # SQLite undoes a failing statement alone

    def next_ids(self, db: Connection, table: str, count: int) -> list[int]:
        first = int(db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])
        return list(range(first, first + count))  # the write holds the only writer

    def check(self, db: Connection, *, full: bool) -> list[str]:
        pragma = "integrity_check" if full else "quick_check"
        rows = [str(row[0]) for row in db.execute(f"PRAGMA {pragma}")]
        return [] if rows == ["ok"] else [f"{pragma}: {'; '.join(rows[:3])}"]


# --- PostgreSQL --------------------------------------------------------------------------

# Tables whose `id INTEGER PRIMARY KEY` becomes an identity: their inserts return it.
IDENTITY_TABLES = frozenset({"files", "documents", "steps", "live_events", "matches"})
# Every write transaction of the ledger's database takes this lock (see the module's text);
# the number only has to be the same in every bridge ("fnbledgr" in ASCII).
WRITE_LOCK = 0x666E626C65646772
# Held for as long as a bridge sends from the database (`hold_sending`).
SEND_LOCK = WRITE_LOCK + 1
RELEASE_SECONDS = 3.0
# How long a writer waits for another one, as SQLite's busy timeout did.
LOCK_TIMEOUT = "30s"
# A writer idle this long inside its transaction is frozen (SIGSTOP, a paused VM: its process
# cannot run), and the server ends its session: the write lock it holds would otherwise stop
# every other process's writes until it ran again. Its own writes then fail, and nothing is
# reported done that is not; its next transaction connects again. Below LOCK_TIMEOUT, so that
# the writers waiting for it get the lock rather than an error.
FROZEN_WRITER_TIMEOUT = "10s"

_INSERT = re.compile(r"\s*INSERT (OR IGNORE )?INTO (\w+)")


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """A statement of the ledger in PostgreSQL's words."""
    out = sql.replace("%", "%%")
    out = out.replace("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    out = re.sub(r"\bINTEGER\b", "BIGINT", out)
    out = re.sub(r"\bREAL\b", "DOUBLE PRECISION", out)
    out = out.replace(") WITHOUT ROWID", ")")
    out = re.sub(r"\boffset\b", '"offset"', out)
    out = re.sub(r"\binstr\(", "strpos(", out)
    insert = _INSERT.match(out)
    if insert and insert.group(1):
        out = out.replace("INSERT OR IGNORE INTO", "INSERT INTO", 1) + " ON CONFLICT DO NOTHING"
    return out.replace("?", "%s")


@lru_cache(maxsize=512)
def _returning(sql: str) -> bool:
    insert = _INSERT.match(sql)
    return bool(insert and insert.group(2) in IDENTITY_TABLES and "RETURNING" not in sql)


def redacted(url: str) -> str:
    """The URL as messages and logs may show it: without its password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    netloc = parts.netloc
    if parts.password is not None:
        user, _sep, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = re.sub(r"(?i)(^|&)password=[^&]*", r"\1password=***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class PgRow:
    """A row read by name or by position, as sqlite3.Row is."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence[Any]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key if isinstance(key, int) else self._names[key]]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._names)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._names, self._values, strict=True))})"


def _rows(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    names: dict[str, int] = {}
    for i, column in enumerate(description):
        names.setdefault(column.name, i)  # the first of a name, as sqlite3.Row answers

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(names, values)

    return make


class PgCursor:
    def __init__(self, cursor: psycopg.Cursor[Any], lastrowid: int | None = None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description is not None else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description is not None else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def _translated(error: Exception) -> Exception:
    import psycopg

    kind: type[Exception] = DatabaseError
    if isinstance(error, psycopg.IntegrityError):
        kind = IntegrityError
    elif isinstance(error, psycopg.OperationalError):
        kind = OperationalError
    translated = kind(str(error).strip())
    translated.sqlstate = getattr(error, "sqlstate", None)  # type: ignore[attr-defined]
    return translated


class PgConnection:
    """A psycopg connection that takes the ledger's SQLite-worded statements (see the module's
    text). Outside a transaction it commits each statement (autocommit), as the ledger's
    SQLite connections do.

    A connection the server dropped (a restart, a failover) is made again, once, where nothing
    can be lost or done twice by it: a read, or the writer's BEGIN (no statement of that
    transaction ran yet). Anywhere else — a write inside a transaction, its COMMIT — the
    statement fails, the ledger fails the writes of that transaction and says so to each of
    their callers, and the next transaction starts on a new connection. A server that stays
    away is `Unreachable`, said in a sentence: never a silent loop."""

    def __init__(self, dialect: Postgres, *, shared: bool) -> None:
        self._dialect = dialect
        self._shared = shared
        self._conn = dialect.raw(shared=shared)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        status = self._conn.info.transaction_status
        return status in (TransactionStatus.INTRANS, TransactionStatus.INERROR, TransactionStatus.ACTIVE)

    def _again_safe(self, sql: str) -> bool:
        if sql == "BEGIN IMMEDIATE":
            return True
        return not self._shared and sql.lstrip()[:6].upper() in ("SELECT", "PRAGMA")

    def execute(self, sql: str, parameters: Any = ()) -> PgCursor:
        import psycopg

        if self._conn.closed and self._again_safe(sql):
            self._conn = self._dialect.raw(shared=self._shared)
        try:
            try:
                return self._execute(sql, parameters)
            except psycopg.OperationalError:
                if not (self._conn.closed and self._again_safe(sql)):
                    raise
            self._conn = self._dialect.raw(shared=self._shared)
            return self._execute(sql, parameters)
        except psycopg.Error as error:
            raise _translated(error) from error

    def _execute(self, sql: str, parameters: Any) -> PgCursor:
        if sql == "BEGIN IMMEDIATE":
            self._conn.execute("BEGIN")
            try:
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            except BaseException:
                if not self._conn.closed:
                    self._conn.execute("ROLLBACK")  # no transaction was begun, as with SQLite
                raise
            return PgCursor(self._conn.cursor())
        if sql == "COMMIT":
            from psycopg.pq import TransactionStatus

            if self._conn.info.transaction_status == TransactionStatus.INERROR:
                self._conn.execute("ROLLBACK")
                raise OperationalError("the ledger's transaction was given up; nothing written")
        cursor = self._conn.execute(translate(sql) + (" RETURNING id" if _returning(sql) else ""), parameters)
        if _returning(sql):
            row = cursor.fetchone()
            return PgCursor(cursor, None if row is None else int(row[0]))
        return PgCursor(cursor)

    def executemany(self, sql: str, parameters: Iterable[Any]) -> PgCursor:
        import psycopg

        cursor = self._conn.cursor()
        try:
            cursor.executemany(translate(sql), list(parameters))
        except psycopg.Error as error:
            raise _translated(error) from error
        return PgCursor(cursor)

    def close(self) -> None:
        self._conn.close()

    def __del__(self) -> None:
        # A thread's reading connection goes with the thread (its threading.local): closed
        # here, said goodbye to the server, rather than left to psycopg's warning.
        conn = getattr(self, "_conn", None)
        if conn is not None and not conn.closed:
            conn.close()


class Postgres:
    postgres = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = redacted(url)

    def raw(self, *, shared: bool) -> psycopg.Connection[Any]:
        """A new connection, or Unreachable saying why not and what to do."""
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, row_factory=_rows, connect_timeout=10)
        except psycopg.Error as error:
            raise Unreachable(self.refusal(error)) from None
        if shared:
            conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            conn.execute(f"SET idle_in_transaction_session_timeout = '{FROZEN_WRITER_TIMEOUT}'")
        return conn

    def refusal(self, error: Exception) -> str:
        """Why the database refused, in a sentence with what to do."""
        text = " ".join(str(error).split()) or type(error).__name__
        parts = urlsplit(self.url)
        host, port = parts.hostname or "localhost", parts.port or 5432
        database = parts.path.lstrip("/") or parts.username or ""
        # libpq says why a connection failed in its message only (no SQLSTATE before it is made)
        state = getattr(error, "sqlstate", None)
        if state is None and re.search(r'database "[^"]*" does not exist', text):
            state = "3D000"
        elif state is None and re.search(r"password authentication failed|no password supplied", text):
            state = "28P01"
        values = {"url": self.where, "error": text, "host": host, "port": port, "database": database}
        if state == "3D000":
            return (
                _(
                    "the ledger's database %(url)s does not exist (%(error)s): make it with"
                    " `createdb -h %(host)s -p %(port)s %(database)s`, or correct ledger.url"
                )
                % values
            )
        if state in ("28P01", "28000"):
            return (
                _(
                    "the ledger's database %(url)s refuses the user or password (%(error)s): correct"
                    " ledger.url (or FORTNOX_LEDGER_URL)"
                )
                % values
            )
        return (
            _(
                "the ledger's database %(url)s cannot be reached (%(error)s): start the server or correct"
                " ledger.url; `pg_isready -h %(host)s -p %(port)s` says whether it answers"
            )
            % values
        )

    def connect(self, *, shared: bool = False) -> Connection:
        return PgConnection(self, shared=shared)

    def hold_sending(self, holder: str, *, shared: bool = False) -> tuple[Held | None, str]:
        """One bridge sends from one ledger, as one from one state folder (`lock.py`): a
        session-level advisory lock, held by a connection of its own for as long as it stays
        open (the server lets go of it when the process dies). Taken `shared` by the workers
        (`watch --worker-id`), who send beside each other but not beside a single bridge.
        Answers that connection, or None and who holds the lock (its connection's
        application_name, which is `holder`)."""
        conn = self.raw(shared=False)
        conn.execute("SELECT set_config('application_name', %s, false)", (holder[:63],))
        take = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        # A bridge killed a moment ago holds it until the server has seen its connection close
        # (milliseconds): a restart waits that long, not more.
        deadline = time.monotonic() + RELEASE_SECONDS
        while True:
            got = conn.execute(f"SELECT {take}(%s)", (SEND_LOCK,)).fetchone()
            if got is not None and got[0]:
                return conn, holder
            if time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        row = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (SEND_LOCK >> 32, SEND_LOCK & 0xFFFFFFFF),
        ).fetchone()
        conn.close()
        return None, str(row[0]) if row is not None and row[0] else ""

    @contextmanager
    def alone(self, db: Connection) -> Iterator[None]:
        db.execute("SAVEPOINT alone")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK TO alone")
            db.execute("RELEASE alone")
            raise
        db.execute("RELEASE alone")

    def next_ids(self, db: Connection, table: str, count: int) -> list[int]:
        rows = db.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, ?)", (count,)
        )
        return sorted(int(row[0]) for row in rows)

    def check(self, db: Connection, *, full: bool) -> list[str]:
        from bridge.pipeline.ledger import TABLES

        missing = [
            table for table in TABLES if db.execute("SELECT to_regclass(?)", (table,)).fetchone()[0] is None
        ]
        return [f"tables missing: {', '.join(missing)}"] if missing else []
