"""Progress on the terminal: a bar per long file (rich), and a plain line per event where the
output is a log or a pipe."""

from __future__ import annotations

import io
import sys

from rich.console import Console

from bridge.cli.progress import Bars, DocumentProgress, show_file_progress
from bridge.exporters.mirror import Progress
from bridge.pipeline.progress import FileProgress


def quiet_bars() -> Bars:
    return Bars(Console(file=io.StringIO(), force_terminal=False), auto_refresh=False)


def test_a_long_file_has_a_bar_with_its_count_and_the_time_left_at_fortnoxs_pace() -> None:
    bars = quiet_bars()
    show_file_progress(bars, FileProgress(1, "bok.se", 1200, 4435))
    shown = bars.render()
    assert "bok.se" in shown and "1200/4435" in shown and "documents" in shown
    assert "about 10 min 47 s left at Fortnox's pace" in shown  # 3,235 documents at 5 calls a second
    bars.__exit__(None, None, None)


def test_the_registers_a_file_needs_have_their_own_bar_in_calls() -> None:
    bars = quiet_bars()
    show_file_progress(
        bars, FileProgress(1, "bok.se", 40, 646, calls=True, part="accounts, series and objects")
    )
    show_file_progress(bars, FileProgress(1, "bok.se", 0, 4434))
    shown = bars.render()
    assert "bok.se: accounts, series and objects" in shown and "40/646" in shown and "calls" in shown
    assert "0/4434" in shown
    bars.__exit__(None, None, None)


def test_bars_go_away_when_every_one_is_full() -> None:
    bars = quiet_bars()
    show_file_progress(bars, FileProgress(1, "a.se", 10, 20))
    assert bars.running
    show_file_progress(bars, FileProgress(1, "a.se", 20, 20))
    assert not bars.running and bars.tasks == {}


def test_an_export_writes_a_line_per_tenth_when_the_output_is_not_a_terminal(capsys) -> None:
    show = DocumentProgress("demo")
    assert not show.tty  # pytest's output is not a terminal
    progress = Progress(files_total=50, calls_per_second=5.0)
    show(None, progress)
    for done in range(1, 51):
        progress.files_done, progress.bytes_done = done, done * 1000
        show(None, progress)
    lines = capsys.readouterr().err.splitlines()
    assert (
        lines[0]
        == "demo: 50 file(s) to fetch, one call each, about 10 s at 5 calls a second (Fortnox allows 25 calls per 5 s)"
    )
    assert len(lines) == 1 + 11 and "\r" not in "".join(lines)
    assert lines[-1] == "demo: [########################] 50/50 files, 50.0 kB"


def test_an_export_on_a_terminal_draws_a_bar() -> None:
    bars = quiet_bars()
    show = DocumentProgress("demo", bars=bars)
    progress = Progress(files_total=40, files_done=10, bytes_done=2_500_000, calls_per_second=5.0)
    show(None, progress)
    shown = bars.render()
    assert "demo" in shown and "10/40" in shown and "2.5 MB" in shown and "about 6 s left" in shown
    bars.__exit__(None, None, None)


def test_while_bars_are_up_log_lines_print_above_them_except_those_a_bar_already_shows() -> None:
    import logging

    out = io.StringIO()
    root = logging.getLogger()
    plain = logging.StreamHandler(sys.stderr)
    root.addHandler(plain)
    bars = Bars(Console(file=out, force_terminal=False, width=200), auto_refresh=False)
    try:
        show_file_progress(bars, FileProgress(1, "bok.se", 1, 30))
        log = logging.getLogger("bridge")
        log.setLevel(logging.INFO)
        log.info("%s: done", "voucher A 1 20250110")
        log.info("claimed %s (%s bytes) for %s", "annan.csv", 120, "default")
        assert plain not in root.handlers  # stood aside for the bars
    finally:
        bars.__exit__(None, None, None)
        restored = plain in root.handlers
        root.removeHandler(plain)
    assert restored
    assert "claimed annan.csv (120 bytes) for default" in out.getvalue()
    assert "voucher A 1 20250110: done" not in out.getvalue()
