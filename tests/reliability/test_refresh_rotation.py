"""Two bridge processes find the access token spent at the same moment: the single-use refresh
token is rotated once, under the company's lock, and both processes go on with the new token."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bridge.fortnox import Connection, TokenStore
from tests.e2e.processes import MockProcess, wait_until

pytestmark = [pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]


def test_two_processes_refreshing_at_once_make_one_refresh_and_both_go_on(tmp_path):
    mock = MockProcess(tmp_path)
    try:
        tokens = httpx.post(f"{mock.url}/mock/tokens", json={"tenant": "demo", "refresh": True}).json()
        store = TokenStore(tmp_path / "connections")
        store.save(
            Connection(
                "demo",
                "123456",
                "personal",
                scopes=tuple(tokens["scope"].split()),
                access_token=tokens["access_token"],
                access_expires_at=int(time.time()) - 1,  # spent: the next call must refresh
                refresh_token=tokens["refresh_token"],
                refresh_expires_at=int(time.time()) + 86400,
            )
        )
        # A slow token endpoint: the second process arrives while the first is refreshing.
        httpx.post(
            f"{mock.url}/mock/faults", json={"rules": [{"path": "/oauth-v1/token", "latency_ms": 500}]}
        )
        httpx.delete(f"{mock.url}/mock/requests")
        start = tmp_path / "go"
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.reliability.refresh_worker",
                    mock.url,
                    str(store.folder),
                    str(start),
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        wait_until(lambda: len(list(tmp_path.glob("go.ready.*"))) == 2, what="both processes to be ready")
        start.touch()
        outputs = [w.communicate(timeout=60) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        lines = sorted(out.strip() for out, _ in outputs)
        assert lines == ["123456 refreshed", "123456 reused"]
        log = httpx.get(f"{mock.url}/mock/requests", params={"path": "/oauth-v1/token"}).json()["requests"]
        assert len(log) == 1  # one refresh reached Fortnox
        assert store.load("demo").refresh_token != tokens["refresh_token"]
    finally:
        mock.stop()
