"""`export …`: Fortnox data written to outbox/exports/."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import click

from bridge.cli.common import Context, finish, open_bridge, pass_context
from bridge.cli.progress import DocumentProgress, size_text
from bridge.exporters.registers import register_names
from bridge.util import dumps

__all__ = ["export"]

REGISTER_NAMES = register_names()


@click.group()
def export() -> None:
    """Write Fortnox data to outbox/exports/."""


def _companies(ctx: Context, tenant: str | None) -> list[str]:
    settings = ctx.settings
    try:
        return [settings.tenant(tenant).name] if tenant else [t.name for t in settings.tenants]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _progress(company: str, text: str) -> None:
    click.echo(f"{company}: {text}", err=True)


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

    names = _companies(ctx, tenant)
    folder, file_name = ctx.settings.outbox / "exports", None
    if out is not None:
        folder, file_name = (out.parent, out.name) if out.suffix.lower() in SIE_SUFFIXES else (out, None)
    results, failed = [], False
    with open_bridge(ctx) as bridge:
        for name in names:
            try:
                exports = export_sie(
                    bridge.clients[name],
                    folder,
                    year=year,
                    years=years,
                    sie_type=int(sie_type),
                    file_name=file_name,
                    progress=functools.partial(_progress, name),
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
    finish(failed)


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
    names = _companies(ctx, tenant)
    done, failed = [], False
    with open_bridge(ctx) as bridge:
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
    finish(failed)


def _choices(value: str | None, allowed: tuple[str, ...], option: str) -> list[str] | None:
    """`a,b` from an option that takes a comma-separated subset of `allowed`."""
    if value is None:
        return None
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in allowed]
    if unknown or not chosen:
        raise click.BadParameter(f"choose among {', '.join(allowed)}", param_hint=option)
    return chosen


@export.command("masterdata")
@click.option(
    "--registers", help="Only these, comma-separated (default: all): " + ", ".join(REGISTER_NAMES) + "."
)
@click.option("--full", is_flag=True, help="Read every record again, not only what Fortnox says changed.")
@click.option("--tenant", help="Only this company, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def export_masterdata_command(
    ctx: Context, registers: str | None, full: bool, tenant: str | None, as_json: bool
) -> None:
    """Registers as CSV and JSON in outbox/exports/masterdata/<company>/, and changes-<time>.json."""
    from bridge.exporters.masterdata import export_masterdata
    from bridge.fortnox import FortnoxError

    chosen = _choices(registers, REGISTER_NAMES, "--registers")
    settings = ctx.settings
    done, failed = [], False
    with open_bridge(ctx) as bridge:
        for name in _companies(ctx, tenant):
            try:
                result = export_masterdata(
                    bridge.clients[name],
                    name,
                    settings.outbox,
                    settings.state_dir,
                    registers=chosen,
                    full=full,
                    progress=functools.partial(_progress, name),
                )
            except FortnoxError as error:
                click.echo(f"{name}: not exported: {error}; nothing was lost, run it again later", err=True)
                failed = True
                continue
            failed |= bool(result.skipped)
            done.append(result.to_json())
    if as_json:
        click.echo(dumps({"exports": done}, indent=2))
    else:
        for item in done:
            changes = item["changes_file"] or "no changes since the last export"
            click.echo(
                f"{item['tenant']}: {sum(item['registers'].values()):,} records → {item['folder']} ({changes})"
            )
            for register, reason in item["skipped"].items():
                click.echo(f"    {register}: not exported: {reason}")
    finish(failed)


def _documents_line(item: dict[str, Any]) -> str:
    counts = ", ".join(f"{item[k]} {k}" for k in ("new", "replaced", "changed", "unchanged") if item[k])
    removed = f", {item['removed']} removed" if item["removed"] else ""
    return f"{item['files']:,} files ({counts or 'none'}{removed}), {size_text(item['bytes'])} → {item['manifest']}"


KINDS_HELP = "Comma-separated: vouchers, supplierinvoices, invoices (default: all)."


@export.command("documents")
@click.option("--year", type=int, help="The financial year that begins in YEAR (default: the latest begun).")
@click.option(
    "--years",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="That year and the ones before it.",
)
@click.option("--kinds", help=KINDS_HELP)
@click.option("--tenant", help="Only this company, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def export_documents_command(
    ctx: Context, year: int | None, years: int, kinds: str | None, tenant: str | None, as_json: bool
) -> None:
    """Every file behind a year's books — voucher documents, supplier invoice images, customer
    invoice PDFs — into outbox/exports/documents/<company>/<year>/ with a manifest. Stopped, it
    continues where it stopped; run again, it fetches only what is new or replaced."""
    from bridge.exporters.documents import KINDS, export_documents
    from bridge.exporters.sie import ExportRequestError
    from bridge.fortnox import FortnoxError

    chosen = _choices(kinds, KINDS, "--kinds") or list(KINDS)
    done, failed = [], False
    with open_bridge(ctx) as bridge:
        for name in _companies(ctx, tenant):
            try:
                results = export_documents(
                    bridge.clients[name],
                    name,
                    ctx.settings.outbox,
                    year=year,
                    years=years,
                    kinds=chosen,
                    on_progress=DocumentProgress(name),
                )
            except ExportRequestError as error:
                raise click.UsageError(f"{name}: {error}") from None
            except FortnoxError as error:
                click.echo(
                    f"{name}: not finished: {error}; run it again to continue where it stopped", err=True
                )
                failed = True
                continue
            for result in results:
                failed |= bool(result.mirror.problems)
                done.append({"label": result.label, **result.to_json()})
    if as_json:
        click.echo(dumps({"exports": done}, indent=2))
    else:
        for item in done:
            click.echo(f"{item['tenant']}: {item['label']}: {_documents_line(item)}")
            for problem in item["problems"]:
                click.echo(f"    {problem}")
    finish(failed)


@export.command("year")
@click.option(
    "--years", type=click.IntRange(min=1), default=2, show_default=True, help="How many of the latest years."
)
@click.option(
    "--year", type=int, help="The last of them is the year that begins in YEAR (default: the latest begun)."
)
@click.option("--kinds", help=KINDS_HELP)
@click.option("--tenant", help="Only this company, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def export_year_command(
    ctx: Context, years: int, year: int | None, kinds: str | None, tenant: str | None, as_json: bool
) -> None:
    """The latest years' books and documents in one run: per year, Fortnox's SIE 4 file beside
    every document, in outbox/exports/documents/<company>/<year>/."""
    from bridge.exporters.documents import KINDS
    from bridge.exporters.sie import ExportRequestError
    from bridge.exporters.years import export_years
    from bridge.fortnox import FortnoxError

    chosen = _choices(kinds, KINDS, "--kinds") or list(KINDS)
    done, failed = [], False
    with open_bridge(ctx) as bridge:
        for name in _companies(ctx, tenant):
            try:
                books = export_years(
                    bridge.clients[name],
                    name,
                    ctx.settings.outbox,
                    years=years,
                    year=year,
                    kinds=chosen,
                    say=functools.partial(_progress, name),
                    on_progress=DocumentProgress(name),
                )
            except ExportRequestError as error:
                raise click.UsageError(f"{name}: {error}") from None
            except FortnoxError as error:
                click.echo(
                    f"{name}: not finished: {error}; run it again to continue where it stopped", err=True
                )
                failed = True
                continue
            for book in books:
                failed |= not book.ok
                done.append({"tenant": name, **book.to_json()})
    if as_json:
        click.echo(dumps({"exports": done}, indent=2))
        finish(failed)
    click.echo("Summary:")
    for item in done:
        sie = item["sie"]
        click.echo(f"  {item['tenant']}: {item['label']}:")
        if sie["ok"]:
            click.echo(f"    SIE 4: {sie['vouchers']:,} vouchers → {sie['file']}")
        else:
            click.echo(
                "    SIE 4: NOT exported, the file from Fortnox failed its check: "
                + "; ".join(sie["problems"])
            )
        click.echo(f"    documents: {_documents_line(item['documents'])}")
        for problem in item["documents"]["problems"]:
            click.echo(f"      {problem}")
    finish(failed)


@export.command("supplierinvoices")
@click.option(
    "--since", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Invoices dated on or after DATE."
)
@click.option("--tenant", help="Only this company, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def export_supplierinvoices_command(ctx: Context, since, tenant: str | None, as_json: bool) -> None:
    """Supplier invoices with supplier, project and rows as CSV and JSON, each invoice's files
    beside it, in outbox/exports/supplierinvoices/<company>/since-<DATE>/."""
    from bridge.exporters.supplierinvoices import export_supplier_invoices
    from bridge.fortnox import FortnoxError

    done, failed = [], False
    with open_bridge(ctx) as bridge:
        for name in _companies(ctx, tenant):
            progress = DocumentProgress(name)
            try:
                result = export_supplier_invoices(
                    bridge.clients[name],
                    name,
                    ctx.settings.outbox,
                    since.date(),
                    on_progress=functools.partial(progress, None),
                )
            except FortnoxError as error:
                click.echo(
                    f"{name}: not finished: {error}; run it again to continue where it stopped", err=True
                )
                failed = True
                continue
            failed |= bool(result.mirror.problems)
            done.append(result.to_json())
    if as_json:
        click.echo(dumps({"exports": done}, indent=2))
    else:
        for item in done:
            click.echo(
                f"{item['tenant']}: {item['invoices']:,} supplier invoices since {item['since']}, "
                f"{item['rows']:,} rows, {item['files']:,} files → {item['csv']}"
            )
    finish(failed)


@export.command("matching")
@click.option(
    "--open",
    "only_open",
    is_flag=True,
    help="Only open and partly invoiced orders, and invoices awaiting a decision.",
)
@click.option("--tenant", help="Only this company, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def export_matching_command(ctx: Context, only_open: bool, tenant: str | None, as_json: bool) -> None:
    """Match supplier invoices changed in Fortnox to the purchase orders the bridge received, then
    list orders and invoices (CSV and JSON in outbox/exports/matching/)."""
    from bridge.fortnox import FortnoxError
    from bridge.pipeline.matching import run_matching

    names = _companies(ctx, tenant)
    done, failed = [], False
    with open_bridge(ctx) as bridge:
        for name in names:
            try:
                run = run_matching(
                    bridge.clients[name], bridge.ledger, ctx.settings, name, only_open=only_open
                )
            except FortnoxError as error:
                click.echo(f"{name}: not matched: {error}", err=True)
                failed = True
                continue
            done.append(
                {
                    "tenant": name,
                    "matched": run.matched,
                    "reports": [str(p) for p in run.reports],
                    "csv": str(run.csv_path),
                    "json": str(run.json_path),
                }
            )
    if as_json:
        click.echo(dumps({"exports": done}, indent=2))
    else:
        for item in done:
            click.echo(f"{item['tenant']}: {len(item['matched'])} invoice(s) matched → {item['csv']}")
    finish(failed)
