"""`export …`: Fortnox data written to outbox/exports/."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from bridge.cli.common import Context, finish, open_bridge, pass_context
from bridge.util import dumps

__all__ = ["export"]


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
