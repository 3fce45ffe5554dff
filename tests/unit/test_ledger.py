"""The ledger's own promises: a versioned schema, one live document per key, and records
(never rows) for everything it answers."""

import sqlite3
import threading
import time

import pytest

from bridge.model import Problem, Severity
from bridge.pipeline import FileRecord, FileState
from bridge.pipeline.ledger import SCHEMA_VERSION, Ledger
from bridge.sie import SieProblem


def test_a_new_ledger_records_its_schema_version_and_reopens(tmp_path):
    Ledger(tmp_path / "l.sqlite3").close()
    ledger = Ledger(tmp_path / "l.sqlite3")
    version = ledger.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION
    assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_ledger_from_a_newer_bridge_is_refused(tmp_path):
    Ledger(tmp_path / "l.sqlite3").close()
    with sqlite3.connect(tmp_path / "l.sqlite3") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(RuntimeError, match="newer fortnox-bridge"):
        Ledger(tmp_path / "l.sqlite3")


def test_the_database_itself_refuses_a_second_live_copy_of_a_document(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite3")
    file_id = ledger.add_file("t", "a.csv", "x", 1, tmp_path / "a.csv")
    insert = (
        "INSERT INTO documents (file_id, tenant, kind, source_key, content_hash, summary, document, state, created_at)"
        " VALUES (?, 't', 'invoice', '1001', 'h', 's', '{}', ?, 'now')"
    )
    ledger.db.execute(insert, (file_id, "done"))
    ledger.db.execute(insert, (file_id, "failed"))  # a failed attempt is not live
    with pytest.raises(sqlite3.IntegrityError):
        ledger.db.execute(insert, (file_id, "queued"))


def test_a_file_comes_back_as_a_frozen_record_with_its_problems_as_said(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite3")
    file_id = ledger.add_file("t", "bok.se", "x", 1, tmp_path / "bok.se", origin="bok.se")
    problems = [
        SieProblem("the amount is not a number", line=7, label="#TRANS", code="sie.amount"),
        Problem("nothing to send", severity=Severity.WARNING),
    ]
    ledger.fail_file(file_id, "sie", {"sie_type": "4I"}, problems, "the amount is not a number")

    file = ledger.file(file_id)
    assert isinstance(file, FileRecord) and file.state is FileState.FAILED and file.state.retryable
    assert file.work_path == tmp_path / "bok.se" and file.facts == {"sie_type": "4I"}
    assert [(p["message"], p.get("label")) for p in file.problems] == [
        ("the amount is not a number", "#TRANS"),
        ("nothing to send", None),
    ]
    with pytest.raises(AttributeError):
        file.state = FileState.DONE  # type: ignore[misc]


def test_a_write_queued_while_another_is_written_goes_into_the_same_commit(tmp_path):
    """The commit waits for the writers queued at that moment: one fsync for both, not two."""
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    writing, go_on = threading.Event(), threading.Event()

    def first() -> None:
        with ledger.transaction() as db:
            db.execute("INSERT INTO notices (key, message, since) VALUES ('first', 'x', 'now')")
            writing.set()
            go_on.wait(10)

    batches = ledger._batch
    one = threading.Thread(target=first)
    one.start()
    writing.wait(10)
    two = threading.Thread(target=ledger.notice, args=("second", "y"))
    two.start()
    deadline = time.monotonic() + 10
    while ledger._entering == 0 and time.monotonic() < deadline:  # the second waits for the first
        time.sleep(0.001)
    go_on.set()
    one.join()
    two.join()

    assert ledger._batch == batches + 1  # both in one transaction, committed once
    again = Ledger(tmp_path / "ledger.sqlite3")
    assert {n.key for n in again.notices()} == {"first", "second"}
    ledger.close()
    again.close()


def test_writes_of_many_threads_are_committed_together_and_a_failing_one_alone_is_lost(tmp_path):
    """Group commit: each write is durable when its call returns, whatever the others do."""
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    errors: list[BaseException] = []

    def write(thread: int) -> None:
        for n in range(20):
            try:
                if n == 7 and thread == 3:
                    with ledger.transaction() as db:
                        db.execute("INSERT INTO notices (key, message, since) VALUES ('lost', 'x', 'now')")
                        raise RuntimeError("this write fails after its statement")
                ledger.notice(f"t{thread}-{n}", "written")
            except RuntimeError as error:
                errors.append(error)

    threads = [threading.Thread(target=write, args=(t,)) for t in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(errors) == 1
    again = Ledger(tmp_path / "ledger.sqlite3")  # another connection reads what is durable
    keys = {n.key for n in again.notices()}
    assert keys == {f"t{t}-{n}" for t in range(12) for n in range(20)} - {"t3-7"}  # no "lost"
    ledger.close()
    again.close()
