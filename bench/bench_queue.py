"""Queue engines for a bureau's companies on PostgreSQL: procrastinate and pgqueuer, measured.

What the workers need from an engine (docs/deploy.md has the whole evaluation): never two jobs
of one company at once, in order; a dead worker's job runs again elsewhere within a bounded
time; a new worker takes work without restarting the others. Measured on one temporary
PostgreSQL server (tests/pgserver.py), each engine in a fresh database:

- jobs per second for `--companies` (1,000) × `--jobs` (5) jobs, each job a 2 ms pause, drained
  by 1 and 4 worker processes of 10 concurrent jobs each, with per-company serialisation
  enforced by the engine (procrastinate: `lock=<company>`; pgqueuer: one entrypoint per
  company with `concurrency_limit=1`, its only per-key limit). Every job logs its start and
  end; the run counts overlaps within a company, jobs out of order and jobs run twice.
- the time from SIGKILL of a worker in the middle of a job until another worker starts that
  job again, with each engine's stall timeout set to STALL_SECONDS.

Baseline, same server and same run: raw `SELECT … FOR UPDATE SKIP LOCKED` on a companies table
— the claim holds the company's row lock for the job's transaction, which serialises a company
and frees it when a dead worker's connection drops. An engine that is not installed is skipped
with the command that installs it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from bench.report import report

JOB_SECONDS = 0.002
CONCURRENCY = 10  # jobs at once in one worker process
STALL_SECONDS = 5.0  # each engine's stall timeout in the recovery measurement
# Both engines look for jobs again only on a new job's NOTIFY or after a pause; a finished job
# that frees its company sends none, so with their defaults (procrastinate 5 s, pgqueuer 30 s)
# a worker idles whenever every waiting job's company is busy. Both are set to this pause.
POLL_SECONDS = 0.2
VICTIM = "victim"  # the worker that hangs in the recovery job, to be killed there
ENGINES = ("raw", "procrastinate", "pgqueuer")
INSTALL = {
    "procrastinate": "pip install 'procrastinate>=3.5'",
    "pgqueuer": "pip install -e '.[bench]'",
}


def _company(number: int) -> str:
    return f"c{number:05}"


# --- the job every engine runs --------------------------------------------------------------


class _Log:
    """One line per job: company, job number, start, end, worker; `started` lines for the
    recovery job. Line-buffered so that a killed worker's finished jobs are all there."""

    def __init__(self, path: str, worker: str) -> None:
        self.file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 — lives as long as the worker
        self.worker = worker
        self.file.write(f"ready {worker}\n")

    async def run(self, company: str, n: int) -> None:
        started = time.time()
        if n < 0:  # the recovery job: the victim hangs in it until it is killed
            self.file.write(f"started {company} {n} {started} {self.worker}\n")
            if self.worker == VICTIM:
                await asyncio.sleep(3600)
        await asyncio.sleep(JOB_SECONDS)
        self.file.write(f"{company} {n} {started} {time.time()} {self.worker}\n")


# --- baseline: raw SKIP LOCKED ----------------------------------------------------------------

RAW_SCHEMA = """
CREATE TABLE companies (name text PRIMARY KEY, pending int NOT NULL);
CREATE INDEX companies_pending ON companies (name) WHERE pending > 0;
CREATE TABLE jobs (id bigserial PRIMARY KEY, company text NOT NULL, n int NOT NULL,
                   done boolean NOT NULL DEFAULT false);
CREATE INDEX jobs_todo ON jobs (company, id) WHERE NOT done;
"""


async def _raw_setup(url: str) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url) as conn:
        await conn.execute(RAW_SCHEMA)


async def _raw_enqueue(url: str, jobs: list[tuple[str, int]]) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url) as conn:
        pending: dict[str, int] = defaultdict(int)
        for company, _ in jobs:
            pending[company] += 1
        async with conn.cursor() as cur:
            await cur.executemany("INSERT INTO companies VALUES (%s, %s)", list(pending.items()))
            await cur.executemany("INSERT INTO jobs (company, n) VALUES (%s, %s)", jobs)


async def _raw_worker(url: str, log: _Log) -> None:
    import psycopg

    async def loop() -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            while True:
                async with conn.transaction():
                    row = await (
                        await conn.execute(
                            "SELECT name FROM companies WHERE pending > 0 FOR UPDATE SKIP LOCKED LIMIT 1"
                        )
                    ).fetchone()
                    if row:
                        job = await (
                            await conn.execute(
                                "SELECT id, n FROM jobs WHERE company = %s AND NOT done ORDER BY id LIMIT 1",
                                row,
                            )
                        ).fetchone()
                        assert job is not None
                        await log.run(row[0], job[1])
                        await conn.execute("UPDATE jobs SET done = true WHERE id = %s", (job[0],))
                        await conn.execute("UPDATE companies SET pending = pending - 1 WHERE name = %s", row)
                if not row:
                    await asyncio.sleep(0.05)

    await asyncio.gather(*(loop() for _ in range(CONCURRENCY)))


# --- procrastinate ----------------------------------------------------------------------------


def _procrastinate_app(url: str, log: _Log | None = None):  # type: ignore[no-untyped-def]
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="company_job")
    async def company_job(company: str, n: int) -> None:
        assert log is not None
        await log.run(company, n)

    return app, company_job


async def _procrastinate_setup(url: str) -> None:
    app, _ = _procrastinate_app(url)
    async with app.open_async():
        await app.schema_manager.apply_schema_async()


async def _procrastinate_enqueue(url: str, jobs: list[tuple[str, int]]) -> None:
    from procrastinate.jobs import Job

    app, _ = _procrastinate_app(url)
    async with app.open_async():
        await app.job_manager.batch_defer_jobs_async(
            [
                Job(queue="default", lock=company, queueing_lock=None, task_name="company_job",
                    task_kwargs={"company": company, "n": n})
                for company, n in jobs
            ]
        )  # fmt: skip


async def _procrastinate_worker(url: str, log: _Log) -> None:
    app, _ = _procrastinate_app(url, log)

    async def recover() -> None:
        # procrastinate finds stalled jobs (workers whose heartbeat is older than the timeout)
        # but leaves retrying them to the application: its documented recipe is a periodic
        # task doing this.
        while True:
            await asyncio.sleep(1)
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALL_SECONDS):
                with contextlib.suppress(Exception):  # another worker retried it first
                    await app.job_manager.retry_job(job)

    async with app.open_async():
        await asyncio.gather(
            app.run_worker_async(
                concurrency=CONCURRENCY, name=log.worker, install_signal_handlers=False,
                fetch_job_polling_interval=POLL_SECONDS,
                update_heartbeat_interval=1.0, stalled_worker_timeout=STALL_SECONDS,
            ),
            recover(),
        )  # fmt: skip


# --- pgqueuer ---------------------------------------------------------------------------------


async def _pgqueuer_setup(url: str) -> None:
    import psycopg
    from pgqueuer import PsycopgDriver, Queries

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await Queries(PsycopgDriver(conn)).install()


async def _pgqueuer_enqueue(url: str, jobs: list[tuple[str, int]]) -> None:
    import psycopg
    from pgqueuer import PsycopgDriver, Queries

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await Queries(PsycopgDriver(conn)).enqueue(
            [company for company, _ in jobs], [str(n).encode() for _, n in jobs], [0] * len(jobs)
        )


async def _pgqueuer_worker(url: str, log: _Log, companies: list[str]) -> None:
    import psycopg
    from pgqueuer import PsycopgDriver, Queries, QueueManager
    from pgqueuer.models import Job

    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    manager = QueueManager(Queries(PsycopgDriver(conn)))

    async def company_job(job: Job) -> None:
        await log.run(str(job.entrypoint), int(job.payload or b"0"))

    # pgqueuer limits concurrency per entrypoint, not per key: one entrypoint per company,
    # registered in every worker — a new company means restarting every worker.
    for company in companies:
        manager.entrypoint(company, concurrency_limit=1)(company_job)
    # Batches of CONCURRENCY jobs, without pgqueuer's own per-worker cap (`max_concurrent_tasks`):
    # with the cap at 10, a worker waited about a second after each batch (5 to 10 jobs/s), so
    # pgqueuer may run more than 10 jobs at once here — in its favour.
    await manager.run(
        batch_size=CONCURRENCY,
        heartbeat_timeout=timedelta(seconds=STALL_SECONDS), dequeue_timeout=timedelta(seconds=POLL_SECONDS),
    )  # fmt: skip


SETUP = {"raw": _raw_setup, "procrastinate": _procrastinate_setup, "pgqueuer": _pgqueuer_setup}
ENQUEUE = {"raw": _raw_enqueue, "procrastinate": _procrastinate_enqueue, "pgqueuer": _pgqueuer_enqueue}


def _worker_main(engine: str, url: str, name: str, log_path: str, companies: int) -> None:
    log = _Log(log_path, name)
    if engine == "raw":
        asyncio.run(_raw_worker(url, log))
    elif engine == "procrastinate":
        asyncio.run(_procrastinate_worker(url, log))
    else:
        names = [*(_company(n) for n in range(companies)), "recovery"]
        asyncio.run(_pgqueuer_worker(url, log, names))


# --- the measurements -------------------------------------------------------------------------


def missing(engine: str) -> str | None:
    """Why `engine` cannot be measured here, or None when it can."""
    if engine != "raw" and importlib.util.find_spec(engine) is None:
        return f"{engine} is not installed: {INSTALL[engine]}"
    if importlib.util.find_spec("psycopg") is None:
        return "psycopg is not installed: pip install 'psycopg[binary]>=3.1'"
    return None


def _runs(lines: list[list[str]]) -> list[list[str]]:
    """The lines of finished jobs."""
    return [line for line in lines if line[0] not in ("ready", "started")]


class _Workers:
    def __init__(self, engine: str, url: str, folder: Path, companies: int) -> None:
        self.engine, self.url, self.folder, self.companies = engine, url, folder, companies
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_queue", "worker", self.engine, self.url, name,
             str(self.folder / f"{name}.log"), str(self.companies)],
            stderr=open(self.folder / f"{name}.err", "wb"),  # noqa: SIM115 — the child owns it
        )  # fmt: skip

    def lines(self) -> list[list[str]]:
        """Every worker's log lines so far, split into fields."""
        return [
            line.split() for log in self.folder.glob("*.log") for line in log.read_text().splitlines() if line
        ]

    def runs(self) -> list[list[str]]:
        return _runs(self.lines())

    def wait_ready(self) -> None:
        """Until every worker has started, and a second more for it to connect and listen."""
        self.wait_for(lambda lines: sum(line[0] == "ready" for line in lines) == len(self.processes), 120)
        time.sleep(1)

    def wait_for(self, predicate, timeout: float) -> list[list[str]]:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.lines()
            if predicate(lines):
                return lines
            for name, process in self.processes.items():
                if process.poll() is not None and name != VICTIM:
                    raise RuntimeError(
                        f"{self.engine} worker {name} ended: {(self.folder / f'{name}.err').read_text()[-2000:]}"
                    )
            time.sleep(0.1)
        raise TimeoutError(f"{self.engine}: not done within {timeout:.0f} s")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait()


def _throughput(server, engine: str, companies: int, jobs: int, workers: int) -> tuple[float, dict[str, int]]:  # type: ignore[no-untyped-def]
    url = server.database()
    asyncio.run(SETUP[engine](url))
    work = [(_company(c), n) for c in range(companies) for n in range(jobs)]
    with tempfile.TemporaryDirectory() as tmp:
        pool = _Workers(engine, url, Path(tmp), companies)
        try:
            for n in range(workers):
                pool.start(f"w{n}")
            pool.wait_ready()
            asyncio.run(ENQUEUE[engine](url, work))
            pool.wait_for(lambda lines: len(_runs(lines)) >= len(work), timeout=900)
            done = pool.runs()
        finally:
            pool.stop()
    runs = [(line[0], int(line[1]), float(line[2]), float(line[3])) for line in done]
    return len(runs) / (max(r[3] for r in runs) - min(r[2] for r in runs)), _violations(runs)


def _violations(runs: list[tuple[str, int, float, float]]) -> dict[str, int]:
    """Overlaps within a company, jobs started before an earlier one of theirs, jobs run twice."""
    by_company: dict[str, list[tuple[str, int, float, float]]] = defaultdict(list)
    for run in runs:
        by_company[run[0]].append(run)
    found = {"overlapping": 0, "out of order": 0, "run twice": 0}
    for company_runs in by_company.values():
        company_runs.sort(key=lambda r: r[2])
        for before, after in itertools.pairwise(company_runs):
            found["overlapping"] += after[2] < before[3]
            found["out of order"] += after[1] < before[1]
        found["run twice"] += len(company_runs) - len({r[1] for r in company_runs})
    return found


def _recovery(server, engine: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds from SIGKILL of the worker inside a job until another worker starts it again."""
    url = server.database()
    asyncio.run(SETUP[engine](url))
    asyncio.run(ENQUEUE[engine](url, [("recovery", -1)]))
    with tempfile.TemporaryDirectory() as tmp:
        pool = _Workers(engine, url, Path(tmp), 0)
        try:
            pool.start(VICTIM)
            pool.wait_for(lambda lines: any(line[0] == "started" for line in lines), timeout=60)
            pool.start("rescuer")
            time.sleep(2)  # the rescuer is up and idle: its start-up is not part of the figure
            killed = time.time()
            os.kill(pool.processes[VICTIM].pid, signal.SIGKILL)
            lines = pool.wait_for(
                lambda lines: any(line[0] == "started" and line[-1] == "rescuer" for line in lines),
                timeout=STALL_SECONDS * 12,
            )
        finally:
            pool.stop()
    return next(float(line[3]) for line in lines if line[0] == "started" and line[-1] == "rescuer") - killed


def main() -> None:
    from tests.pgserver import TemporaryPostgres, unavailable

    parser = argparse.ArgumentParser(prog="python -m bench queue")
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=5, help="jobs per company")
    options, _ = parser.parse_known_args(sys.argv[1:])
    reason = unavailable()
    if reason:
        print(f"skipped: {reason}")
        return
    engines = [e for e in ENGINES if not missing(e)]
    for engine in ENGINES:
        if missing(engine):
            print(f"skipped {engine}: {missing(engine)}")
    if "raw" not in engines:
        return
    total = options.companies * options.jobs
    print(
        f"{options.companies} companies × {options.jobs} jobs of {JOB_SECONDS * 1000:.0f} ms, "
        f"{CONCURRENCY} at once per worker process (pgqueuer: batches of {CONCURRENCY}, uncapped), one"
        f" company's jobs never at once; engines poll every"
        f" {POLL_SECONDS} s"
    )
    with TemporaryPostgres() as server:
        for workers in (1, 4):
            measured = {e: _throughput(server, e, options.companies, options.jobs, workers) for e in engines}
            baseline = measured["raw"][0]
            for engine, (rate, found) in measured.items():
                report(
                    f"{engine}, {workers} worker{'s' if workers > 1 else ''}, {total} jobs", rate, "jobs/s",
                    baseline=baseline if engine != "raw" else None, baseline_name="raw SKIP LOCKED",
                )  # fmt: skip
                print(f"  {', '.join(f'{k}: {v}' for k, v in found.items())}  (target: all 0)")
        recovered = {e: _recovery(server, e) for e in engines}
        for engine, seconds in recovered.items():
            report(
                f"{engine}: a SIGKILLed worker's job started again after", seconds, "s",
                baseline=STALL_SECONDS if engine != "raw" else None, baseline_name="stall timeout set",
            )  # fmt: skip
        print("  (raw: the row lock goes with the dead connection; no timeout involved on loopback)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        _worker_main(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        main()
