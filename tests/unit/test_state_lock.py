"""One bridge per state folder: the second one is told who holds it and exits 2; a lock whose
process died is no lock; `check` and `status` run beside the holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.pipeline.lock import LockHeld, StateLock

INVOICE = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nF-1;1001;Konsult;1;100\n"


def test_a_second_holder_is_told_who_holds_the_folder(tmp_path):
    with StateLock(tmp_path, "watch"), pytest.raises(LockHeld) as refused:
        StateLock(tmp_path, "process").acquire()
    message = str(refused.value)
    assert f"watch (pid {os.getpid()} on " in message
    assert ", since 20" in message
    assert "only one bridge may send from one state folder" in message


def test_the_lock_is_free_again_when_its_holder_lets_go(tmp_path):
    with StateLock(tmp_path, "watch"):
        pass
    with StateLock(tmp_path, "process"):
        assert b'"command": "process"' in (tmp_path / "lock").read_bytes()
    assert (tmp_path / "lock").read_bytes() == b""  # no holder's text beside a free lock


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from bridge.pipeline.lock import StateLock\n"
            "StateLock(Path(sys.argv[1]), 'watch').acquire(); print('held', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(LockHeld, match=f"pid {holder.pid}"):
            StateLock(tmp_path, "watch").acquire()
        holder.send_signal(signal.SIGKILL)  # no clean-up at all: the holder's text stays in the file
        holder.wait()
        assert f'"pid": {holder.pid}'.encode() in (tmp_path / "lock").read_bytes()
        with StateLock(tmp_path, "watch"):
            assert f'"pid": {os.getpid()}'.encode() in (tmp_path / "lock").read_bytes()
    finally:
        holder.kill()
        holder.wait()


def _workdir(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "f.csv").write_text(INVOICE, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "command",
    [
        ["watch", "--once"],
        ["process", "inbox/f.csv"],
        ["retry", "--failed"],
        ["dismiss", "f.csv"],
        ["cancel", "supplierinvoice", "99"],
        ["undo", "f.csv"],
        ["export", "masterdata"],
        ["ledger", "rebuild"],
    ],
)
def test_commands_that_send_or_move_files_refuse_beside_a_holder(tmp_path, monkeypatch, command):
    monkeypatch.chdir(_workdir(tmp_path))
    with StateLock(tmp_path / ".bridge", "watch"):
        answer = CliRunner().invoke(main, command)
    assert answer.exit_code == 2, answer.output
    assert "is already working on" in answer.output
    assert "Traceback" not in answer.output
    assert (tmp_path / "inbox" / "f.csv").exists()  # nothing was taken


def test_check_and_status_run_beside_a_holder(tmp_path, monkeypatch):
    monkeypatch.chdir(_workdir(tmp_path))
    with StateLock(tmp_path / ".bridge", "watch"):
        checked = CliRunner().invoke(main, ["check", "inbox/f.csv"])
        status = CliRunner().invoke(main, ["status"])
    assert checked.exit_code == 0, checked.output
    assert "OK" in checked.output
    assert status.exit_code == 0, status.output
