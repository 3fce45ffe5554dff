"""Commands about files: `watch`, `process`, `check`, `status`, `retry`, `cancel`."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, BinaryIO

import click

from bridge.cli.common import (
    Context,
    Refused,
    finish,
    open_bridge,
    pass_context,
    print_results,
    reading,
    requests,
)
from bridge.cli.progress import watch_bars
from bridge.config import ConfigError
from bridge.model import Problem
from bridge.pipeline.ledger import LedgerTrouble
from bridge.pipeline.lock import LockHeld
from bridge.pipeline.receipts import IMPORTERS, problem_text
from bridge.planner.describe import call_line
from bridge.util import dumpb, dumps
from bridge.util.i18n import N_, _, translate_message

if TYPE_CHECKING:
    from bridge.pipeline.check import CheckReport

__all__ = ["cancel", "check", "dismiss", "process", "retry", "status", "watch"]

log = logging.getLogger("bridge")

FILES = click.Path(exists=True, dir_okay=False, path_type=Path)
CHECK_DOCUMENTS_SHOWN = 20
# What `check` says of a file, by the codes its importer reports (`--json` keeps the codes).
FACTS = {
    "sie_type": N_("SIE type"), "encoding": N_("encoding"), "format": N_("format"), "program": N_("program"),
    "generated": N_("generated"), "currency": N_("currency"), "delimiter": N_("delimiter"), "rows": N_("rows"),
    "invoices": N_("invoices"), "customers": N_("customers"), "projects": N_("projects"),
    "articles": N_("articles"), "vouchers": N_("vouchers"), "lines": N_("lines"), "bytes": N_("bytes"),
    "invoice_number": N_("invoice number"), "credit_of": N_("credits"), "syntax": N_("syntax"),
    "attachments": N_("attachments"), "attachments_refused": N_("attachments refused"),
    "is_credit": N_("credit"), "chart_type": N_("chart of accounts"), "balances_until": N_("balances until"),
}  # fmt: skip
COUNTED = {
    "accounts": N_("accounts"), "dimensions": N_("dimensions"), "objects": N_("objects"),
    "vouchers": N_("vouchers"), "rows": N_("rows"), "balances": N_("balances"),
    "unknown_records": N_("unknown records"),
}  # fmt: skip


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # a service manager's stop request ends `watch` like Ctrl-C


TENANT = click.option("--tenant", help="Only this company, when several are configured.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")


@click.command()
@click.option("--once", is_flag=True, help="Take what is in the inbox now, send it, and exit.")
@click.option("--poll", is_flag=True, default=None, help="Poll the folder (for network shares).")
@TENANT
@click.option("--json", "as_json", is_flag=True, help="With --once: print the results as JSON for programs.")
@click.option(
    "--console", "with_console", is_flag=True, help="Serve the operator console too (see `console`)."
)
@click.option("--console-host", default="127.0.0.1", show_default=True, help="The console's address.")
@click.option("--console-port", default=8470, show_default=True, type=int, help="The console's port.")
@click.option(
    "--worker-id",
    help="Run as this worker, one of several sharing the companies over a PostgreSQL ledger (ledger.url).",
)
@pass_context
def watch(
    ctx: Context,
    once: bool,
    poll: bool | None,
    tenant: str | None,
    as_json: bool,
    with_console: bool,
    console_host: str,
    console_port: int,
    worker_id: str | None,
) -> None:
    """Watch inbox/ and send every file dropped there to Fortnox."""
    if worker_id is not None:
        if once or tenant or with_console:
            raise click.UsageError(
                _("--worker-id serves every company until stopped: leave out --once, --tenant and --console")
            )
        _work(ctx, worker_id)
        return
    before = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        _watch(ctx, once, poll, tenant, as_json, (console_host, console_port) if with_console else None)
    finally:
        signal.signal(signal.SIGTERM, before)  # run in-process (tests), the caller's handler again


def _work(ctx: Context, worker_id: str) -> None:
    """`watch --worker-id`: no lock on the state folder — the companies' leases decide who
    serves what (bridge/workers/)."""
    from bridge.runtime import open_bridge as start
    from bridge.workers.worker import run_worker

    with requests():
        try:
            run_worker(
                ctx.settings,
                worker_id,
                lambda settings: start(settings, announce=lambda text: click.echo(text, err=True)),
                lambda text: click.echo(text, err=True),
            )
        except ConfigError as exc:
            raise click.UsageError(f"configuration: {exc}") from None
        except (LedgerTrouble, LockHeld) as exc:
            raise Refused(str(exc)) from None
    click.echo(_("Stopped; anything not finished continues on the other workers."), err=True)


def _watch(
    ctx: Context,
    once: bool,
    poll: bool | None,
    tenant: str | None,
    as_json: bool,
    console_at: tuple[str, int] | None,
) -> None:
    from bridge.pipeline.watcher import Watcher

    with open_bridge(ctx, full_check=True) as bridge, bridge.keeping_backups():
        watcher = Watcher(bridge, poll=poll, tenant=tenant)
        server = None
        if console_at is not None and not once:
            from bridge.cli.console import start_beside

            server = start_beside(bridge, *console_at, watcher.kick)
        folders = ", ".join(str(f) for f in watcher.folders())
        values = {"folders": folders, "outbox": bridge.settings.outbox}
        if once:
            click.echo(_("Taking what is in %(folders)s (answers in %(outbox)s).") % values, err=True)
        else:
            click.echo(
                _("Watching %(folders)s (answers in %(outbox)s). Stop with Ctrl-C.") % values, err=True
            )
        first_id = bridge.last_file_id()
        waits: list[str] = []
        try:
            with watch_bars(bridge.progress.subscribe):
                waits = watcher.run(once=once)
        except KeyboardInterrupt:
            click.echo(_("Stopped; anything not finished continues on the next start."), err=True)
        finally:
            if server is not None:
                server.stop()
        if once:
            failed = print_results(bridge, bridge.files(after=first_id, tenant=tenant), as_json=as_json)
            for line in waits:  # what could not be sent now, and why (beside the JSON, not in it)
                click.echo(_("Waiting: %(what)s") % {"what": line}, err=as_json)
            finish(failed)


@click.command()
@click.argument("files", nargs=-1, required=True, type=FILES)
@click.option("--tenant", help="Company to send to, when several are configured.")
@JSON
@pass_context
def process(ctx: Context, files: tuple[Path, ...], tenant: str | None, as_json: bool) -> None:
    """Send these FILES now (files outside the inbox are copied, never moved)."""
    with open_bridge(ctx) as bridge:
        with watch_bars(bridge.progress.subscribe):
            taken = bridge.process(files, tenant)
        failed = print_results(bridge, taken, as_json=as_json)
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
    verdict = _("OK") if head["ok"] else _("REFUSED")
    kind = _(IMPORTERS[head["importer"]]) if head["importer"] in IMPORTERS else head["importer"]
    click.echo(f"{head['file']}: {verdict} ({_('read as %(kind)s') % {'kind': kind}})")
    # Lists and tables (a SIE file's chart, objects, balances) are for --json; people get the gist.
    facts = head["facts"]
    simple = ", ".join(
        f"{_(FACTS[k]) if k in FACTS else k.replace('_', ' ')} {v}"
        for k, v in facts.items()
        if v not in (None, "") and not isinstance(v, dict | list)
    )
    if simple:
        click.echo(f"  {simple}")
    counts = facts.get("counts")
    if isinstance(counts, dict):
        click.echo(
            "  "
            + ", ".join(
                f"{v} {_(COUNTED[k]) if k in COUNTED else k.replace('_', ' ')}" for k, v in counts.items()
            )
        )
    for p in head["problems"]:
        severity = _("error") if p["severity"] == "error" else _("warning")
        click.echo(f"  {severity}: {problem_text(p)}")
        if p["hint"]:
            click.echo("      " + _("What to do: %(hint)s") % {"hint": translate_message(p["hint"])})
    for doc in report.first(CHECK_DOCUMENTS_SHOWN):
        registers = doc["kind"] == "registers"  # what it creates is listed call by call beneath
        click.echo(
            "  "
            + (
                _("accounts, series and objects the file needs")
                if registers
                else translate_message(doc["summary"])
            )
        )
        for call in doc["calls"]:
            click.echo(f"    {call_line(call)}")
    if report.count > CHECK_DOCUMENTS_SHOWN:
        more = report.count - CHECK_DOCUMENTS_SHOWN
        click.echo("  " + _("… and %(n)s more documents; --json lists them all") % {"n": more})


@click.command()
@JSON
@TENANT
@pass_context
def status(ctx: Context, as_json: bool, tenant: str | None) -> None:
    """What is queued, waiting, failed and done."""
    from bridge.pipeline.status import render_status

    with reading(ctx) as bridge:
        info = bridge.status()
    if tenant is not None:
        info["tenants"] = [t for t in info["tenants"] if t["tenant"] == tenant]
        info["notices"] = [n for n in info["notices"] if n["tenant"] in (None, tenant)]
        if not info["tenants"]:
            raise click.UsageError(
                _("no company named %(tenant)r; see `fortnox-bridge tenants`") % {"tenant": tenant}
            )
    click.echo(dumps(info, indent=2) if as_json else render_status(info))


@click.command()
@click.argument("file", required=False)
@click.option("--failed", "all_failed", is_flag=True, help="Retry every failed or partly imported file.")
@TENANT
@JSON
@pass_context
def retry(ctx: Context, file: str | None, all_failed: bool, tenant: str | None, as_json: bool) -> None:
    """Send again what did not go through for FILE (its name in outbox/failed/), or all with --failed."""
    if bool(file) == all_failed:
        raise click.UsageError(_("name one FILE or give --failed"))
    with open_bridge(ctx) as bridge:
        chosen = [f for f in bridge.failed_files(file) if tenant in (None, f.tenant)]
        with watch_bars(bridge.progress.subscribe):
            taken = bridge.retry(chosen)
        failed = print_results(bridge, taken, as_json=as_json)
    finish(failed)


@click.command()
@click.argument("file")
@pass_context
def dismiss(ctx: Context, file: str) -> None:
    """Forget the failed FILE (its name in outbox/failed/): `status` and `retry --failed` leave it
    out. What it created in Fortnox stays known; the file itself is left where it is."""
    with open_bridge(ctx) as bridge:
        record = bridge.dismiss(file)
    click.echo(
        _("%(name)s is forgotten; drop it into the inbox again to send it after all.") % {"name": record.name}
    )


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
