"""`connect` (= `auth login`), `auth status`, `auth logout`, `tenants`: connecting companies
and seeing how each one is connected."""

from __future__ import annotations

import sys
from typing import Any

import click

from bridge.cli.common import Context, Refused, pass_context
from bridge.config import ConfigError, Settings, TenantSettings
from bridge.fortnox.access import AccessCheck, check_access
from bridge.fortnox.errors import FortnoxError
from bridge.fortnox.scopes import MODULES, flows_named
from bridge.pipeline.status import CONNECTION_STATES
from bridge.util import dumps
from bridge.util.i18n import _, translate_message

__all__ = ["auth", "connect_command", "tenants"]

EXIT_FAILED = 1


def _usage(exc: Exception) -> click.UsageError:
    return click.UsageError(f"configuration: {exc}")


@click.command("connect")
@click.option("--tenant", help="The company's name in bridge.toml ([tenants.NAME]); created when missing.")
@click.option(
    "--personal", is_flag=True, help="The approving user's own consent instead of a service account."
)
@click.option("--paste", is_flag=True, help="No browser here: paste the address the browser ends on.")
@pass_context
def connect_command(ctx: Context, tenant: str | None, personal: bool, paste: bool) -> None:
    """Connect a company: its Fortnox administrator approves once in the browser."""
    from bridge.connect import ConnectFailed, connect

    settings = ctx.settings
    ask = (lambda: click.prompt("Address", prompt_suffix=": ", err=True)) if paste else None
    try:
        connected = connect(settings, tenant, personal=personal, paste=ask, say=click.echo)
    except ConfigError as exc:
        raise _usage(exc) from None
    except ConnectFailed as failure:
        click.echo(_("Not connected: %(reason)s") % {"reason": failure}, err=True)
        sys.exit(EXIT_FAILED)
    c = connected.connection
    _record(settings, {c.tenant: connected.check})  # a waiting `watch` sees it and sends
    how = _("a personal consent") if c.kind == "personal" else _("a service account")
    click.echo(
        _("Connected %(company)s: %(name)s (%(org)s), TenantId %(id)s, with %(how)s.")
        % {
            "company": c.tenant,
            "name": c.company,
            "org": c.organisation_number,
            "id": c.tenant_id,
            "how": how,
        }
    )
    if tenant and settings.multi_tenant is False:
        click.echo(_("Its files go into %(folder)s/.") % {"folder": settings.inbox / c.tenant})
    for notice in connected.check.blocked:
        click.echo(f"! {translate_message(notice.message)}\n  {translate_message(notice.command)}")


@click.group()
def auth() -> None:
    """How the bridge is connected to Fortnox: login (= connect), status, logout."""


auth.add_command(connect_command, "login")


@auth.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def auth_status(ctx: Context, as_json: bool) -> None:
    """Each company's connection as the bridge keeps it (asks Fortnox nothing)."""
    from bridge.connect import token_store

    settings = ctx.settings
    store = token_store(settings)
    rows = []
    for tenant in settings.tenants:
        connection = store.load(tenant.name)
        row: dict[str, Any] = {
            "tenant": tenant.name,
            "fortnox": tenant["fortnox.url"] or "embedded mock",
            "tenant_id": str(tenant["fortnox.tenant_id"]) or (connection.tenant_id if connection else ""),
            "company": tenant["fortnox.company"] or (connection.company if connection else ""),
            "kind": connection.kind if connection else ("service" if tenant["fortnox.tenant_id"] else ""),
            "connected_at": connection.connected_at if connection else "",
            "scopes": list(connection.scopes) if connection else [],
        }
        if connection is not None and connection.kind == "personal":
            row["refresh_token_expires_at"] = connection.refresh_expires_at
        rows.append(row)
    if as_json:
        click.echo(dumps({"tenants": rows}, indent=2))
        return
    for row in rows:
        if row["fortnox"] == "embedded mock":
            click.echo(f"{row['tenant']}: " + _("the embedded mock (needs no connecting)"))
        elif not row["tenant_id"]:
            click.echo(
                f"{row['tenant']}: "
                + _("not connected; run `%(command)s`") % {"command": _connect(settings, row["tenant"])}
            )
        else:
            how = _("a personal consent") if row["kind"] == "personal" else _("a service account")
            since = " " + _("since %(since)s") % {"since": row["connected_at"]} if row["connected_at"] else ""
            click.echo(
                f"{row['tenant']}: {row['company'] or '?'} (TenantId {row['tenant_id']}), {how}{since}"
            )


@auth.command("logout")
@click.option("--tenant", help="The company, when several are configured.")
@pass_context
def auth_logout(ctx: Context, tenant: str | None) -> None:
    """Revoke a personal consent at Fortnox and forget the company's connection here."""
    from bridge.connect import logout

    try:
        forgot = logout(ctx.settings, tenant, say=click.echo)
    except ConfigError as exc:
        raise _usage(exc) from None
    click.echo(
        _("Forgotten here; its files wait until it is connected again.")
        if forgot
        else _("It was not connected.")
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def tenants(ctx: Context, as_json: bool) -> None:
    """Every company: connected or not, scopes granted, licences found, last successful call.
    Asks Fortnox now. Exit code 1 when a company needs a person."""
    settings = ctx.settings
    checks: dict[str, AccessCheck] = {}
    rows = [_tenant_row(settings, tenant, checks) for tenant in settings.tenants]
    for row, health in zip(rows, _record(settings, checks), strict=True):
        row["last_success"] = health
    if as_json:
        click.echo(dumps({"tenants": rows}, indent=2))
    else:
        click.echo("\n".join(_render_tenant(row) for row in rows))
    sys.exit(EXIT_FAILED if any(row["state"] != "connected" or row["notices"] for row in rows) else 0)


def _record(settings: Settings, checks: dict[str, AccessCheck]) -> list[str | None]:
    """Keep the checks in the ledger (a waiting `watch` sees them and goes on); answers each
    company's last successful call."""
    from bridge.pipeline import Bridge
    from bridge.pipeline.ledger import LedgerTrouble

    try:
        bridge = Bridge(settings)
    except LedgerTrouble as exc:
        raise Refused(str(exc)) from None
    with bridge:
        for name, check in checks.items():
            bridge.gate.checked(name, check)
        return [bridge.health(t.name).last_success for t in settings.tenants]


def _tenant_row(settings: Settings, tenant: TenantSettings, checks: dict[str, AccessCheck]) -> dict[str, Any]:
    from bridge.runtime import fortnox_client

    row: dict[str, Any] = {
        "tenant": tenant.name,
        "state": "connected",
        "company": tenant["fortnox.company"],
        "organisation_number": tenant["fortnox.organisation_number"],
        "tenant_id": str(tenant["fortnox.tenant_id"]),
        "scopes": [],
        "licences": {},
        "notices": [],
    }
    if tenant.embedded:
        return {**row, "state": "connected", "company": "the embedded mock"}
    try:
        client = fortnox_client(settings, tenant)
    except ConfigError as exc:
        raise _usage(exc) from None
    try:
        check = check_access(
            client,
            tenant.name if settings.multi_tenant else None,
            flows_named(tenant["fortnox.flows"]),
            personal=getattr(client.tokens, "kind", "") == "personal",
            company=tenant["fortnox.company"],
        )
    except FortnoxError as error:
        return {
            **row,
            "state": "unreachable",
            "notices": [{"message": f"Fortnox did not answer: {error}", "command": ""}],
        }
    finally:
        client.close()
    checks[tenant.name] = check
    return {**row, **_check_row(check)}


def _check_row(check: AccessCheck) -> dict[str, Any]:
    row: dict[str, Any] = {
        "state": check.state,
        "scopes": list(check.scopes),
        "licences": check.licences,
        "notices": [n.to_json() for n in check.notices],
    }
    for key in ("company", "organisation_number", "tenant_id"):
        if getattr(check, key):
            row[key] = getattr(check, key)
    return row


def _render_tenant(row: dict[str, Any]) -> str:
    company = (
        f"{row['company']} ({row['organisation_number']})" if row["organisation_number"] else row["company"]
    )
    state = _(CONNECTION_STATES[row["state"]]) if row["state"] in CONNECTION_STATES else row["state"]
    lines = [f"{row['tenant']}: {state}" + (f" — {company}" if company else "")]
    if row["scopes"]:
        lines.append("  " + _("scopes: %(scopes)s") % {"scopes": " ".join(row["scopes"])})
    missing = [scope for scope, present in row["licences"].items() if not present]
    if row["licences"]:
        found = (
            _("all found")
            if not missing
            else _("missing %(modules)s") % {"modules": ", ".join(MODULES.get(s, s) for s in missing)}
        )
        lines.append("  " + _("licences: %(found)s") % {"found": found})
    if row.get("last_success"):
        lines.append("  " + _("last successful call: %(at)s") % {"at": row["last_success"]})
    for notice in row["notices"]:
        lines.append(f"  ! {translate_message(notice['message'])}")
        if notice["command"]:
            lines.append("    " + _("run: %(command)s") % {"command": notice["command"]})
    return "\n".join(lines)


def _connect(settings: Settings, tenant: str) -> str:
    from bridge.fortnox.access import connect_command as command

    return command(tenant if settings.multi_tenant else None)
