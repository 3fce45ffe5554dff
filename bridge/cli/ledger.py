"""`ledger backup` and `ledger rebuild`: the bridge's memory of what it sent, kept and remade."""

from __future__ import annotations

from pathlib import Path

import click

from bridge.cli.common import Context, Refused, open_bridge, pass_context, state_lock
from bridge.fortnox import FortnoxError
from bridge.pipeline.ledger import LedgerTrouble, open_ledger
from bridge.pipeline.rebuild import finish_rebuild, ledger_path, rebuild_company, start_rebuild
from bridge.util.i18n import _

__all__ = ["ledger"]


@click.group()
def ledger() -> None:
    """The ledger (.bridge/ledger.sqlite3, or ledger.url's PostgreSQL): what was taken and sent, the
    bridge's only memory."""


@ledger.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the copy (default: a new file in <state>/backups/, the oldest beyond ledger.backup_keep go).",
)
@pass_context
def backup(ctx: Context, out: Path | None) -> None:
    """Write a consistent copy of the ledger; safe while `watch` runs."""
    settings = ctx.settings
    path = ledger_path(settings)
    if settings["ledger.url"]:
        try:
            kept = open_ledger(path, lambda: None, url=str(settings["ledger.url"]))
        except LedgerTrouble as exc:
            raise Refused(str(exc)) from None
        try:
            kept.backup(out or path)  # refused, naming pg_dump
        except LedgerTrouble as exc:
            raise Refused(str(exc)) from None
        finally:
            kept.close()
    if not path.exists():
        raise Refused(_("there is no ledger at %(path)s to copy") % {"path": path})
    try:
        kept = open_ledger(path, lambda: None, full_check=False)
    except LedgerTrouble as exc:
        raise Refused(str(exc)) from None
    try:
        target = kept.backup(out) if out else kept.rolling_backup(int(settings["ledger.backup_keep"]))
    except LedgerTrouble as exc:
        raise Refused(str(exc)) from None
    finally:
        kept.close()
    click.echo(_("The ledger is copied to %(path)s.") % {"path": target})


@ledger.command()
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Start from this backup (e.g. the newest in <state>/backups/) instead of an empty ledger.",
)
@pass_context
def rebuild(ctx: Context, source: Path | None) -> None:
    """Make the ledger again from what Fortnox holds, after it was lost or damaged.

    The old ledger is set aside, never deleted. What the bridge created in Fortnox (its stamps
    on invoices and vouchers, supplier invoices' numbers, uploads' names) is read back, so that
    files dropped again find their documents in Fortnox instead of creating them twice."""
    settings = ctx.settings
    path = ledger_path(settings)
    with state_lock(ctx):
        try:
            made, aside = start_rebuild(path, source, str(settings["ledger.url"]))
        except LedgerTrouble as exc:
            raise Refused(str(exc)) from None
        made.close()
        if aside is not None:
            click.echo(_("The old ledger is set aside as %(path)s.") % {"path": aside}, err=True)
        with open_bridge(ctx, locked=True, rebuilding=True) as bridge:
            for tenant in settings.tenants:
                try:
                    found = rebuild_company(
                        bridge.ledger,
                        bridge.clients[tenant.name],
                        tenant.name,
                        (tenant["files.default_folder"],),
                    )
                except FortnoxError as exc:
                    again = "fortnox-bridge ledger rebuild" + (f" --from {source}" if source else "")
                    raise Refused(
                        _(
                            "Fortnox did not answer for %(tenant)s (%(error)s); the ledger is not rebuilt and"
                            " the bridge will not send until it is: run `%(command)s` again when Fortnox answers"
                        )
                        % {"tenant": tenant.name, "error": exc, "command": again}
                    ) from None
                click.echo(_("Found in Fortnox: %(found)s.") % {"found": found.sentence()})
            finish_rebuild(bridge.ledger)
    click.echo(
        _(
            "The ledger is rebuilt. Files dropped again are looked up in Fortnox before anything is"
            " created: what is there already is found, not created twice."
        )
    )
