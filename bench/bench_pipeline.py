"""Pipeline benchmarks (issue: the pipeline that loses nothing and sends nothing twice).

1. Throughput under Fortnox's real rate limit: 200 invoices for known customers; requests per
   second as a ratio of the allowed 25 per 5 s (target ≥ 0.9) and the number of 429s (target 0).
2. Latency from a file's rename into inbox/ to the bridge's first API call for it, p50 and p95,
   with default settings (targets ≤ 1.5 s and ≤ 3 s). Baseline: the settle time itself.
3. 10,000 queued files (Fortnox unreachable): memory and ledger time per file stay flat — the
   last thousand against the first thousand.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.report import report
from bridge.config import load_settings
from bridge.fortnox import ClientCredentials, FortnoxClient, OAuth, Pacer
from bridge.pipeline import Bridge, FileState
from mockfortnox import create_app
from mockfortnox.server import MockServer

ALLOWED_PER_SECOND = 25 / 5


class RequestLog:
    """WSGI middleware: when each request arrived and how it was answered."""

    def __init__(self, app) -> None:
        self.app = app
        self.entries: list[tuple[float, str, str, int]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        arrived = time.time()

        def recording_start(status, headers, exc_info=None):
            with self.lock:
                self.entries.append(
                    (arrived, environ["REQUEST_METHOD"], environ["PATH_INFO"], int(status[:3]))
                )
            return start_response(status, headers, exc_info)

        return self.app(environ, recording_start)


def csv_for(number: int, customer: str = "1001") -> str:
    return f"Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nB-{number};{customer};Konsult;1;{number}00\n"


def start_mock(rate_limit: str = "25/5s") -> tuple[MockServer, RequestLog]:
    app = create_app({"MOCK_RATE_LIMIT": rate_limit})
    log = RequestLog(app.wsgi_app)
    app.wsgi_app = log
    return MockServer(app).start(), log


def throughput() -> None:
    server, log = start_mock()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings = load_settings(workdir, environ={})
        tokens = ClientCredentials(OAuth(f"{server.url}/oauth-v1", "demo-client", "demo-secret"), "123456")
        client = FortnoxClient(server.url, tokens, pacer=Pacer(limit=24, seconds=5))
        bridge = Bridge(settings, {"default": client})
        customers = ("1001", "1002", "1003")
        for n in range(200):
            path = workdir / f"f{n}.csv"
            path.write_text(csv_for(n, customers[n % 3]), encoding="utf-8")
            bridge.take(path, "default")
        log.entries.clear()
        started = time.perf_counter()
        bridge.drain("default", until_blocked=False)
        elapsed = time.perf_counter() - started
        api_calls = [e for e in log.entries if e[2].startswith("/3/")]
        done = len(bridge.files(states=[FileState.DONE]))
        bridge.close()
        client.close()
    server.stop()
    rate = len(api_calls) / elapsed
    print(f"{done} of 200 files done; {len(api_calls)} API calls in {elapsed:.1f} s")
    report("requests per second under the 25/5 s limit", rate, "req/s", baseline=ALLOWED_PER_SECOND,
           baseline_name="allowed by Fortnox", target="ratio ≥ 0.9")  # fmt: skip
    report("429 answers", sum(1 for e in api_calls if e[3] == 429), "", target="0")


def latency(files: int = 20, spacing: float = 1.5) -> None:
    server, log = start_mock()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bridge.toml").write_text(
            f'[fortnox]\nurl = "{server.url}"\nclient_id = "demo-client"\ntenant_id = "123456"\n'
        )
        env = {**os.environ, "FORTNOX_CLIENT_SECRET": "demo-secret"}
        bridge = subprocess.Popen(
            [sys.executable, "-m", "bridge", "watch"], cwd=workdir, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        while "Watching" not in bridge.stderr.readline():
            pass
        threading.Thread(target=lambda: bridge.stderr.read(), daemon=True).start()
        inbox = workdir / "inbox"
        delays = []
        for n in range(files):
            staged = workdir / f"staged-{n}.csv"
            staged.write_text(csv_for(n), encoding="utf-8")
            seen = len(log.entries)
            dropped = time.time()
            os.rename(staged, inbox / f"f{n}.csv")
            deadline = time.time() + 30
            while len(log.entries) == seen and time.time() < deadline:
                time.sleep(0.005)
            first = min((e[0] for e in log.entries[seen:] if e[2].startswith("/3/")), default=None)
            if first is not None:
                delays.append(first - dropped)
            time.sleep(spacing)
        bridge.terminate()
        bridge.wait(15)
    server.stop()
    settle = load_settings(Path(tempfile.gettempdir()), environ={})["watch.settle_seconds"]
    delays.sort()
    p50 = statistics.median(delays)
    p95 = delays[max(int(len(delays) * 0.95) - 1, 0)]
    report(
        "rename → first API call, p50",
        p50,
        "s",
        baseline=settle,
        baseline_name="settle time",
        target="≤ 1.5 s",
    )
    report(
        "rename → first API call, p95", p95, "s", baseline=settle, baseline_name="settle time", target="≤ 3 s"
    )


def queued_files(count: int = 10_000, batch: int = 1_000) -> None:
    import resource

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings = load_settings(workdir, environ={"FORTNOX_URL": "http://127.0.0.1:9"})
        bridge = Bridge(settings, {})
        source = workdir / "src"
        source.mkdir()
        per_file = []
        rss = []
        for start in range(0, count, batch):
            paths = []
            for n in range(start, start + batch):
                path = source / f"f{n}.csv"
                path.write_text(csv_for(n), encoding="utf-8")
                paths.append(path)
            began = time.perf_counter()
            for path in paths:
                bridge.take(path, "default")
            per_file.append((time.perf_counter() - began) / batch)
            rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        queued = bridge.counts()["documents"].get("queued", 0)
        bridge.close()
    print(f"{queued} documents queued; claim+read+plan+queue per file by thousand: "
          + ", ".join(f"{t * 1000:.1f}" for t in per_file) + " ms")  # fmt: skip
    report("time per file, last thousand", per_file[-1] * 1000, "ms", baseline=per_file[0] * 1000,
           baseline_name="first thousand", target="ratio ≈ 1 (flat)")  # fmt: skip
    report("peak memory after 10,000 files", rss[-1], "MB", baseline=rss[0], baseline_name="after 1,000",
           target="ratio ≈ 1 (flat)")  # fmt: skip


def main() -> None:
    latency()
    queued_files()
    throughput()


if __name__ == "__main__":
    main()
