"""The ledger on PostgreSQL (`ledger.url`) against SQLite, the same work in the same run.

1. Queueing: a file of 5,000 documents (`queue_spooled`, one transaction) — documents per second.
2. Sending: 16 threads (the sending workers) each take documents and write what the executor
   writes for a one-step document (`step_sending`, `step_done`, `document_done`, with a read of
   its steps between): documents per second, all writes group-committed.

Both databases make every commit durable: SQLite with `synchronous=FULL`, and the PostgreSQL
server here (the tests' temporary one, started with fsync and synchronous commit on, as a real
server runs) on the same disk. Baseline: SQLite.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from bench.report import report
from bridge.model import DocumentKey
from bridge.pipeline.ledger import Ledger, spool_line
from bridge.planner import DocumentPlan, Step

DOCUMENTS = 5000
WORKERS = 16
SENT = 1600


class DurablePostgres:
    """The tests' temporary server (tests/pgserver.py), but with its commits made durable."""

    def __init__(self) -> None:
        from tests.pgserver import TemporaryPostgres

        class Durable(TemporaryPostgres):
            def _run(self, program: str, *args: str) -> None:
                args = tuple(
                    a.replace(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "")
                    for a in args
                )
                super()._run(program, *args)

        self.server = Durable()

    def database(self) -> str:
        return self.server.database()

    def stop(self) -> None:
        self.server.stop()


def plan(n: int) -> DocumentPlan:
    step = Step("create", f"invoice B-{n}", "POST", "/3/invoices", "Invoice", {"CustomerNumber": "1001"})
    return DocumentPlan(DocumentKey("t", "invoice", f"B-{n}"), f"B-{n}", f"h{n}", (step,), {"n": n})


def queueing(ledger: Ledger) -> float:
    file_id = ledger.add_file("t", "big.csv", "x", 1, None)
    lines = [spool_line(plan(n)) for n in range(DOCUMENTS)]
    started = time.perf_counter()
    ledger.queue_spooled(file_id, "csv", {}, [], [], lines)
    return DOCUMENTS / (time.perf_counter() - started)


def sending(ledger: Ledger) -> float:
    ids = iter(range(1, SENT + 1))
    taking = threading.Lock()

    def work() -> None:
        while True:
            with taking:
                document_id = next(ids, None)
            if document_id is None:
                return
            (step,) = ledger.steps(document_id)
            ledger.step_sending(step.id, document_id)
            ledger.step_done(step.id, {"DocumentNumber": document_id})
            ledger.document_done(document_id, [{"outcome": "created"}])

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return SENT / (time.perf_counter() - started)


def measure(url: str) -> tuple[float, float]:
    ledger = Ledger(Path(tempfile.mkdtemp(prefix="bench-ledger-")) / "ledger.sqlite3", url)
    try:
        return queueing(ledger), sending(ledger)
    finally:
        ledger.close()


def main() -> None:
    from tests.pgserver import unavailable

    reason = unavailable()
    if reason:
        print(f"skipped: {reason}")
        return
    sqlite_queue, sqlite_send = measure("")
    server = DurablePostgres()
    try:
        pg_queue, pg_send = measure(server.database())
    finally:
        server.stop()
    report(
        f"queue one file of {DOCUMENTS:,} documents, PostgreSQL",
        pg_queue,
        "documents/s",
        baseline=sqlite_queue,
        baseline_name="SQLite",
    )
    report(
        f"{WORKERS} workers writing what sending does, PostgreSQL",
        pg_send,
        "documents/s",
        baseline=sqlite_send,
        baseline_name="SQLite",
    )


if __name__ == "__main__":
    main()
