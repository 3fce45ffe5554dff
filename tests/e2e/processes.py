"""Real processes for end-to-end tests: `mockfortnox serve` and `fortnox-bridge watch`."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bridge.fortnox import FortnoxClient, StaticToken
from bridge.util import loads


def wait_until(
    predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.1, what: str = ""
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


class Process:
    def __init__(self, args: list[str], cwd: Path, log: Path, env: dict | None = None) -> None:
        self.log_path = log
        self.log = log.open("wb")
        self.popen = subprocess.Popen(
            args, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()
        return self.popen.returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MockProcess(Process):
    def __init__(self, workdir: Path, *extra: str, port: int = 0) -> None:
        super().__init__(
            [sys.executable, "-m", "mockfortnox", "serve", "--port", str(port), *extra],
            workdir,
            workdir / "mock.log",
        )
        match = wait_until(
            lambda: re.search(r"listening on (http://\S+)", self.output()), 20, what="the mock to listen"
        )
        self.url = match[1]

    def api(self, tenant: str = "demo") -> FortnoxClient:
        token = httpx.post(f"{self.url}/mock/tokens", json={"tenant": tenant}).json()["access_token"]
        return FortnoxClient(self.url, StaticToken(token))


def bridge_config(workdir: Path, mock_url: str, extra: str = "") -> None:
    (workdir / "bridge.toml").write_text(
        f'[fortnox]\nurl = "{mock_url}"\nclient_id = "demo-client"\ntenant_id = "123456"\n' + extra,
        encoding="utf-8",
    )


class BridgeProcess(Process):
    def __init__(self, workdir: Path, *args: str) -> None:
        super().__init__(
            [sys.executable, "-m", "bridge", *(args or ("watch",))],
            workdir,
            workdir / "bridge.log",
            env={"FORTNOX_CLIENT_SECRET": "demo-secret"},
        )
        if not args or args[0] == "watch":
            wait_until(lambda: "Watching" in self.output(), 20, what="the bridge to watch")


def bridge_status(workdir: Path) -> dict:
    answer = subprocess.run(
        [sys.executable, "-m", "bridge", "status", "--json"], cwd=workdir, capture_output=True, check=True
    )
    return loads(answer.stdout)
