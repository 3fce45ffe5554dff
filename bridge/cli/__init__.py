"""`fortnox-bridge`: thin click commands over `Bridge`, the library's one entrance.

One module per command group: `files` (watch, process, check, status, retry, dismiss,
cancel), `undo`, `export`, `connection` (connect, auth, tenants), `ledger` (backup, rebuild),
`console`, `workers`. `common` holds what they share
(settings, the opened bridge, exit codes: 0 ok, 1 some file failed, 2 usage or configuration
error).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from bridge.cli import connection, console, export, files, ledger, undo, workers
from bridge.cli.common import Context
from bridge.util.text import PrintableArguments

__all__ = ["main"]


@click.group()
@click.option(
    "--config", type=click.Path(dir_okay=False, path_type=Path), help="Settings file (default ./bridge.toml)."
)
@click.option(
    "--workdir", type=click.Path(file_okay=False, path_type=Path), help="Working folder (default: here)."
)
@click.option("-v", "--verbose", is_flag=True, help="Say more about what happens.")
@click.version_option(package_name="fortnox-bridge")
@click.pass_context
def main(ctx: click.Context, config: Path | None, workdir: Path | None, verbose: bool) -> None:
    """Files dropped into inbox/ become Fortnox documents, exactly once; answers appear in outbox/."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:  # names from files never reach a log line raw
        if not any(isinstance(f, PrintableArguments) for f in handler.filters):
            handler.addFilter(PrintableArguments())
    for noisy in ("httpx", "httpcore", "waitress", "watchdog", "procrastinate"):
        logging.getLogger(noisy).setLevel(
            logging.DEBUG if verbose and noisy == "procrastinate" else logging.WARNING
        )
    ctx.obj = Context(workdir, config)


for command in (
    files.watch,
    files.process,
    files.check,
    files.status,
    files.retry,
    files.cancel,
    files.dismiss,
    ledger.ledger,
    undo.undo,
    export.export,
    connection.connect_command,
    connection.auth,
    connection.tenants,
    console.console,
    workers.workers,
):
    main.add_command(command)
