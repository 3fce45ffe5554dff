"""What every command shares: the settings, the bridge opened on them, errors as exit codes.

Exit codes: 0 everything went through (or is queued), 1 some file failed, 2 usage or
configuration error (click's own code for usage errors).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import NoReturn

import click

from bridge.config import ConfigError, Settings, load_settings
from bridge.pipeline import Bridge, FileRecord, RequestError
from bridge.pipeline.ledger import LedgerTrouble
from bridge.pipeline.lock import LockHeld, StateLock
from bridge.pipeline.summary import results_json, results_table
from bridge.util import dumps
from bridge.util.i18n import use_language

__all__ = [
    "EXIT_FAILED",
    "Context",
    "Refused",
    "finish",
    "open_bridge",
    "pass_context",
    "print_results",
    "reading",
    "requests",
    "state_lock",
]

EXIT_FAILED = 1


class Context:
    def __init__(self, workdir: Path | None, config: Path | None) -> None:
        self.workdir = workdir
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.workdir, self.config)
            except ConfigError as exc:
                raise click.UsageError(f"configuration: {exc}") from None
            use_language(self._settings["ui.language"])
        return self._settings


pass_context = click.make_pass_decorator(Context)


@contextmanager
def reading(ctx: Context) -> Iterator[Bridge]:
    """The bridge without Fortnox and without the lock, for commands that only read the ledger
    (`status`, `undo --preview`): they work beside a running `watch`."""
    try:
        with Bridge(ctx.settings) as bridge, requests():
            yield bridge
    except LedgerTrouble as exc:
        raise Refused(str(exc)) from None


@contextmanager
def requests() -> Iterator[None]:
    """What was asked cannot be done as asked: a usage error (exit 2), said in one sentence."""
    try:
        yield
    except (ConfigError, RequestError) as exc:
        raise click.UsageError(str(exc)) from None


class Refused(click.ClickException):
    """The bridge will not start as things are (another one holds the folder, the ledger is in
    doubt): exit 2 with the sentence and the way out, never a traceback."""

    exit_code = 2


@contextmanager
def state_lock(ctx: Context) -> Iterator[None]:
    """This state folder's lock, held for the whole command (`lock.py`)."""
    command = click.get_current_context().command_path.removeprefix("fortnox-bridge ").strip()
    try:
        with StateLock(ctx.settings.state_dir, command or "fortnox-bridge", str(ctx.settings["ledger.url"])):
            yield
    except LockHeld as exc:
        raise Refused(str(exc)) from None


@contextmanager
def open_bridge(
    ctx: Context, *, locked: bool = False, full_check: bool = False, rebuilding: bool = False
) -> Iterator[Bridge]:
    """The bridge with a Fortnox client per company (starting the embedded mock when no URL is
    set), holding the state folder's lock: commands that send or move files come through here.
    `locked`: the command holds the lock already; `full_check`, `rebuilding`: see `Bridge`."""
    from bridge.runtime import open_bridge as start

    with nullcontext() if locked else state_lock(ctx):
        try:
            with (
                start(
                    ctx.settings,
                    announce=lambda text: click.echo(text, err=True),
                    full_check=full_check,
                    rebuilding=rebuilding,
                ) as bridge,
                requests(),
            ):
                yield bridge
        except ConfigError as exc:
            raise click.UsageError(f"configuration: {exc}") from None
        except LedgerTrouble as exc:
            raise Refused(str(exc)) from None


def print_results(bridge: Bridge, files: list[FileRecord], *, as_json: bool = False) -> bool:
    """The results table (or, `as_json`, the results for programs); answers whether any of the
    files failed."""
    if as_json:
        answer = results_json(bridge, files)
        click.echo(dumps(answer, indent=2))
        return bool(answer["failed"])
    text, failed = results_table(bridge, files)
    click.echo(text)
    return failed


def finish(failed: bool) -> NoReturn:
    sys.exit(EXIT_FAILED if failed else 0)
