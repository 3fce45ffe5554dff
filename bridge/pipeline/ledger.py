"""The ledger: a SQLite database (WAL) that is the only memory of what was claimed and sent.

Files move through claimed → queued → done | failed | partial | duplicate; their documents
through queued → sending → done | failed | duplicate; each document's steps through
pending → sending → done. A document key is live in at most one document at a time: the
database itself refuses a second live copy, whatever the code around it does.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge.model import Problem, to_plain
from bridge.planner import DocumentPlan
from bridge.util import dumps, loads

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Ledger", "now_iso"]


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

# Each entry takes a ledger one version further; a new ledger runs them all. `origin` is where
# in the inbox a file was dropped (`vouchers/A-15.pdf`), `companion` the work path of a PDF
# claimed together with its e-invoice.
MIGRATIONS: tuple[str, ...] = (_SCHEMA_1,)
SCHEMA_VERSION = len(MIGRATIONS)


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
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
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- files ---------------------------------------------------------------------------

    def add_file(
        self,
        tenant: str,
        name: str,
        sha256: str,
        size: int,
        work_path: Path,
        *,
        origin: str | None = None,
        companion: Path | None = None,
    ) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO files (tenant, name, sha256, size, work_path, state, claimed_at, origin, companion)"
                " VALUES (?, ?, ?, ?, ?, 'claimed', ?, ?, ?)",
                (
                    tenant,
                    name,
                    sha256,
                    size,
                    str(work_path),
                    now_iso(),
                    origin,
                    str(companion) if companion else None,
                ),
            )
            return int(cursor.lastrowid)

    def file(self, file_id: int) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()

    def file_by_work_path(self, work_path: Path) -> sqlite3.Row | None:
        """The file kept at `work_path`, or whose companion is kept there."""
        return self.db.execute(
            "SELECT * FROM files WHERE work_path = ? OR companion = ?", (str(work_path), str(work_path))
        ).fetchone()

    def earlier_copy(self, file_id: int) -> sqlite3.Row | None:
        """An earlier file of the same tenant with the same bytes that was not refused."""
        row = self.file(file_id)
        return self.db.execute(
            "SELECT * FROM files WHERE tenant = ? AND sha256 = ? AND id < ?"
            " AND state IN ('claimed','queued','done','partial') ORDER BY id LIMIT 1",
            (row["tenant"], row["sha256"], file_id),
        ).fetchone()

    def files(self, states: Sequence[str] | None = None, tenant: str | None = None) -> list[sqlite3.Row]:
        sql, args = "SELECT * FROM files WHERE 1=1", []
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args += list(states)
        if tenant:
            sql += " AND tenant = ?"
            args.append(tenant)
        return self.db.execute(sql + " ORDER BY id", args).fetchall()

    def find_files(self, name: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM files WHERE name = ? OR outcome_path LIKE ? ORDER BY id", (name, f"%/{name}")
        ).fetchall()

    def update_file(self, file_id: int, **fields: Any) -> None:
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction() as db:
            db.execute(f"UPDATE files SET {assignments} WHERE id = ?", (*fields.values(), file_id))

    def fail_file(
        self, file_id: int, importer: str, facts: dict, problems: Sequence[Problem], error: str
    ) -> None:
        self.update_file(
            file_id,
            state="failed",
            importer=importer,
            facts=dumps(facts),
            problems=dumps(to_plain(list(problems))),
            error=error,
        )

    # --- documents -----------------------------------------------------------------------

    def queue(
        self,
        file_id: int,
        importer: str,
        facts: dict,
        problems: Sequence[Problem],
        plans: Sequence[DocumentPlan],
    ) -> None:
        """Record a parsed file and its documents in one transaction; a document whose key is
        already live elsewhere is stored as a duplicate of it and never sent."""
        with self.transaction() as db:
            for plan in plans:
                self._insert_document(db, file_id, plan)
            db.execute(
                "UPDATE files SET state = 'queued', importer = ?, facts = ?, problems = ? WHERE id = ?",
                (importer, dumps(facts), dumps(to_plain(list(problems))), file_id),
            )

    def _insert_document(self, db: sqlite3.Connection, file_id: int, plan: DocumentPlan) -> None:
        now = now_iso()
        errors = [p for p in plan.problems if p.is_error]
        live = None
        if not errors:
            live = db.execute(
                "SELECT id, content_hash FROM documents WHERE tenant = ? AND kind = ? AND source_key = ?"
                " AND state IN ('queued','sending','done')",
                (plan.key.tenant, plan.key.kind, plan.key.source_key),
            ).fetchone()
        state = "failed" if errors else "queued" if live is None else "duplicate"
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
                dumps(plan.document),
                state,
                None if live is None else live["id"],
                "; ".join(_problem_text(p) for p in errors) or None,
                dumps(to_plain(errors)) if errors else None,
                now,
                None if state == "queued" else now,
            ),
        )
        if state == "queued":
            db.executemany(
                "INSERT INTO steps (document_id, position, spec, state) VALUES (?, ?, ?, 'pending')",
                [(cursor.lastrowid, i, dumps(step.to_json())) for i, step in enumerate(plan.steps)],
            )

    def replan(self, document_id: int, plan: DocumentPlan) -> None:
        """Replace a document that failed before sending with a fresh plan of it."""
        with self.transaction() as db:
            row = db.execute("SELECT file_id FROM documents WHERE id = ?", (document_id,)).fetchone()
            db.execute("DELETE FROM steps WHERE document_id = ?", (document_id,))
            db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
            self._insert_document(db, row["file_id"], plan)

    def document(self, document_id: int) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()

    def documents_of(self, file_id: int) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM documents WHERE file_id = ? ORDER BY id", (file_id,)).fetchall()

    def documents_finished(self, file_id: int) -> bool:
        """Whether the file has documents and every one of them is through (counted, not
        loaded: a SIE file holds thousands)."""
        exists = "EXISTS (SELECT 1 FROM documents WHERE file_id = ?"
        some, open_ = self.db.execute(
            f"SELECT {exists}), {exists} AND state IN ('queued','sending'))", (file_id, file_id)
        ).fetchone()
        return bool(some) and not open_

    def next_due(self, tenant: str, now: float | None = None) -> tuple[sqlite3.Row | None, float | None]:
        """The oldest document ready to run, or None and when the next one will be."""
        now = time.time() if now is None else now
        row = self.db.execute(
            "SELECT * FROM documents WHERE tenant = ? AND state IN ('queued','sending') AND next_attempt_at <= ?"
            " ORDER BY id LIMIT 1",
            (tenant, now),
        ).fetchone()
        if row is not None:
            return row, None
        later = self.db.execute(
            "SELECT MIN(next_attempt_at) FROM documents WHERE tenant = ? AND state IN ('queued','sending')",
            (tenant,),
        ).fetchone()[0]
        return None, later

    def steps(self, document_id: int) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM steps WHERE document_id = ? ORDER BY position", (document_id,)
        ).fetchall()

    def step_sending(self, step_id: int, document_id: int) -> None:
        """The intent, committed before the call: after a crash we know it may have been sent."""
        with self.transaction() as db:
            db.execute("UPDATE steps SET state = 'sending', attempts = attempts + 1 WHERE id = ?", (step_id,))
            db.execute(
                "UPDATE documents SET state = 'sending', attempts = attempts + 1 WHERE id = ?", (document_id,)
            )

    def step_done(self, step_id: int, result: Any) -> None:
        with self.transaction() as db:
            db.execute("UPDATE steps SET state = 'done', result = ? WHERE id = ?", (dumps(result), step_id))

    def document_done(self, document_id: int, result: Any) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE documents SET state = 'done', result = ?, last_error = NULL, failures = 0, finished_at = ?"
                " WHERE id = ?",
                (dumps(result), now_iso(), document_id),
            )

    def document_failed(self, document_id: int, error: str, detail: Any = None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE documents SET state = 'failed', last_error = ?, error_detail = ?, finished_at = ?"
                " WHERE id = ?",
                (error, dumps(detail), now_iso(), document_id),
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
                    db.execute(
                        "UPDATE documents SET state = 'queued', next_attempt_at = 0, finished_at = NULL"
                        " WHERE id = ? AND state = 'failed'",
                        (document_id,),
                    )
                except sqlite3.IntegrityError:
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

    def unfinished_files(self) -> list[sqlite3.Row]:
        """Files whose documents are all through, or that were refused, but whose answer in
        outbox/ is not written yet (a crash, or an outbox that could not be written)."""
        return self.db.execute(
            "SELECT * FROM files WHERE finished_at IS NULL AND (state IN ('failed','duplicate','done','partial')"
            " OR (state = 'queued' AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.file_id = files.id"
            " AND d.state IN ('queued','sending')) AND EXISTS (SELECT 1 FROM documents d WHERE d.file_id = files.id)))"
            " ORDER BY id"
        ).fetchall()

    # --- notices: conditions a person should know about, shown by `status` ---------------

    def notice(self, key: str, message: str, tenant: str | None = None) -> bool:
        """Record a condition; answers True when it is new (worth logging once)."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO notices (key, tenant, message, since) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET message = excluded.message WHERE message != excluded.message",
                (key, tenant, message, now_iso()),
            )
            return cursor.rowcount > 0

    def clear_notice(self, key: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM notices WHERE key = ?", (key,))

    def notices(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM notices ORDER BY since").fetchall()

    # --- tenants -------------------------------------------------------------------------

    def tenant_unreachable(self, tenant: str, error: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO tenants (name, unreachable_since, last_error) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET unreachable_since = COALESCE(unreachable_since, excluded.unreachable_since),"
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

    def tenant_status(self, tenant: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM tenants WHERE name = ?", (tenant,)).fetchone()

    def counts(self, tenant: str | None = None) -> dict[str, dict[str, int]]:
        where, args = ("WHERE tenant = ?", [tenant]) if tenant else ("", [])
        out: dict[str, dict[str, int]] = {"files": {}, "documents": {}}
        for table in ("files", "documents"):
            for state, count in self.db.execute(
                f"SELECT state, COUNT(*) FROM {table} {where} GROUP BY state", args
            ):
                out[table][state] = count
        return out


def decode(text: str | None) -> Any:
    return None if text is None else loads(text)


def _problem_text(problem: Problem) -> str:
    where = problem.where()
    return f"{where}: {problem.message}" if where else problem.message
