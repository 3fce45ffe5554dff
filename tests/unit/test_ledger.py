"""The ledger's own promises: a versioned schema, one live document per key, and records
(never rows) for everything it answers — on SQLite and on PostgreSQL alike (`ledger_url`)."""

import threading
import time

import pytest

from bridge.fortnox.topics import TopicEvent
from bridge.model import DocumentKey, Problem, Severity
from bridge.pipeline import FileRecord, FileState
from bridge.pipeline.ledger import SCHEMA_VERSION, IntegrityError, Ledger, spool_line
from bridge.planner import DocumentPlan, Step
from bridge.sie import SieProblem


@pytest.fixture
def ledger_at(tmp_path, ledger_url):
    """Ledgers in `tmp_path`: SQLite files there, or all in the test's PostgreSQL database."""
    opened: list[Ledger] = []

    def at(name: str = "l.sqlite3") -> Ledger:
        ledger = Ledger(tmp_path / name, ledger_url)
        opened.append(ledger)
        return ledger

    yield at
    for ledger in opened:
        ledger.close()


def test_a_new_ledger_records_its_schema_version_and_reopens(ledger_at, ledger_url):
    ledger_at().close()
    ledger = ledger_at()
    version = ledger.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION
    if not ledger_url:
        assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_ledger_from_a_newer_bridge_is_refused(ledger_at):
    older = ledger_at()
    older.db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    older.close()
    with pytest.raises(RuntimeError, match="newer fortnox-bridge"):
        ledger_at()


def test_the_database_itself_refuses_a_second_live_copy_of_a_document(ledger_at, tmp_path):
    ledger = ledger_at()
    file_id = ledger.add_file("t", "a.csv", "x", 1, tmp_path / "a.csv")
    insert = (
        "INSERT INTO documents (file_id, tenant, kind, source_key, content_hash, summary, document, state, created_at)"
        " VALUES (?, 't', 'invoice', '1001', 'h', 's', '{}', ?, 'now')"
    )
    ledger.db.execute(insert, (file_id, "done"))
    ledger.db.execute(insert, (file_id, "failed"))  # a failed attempt is not live
    with pytest.raises(IntegrityError):
        ledger.db.execute(insert, (file_id, "queued"))


def test_a_file_comes_back_as_a_frozen_record_with_its_problems_as_said(ledger_at, tmp_path):
    ledger = ledger_at()
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


def test_a_write_queued_while_another_is_written_goes_into_the_same_commit(ledger_at):
    """The commit waits for the writers queued at that moment: one fsync for both, not two."""
    ledger = ledger_at("ledger.sqlite3")
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
    again = ledger_at("ledger.sqlite3")
    assert {n.key for n in again.notices()} == {"first", "second"}


def test_writes_of_many_threads_are_committed_together_and_a_failing_one_alone_is_lost(ledger_at):
    """Group commit: each write is durable when its call returns, whatever the others do."""
    ledger = ledger_at("ledger.sqlite3")
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
    again = ledger_at("ledger.sqlite3")  # another connection reads what is durable
    keys = {n.key for n in again.notices()}
    assert keys == {f"t{t}-{n}" for t in range(12) for n in range(20)} - {"t3-7"}  # no "lost"


def test_live_events_are_kept_once_and_each_topics_offset_moves_only_past_what_is_done(ledger_at):
    ledger = ledger_at()

    def event(offset: int) -> TopicEvent:
        return TopicEvent(
            "invoices", str(offset), "invoice-created-v1", 1, str(offset), f"2026-12-02T10:0{offset}"
        )

    assert ledger.add_live_events("ws", [("t", event(1)), ("t", event(2)), ("t", event(3))]) == {"t": 3}
    assert ledger.add_live_events("ws", [("t", event(2))]) == {}  # a replay: already kept
    first, second, third = ledger.pending_live("t")
    ledger.live_done([first, third])
    assert ledger.live_offsets("ws")["invoices"].offset == "1"  # the second is not done yet
    ledger.live_done([second])
    assert ledger.live_offsets("ws")["invoices"].offset == "3"
    assert ledger.live_counts() == {"t": {"done": 3}}


def test_a_file_of_thousands_of_documents_is_queued_in_order_with_its_steps(ledger_at):
    ledger = ledger_at()
    plans = [
        DocumentPlan(
            DocumentKey("t", "invoice", f"B-{n}"),
            f"B-{n}",
            f"h{n}",
            (Step("create", f"invoice B-{n}", "POST", "/3/invoices", "Invoice", {"N": n}),),
            {"n": n},
        )
        for n in range(1200)
    ]
    ledger.add_file("t", "other.csv", "y", 1, None)  # ids taken before this one's
    file_id = ledger.add_file("t", "big.csv", "x", 1, None)
    assert ledger.queue_spooled(file_id, "csv", {}, [], plans[:1], [spool_line(p) for p in plans[1:]]) == 1200
    documents = ledger.documents_of(file_id)
    assert [d.source_key for d in documents] == [f"B-{n}" for n in range(1200)]
    assert [s.spec.body for s in ledger.steps(documents[-1].id)] == [{"N": 1199}]
    again = ledger.add_file("t", "again.csv", "z", 1, None)
    ledger.queue(again, "csv", {}, [], plans[5:6])  # the next id after the spooled ones is free
    (duplicate,) = ledger.documents_of(again)
    assert duplicate.state == "duplicate" and duplicate.duplicate_of.id == documents[5].id
