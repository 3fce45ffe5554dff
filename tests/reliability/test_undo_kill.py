"""`fortnox-bridge undo` killed with SIGKILL half-way through a SIE file of 50 vouchers, then
asked again: every voucher is reversed exactly once and the balances are back to before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal

import httpx
import pytest

from tests.e2e.processes import BridgeProcess, MockProcess, bridge_config, bridge_status, wait_until
from tests.unit.undo.undo_helpers import ACCOUNTS, sie_file

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _balances(api) -> dict[int, Decimal]:
    return {
        n: Decimal(str(api.get(f"/3/accounts/{n}", financialyear=2)["Account"]["BalanceCarriedForward"]))
        for n in ACCOUNTS
    }


def _reversals(api) -> list[str]:
    return [
        row["Comments"]
        for row in api.iter_pages("/3/vouchers", "Vouchers", financialyear=2)
        if row["Comments"].startswith("fnb:undo")
    ]


def _bridge(workdir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, "FORTNOX_CLIENT_SECRET": "demo-secret"},
        timeout=300,
    )


def test_an_undo_killed_half_way_and_asked_again_reverses_each_voucher_once(tmp_path):
    mock = MockProcess(tmp_path, "--rate-limit", "off")
    try:
        bridge_config(tmp_path, mock.url)
        api = mock.api("123456")
        before = _balances(api)
        (tmp_path / "kassa.se").write_text(sie_file(50), encoding="utf-8")
        sent = _bridge(tmp_path, "process", "kassa.se")
        assert sent.returncode == 0, sent.stdout + sent.stderr

        slow = {"rules": [{"latency_ms": 60}]}  # Fortnox answers slowly: the kill lands mid-call
        assert httpx.post(f"{mock.url}/mock/faults", json=slow).status_code in (200, 201)
        undo = BridgeProcess(tmp_path, "undo", "kassa.se")
        wait_until(lambda: len(_reversals(api)) >= 15, timeout=120, what="the undo to be under way")
        undo.stop(signal.SIGKILL)
        assert 15 <= len(_reversals(api)) < 50

        # Now and then Fortnox acts but its answer is lost, too.
        lossy = {
            "seed": 22,
            "rules": [
                {"latency_ms": 20},
                {"method": "POST", "path": "/3/vouchers", "drop_response": True, "probability": 0.1},
            ],
        }
        assert httpx.post(f"{mock.url}/mock/faults", json=lossy).status_code in (200, 201)

        for _ in range(20):  # asked again; a lost answer pauses an undo, and asking again goes on
            again = _bridge(tmp_path, "undo", "kassa.se")
            assert again.returncode == 0, again.stdout + again.stderr
            if not any(t["queued_documents"] for t in bridge_status(tmp_path)["tenants"]):
                break
        httpx.delete(f"{mock.url}/mock/faults")
        assert "undone" in (tmp_path / "outbox" / "receipts" / "kassa.se.receipt.txt").read_text()

        stamps = _reversals(api)
        assert len(stamps) == 50 and len(set(stamps)) == 50, "a voucher reversed twice, or not at all"
        assert _balances(api) == before
    finally:
        mock.stop()
