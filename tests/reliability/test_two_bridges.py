"""Two `watch` processes on the same folders (a second terminal, a cron job, a restarted
service): the second one says who holds the folder and exits 2; when the first is killed,
the next start takes its place. Forty invoices stay forty in Fortnox."""

from __future__ import annotations

import signal
import sys
from collections import Counter

import pytest

from tests.e2e.processes import BridgeProcess, MockProcess, Process, bridge_config, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"


def test_a_second_watch_on_the_same_folders_sends_nothing(tmp_path):
    mock = MockProcess(tmp_path)
    first = second = third = None
    try:
        bridge_config(tmp_path, mock.url, "[watch]\nsettle_seconds = 0.2\n")
        first = BridgeProcess(tmp_path)
        second = Process(  # a log of its own, and no waiting for "Watching": it must refuse
            [sys.executable, "-m", "bridge", "watch"],
            tmp_path,
            tmp_path / "second.log",
            env={"FORTNOX_CLIENT_SECRET": "demo-secret"},
        )
        assert second.popen.wait(30) == 2
        output = second.output()
        assert f"watch (pid {first.popen.pid} on " in output
        assert "Traceback" not in output

        inbox = tmp_path / "inbox"
        for n in range(40):
            (inbox / f"f{n:02}.csv").write_text(
                HEADER + f"T-{n};1001;Konsult;1;{100 + n}\n", encoding="utf-8"
            )
        archive = tmp_path / "outbox" / "archive"
        wait_until(lambda: archive.is_dir() and len(list(archive.iterdir())) >= 10, 60, what="ten files sent")
        first.stop(signal.SIGKILL)  # its lock dies with it
        third = BridgeProcess(tmp_path)
        wait_until(lambda: len(list(archive.iterdir())) == 40, 120, what="all forty files sent")

        stamps = Counter(
            i["ExternalInvoiceReference1"] for i in mock.api().iter_pages("/3/invoices", "Invoices")
        )
        assert stamps == Counter({f"fnb:T-{n}": 1 for n in range(40)})
    finally:
        for process in (first, second, third):
            if process is not None:
                process.stop()
        mock.stop()
