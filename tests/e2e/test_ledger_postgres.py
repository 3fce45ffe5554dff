"""`watch --once` with the ledger in PostgreSQL (`ledger.url`): real processes, a real server.
Files go through once, the ledger lives in the database (nothing of SQLite's in the state
folder), and the same bytes dropped again are known there: a duplicate, sent no second time."""

import subprocess
import sys

import pytest

from tests.e2e.processes import MockProcess, bridge_config, bridge_status

pytestmark = pytest.mark.e2e

HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"


def watch_once(workdir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bridge", "watch", "--once"],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "FORTNOX_CLIENT_SECRET": "demo-secret"},
        timeout=120,
        check=False,
    )


def test_watch_once_sends_each_invoice_once_with_the_ledger_in_postgresql(tmp_path, postgres_url):
    mock = MockProcess(tmp_path)
    try:
        bridge_config(tmp_path, mock.url, f'[ledger]\nurl = "{postgres_url}"\n')
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        for n in range(3):
            (inbox / f"f{n}.csv").write_text(HEADER + f"PG-{n};1001;Konsult;1;{n + 1}00\n", encoding="utf-8")

        done = watch_once(tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(p.name for p in (tmp_path / "outbox" / "archive").iterdir()) == [
            "f0.csv",
            "f1.csv",
            "f2.csv",
        ]
        assert not list((tmp_path / ".bridge").glob("ledger.sqlite3*"))  # the ledger is the database
        assert (tmp_path / ".bridge" / "ledger.identity").is_file()

        (inbox / "again.csv").write_text(HEADER + "PG-1;1001;Konsult;1;200\n", encoding="utf-8")
        again = watch_once(tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr

        stamps = sorted(
            i["ExternalInvoiceReference1"] for i in mock.api().iter_pages("/3/invoices", "Invoices")
        )
        assert stamps == ["fnb:PG-0", "fnb:PG-1", "fnb:PG-2"]  # PG-1 dropped again: found, not sent
        (tenant,) = bridge_status(tmp_path)["tenants"]
        assert tenant["documents"] == {"done": 3}
        assert [p.name for p in (tmp_path / "outbox" / "duplicates").iterdir()] == ["again.csv"]
        assert tenant["queued_documents"] == 0
    finally:
        mock.stop()
