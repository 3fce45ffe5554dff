"""`export documents` killed twice with SIGKILL, then finished, against a mock keeping Fortnox's
real rate limit: a year of 300 files of every kind arrives exactly once, byte for byte, with a
complete manifest, and Fortnox never had to answer 429."""

from __future__ import annotations

import hashlib
import signal
import time
from pathlib import Path

import httpx
import pytest

from bridge.fortnox import FortnoxClient, StaticToken
from bridge.util import loads
from mockfortnox import create_app
from tests.e2e.processes import BridgeProcess, MockProcess, bridge_config, wait_until
from tests.exports_company import fill_year, rendered_invoices

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def company_with_a_year_of_files(state_file: Path):
    """The demo company with 300 files in 2026, built at full speed and kept in `state_file`."""
    app = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_STATE_FILE": str(state_file)})
    token = app.test_client().post("/mock/tokens", json={"tenant": "demo"}).json["access_token"]
    with FortnoxClient("http://mock", StaticToken(token), transport=httpx.WSGITransport(app=app)) as client:
        year = fill_year(client, vouchers=150, supplier_invoices=100, invoices=50)
        return year, rendered_invoices(client, year)


def journal_lines(folder: Path) -> int:
    journal = folder / ".progress.jsonl"
    return journal.read_text(encoding="utf-8").count("\n") if journal.exists() else 0


def test_killed_twice_then_finished_every_file_once_and_no_429(tmp_path):
    state = tmp_path / "mock-state.json"
    year, invoices = company_with_a_year_of_files(state)
    expected = {**year.files, **invoices}
    assert len(expected) == 300
    mock = MockProcess(tmp_path, "--state", str(state), "--rate-limit", "25/5s")
    try:
        workdir = tmp_path / "bridge"
        workdir.mkdir()
        bridge_config(workdir, mock.url)
        folder = workdir / "outbox" / "exports" / "documents" / "default" / "2026"
        for stop_after in (60, 160):
            run = BridgeProcess(workdir, "export", "documents", "--year", "2026")
            wait_until(lambda n=stop_after: journal_lines(folder) >= n, 120, 0.05, f"{stop_after} files")
            run.popen.send_signal(signal.SIGKILL)
            run.stop()
            assert not (folder / "manifest.json").exists()
            # Fortnox counts its window per integration and company, so a process started at
            # once would share the killed one's last 5 seconds, which its pacer cannot know of.
            time.sleep(5)
        last = BridgeProcess(workdir, "export", "documents", "--year", "2026", "--json")
        assert last.popen.wait(180) == 0, last.output()
        report = loads(last.output()[last.output().index('{\n  "exports"') :])["exports"][0]
        log = httpx.get(f"{mock.url}/mock/requests").json()["requests"]
    finally:
        mock.stop()

    files = {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith("manifest.")
    }
    assert files == expected  # every file, once, byte for byte; nothing else (no temporaries, no journal)
    manifest = loads((folder / "manifest.json").read_text())["files"]
    assert sorted(m["file"] for m in manifest) == sorted(expected)
    assert all(m["sha256"] == hashlib.sha256(expected[m["file"]]).hexdigest() for m in manifest)
    assert {m["status"] for m in manifest} == {"new"} and report["files"] == 300
    assert [r for r in log if r["status"] == 429] == []
    downloads = [
        r["path"] for r in log if r["path"].startswith("/3/archive/") or r["path"].endswith("/preview")
    ]
    # A kill loses at most the downloads in flight (four at a time): fetched again, never kept twice.
    assert 300 <= len(downloads) <= 300 + 2 * 4
    assert set(downloads) == {f"/3/archive/{i}" for i in year.file_ids.values()} | {
        f"/3/invoices/{n}/preview" for n in year.invoices
    }
