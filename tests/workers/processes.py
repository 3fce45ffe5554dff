"""Worker processes (`fortnox-bridge watch --worker-id ID`) on one PostgreSQL, for the tests."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from bridge.util import loads
from tests.e2e.processes import MockProcess, Process, wait_until

__all__ = ["WorkerProcess", "bureau", "drop", "workers_listed"]

HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"


class WorkerProcess(Process):
    def __init__(self, workdir: Path, worker: str, *, log_name: str | None = None) -> None:
        self.worker = worker
        super().__init__(
            [sys.executable, "-m", "bridge", "watch", "--worker-id", worker],
            workdir,
            workdir / (log_name or f"{worker}.log"),
            env={"FORTNOX_CLIENT_SECRET": "demo-secret"},
        )
        wait_until(lambda: f"Worker {worker}:" in self.output(), 30, what=f"worker {worker} to start")

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        self.popen.send_signal(sig)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def bureau(
    workdir: Path, mock: MockProcess, companies: list[str], ledger: str, extra: str = ""
) -> dict[str, int]:
    """bridge.toml for `companies` on the mock, the ledger on PostgreSQL; answers their TenantIds."""
    config = f'[fortnox]\nurl = "{mock.url}"\nclient_id = "demo-client"\ntimeout_seconds = 5\n'
    ids = {}
    for company in companies:
        ids[company] = httpx.post(f"{mock.url}/mock/tenants", json={"name": company}).json()["id"]
        config += f'[tenants.{company}.fortnox]\ntenant_id = "{ids[company]}"\n'
    config += (
        f'[ledger]\nurl = "{ledger}"\n[folders]\nshared_outbox = true\n'
        "[watch]\nsettle_seconds = 0.3\nrescan_seconds = 2\nworkers = 4\n" + extra
    )
    (workdir / "bridge.toml").write_text(config, encoding="utf-8")
    return ids


def drop(workdir: Path, company: str, name: str, content: str) -> None:
    """A file written whole, then renamed into the company's inbox (as a person's copy ends)."""
    folder = workdir / "inbox" / company
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f".{name}.part").write_text(content, encoding="utf-8")
    (folder / f".{name}.part").rename(folder / name)


def invoices_file(company: str, k: int, rows: int, rng: random.Random) -> tuple[str, list[str]]:
    lines = [
        f"{company}-{k}-{r};{rng.choice(('1001', '1002'))};Konsult;1;{rng.randint(100, 900)}\n"
        for r in range(rows)
    ]
    return HEADER + "".join(lines), [f"fnb:{company}-{k}-{r}" for r in range(rows)]


def workers_listed(workdir: Path) -> list[dict]:
    answer = subprocess.run(
        [sys.executable, "-m", "bridge", "workers", "--json"], cwd=workdir, capture_output=True, check=True
    )
    return loads(answer.stdout)["workers"]
