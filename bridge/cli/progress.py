"""What long exports show while they run: the count, the bytes and the time left at the pace
Fortnox allows — one line redrawn in place on a terminal, a line per tenth in a log or a pipe."""

from __future__ import annotations

import sys

import click

from bridge.exporters.mirror import Progress
from bridge.exporters.sie import year_label
from bridge.model import FinancialYear

__all__ = ["DocumentProgress", "duration_text", "size_text"]


class DocumentProgress:
    """Called by the mirror as files arrive, with the year they belong to (None: no year)."""

    WIDTH = 24

    def __init__(self, who: str) -> None:
        self.who = who
        self.tty = sys.stderr.isatty()
        self.shown_tenth = -1

    def __call__(self, year: FinancialYear | None, progress: Progress) -> None:
        where = f"{self.who}: {year_label(year)}" if year is not None else self.who
        total, done = progress.files_total, progress.files_done
        if done == 0:
            self.shown_tenth = -1
            if total == 0:
                click.echo(f"{where}: nothing new to fetch", err=True)
            else:
                pace = progress.calls_per_second
                at = (
                    f", about {duration_text(progress.seconds_left)} at {pace:g} calls a second"
                    if pace
                    else ""
                )
                click.echo(
                    f"{where}: {total:,} file(s) to fetch, one call each{at} (Fortnox allows 25 calls per 5 s)",
                    err=True,
                )
            return
        filled = self.WIDTH * done // total
        left = (
            f", about {duration_text(progress.seconds_left)} left"
            if progress.seconds_left is not None
            else ""
        )
        line = (
            f"{where}: [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,} files, "
            f"{size_text(progress.bytes_done)}{left}"
        )
        if self.tty:
            click.echo("\r" + line, nl=done == total, err=True)
        elif done * 10 // total != self.shown_tenth:
            self.shown_tenth = done * 10 // total
            click.echo(line, err=True)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def size_text(count: int) -> str:
    if count < 1000:
        return f"{count:,} bytes"
    amount, unit = count / 1000, "kB"
    for larger in ("MB", "GB"):
        if amount < 1000:
            break
        amount, unit = amount / 1000, larger
    return f"{amount:.1f} {unit}"
