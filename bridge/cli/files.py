"""Commands about files: `watch`, `process`, `check`, `status`, `retry`, `cancel`."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, BinaryIO

import click

from bridge.cli.common import Context, finish, open_bridge, pass_context, print_results, requests
from bridge.model import Problem
from bridge.planner.describe import call_line
from bridge.util import dumpb, dumps

if TYPE_CHECKING:
    from bridge.pipeline.check import CheckReport

__all__ = ["cancel", "check", "process", "retry", "status", "watch"]

FILES = click.Path(exists=True, dir_okay=False, path_type=Path)
CHECK_DOCUMENTS_SHOWN = 20


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # a service manager's stop request ends `watch` like Ctrl-C


@click.command()
@click.option("--once", is_flag=True, help="Take what is in the inbox now, send it, and exit.")
@click.option("--poll", is_flag=True, default=None, help="Poll the folder (for network shares).")
@click.option(
    "--console", "with_console", is_flag=True, help="Serve the operator console too (see `console`)."
)
@click.option("--console-host", default="127.0.0.1", show_default=True, help="The console's address.")
@click.option("--console-port", default=8470, show_default=True, type=int, help="The console's port.")
@pass_context
def watch(
    ctx: Context, once: bool, poll: bool | None, with_console: bool, console_host: str, console_port: int
) -> None:
    """Watch inbox/ and send every file dropped there to Fortnox."""
    from bridge.pipeline.watcher import Watcher

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with open_bridge(ctx) as bridge:
        watcher = Watcher(bridge, poll=poll)
        server = None
        if with_console and not once:
            from bridge.cli.console import start_beside

            server = start_beside(bridge, console_host, console_port, watcher.kick)
        folders = ", ".join(str(f) for f in watcher.folders())
        click.echo(f"Watching {folders} (answers in {bridge.settings.outbox}). Stop with Ctrl-C.", err=True)
        first_id = bridge.last_file_id()
        try:
            watcher.run(once=once)
        except KeyboardInterrupt:
            click.echo("Stopped; anything not finished continues on the next start.", err=True)
        finally:
            if server is not None:
                server.stop()
        if once:
            finish(print_results(bridge, bridge.files(after=first_id)))


@click.command()
@click.argument("files", nargs=-1, required=True, type=FILES)
@click.option("--tenant", help="Company to send to, when several are configured.")
@pass_context
def process(ctx: Context, files: tuple[Path, ...], tenant: str | None) -> None:
    """Send these FILES now (files outside the inbox are copied, never moved)."""
    with open_bridge(ctx) as bridge:
        failed = print_results(bridge, bridge.process(files, tenant))
    finish(failed)


@click.command()
@click.argument("files", nargs=-1, required=True, type=FILES)
@click.option("--tenant", help="Company whose settings apply, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def check(ctx: Context, files: tuple[Path, ...], tenant: str | None, as_json: bool) -> None:
    """Read and validate FILES and show the Fortnox calls they would make. Sends nothing."""
    from bridge.pipeline.check import check_file

    settings = ctx.settings
    sys.stdout.flush()
    out = sys.stdout.buffer
    failed = False
    if as_json:  # written as it is read: a file's documents are never all in memory at once
        out.write(b'{"files": [\n')
    with requests():
        for n, path in enumerate(files):
            with check_file(settings, path, tenant) as report:
                failed = failed or not report.ok
                if as_json:
                    _write_check_json(out, report, first=n == 0)
                else:
                    _print_check(report)
    if as_json:
        out.write(b"\n]}\n")
        out.flush()
    finish(failed)


def _write_check_json(out: BinaryIO, report: CheckReport, *, first: bool) -> None:
    """One file's report: its head laid out, then one line per document."""
    head = dumpb(report.head, indent=2)
    out.write((b"" if first else b",\n") + head[:-2] + b',\n  "documents": [')
    for n, document in enumerate(report.documents()):
        out.write((b"\n    " if n == 0 else b",\n    ") + document)
    out.write(b"\n  ]\n}")


def _print_check(report: CheckReport) -> None:
    head = report.head
    verdict = "OK" if head["ok"] else "REFUSED"
    click.echo(f"{head['file']}: {verdict} (read as {head['importer']})")
    # Lists and tables (a SIE file's chart, objects, balances) are for --json; people get the gist.
    facts = head["facts"]
    simple = ", ".join(
        f"{k} {v}" for k, v in facts.items() if v not in (None, "") and not isinstance(v, dict | list)
    )
    if simple:
        click.echo(f"  {simple}")
    counts = facts.get("counts")
    if isinstance(counts, dict):
        click.echo("  " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    for p in head["problems"]:
        where = ", ".join(
            x
            for x in (
                f"line {p['line']}" if p["line"] else "",
                f"column {p['field']!r}" if p["field"] else "",
            )
            if x
        )
        click.echo(f"  {p['severity']}: {where + ': ' if where else ''}{p['message']}")
        if p["hint"]:
            click.echo(f"      what to do: {p['hint']}")
    for doc in report.first(CHECK_DOCUMENTS_SHOWN):
        click.echo(f"  {doc['summary']}")
        for call in doc["calls"]:
            click.echo(f"    {call_line(call)}")
    if report.count > CHECK_DOCUMENTS_SHOWN:
        click.echo(f"  … and {report.count - CHECK_DOCUMENTS_SHOWN} more documents; --json lists them all")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """What is queued, waiting, failed and done."""
    from bridge.pipeline import Bridge
    from bridge.pipeline.status import render_status

    with Bridge(ctx.settings) as bridge:
        info = bridge.status()
    click.echo(dumps(info, indent=2) if as_json else render_status(info))


@click.command()
@click.argument("file", required=False)
@click.option("--failed", "all_failed", is_flag=True, help="Retry every failed or partly imported file.")
@pass_context
def retry(ctx: Context, file: str | None, all_failed: bool) -> None:
    """Send again what did not go through for FILE (its name in outbox/failed/), or all with --failed."""
    if bool(file) == all_failed:
        raise click.UsageError("name one FILE or give --failed")
    with open_bridge(ctx) as bridge:
        failed = print_results(bridge, bridge.retry(bridge.failed_files(file)))
    finish(failed)


@click.group()
def cancel() -> None:
    """Cancel documents in Fortnox (what a `cancel*.txt` file in the inbox does)."""


@cancel.command("supplierinvoice")
@click.argument("number")
@click.option(
    "--supplier", help="NUMBER is the supplier's invoice number; this is the supplier's number or org number."
)
@click.option("--tenant", help="Company, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def cancel_supplierinvoice(
    ctx: Context, number: str, supplier: str | None, tenant: str | None, as_json: bool
) -> None:
    """Cancel the preliminary (not booked) supplier invoice NUMBER (Fortnox's number)."""
    from bridge.importers.cancel import cancellation

    wanted = cancellation(number, supplier)
    if isinstance(wanted, Problem):
        raise click.UsageError(f"{wanted.message}; {wanted.hint}")
    with open_bridge(ctx) as bridge:
        file = bridge.cancel(wanted, tenant=tenant)
        if not as_json:
            finish(print_results(bridge, [file]))
        documents = [
            {"state": d.state, "summary": d.summary, "error": d.last_error or None}
            for d in bridge.documents(file.id)
        ]
    outcome = str(file.outcome_path) if file.outcome_path else None
    answer = {"state": file.state, "documents": documents, "outcome_path": outcome}
    click.echo(dumps(answer, indent=2))
    finish(file.state.retryable)
