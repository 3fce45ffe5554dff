"""No file can stop the others: any name the file system allows goes through or fails alone,
with names in the work area and outbox/ shortened by a short hash when needed; control
characters never reach a receipt or a log line raw; a FIFO, a device or a socket is refused
by every command without being read; `retry` applies the checks the first take did."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import unicodedata
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline import Bridge, FileState
from bridge.pipeline.watcher import Watcher
from bridge.util import loads

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
BAD_CSV = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n1;1001;x;två;1\n"
NAME_MAX = 255


class Counting(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)


@pytest.fixture
def wire(mock_app):
    return Counting(httpx.WSGITransport(app=mock_app))


@pytest.fixture
def bridge(tmp_path, wire, demo_token):
    client = FortnoxClient("http://mock", StaticToken(demo_token), transport=wire)
    settings = load_settings(tmp_path, environ={"FORTNOX_WATCH_SETTLE_SECONDS": "0"})
    (tmp_path / "inbox").mkdir()
    with Bridge(settings, {"default": client}) as running:
        yield running
    client.close()


def named(length: int, extension: str, fill: str = "x") -> str:
    """A name of `length` bytes in UTF-8 (one less when a wide `fill` does not fit exactly)."""
    return fill * ((length - len(extension.encode())) // len(fill.encode())) + extension


def outbox_names(root: Path) -> list[str]:
    return [p.name for p in (root / "outbox").rglob("*") if p.is_file()]


def test_names_up_to_255_bytes_and_with_control_characters_go_through_each_alone(tmp_path, bridge):
    inbox = tmp_path / "inbox"
    drops = {
        named(NAME_MAX, ".csv"): BAD_CSV.encode(),  # the longest name there is: refused for its content
        named(NAME_MAX - 1, ".csv", "y"): BAD_CSV.encode(),  # alike at the start: stays apart
        named(220, ".pdf", "å"): PDF + b"% 1\n",  # long (in bytes), sent to Fortnox
        "rad\nett\x1b[31mröd.pdf": PDF + b"% 2\n",  # a newline and an escape sequence
        unicodedata.normalize("NFC", "Räkning.pdf"): PDF + b"% 3\n",  # NFC and NFD twins: two files
        unicodedata.normalize("NFD", "Räkning.pdf"): PDF + b"% 4\n",
    }
    for name, content in drops.items():
        (inbox / name).write_bytes(content)

    Watcher(bridge).run(once=True)

    assert not list(inbox.iterdir())  # every file was taken
    names = outbox_names(tmp_path)
    assert all(len(n.encode()) <= NAME_MAX for n in names)
    receipts = [n for n in names if n.endswith(".receipt.json")]
    assert len(receipts) == len(drops)  # each its own answer
    states = sorted(loads((tmp_path / "outbox" / "receipts" / r).read_text())["state"] for r in receipts)
    assert states == ["done"] * 4 + ["failed"] * 2
    long_ones = [n for n in names if n.endswith(".csv") and "~" in n]
    assert len(long_ones) == 2  # shortened with a short hash, and still two


def test_receipts_and_reports_show_control_characters_escaped(tmp_path, bridge):
    (tmp_path / "inbox" / "ny\nrad\x1b[2J.csv").write_text(BAD_CSV)
    Watcher(bridge).run(once=True)
    texts = [p for p in (tmp_path / "outbox").rglob("*.txt")]
    assert texts
    for path in texts:
        text = path.read_text()
        assert "\x1b" not in text
        assert "ny\\nrad\\x1b[2J.csv" in text


def test_log_lines_show_control_characters_escaped(tmp_path, caplog, monkeypatch):
    for name in [k for k in os.environ if k.startswith("FORTNOX_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FORTNOX_WATCH_SETTLE_SECONDS", "0")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "forged\n12:00:00 all good\x1b[0m.csv").write_text(BAD_CSV)
    with caplog.at_level("INFO"):
        result = CliRunner().invoke(main, ["--workdir", str(tmp_path), "watch", "--once"])
    assert result.exit_code in (0, 1), result.output
    logged = caplog.text
    assert "forged\\n12:00:00 all good\\x1b[0m.csv" in logged
    assert "\x1b" not in logged and "\n12:00:00 all good" not in logged


def run_command(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it; a hang fails the test instead of stopping the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORTNOX_")}
    return subprocess.run(
        [sys.executable, "-m", "bridge", "--workdir", str(workdir), *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_check_refuses_a_fifo_or_a_device_without_reading_it(tmp_path, special, request):
    path = request.getfixturevalue("fifo") if special == "fifo" else Path(special)
    result = run_command(tmp_path, "check", str(path), "--json")
    assert result.returncode == 1, result.stderr
    (report,) = loads(result.stdout)["files"]
    assert [p["code"] for p in report["problems"]] == ["file.special"]


def test_process_refuses_dev_zero_and_writes_nothing_of_it(tmp_path):
    result = run_command(tmp_path, "process", "/dev/zero")
    assert result.returncode == 1, result.stderr
    work = tmp_path / ".bridge"
    assert sum(p.stat().st_size for p in work.rglob("*") if p.is_file()) < 10_000_000  # the ledger, no copy
    reports = list((tmp_path / "outbox" / "failed").glob("*.error.txt"))
    assert len(reports) == 1 and "en enhet" in reports[0].read_text()  # "a device", as the office reads it
    assert Path("/dev/zero").exists()


def test_watch_refuses_a_fifo_and_a_socket_in_the_inbox_and_takes_the_others(tmp_path, bridge, wire):
    inbox = tmp_path / "inbox"
    os.mkfifo(inbox / "pipe.csv")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(inbox / "sock.pdf"))
    (inbox / "kvitto.pdf").write_bytes(PDF)
    try:
        Watcher(bridge).run(once=True)
    finally:
        server.close()
    failed = sorted(p.name for p in (tmp_path / "outbox" / "failed").glob("*.error.txt"))
    assert failed == ["pipe.csv.error.txt", "sock.pdf.error.txt"]
    assert "a named pipe (FIFO)" in (tmp_path / "outbox" / "failed" / "pipe.csv.error.txt").read_text()
    assert [p.name for p in (tmp_path / "outbox" / "archive").iterdir()] == ["kvitto.pdf"]


def test_retry_of_a_refused_symbolic_link_does_not_read_its_target(tmp_path, bridge, wire):
    secret = tmp_path / "outside" / "lön.pdf"
    secret.parent.mkdir()
    secret.write_bytes(PDF)
    link = tmp_path / "inbox" / "lön.pdf"
    link.symlink_to(secret)
    taken = bridge.take(link, "default")
    assert taken is not None and taken.state == FileState.FAILED

    (again,) = bridge.retry([taken.id], until_blocked=False)

    assert again.state == FileState.FAILED
    assert "/3/inbox" not in wire.paths  # the target outside the inbox was never sent
    report = (tmp_path / "outbox" / "failed" / "lön.pdf.error.txt").read_text()
    assert "symbolic link" in report
