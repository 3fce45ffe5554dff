"""`fortnox-bridge`: thin click commands over the bridge library.

Exit codes: 0 everything went through (or is queued), 1 some file failed, 2 usage or
configuration error.
"""

from __future__ import annotations

import logging
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from bridge.config import ConfigError, Settings, load_settings
from bridge.importers import FileSource, extract_file
from bridge.masterdata import load_master_data
from bridge.model import to_plain
from bridge.pipeline.summary import last_file_id, results_table
from bridge.planner import plan_extraction
from bridge.util import dumps

EXIT_FAILED = 1
EXIT_USAGE = 2


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
        return self._settings


pass_context = click.make_pass_decorator(Context)


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
    for noisy in ("httpx", "httpcore", "waitress", "watchdog"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ctx.obj = Context(workdir, config)


def _open(ctx: Context):
    from bridge.runtime import open_bridge

    try:
        return open_bridge(ctx.settings, announce=lambda text: click.echo(text, err=True))
    except ConfigError as exc:
        raise click.UsageError(f"configuration: {exc}") from None


def _stop_on_sigterm(_signum, _frame) -> None:
    raise KeyboardInterrupt  # a service manager's stop request ends `watch` like Ctrl-C


def _tenant_for(settings: Settings, path: Path, tenant: str | None) -> str:
    if tenant:
        settings.tenant(tenant)
        return tenant
    if not settings.multi_tenant:
        return settings.tenants[0].name
    resolved = path.resolve()
    for candidate in settings.tenants:
        if resolved.is_relative_to(settings.inbox_of(candidate.name)):
            return candidate.name
    raise click.UsageError(f"{path}: several companies are configured; say which one with --tenant")


@main.command()
@click.option("--once", is_flag=True, help="Take what is in the inbox now, send it, and exit.")
@click.option("--poll", is_flag=True, default=None, help="Poll the folder (for network shares).")
@pass_context
def watch(ctx: Context, once: bool, poll: bool | None) -> None:
    """Watch inbox/ and send every file dropped there to Fortnox."""
    from bridge.pipeline.watcher import Watcher

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    settings = ctx.settings
    with _open(ctx) as bridge:
        watcher = Watcher(bridge, poll=poll)
        folders = ", ".join(str(f) for f in watcher.folders())
        click.echo(f"Watching {folders} (answers in {settings.outbox}). Stop with Ctrl-C.", err=True)
        first_id = last_file_id(bridge)
        try:
            watcher.run(once=once)
        except KeyboardInterrupt:
            click.echo("Stopped; anything not finished continues on the next start.", err=True)
        if once:
            failed = _print_results(bridge, first_id)
            sys.exit(EXIT_FAILED if failed else 0)


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--tenant", help="Company to send to, when several are configured.")
@pass_context
def process(ctx: Context, files: tuple[Path, ...], tenant: str | None) -> None:
    """Send these FILES now (files outside the inbox are copied, never moved)."""
    settings = ctx.settings
    with _open(ctx) as bridge:
        first_id = last_file_id(bridge)
        tenants = set()
        for path in files:
            name = _tenant_for(settings, path, tenant)
            inside = path.resolve().is_relative_to(settings.inbox)
            file_id = bridge.claim(path, name, copy=not inside)
            if file_id is not None and bridge.ledger.file(file_id)["state"] == "claimed":
                bridge.ingest(file_id)
            tenants.add(name)
        for name in tenants:
            bridge.drain(name, until_blocked=True)
        failed = _print_results(bridge, first_id)
    sys.exit(EXIT_FAILED if failed else 0)


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--tenant", help="Company whose settings apply, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def check(ctx: Context, files: tuple[Path, ...], tenant: str | None, as_json: bool) -> None:
    """Read and validate FILES and show the Fortnox calls they would make. Sends nothing."""
    settings = ctx.settings
    reports = []
    for path in files:
        tenant_settings = settings.tenant(_tenant_for(settings, path, tenant))
        extraction = extract_file(FileSource.open(path, tenant=tenant_settings.name))
        master = load_master_data(settings.state_dir, tenant_settings.name)  # cached; no network
        plans: list = []
        if not extraction.errors:
            extraction, plans = plan_extraction(extraction, tenant_settings, master)
        problems = list(extraction.problems) + [p for plan in plans for p in plan.problems]
        reports.append(
            {
                "file": str(path),
                "importer": extraction.importer,
                "facts": extraction.facts,
                "ok": not any(p.is_error for p in problems),
                "problems": to_plain(problems),
                "documents": [
                    {
                        "kind": plan.key.kind,
                        "source_key": plan.key.source_key,
                        "summary": plan.summary,
                        "calls": [
                            {
                                "kind": s.kind if s.kind != "ensure" or s.create_if_missing else "find",
                                "label": s.label,
                                "method": s.method,
                                "path": s.path,
                                "body": s.body,
                            }
                            for s in plan.steps
                        ],
                    }
                    for plan in plans
                ],
            }
        )
    if as_json:
        click.echo(dumps({"files": reports}, indent=2))
    else:
        for report in reports:
            _print_check(report)
    sys.exit(0 if all(r["ok"] for r in reports) else EXIT_FAILED)


CHECK_DOCUMENTS_SHOWN = 20


def _print_check(report: dict[str, Any]) -> None:
    verdict = "OK" if report["ok"] else "REFUSED"
    click.echo(f"{report['file']}: {verdict} (read as {report['importer']})")
    # Lists and tables (a SIE file's chart, objects, balances) are for --json; people get the gist.
    facts = report["facts"]
    simple = ", ".join(
        f"{k} {v}" for k, v in facts.items() if v not in (None, "") and not isinstance(v, dict | list)
    )
    if simple:
        click.echo(f"  {simple}")
    counts = facts.get("counts")
    if isinstance(counts, dict):
        click.echo("  " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    for p in report["problems"]:
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
    documents = report["documents"]
    for doc in documents[:CHECK_DOCUMENTS_SHOWN]:
        click.echo(f"  {doc['summary']}")
        for call in doc["calls"]:
            how = {
                "ensure": "look up, create if missing:",
                "find": "look up:",
                "create": "create once:",
                "action": "then:",
                "upload": "upload once:",
            }[call["kind"]]
            click.echo(f"    {how} {call['method']} {call['path']}  ({call['label']})")
    if len(documents) > CHECK_DOCUMENTS_SHOWN:
        rest = len(documents) - CHECK_DOCUMENTS_SHOWN
        calls = sum(len(doc["calls"]) for doc in documents[CHECK_DOCUMENTS_SHOWN:])
        click.echo(f"  … and {rest} more documents ({calls} calls); --json lists them all")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """What is queued, waiting, failed and done."""
    from bridge.pipeline.status import collect_status, render_status

    info = collect_status(ctx.settings)
    click.echo(dumps(info, indent=2) if as_json else render_status(info))


@main.command()
@click.argument("file", required=False)
@click.option("--failed", "all_failed", is_flag=True, help="Retry every failed or partly imported file.")
@pass_context
def retry(ctx: Context, file: str | None, all_failed: bool) -> None:
    """Send again what did not go through for FILE (its name in outbox/failed/), or all with --failed."""
    if bool(file) == all_failed:
        raise click.UsageError("name one FILE or give --failed")
    with _open(ctx) as bridge:
        first_id = 0
        if all_failed:
            rows = bridge.ledger.files(["failed", "partial"])
        else:
            name = Path(file).name
            rows = [r for r in bridge.ledger.find_files(name) if r["state"] in ("failed", "partial")]
            if not rows:
                raise click.UsageError(f"no failed file named {name!r}; see `fortnox-bridge status`")
            rows = rows[-1:]
        taken = bridge.retry([r["id"] for r in rows])
        for name in {r["tenant"] for r in rows}:
            bridge.drain(name, until_blocked=True)
        failed = _print_results(bridge, first_id, only=taken)
    sys.exit(EXIT_FAILED if failed else 0)


def _print_results(bridge, after_id: int, only: list[int] | None = None) -> bool:
    text, failed = results_table(bridge, after_id, only)
    click.echo(text)
    return failed


@main.group()
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
    from bridge.importers.cancel import parse_cancel_line
    from bridge.model import Problem
    from bridge.planner.uploads import safe_name

    line = f"supplierinvoice {number}" + (f" --supplier {supplier}" if supplier else "")
    parsed = parse_cancel_line(line)
    if isinstance(parsed, Problem):
        raise click.UsageError(f"{parsed.message}; {parsed.hint}")
    settings = ctx.settings
    if tenant is None and settings.multi_tenant:
        raise click.UsageError("several companies are configured; say which one with --tenant")
    name = tenant or settings.tenants[0].name
    settings.tenant(name)
    with _open(ctx) as bridge, tempfile.TemporaryDirectory() as folder:
        words = ["cancel-supplierinvoice", *([safe_name(supplier)] if supplier else []), safe_name(number)]
        path = Path(folder) / ("-".join(words) + ".txt")
        path.write_text(line + "\n", encoding="utf-8")
        first_id = last_file_id(bridge)
        file_id = bridge.claim(path, name, copy=True)
        bridge.ingest(file_id)
        bridge.drain(name, until_blocked=True)
        row = bridge.ledger.file(file_id)
        if as_json:
            documents = bridge.ledger.documents_of(file_id)
            click.echo(
                dumps(
                    {
                        "state": row["state"],
                        "documents": [
                            {"state": d["state"], "summary": d["summary"], "error": d["last_error"]}
                            for d in documents
                        ],
                        "outcome_path": row["outcome_path"],
                    },
                    indent=2,
                )
            )
            failed = row["state"] in ("failed", "partial")
        else:
            failed = _print_results(bridge, first_id)
    sys.exit(EXIT_FAILED if failed else 0)


@main.group()
def export() -> None:
    """Write Fortnox data to outbox/exports/."""


@export.command("sie")
@click.option("--year", type=int, help="The financial year that begins in YEAR (default: the latest begun).")
@click.option("--type", "sie_type", type=click.Choice(["1", "2", "3", "4"]), default="4", show_default=True)
@click.option(
    "--years",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="That year and the ones before it.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Folder (default outbox/exports), or a file name ending in .se for one year.",
)
@click.option("--tenant", help="Only this company, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def export_sie_command(
    ctx: Context,
    year: int | None,
    sie_type: str,
    years: int,
    out: Path | None,
    tenant: str | None,
    as_json: bool,
) -> None:
    """Each financial year as Fortnox exports it, SIE type 4 unless told: <orgnr>_<year>_SIE<type>.se."""
    from bridge.exporters.sie import SIE_SUFFIXES, ExportRequestError, export_sie
    from bridge.fortnox import FortnoxError

    settings = ctx.settings
    names = [settings.tenant(tenant).name] if tenant else [t.name for t in settings.tenants]
    folder, file_name = settings.outbox / "exports", None
    if out is not None:
        folder, file_name = (out.parent, out.name) if out.suffix.lower() in SIE_SUFFIXES else (out, None)
    results, failed = [], False
    with _open(ctx) as bridge:
        for name in names:
            try:
                exports = export_sie(
                    bridge.clients[name],
                    folder,
                    year=year,
                    years=years,
                    sie_type=int(sie_type),
                    file_name=file_name,
                    progress=lambda text, who=name: click.echo(f"{who}: {text}", err=True),
                )
            except ExportRequestError as error:
                raise click.UsageError(f"{name}: {error}") from None
            except FortnoxError as error:
                click.echo(f"{name}: not exported: {error}", err=True)
                failed = True
                continue
            failed |= not all(e.ok for e in exports)
            results += [{"tenant": name, **e.to_json()} for e in exports]
    if as_json:
        click.echo(dumps({"exports": results}, indent=2))
    else:
        for item in results:
            span = f"{item['financial_year']['from']} – {item['financial_year']['to']}"
            if item["ok"]:
                click.echo(f"{item['tenant']}: {span}: {item['vouchers']} vouchers → {item['file']}")
            else:
                click.echo(f"{item['tenant']}: {span}: NOT exported, the file from Fortnox failed its check:")
                for problem in item["problems"]:
                    click.echo(f"    {problem}")
    sys.exit(EXIT_FAILED if failed else 0)


@export.command("payments")
@click.option("--full", is_flag=True, help="Everything, not only what changed since the last export.")
@click.option("--tenant", help="Only this company, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def export_payments_command(ctx: Context, full: bool, tenant: str | None, as_json: bool) -> None:
    """Payment status of supplier and customer invoices (booked, paid, balance) as CSV and JSON."""
    from bridge.exporters.payments import export_payments
    from bridge.fortnox import FortnoxError

    settings = ctx.settings
    names = [settings.tenant(tenant).name] if tenant else [t.name for t in settings.tenants]
    done, failed = [], False
    with _open(ctx) as bridge:
        for name in names:
            try:
                result = export_payments(
                    bridge.clients[name], name, settings.outbox, settings.state_dir, full=full
                )
            except FortnoxError as error:
                click.echo(f"{name}: not exported: {error}", err=True)
                failed = True
                continue
            done.append(
                {
                    "tenant": name,
                    "invoices": len(result.rows),
                    "changed_since": result.since,
                    "csv": str(result.csv_path),
                    "json": str(result.json_path),
                }
            )
    if as_json:
        click.echo(dumps({"exports": done}, indent=2))
    else:
        for item in done:
            since = f" changed since {item['changed_since']}" if item["changed_since"] else ""
            click.echo(f"{item['tenant']}: {item['invoices']} invoices{since} → {item['csv']}")
    sys.exit(EXIT_FAILED if failed else 0)
