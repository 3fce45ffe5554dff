"""The ledger emptied (disk trouble, a restore without it, a new machine), the archive dropped
again: real processes, the mock's request log as the witness. The bridge refuses to start on
an empty ledger; `ledger rebuild` reads back from Fortnox what was made; the archive dropped
again then creates nothing at all."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import MockProcess, bridge_config
from tests.reliability.test_crash import SIE_HEAD, peppol, sie_voucher
from tests.unit.test_ledger_trust import empty

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"


def bridge(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "FORTNOX_CLIENT_SECRET": "demo-secret"},
        timeout=300,
    )


def posts(mock: MockProcess) -> list[str]:
    answer = httpx.get(f"{mock.url}/mock/requests", params={"method": "POST"}).json()
    return [entry["path"] for entry in answer["requests"] if entry["path"].startswith(("/3/", "/api/"))]


def test_an_emptied_ledger_is_rebuilt_from_fortnox_and_nothing_is_sent_twice(tmp_path, ledger_url):
    """On SQLite (the file emptied) and on PostgreSQL (the database emptied)."""
    mock = MockProcess(tmp_path)
    try:
        bridge_config(tmp_path, mock.url, f'[watch]\nsettle_seconds = 0.2\n[ledger]\nurl = "{ledger_url}"\n')
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        for f in range(10):  # forty invoices in ten files
            rows = "".join(f"R-{f}-{n};1001;Konsult;1;{100 + n}\n" for n in range(4))
            (inbox / f"fakturor-{f}.csv").write_text(HEADER + rows, encoding="utf-8")
        (inbox / "leverantor.xml").write_text(peppol("KV-77"), encoding="utf-8")  # with its PDF inside
        vouchers = "".join(sie_voucher(n, 100 + n)[0] for n in range(1, 4))
        (inbox / "kassan.se").write_text(SIE_HEAD + vouchers, encoding="utf-8")
        first = bridge(tmp_path, "watch", "--once")
        assert first.returncode == 0, first.stdout + first.stderr
        created = posts(mock)
        assert created.count("/3/invoices") == 40
        assert created.count("/3/vouchers") == 3
        assert created.count("/3/supplierinvoices") == 1

        for ledger in (tmp_path / ".bridge").glob("ledger.sqlite3*"):
            ledger.write_bytes(b"")  # emptied, as a restore without it leaves it
        if ledger_url:
            empty(ledger_url)
        archive = tmp_path / "outbox" / "archive"
        for name in sorted(p.name for p in archive.iterdir()):
            shutil.copy(archive / name, inbox / name)
        refused = bridge(tmp_path, "watch", "--once")
        assert refused.returncode == 2
        if ledger_url:
            assert "holds no ledger, yet" in refused.stderr and "ledger.identity" in refused.stderr
        else:
            assert "is empty, yet outbox/receipts/ holds receipts" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert len(list(inbox.iterdir())) == 12  # nothing was taken

        rebuilt = bridge(tmp_path, "ledger", "rebuild")
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert "40 invoices and 3 vouchers stamped by the bridge, 1 supplier invoices" in rebuilt.stdout

        httpx.delete(f"{mock.url}/mock/requests")
        again = bridge(tmp_path, "watch", "--once")
        assert again.returncode == 0, again.stdout + again.stderr
        assert list(inbox.iterdir()) == []
        assert posts(mock) == []  # found, every one of them: nothing created twice
    finally:
        mock.stop()
