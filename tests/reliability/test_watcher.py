"""How the watcher treats what people and programs do to the inbox (real inotify, in-process
bridge, the mock behind the WSGI transport)."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from watchdog.observers.polling import PollingObserver

from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline.service import Bridge
from bridge.pipeline.watcher import Watcher
from tests.e2e.processes import wait_until


def invoice_csv(number: str, price: str = "100") -> str:
    return f"Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n{number};1001;Konsult;1;{price}\n"


class Running:
    def __init__(self, workdir: Path, app, token: str, **env: str) -> None:
        self.workdir = workdir
        settings = load_settings(workdir, environ={"FORTNOX_WATCH_SETTLE_SECONDS": "0.3", **env})
        client = FortnoxClient("http://mock", StaticToken(token), transport=httpx.WSGITransport(app=app))
        self.bridge = Bridge(settings, {"default": client})
        self.watcher = Watcher(self.bridge)
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)
        self.thread.start()
        wait_until(lambda: self.watcher.folders()[0].is_dir())
        self.inbox = settings.inbox
        self.outbox = settings.outbox

    def stop(self) -> None:
        self.watcher.stop.set()
        self.watcher.wake.set()
        self.thread.join(20)
        self.bridge.close()

    def states(self) -> dict[str, str]:
        return {file.name: file.state for file in self.bridge.files()}

    def finished(self, count: int) -> bool:
        files = self.bridge.files()
        return len(files) >= count and all(file.finished_at for file in files)


@pytest.fixture
def running(tmp_path, mock_app, demo_token):
    run = Running(tmp_path, mock_app, demo_token)
    yield run
    run.stop()


def stamps(api) -> list[str]:
    return sorted(i["ExternalInvoiceReference1"] for i in api.iter_pages("/3/invoices", "Invoices"))


def test_a_file_renamed_into_the_inbox_is_taken(running, api, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(invoice_csv("R-1"))
    os.rename(outside, running.inbox / "f.csv")
    wait_until(lambda: running.finished(1))
    assert running.states() == {"f.csv": "done"}
    assert stamps(api) == ["fnb:R-1"]


def test_temporary_names_are_left_alone_until_renamed(running, api):
    for name in ("a.tmp", "b.part", "c.partial", "d.crdownload", "~$e.csv", ".~lock.f.csv#", ".hidden.csv"):
        (running.inbox / name).write_text(invoice_csv("T-1"))
    (running.inbox / "a.tmp").rename(running.inbox / "a.csv")
    wait_until(lambda: running.finished(1))
    assert running.states() == {"a.csv": "done"}
    assert len(list(running.inbox.iterdir())) == 6  # the other temporary files are untouched


def test_a_done_marker_makes_a_file_ready_and_is_removed(running):
    (running.inbox / "x.csv").write_text(invoice_csv("D-1"))
    (running.inbox / "x.csv.done").write_text("")
    wait_until(lambda: running.finished(1))
    assert list(running.inbox.iterdir()) == []


def test_a_thousand_files_at_once_each_once(running, api):
    for n in range(1000):
        (running.inbox / f"f{n:04}.csv").write_text(invoice_csv(f"M-{n}"))
    wait_until(lambda: running.finished(1000), timeout=240, interval=0.5, what="1000 files to finish")
    assert set(running.states().values()) == {"done"}
    assert stamps(api) == sorted(f"fnb:M-{n}" for n in range(1000))


def test_same_name_with_new_content_is_a_new_file(running, api):
    (running.inbox / "same.csv").write_text(invoice_csv("S-1"))
    wait_until(lambda: running.finished(1))
    (running.inbox / "same.csv").write_text(invoice_csv("S-2"))
    wait_until(lambda: running.finished(2))
    assert stamps(api) == ["fnb:S-1", "fnb:S-2"]
    assert sorted(p.name for p in (running.outbox / "archive").iterdir()) == ["same (2).csv", "same.csv"]


def test_a_file_removed_before_it_is_taken_leaves_no_trace(running):
    (running.inbox / "gone.csv").write_text(invoice_csv("G-1"))
    (running.inbox / "gone.csv").unlink()
    (running.inbox / "kept.csv").write_text(invoice_csv("G-2"))
    wait_until(lambda: running.finished(1))
    assert running.states() == {"kept.csv": "done"}


def test_a_symlink_to_a_file_outside_the_inbox_is_refused(running, tmp_path, api):
    secret = tmp_path / "secret.csv"
    secret.write_text(invoice_csv("L-1"))
    (running.inbox / "link.csv").symlink_to(secret)
    wait_until(lambda: running.finished(1))
    assert running.states() == {"link.csv": "failed"}
    report = (running.outbox / "failed" / "link.csv.error.txt").read_text()
    assert "symbolic link" in report
    assert secret.read_text() == invoice_csv("L-1")  # the target is neither read nor moved
    assert stamps(api) == []


def test_files_in_nested_folders_are_taken(running, api):
    nested = running.inbox / "from-erp" / "2026"
    nested.mkdir(parents=True)
    (nested / "n.csv").write_text(invoice_csv("N-1"))
    wait_until(lambda: running.finished(1))
    assert stamps(api) == ["fnb:N-1"]


def test_an_empty_file_waits(running):
    (running.inbox / "empty.csv").write_text("")
    (running.inbox / "full.csv").write_text(invoice_csv("E-1"))
    wait_until(lambda: running.finished(1))
    assert (running.inbox / "empty.csv").exists() and running.states() == {"full.csv": "done"}
    (running.inbox / "empty.csv").write_text(invoice_csv("E-2"))
    wait_until(lambda: running.finished(2))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file; permissions cannot make one unreadable")
def test_an_unreadable_file_stays_visible_until_it_can_be_read(running):
    path = running.inbox / "locked.csv"
    path.write_text(invoice_csv("U-1"))
    path.chmod(0)
    wait_until(lambda: running.bridge.notices(), what="a notice about the file")
    assert path.exists() and running.states() == {}
    path.chmod(0o644)
    wait_until(lambda: running.finished(1))


def test_an_unreadable_file_is_reported_not_taken(tmp_path, mock_app, demo_token, monkeypatch):
    settings = load_settings(tmp_path, environ={})
    bridge = Bridge(settings, {})
    path = tmp_path / "inbox" / "locked.csv"
    path.parent.mkdir()
    path.write_text(invoice_csv("U-1"))
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != path)
    assert bridge.take(path, "default") is None
    assert path.exists()
    (notice,) = bridge.notices()
    assert "permission denied" in notice.message
    bridge.close()


def test_an_outbox_that_cannot_be_written_loses_nothing(running, api):
    archive = running.outbox / "archive"
    running.outbox.mkdir(exist_ok=True)
    archive.write_text("not a folder")  # any write into outbox/archive now fails
    (running.inbox / "w.csv").write_text(invoice_csv("W-1"))
    wait_until(lambda: running.bridge.notices(), what="the outbox problem to be noticed")
    assert stamps(api) == ["fnb:W-1"]  # sent all the same
    assert running.states() == {"w.csv": "queued"}  # but not finished: its answer is not written
    work = list((running.bridge.work / "default").iterdir())
    assert [p.name.split("-", 1)[1] for p in work] == ["w.csv"]  # kept safe in the work area
    archive.unlink()
    # The notice is cleared just after the answer is written: wait for both.
    wait_until(
        lambda: running.finished(1) and not running.bridge.notices(),
        timeout=20,
        what="the answer to be written and the notice cleared after the fix",
    )
    assert (archive / "w.csv").exists()


@pytest.fixture
def tiny_outbox(tmp_path):
    """An outbox on its own 256 KB file system, so that it can really be full."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(outbox)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    yield outbox
    subprocess.run(["umount", "-l", str(outbox)], check=False)


def test_a_full_outbox_loses_nothing_and_recovers(tmp_path, tiny_outbox, mock_app, demo_token, api):
    filler = tiny_outbox / "filler.bin"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass  # full
    run = Running(tmp_path, mock_app, demo_token)
    try:
        (run.inbox / "full.csv").write_text(invoice_csv("FULL-1"))
        wait_until(lambda: run.bridge.notices(), what="the full outbox to be noticed")
        (notice,) = run.bridge.notices()
        assert "No space left on device" in notice.message
        assert stamps(api) == ["fnb:FULL-1"]  # sent; only its answer waits
        assert not [p for p in tiny_outbox.rglob(".*")]  # no half-written files in the outbox
        filler.unlink()
        wait_until(lambda: run.finished(1), timeout=20, what="the answer once there is room")
        assert (tiny_outbox / "archive" / "full.csv").read_text() == invoice_csv("FULL-1")
        assert run.bridge.notices() == []
    finally:
        run.stop()


def test_polling_mode_for_network_shares(tmp_path, mock_app, demo_token, api):
    run = Running(
        tmp_path, mock_app, demo_token, FORTNOX_WATCH_POLL="true", FORTNOX_WATCH_RESCAN_SECONDS="600"
    )
    try:
        (run.inbox / "share.csv").write_text(invoice_csv("P-1"))
        wait_until(lambda: run.finished(1))
        assert isinstance(run.watcher.observer, PollingObserver)  # a folder snapshot each second, no inotify
        assert stamps(api) == ["fnb:P-1"]
    finally:
        run.stop()
