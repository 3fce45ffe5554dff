"""A bureau's companies drained by several workers on one PostgreSQL ledger.

`--companies` (1,000) companies on one `mockfortnox serve` with Fortnox's limit per company (25
calls per 5 s per token), `--documents` (20) one-line CSV invoices each (as bench_bureau makes
them), drained by 1, 2 and 4 `fortnox-bridge watch --worker-id ID` processes sharing one
temporary PostgreSQL ledger (`ledger.url`) and one bureau folder; each worker count gets fresh
companies, a fresh folder and a fresh database. Measured: the time until every file is in an
`archive/`, the calls per second the mock answered, 429s and files not done.

Baseline, same run: the ideal, min(companies × 5 calls/s — what Fortnox allows them — and the
mock's capacity for this flow on this machine), the capacity measured as bench_bureau measures
it: the calls one drain made, replayed for as many other companies from client threads that keep
the mock busy. Printed: each drain's calls/s beside the ideal, and the scaling ratios 2 ÷ 1 and
4 ÷ 1 workers.

`python -m bench workers --companies 50 --documents 4` is a quick run. A worker serves
`watch.workers` (16) companies at the same time, each at most at Fortnox's 5 calls/s, so one
worker sends at most about 80 calls/s; `--at-once N` sets watch.workers to see past that.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.bench_bureau import (
    ALLOWED_PER_COMPANY,
    CLIENT,
    _bureau,
    _companies,
    _last_seq,
    _log,
    _replay,
    _tokens,
)
from bench.report import report
from tests.e2e.processes import MockProcess, Process

WORKER_COUNTS = (1, 2, 4)


def worker_mode_missing() -> str | None:
    """Why `watch --worker-id` cannot run here, or None when it can."""
    from tests.pgserver import unavailable

    reason = unavailable()
    if reason:
        return reason
    answer = subprocess.run(
        [sys.executable, "-m", "bridge", "watch", "--help"], capture_output=True, text=True, check=False
    )
    if "--worker-id" not in answer.stdout:
        return "this fortnox-bridge has no worker mode yet (`watch --worker-id`), so there is nothing to drain with"
    return None


STALL_SECONDS = 120  # no file finished for this long: the drain is stuck; report what is left


class _Calls(threading.Thread):
    """The mock's request log, read every second while the workers drain: the mock keeps only
    its newest 10,000 requests, and a drain makes many more."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.after, self.entries = url, _last_seq(url), list[dict]()
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(1.0):
            self._read()

    def _read(self) -> None:
        new = _log(self.url, self.after)
        self.entries.extend(new)
        self.after = max((e["seq"] for e in new), default=self.after)

    def stop(self) -> list[dict]:
        self.done.set()
        self.join()
        self._read()
        return self.entries


def _finished(workdir: Path, place: str) -> int:
    """Files in `place` (`archive` or `failed`), whichever company's outbox holds them."""
    return sum(1 for folder in (workdir / "outbox").rglob(place) for _ in folder.glob("*.csv"))


def _drain(
    mock_url: str,
    ledger_url: str,
    workdir: Path,
    companies: dict[str, int],
    documents: int,
    workers: int,
    at_once: int | None,
) -> tuple[float, list[dict], int]:
    """Seconds until every file is archived (or failed), the calls the workers made, files not archived."""
    _bureau(workdir, mock_url, companies, documents)
    config = workdir / "bridge.toml"
    text = config.read_text(encoding="utf-8") + f'[ledger]\nurl = "{ledger_url}"\n'
    if at_once:
        text = text.replace("[watch]\n", f"[watch]\nworkers = {at_once}\n", 1)
    config.write_text(text, encoding="utf-8")
    expected = len(companies) * documents
    calls = _Calls(mock_url)
    started = time.perf_counter()
    processes = [
        Process(
            [sys.executable, "-m", "bridge", "watch", "--worker-id", f"w{n}"],
            workdir,
            workdir / f"worker-w{n}.log",
            env={"FORTNOX_CLIENT_SECRET": CLIENT[1]},
        )
        for n in range(workers)
    ]
    try:
        progress, moved = 0, time.monotonic()
        while (finished := _finished(workdir, "archive") + _finished(workdir, "failed")) < expected:
            ended = [p for p in processes if p.popen.poll() is not None]
            if ended:
                raise RuntimeError(
                    f"a worker ended before the bureau was drained:\n{ended[0].output()[-3000:]}"
                )
            if finished > progress:
                progress, moved = finished, time.monotonic()
            elif time.monotonic() - moved > STALL_SECONDS:
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.stop()
    return elapsed, calls.stop(), expected - _finished(workdir, "archive")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench workers")
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--documents", type=int, default=20, help="one-line CSV invoices per company")
    parser.add_argument(
        "--at-once", type=int, help="companies one worker serves at the same time (watch.workers; default 16)"
    )
    options, _ = parser.parse_known_args(sys.argv[1:])
    reason = worker_mode_missing()
    if reason:
        print(f"skipped: {reason}")
        return
    from tests.pgserver import TemporaryPostgres

    count, documents = options.companies, options.documents
    allowed = count * ALLOWED_PER_COMPANY
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp, TemporaryPostgres() as server:
        mock = MockProcess(Path(tmp), "--rate-limit", "25/5s")
        try:
            for workers in WORKER_COUNTS:
                workdir = Path(tmp) / f"bureau-{workers}"
                workdir.mkdir()
                companies = _companies(mock.url, f"w{workers}c", count)
                elapsed, made, left = _drain(
                    mock.url, server.database(), workdir, companies, documents, workers, options.at_once
                )
                statuses = Counter(e["status"] for e in made)
                rates[workers] = len(made) / elapsed
                print(
                    f"{workers} worker{'s' if workers > 1 else ''}: {count} companies × {documents} files drained"
                    f" in {elapsed:.1f} s; {len(made)} calls; answers {dict(sorted(statuses.items()))}"
                )
                report("  429 answers", statuses.get(429, 0), "", target="0")
                report("  files not done", left, "", target="0")
                if workers == 1:
                    others = _companies(mock.url, "r", count)
                    replay_s, replay_calls, _ = _replay(
                        mock.url, made, dict(zip(companies.values(), others.values(), strict=True))
                    )
                    capacity = replay_calls / replay_s
                    tokens_per_s = _tokens(mock.url, list(others.values()))
        finally:
            mock.stop()
    ideal = min(allowed, capacity)
    report("mock capacity for this flow (replayed, same run)", capacity, "calls/s",
           baseline=allowed, baseline_name=f"{count} companies × 5 calls/s")  # fmt: skip
    report("mock capacity for tokens (client credentials)", tokens_per_s, "tokens/s")
    for workers, rate in rates.items():
        report(f"{workers} worker{'s' if workers > 1 else ''}", rate, "calls/s",
               baseline=ideal, baseline_name="ideal: min(companies × 5/s, mock capacity)")  # fmt: skip
    for workers in WORKER_COUNTS[1:]:
        report(f"scaling {workers} ÷ 1 workers", rates[workers] / rates[1], "×", target=f"≤ {workers}")


if __name__ == "__main__":
    main()
