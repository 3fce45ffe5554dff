"""Companies move between real worker processes: a worker paused past its lease sends nothing
more once another took its company over (fencing), and a worker that joins gets companies
without the others restarting."""

from __future__ import annotations

import random
import signal
import time

import httpx
import psycopg
import pytest

from tests.e2e.processes import MockProcess, wait_until
from tests.workers.processes import HEADER, WorkerProcess, bureau, drop, invoices_file, workers_listed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def posts(mock: MockProcess, tenant_id: int, after: int = 0) -> list[dict]:
    answer = httpx.get(
        f"{mock.url}/mock/requests",
        params={"method": "POST", "path": "/3/invoices", "tenant": str(tenant_id), "after": after},
    )
    return answer.json()["requests"]


def last_seq(mock: MockProcess) -> int:
    entries = httpx.get(f"{mock.url}/mock/requests").json()["requests"]
    return max((e["seq"] for e in entries), default=0)


def serving(workdir, worker: str, company: str) -> bool:
    return any(w["worker"] == worker and company in w["companies"] for w in workers_listed(workdir))


def test_a_worker_paused_past_its_lease_sends_nothing_after_its_company_was_taken_over(
    tmp_path, postgres_url
):
    mock = MockProcess(tmp_path)
    started: list[WorkerProcess] = []
    try:
        ids = bureau(
            tmp_path,
            mock,
            ["acme"],
            postgres_url,
            "[workers]\nlease_seconds = 8\nslice_seconds = 120\n",  # w0 keeps acme until paused
        )
        httpx.post(f"{mock.url}/mock/faults", json={"rules": [{"latency_ms": 150}]})
        rows = [f"A-{n};1001;Konsult;1;{100 + n}\n" for n in range(60)]
        w0 = WorkerProcess(tmp_path, "w0")
        started.append(w0)
        drop(tmp_path, "acme", "many.csv", HEADER + "".join(rows))
        wait_until(lambda: len(posts(mock, ids["acme"])) >= 5, 60, 0.2, what="w0 to send a few invoices")

        w0.signal(signal.SIGSTOP)  # paused in the middle of acme's documents, holding its lease
        w1 = WorkerProcess(tmp_path, "w1")
        started.append(w1)
        wait_until(lambda: serving(tmp_path, "w1", "acme"), 60, 0.2, what="w1 to take acme over")
        assert not serving(tmp_path, "w0", "acme")
        with psycopg.connect(postgres_url) as db:  # the ledger's own writes are fenced too
            fences = db.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'fence_%' ORDER BY 1")
            assert [name for (name,) in fences] == ["fence_documents", "fence_files", "fence_steps"]

        # Pause w1 as well, with its lease fresh: whatever reaches Fortnox for acme in the next
        # seconds can only come from w0, woken up after it lost the company.
        w1.signal(signal.SIGSTOP)
        time.sleep(0.5)  # a request w1 had in flight arrives before the line is drawn
        line = last_seq(mock)
        w0.signal(signal.SIGCONT)
        time.sleep(2.5)  # well inside w1's lease (8 s, renewed every 2.7 s)
        assert posts(mock, ids["acme"], after=line) == [], "w0 sent for acme after losing it"
        w1.signal(signal.SIGCONT)

        archive = tmp_path / "outbox" / "archive"
        wait_until(lambda: (archive / "many.csv").exists(), 180, 0.5, what="the file to be archived")
        stamps = [
            i["ExternalInvoiceReference1"]
            for i in mock.api(str(ids["acme"])).iter_pages("/3/invoices", "Invoices")
        ]
        assert sorted(stamps) == sorted(f"fnb:A-{n}" for n in range(60))
        assert "taken over by another worker" in w0.output()
    finally:
        for worker in started:
            worker.signal(signal.SIGCONT) if worker.alive() else None
            worker.stop()
        mock.stop()


def test_a_worker_that_joins_gets_companies_and_workers_lists_it(tmp_path, postgres_url):
    rng = random.Random(3)
    companies = [f"co{n}" for n in range(8)]
    mock = MockProcess(tmp_path)
    started: list[WorkerProcess] = []
    try:
        ids = bureau(
            tmp_path,
            mock,
            companies,
            postgres_url,
            "[workers]\nlease_seconds = 6\nslice_seconds = 2\n",
        )
        # Two companies at a time per worker (watch.workers), each call slow: one worker alone
        # would take a while.
        (tmp_path / "bridge.toml").write_text(
            (tmp_path / "bridge.toml").read_text().replace("workers = 4", "workers = 2"), "utf-8"
        )
        httpx.post(f"{mock.url}/mock/faults", json={"rules": [{"latency_ms": 200}]})
        expected = {}
        started.append(WorkerProcess(tmp_path, "w0"))
        for company in companies:
            text, stamps = invoices_file(company, 0, 8, rng)
            drop(tmp_path, company, f"{company}.csv", text)
            expected[company] = stamps
        (tmp_path / "inbox" / "co0" / "link.csv").symlink_to("/etc/hostname")  # refused, answered once
        wait_until(lambda: "done" in started[0].output(), 60, 0.2, what="w0 to start sending")
        started.append(WorkerProcess(tmp_path, "w1"))  # w0 keeps running
        wait_until(lambda: ": done" in started[1].output(), 60, 0.2, what="w1 to send for a company")

        listed = {w["worker"]: w for w in workers_listed(tmp_path)}
        assert set(listed) == {"w0", "w1"} and all(w["alive"] for w in listed.values())
        assert [w["intake"] for w in listed.values()].count(True) == 1

        archive = tmp_path / "outbox" / "archive"
        wait_until(
            lambda: archive.is_dir() and len(list(archive.iterdir())) == len(companies),
            180,
            0.5,
            what="every file to be archived",
        )
        failed = tmp_path / "outbox" / "failed"
        wait_until(lambda: (failed / "link.csv.error.txt").exists(), 60, 0.5, what="the link's report")
        assert sorted(p.name for p in failed.iterdir()) == ["link.csv", "link.csv.error.txt"]
        assert (failed / "link.csv").is_symlink()
        for company in companies:
            stamps = [
                i["ExternalInvoiceReference1"]
                for i in mock.api(str(ids[company])).iter_pages("/3/invoices", "Invoices")
            ]
            assert sorted(stamps) == sorted(expected[company])
    finally:
        for worker in started:
            worker.stop()
        mock.stop()
