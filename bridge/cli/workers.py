"""`workers`: the workers sharing the companies (worker mode), their companies and heartbeats."""

from __future__ import annotations

import click

from bridge.cli.common import Context, Refused, pass_context
from bridge.config import ConfigError
from bridge.util import dumps
from bridge.util.i18n import _

__all__ = ["workers"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def workers(ctx: Context, as_json: bool) -> None:
    """List the workers (`watch --worker-id`), the companies each serves now, and their heartbeats."""
    from bridge.workers.leases import LedgerUnreachable, workers_at
    from bridge.workers.worker import ledger_url

    settings = ctx.settings
    try:
        url = ledger_url(settings)
    except ConfigError as exc:
        raise click.UsageError(f"configuration: {exc}") from None
    try:
        rows = workers_at(url, float(settings["workers.lease_seconds"]))
    except LedgerUnreachable as exc:
        raise Refused(str(exc)) from None
    if as_json:
        click.echo(dumps({"workers": [row.to_json() for row in rows]}))
        return
    if not rows:
        click.echo(_("No worker has started yet (`fortnox-bridge watch --worker-id ID`)."))
        return
    for row in rows:
        state = _("stopped") if row.stopped else _("alive") if row.alive else _("not beating")
        roles = [_("inbox")] if row.intake else []
        click.echo(
            _("%(worker)s on %(host)s (pid %(pid)s): %(state)s, last heartbeat %(age)s s ago")
            % {
                "worker": row.worker,
                "host": row.host,
                "pid": row.pid,
                "state": state,
                "age": f"{row.seconds_since_heartbeat:.1f}",
            }
        )
        serving = ", ".join([*roles, *row.companies]) or _("nothing right now")
        click.echo("  " + _("serving: %(companies)s") % {"companies": serving})
