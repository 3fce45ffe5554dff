"""A bureau's companies in one bridge: 200 companies × 3 one-line CSV invoices, and 1,000 × 1.

`mockfortnox serve` runs as a process of its own with Fortnox's limit per company (25 calls per
5 s per token); `fortnox-bridge watch --once` runs as a real process over a bureau folder (one
inbox per company, service-account tokens through OAuth). Measured: the time until `--once`
returns, the calls per second the mock answered, 429s, timeouts in the bridge's log, files not
done; for 1,000 companies the bridge's peak memory (VmHWM) and its most threads.

Baseline, same run: min(companies × 5 calls/s — what Fortnox allows them — and the mock's
capacity for this very flow on this machine). The capacity is measured by replaying the calls
the bridge made (token, access check, customer look-ups, invoices) for as many other companies
of the same mock, from as many client threads as keep it busy, each company's calls in order,
through a lean client (the bridge's own pool) so that the client beside it on the same cores
takes little;
and the token endpoint alone, the same way. That is fair to the bridge: the same calls, in the
same order per company, on the same machine minutes apart, and more client threads (32) than
the bridge has workers, so the figure is what the mock can give, not what a client gets.

Where the time goes is printed beside it: the calls before the first invoice (each company's
token and access check) and after it, and the CPU seconds of the bridge and of the mock. On a
2-core machine the bridge's own CPU is the limit: about 1.2 ms per call with everything it does
for a file (claim, ledger writes that are durable before the next step, receipts, HTTP; a good
part of it in the kernel), against the mock's 0.5 ms, so a ratio of 0.78–0.87 (4.1–4.6 s for
the 200 × 3, 780–870 calls/s) as the machine is busier or quieter.

The bridge's modules are compiled before it is started (`bench/__main__.py`), as an installed
bridge's are: what is measured is the command a user runs, not Python compiling an editable
checkout's sources at every start (it does where PYTHONDONTWRITEBYTECODE is set).
"""

from __future__ import annotations

import base64
import json
import os
import queue
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx

from bench.report import report
from bridge.fortnox.transport import Pool
from tests.e2e.processes import MockProcess

ALLOWED_PER_COMPANY = 25 / 5
CLIENT = ("demo-client", "demo-secret")
REPLAY_THREADS = 32  # enough client threads to keep the mock busy (it answers with its own)
HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"


def _companies(url: str, prefix: str, count: int) -> dict[str, int]:
    with httpx.Client(base_url=url, timeout=60) as http:
        return {
            f"{prefix}{n:04}": http.post("/mock/tenants", json={"name": f"{prefix}{n:04}"}).json()["id"]
            for n in range(count)
        }


def _bureau(workdir: Path, url: str, companies: dict[str, int], files: int) -> None:
    tables = "".join(f'[tenants.{name}.fortnox]\ntenant_id = "{id_}"\n' for name, id_ in companies.items())
    (workdir / "bridge.toml").write_text(
        f'[fortnox]\nurl = "{url}"\nclient_id = "{CLIENT[0]}"\n[watch]\nsettle_seconds = 0.2\n{tables}',
        encoding="utf-8",
    )
    for name in companies:
        folder = workdir / "inbox" / name
        folder.mkdir(parents=True)
        for n in range(files):
            (folder / f"{name}-{n}.csv").write_text(f"{HEADER}{name}{n};1002;Konsult;1;1500\n", "utf-8")


class _Sampler:
    """The bridge process's peak memory (VmHWM) and most threads, looked at every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.threads = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.05):
            try:
                text = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            self.peak_kb = max(self.peak_kb, int(fields.get("VmHWM", "0 kB").split()[0]))
            self.threads = max(self.threads, int(fields.get("Threads", "0")))


def _cpu_seconds(pid: int) -> float:
    """User and system CPU a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _watch_once(workdir: Path) -> tuple[float, str, _Sampler, float]:
    """The run's seconds, output, memory and threads, and the bridge's CPU seconds."""
    env = {**os.environ, "FORTNOX_CLIENT_SECRET": CLIENT[1]}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bridge", "watch", "--once"],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    sampler = _Sampler(process.pid)
    output, _ = process.communicate()
    elapsed = time.perf_counter() - started
    sampler.stop.set()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the mock, still running, is not in it
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return elapsed, output, sampler, cpu


def _log(url: str, after: int) -> list[dict]:
    return httpx.get(f"{url}/mock/requests", params={"after": after}, timeout=120).json()["requests"]


def _last_seq(url: str) -> int:
    """The request log's newest sequence number: the bridge's calls are those after it."""
    return max((e["seq"] for e in _log(url, 0)), default=0)


def _replay(url: str, made: list[dict], ids: dict[int, int]) -> tuple[float, int, int]:
    """The bridge's calls again, for other companies (`ids`: the bridge's TenantId → another's),
    each company's in order, from REPLAY_THREADS threads; answers (seconds, calls, non-2xx)."""
    per_company: dict[int, list[dict]] = {}
    for entry in made:
        tenant = entry["tenant"] or int(entry["request"]["headers"].get("Tenantid", 0) or 0)
        if tenant in ids:
            per_company.setdefault(ids[tenant], []).append(entry)
    work: queue.Queue[tuple[int, list[dict]]] = queue.Queue()
    for item in per_company.items():
        work.put(item)
    counts = Counter[str]()
    lock = threading.Lock()

    def run() -> None:
        http = _client()
        while True:
            try:
                tenant, entries = work.get_nowait()
            except queue.Empty:
                return
            token = ""
            for entry in entries:
                if entry["path"].startswith("/oauth-v1/"):
                    status, answer = _token(http, url, tenant)
                    token = json.loads(answer).get("access_token", "")
                else:
                    body = (entry["request"].get("body") or {}).get("text")
                    target = entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
                    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
                    if body:
                        headers["Content-Type"] = "application/json"
                    status = http.send(
                        entry["method"], f"{url}{target}", headers, body and body.encode(), 60
                    ).status
                with lock:
                    counts["calls"] += 1
                    counts["bad"] += status >= 300

    return _timed_threads(run), counts["calls"], counts["bad"]


def _client() -> Pool:
    """A lean keep-alive client, so that what is measured is the mock, not the client beside it
    on the same cores: the bridge's own pool, one connection (about 60 µs of CPU per call,
    against urllib3's 240 and httpx's 600; `python -m bench client`)."""
    return Pool(1)


def _token(http: Pool, url: str, tenant: int) -> tuple[int, bytes]:
    basic = base64.b64encode(":".join(CLIENT).encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "TenantId": str(tenant),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    reply = http.send("POST", f"{url}/oauth-v1/token", headers, b"grant_type=client_credentials", 60)
    return reply.status, reply.content


def _tokens(url: str, ids: list[int], rounds: int = 2) -> float:
    """Tokens per second the mock issues (client credentials), REPLAY_THREADS at a time."""
    work: queue.Queue[int] = queue.Queue()
    for tenant in ids * rounds:
        work.put(tenant)

    def run() -> None:
        http = _client()
        while True:
            try:
                tenant = work.get_nowait()
            except queue.Empty:
                return
            status, _ = _token(http, url, tenant)
            assert status == 200, status

    return len(ids) * rounds / _timed_threads(run)


def _timed_threads(run: Callable[[], None]) -> float:
    """Seconds for REPLAY_THREADS threads running `run` at once, until the last ends."""
    threads = [threading.Thread(target=run) for _ in range(REPLAY_THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _phases(made: list[dict]) -> tuple[int, float, float]:
    """Calls before the first invoice (tokens and every company's access check), the seconds
    they took, and the seconds from the first invoice to the last call."""
    times = [datetime.fromisoformat(e["time"]).timestamp() for e in made]
    first = next((i for i, e in enumerate(made) if e["path"] == "/3/invoices" and e["method"] == "POST"), 0)
    return first, times[first] - times[0], times[-1] - times[first]


def _outcome(workdir: Path, output: str, expected: int) -> tuple[int, int, list[str]]:
    done = sum(1 for _ in (workdir / "outbox").rglob("archive/*.csv"))  # outbox/<company>/archive/
    timeouts = sum(1 for line in output.splitlines() if "timeout" in line.lower() or "timed out" in line)
    waiting = [line for line in output.splitlines() if line.startswith("Waiting:")]
    return done, timeouts, waiting


def bureau(companies: int = 200, files: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        mock = MockProcess(workdir, "--rate-limit", "25/5s")
        try:
            ours = _companies(mock.url, "c", companies)
            others = _companies(mock.url, "r", companies)
            _bureau(workdir, mock.url, ours, files)
            before = _last_seq(mock.url)
            load = os.getloadavg()[0]
            mock_cpu = _cpu_seconds(mock.popen.pid)
            elapsed, output, sampler, bridge_cpu = _watch_once(workdir)
            mock_cpu = _cpu_seconds(mock.popen.pid) - mock_cpu
            made = _log(mock.url, before)
            done, timeouts, waiting = _outcome(workdir, output, companies * files)
            statuses = Counter(e["status"] for e in made)
            replay_s, replay_calls, replay_bad = _replay(
                mock.url, made, dict(zip(ours.values(), others.values(), strict=True))
            )
            tokens_per_s = _tokens(mock.url, list(others.values()))
        finally:
            mock.stop()
    rate = len(made) / elapsed
    capacity = replay_calls / replay_s
    allowed = companies * ALLOWED_PER_COMPANY
    print(
        f"{companies} companies × {files} files: {done} of {companies * files} done in {elapsed:.1f} s;"
        f" {len(made)} calls; answers {dict(sorted(statuses.items()))}; bridge: {sampler.threads} threads,"
        f" peak {sampler.peak_kb / 1024:.0f} MiB"
    )
    for line in waiting:
        print(f"  {line}")
    first, before_s, invoices_s = _phases(made)
    print(
        f"  where the time went: {first} calls (tokens, each company's access check) in {before_s:.1f} s,"
        f" then {len(made) - first} (customer look-ups, invoices) in {invoices_s:.1f} s; CPU: bridge"
        f" {bridge_cpu:.1f} s, mock {mock_cpu:.1f} s, on {os.cpu_count()} cores (load {load:.1f} at the start)"
    )
    per_call = bridge_cpu / max(len(made), 1)
    report("bridge CPU per call (all its work: files, ledger, receipts, HTTP)", per_call * 1000, "ms",
           baseline=mock_cpu / max(len(made), 1) * 1000, baseline_name="the mock's, same calls")  # fmt: skip
    print(f"  (so with a core to itself the bridge could make at most {1 / per_call:.0f} calls/s)")
    report("mock capacity for this flow (replayed, same run)", capacity, "calls/s",
           baseline=allowed, baseline_name=f"{companies} companies × 5 calls/s")  # fmt: skip
    print(f"  (replay: {replay_calls} calls in {replay_s:.1f} s, {replay_bad} not 2xx)")
    report("mock capacity for tokens (client credentials)", tokens_per_s, "tokens/s")
    report(f"bridge, {companies} companies × {files} files", rate, "calls/s",
           baseline=min(allowed, capacity), baseline_name="min(companies × 5/s, mock capacity)",
           target="ratio ≥ 0.8")  # fmt: skip
    report("429 answers", statuses.get(429, 0), "", target="0")
    report("timeouts in the bridge's log", timeouts, "", target="0")
    report("files not done", companies * files - done, "", target="0")


def thousand(companies: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        mock = MockProcess(workdir, "--rate-limit", "25/5s")
        try:
            ours = _companies(mock.url, "c", companies)
            _bureau(workdir, mock.url, ours, 1)
            elapsed, output, sampler, _ = _watch_once(workdir)
            done, timeouts, _ = _outcome(workdir, output, companies)
        finally:
            mock.stop()
    print(
        f"{companies} companies × 1 file: {done} of {companies} done in {elapsed:.1f} s, {timeouts} timeouts"
    )
    report("bridge peak memory (VmHWM)", sampler.peak_kb / 1024, "MiB")
    report("bridge threads, at most", sampler.threads, "")


def main() -> None:
    bureau()
    thousand()


if __name__ == "__main__":
    main()
