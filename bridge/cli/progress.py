"""What long work shows while it runs: a bar per long file that `watch` sends and per export,
drawn with rich on a terminal; a plain line per event (or per tenth of an export) when the
output is a log or a pipe, where a redrawn line would be noise.

rich rather than tqdm: several bars at once (one per company's long file) redrawn from worker
threads, log lines printed above the bars instead of through them, and a bar that renders to a
string for the tests."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # imported when a bar is first drawn: most runs draw none, and rich is slow to import
    from rich.console import Console
    from rich.progress import TaskID

from bridge.exporters.mirror import Progress
from bridge.exporters.sie import year_label
from bridge.model import FinancialYear
from bridge.pipeline.progress import FORTNOX_CALLS_PER_SECOND, FileProgress
from bridge.util.i18n import _

__all__ = ["Bars", "DocumentProgress", "duration_text", "size_text", "watch_bars"]


class Bars:
    """Bars drawn on `console` (stderr by default), one per key; started at the first bar and
    stopped when the last one is full. Log records print above the bars meanwhile."""

    def __init__(self, console: Console | None = None, *, auto_refresh: bool = True) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
        from rich.progress import Progress as RichProgress

        self.console = console or Console(stderr=True)
        self.progress = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TextColumn("{task.fields[left]}"),
            console=self.console,
            auto_refresh=auto_refresh,
            redirect_stderr=False,
            redirect_stdout=False,
        )
        self.tasks: dict[Hashable, TaskID] = {}
        self.lock = threading.Lock()
        self.running = False
        self._handlers: list[tuple[logging.Handler, logging.Handler]] = []

    def update(
        self, key: Hashable, description: str, done: int, total: int, unit: str, left: str = ""
    ) -> None:
        with self.lock:
            task = self.tasks.get(key)
            if task is None:
                task = self.tasks[key] = self.progress.add_task(
                    description, total=total, unit=unit, left=left
                )
                self._start()
            self.progress.update(
                task, completed=done, total=total, unit=unit, left=left, description=description
            )
            if done >= total:
                self.progress.refresh()
                if all(t.finished for t in self.progress.tasks):
                    self._stop()

    def render(self, width: int = 120) -> str:
        """The bars as text, as a terminal shows them now."""
        from rich.console import Console

        out = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
        out.print(self.progress.make_tasks_table(self.progress.tasks))
        return out.file.getvalue()  # type: ignore[attr-defined]

    def _start(self) -> None:
        if self.running:
            return
        self.running = True
        self.progress.start()
        root = logging.getLogger()  # log lines go above the bars, not through them
        for handler in list(root.handlers):
            if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stderr, sys.__stderr__):
                above = _AboveBars(self.console)
                above.setFormatter(handler.formatter)
                above.setLevel(handler.level)
                root.removeHandler(handler)
                root.addHandler(above)
                self._handlers.append((handler, above))

    def _stop(self) -> None:
        if not self.running:
            return
        self.running = False
        self.progress.stop()
        for task in list(self.progress.tasks):
            self.progress.remove_task(task.id)
        self.tasks.clear()
        root = logging.getLogger()
        for handler, above in self._handlers:
            root.removeHandler(above)
            root.addHandler(handler)
        self._handlers.clear()

    def __enter__(self) -> Bars:
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        with self.lock:
            self._stop()


# Log lines that say what a bar shows already (a document through, how far a file is): while
# the bars are up, a 4,000-voucher file does not scroll 4,000 of them past.
SHOWN_BY_BARS = frozenset({"%s: done", "%s: %s of %s documents through (%d%%)%s", "%s: %s: %s of %s calls"})


class _AboveBars(logging.Handler):
    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg in SHOWN_BY_BARS:
            return
        self.console.print(self.format(record), markup=False, highlight=False, soft_wrap=True)


def is_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def watch_bars(subscribe: Callable[[Callable[[FileProgress], None]], None]) -> Iterator[Bars | None]:
    """A bar per long file while `watch` sends it, on a terminal; elsewhere the log's lines
    (`bridge.pipeline.progress`) say how far each file is."""
    if not is_terminal():
        yield None
        return
    with Bars() as bars:
        subscribe(lambda event: show_file_progress(bars, event))
        yield bars


def show_file_progress(bars: Bars, event: FileProgress) -> None:
    left = event.total - event.done
    if event.calls:
        unit = _("calls")
        description = f"{event.file_name}: {event.part}"
    else:
        unit = _("documents")
        description = event.file_name
    rest = (
        _("about %(time)s left at Fortnox's pace") % {"time": duration_text(left / FORTNOX_CALLS_PER_SECOND)}
        if left
        else _("done")
    )
    bars.update((event.file_id, event.calls), description, event.done, event.total, unit, rest)


class DocumentProgress:
    """Called by the mirror as files arrive, with the year they belong to (None: no year)."""

    WIDTH = 24

    def __init__(self, who: str, bars: Bars | None = None) -> None:
        self.who = who
        self.tty = bars is not None or is_terminal()
        self.bars = bars
        self.shown_tenth = -1

    def __call__(self, year: FinancialYear | None, progress: Progress) -> None:
        where = f"{self.who}: {year_label(year)}" if year is not None else self.who
        total, done = progress.files_total, progress.files_done
        if done == 0:
            self.shown_tenth = -1
            if total == 0:
                click.echo(_("%(where)s: nothing new to fetch") % {"where": where}, err=True)
            else:
                pace = progress.calls_per_second
                at = (
                    ", "
                    + _("about %(time)s at %(pace)s calls a second")
                    % {"time": duration_text(progress.seconds_left), "pace": f"{pace:g}"}
                    if pace
                    else ""
                )
                click.echo(
                    _(
                        "%(where)s: %(total)s file(s) to fetch, one call each%(at)s (Fortnox allows 25 calls per 5 s)"
                    )
                    % {"where": where, "total": f"{total:,}", "at": at},
                    err=True,
                )
            return
        left = (
            _("about %(time)s left") % {"time": duration_text(progress.seconds_left)}
            if progress.seconds_left is not None and done < total
            else ""
        )
        if self.tty:
            if self.bars is None:
                self.bars = Bars()
            self.bars.update(where, where, done, total, size_text(progress.bytes_done), left)
            return
        if done * 10 // total != self.shown_tenth:
            self.shown_tenth = done * 10 // total
            filled = self.WIDTH * done // total
            line = (
                f"{where}: [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,} "
                + _("files")
                + f", {size_text(progress.bytes_done)}"
                + (f", {left}" if left else "")
            )
            click.echo(line, err=True)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def size_text(count: int) -> str:
    if count < 1000:
        return _("%(n)s bytes") % {"n": f"{count:,}"}
    amount, unit = count / 1000, "kB"
    for larger in ("MB", "GB"):
        if amount < 1000:
            break
        amount, unit = amount / 1000, larger
    return f"{amount:.1f} {unit}"
