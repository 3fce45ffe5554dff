"""`connect`: one company's consent, from the link to a recorded, checked connection.

Fortnox's activation flow, as its pages describe it: the company's administrator opens the
consent link (`/oauth-v1/auth`), approves the scopes (and, for a bureau user, picks the
client company), and the browser comes back to the registered redirect URI with a code. The
bridge exchanges the code (with the same redirect URI), reads `/3/companyinformation`
(`DatabaseNumber` is the TenantId), and records the company in `bridge.toml`. With a service
account (the default) the bridge from then on asks for tokens with `client_credentials` and
the TenantId; with `--personal` it keeps the user's refresh token and rotates it.
"""

from __future__ import annotations

import os
import secrets
import sys
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bridge.config import DEFAULT_TENANT, ConfigError, Settings
from bridge.configfile import forget_tenant_id, record_tenant
from bridge.fortnox import (
    ClientCredentials,
    Connection,
    FortnoxClient,
    FortnoxError,
    OAuth,
    PersonalToken,
    StaticToken,
    TokenStore,
)
from bridge.fortnox.access import AccessCheck, check_access
from bridge.fortnox.callback import CallbackReceiver, answer_from_address
from bridge.fortnox.oauth import oauth_base_for
from bridge.fortnox.scopes import MODULES, flows_named, scopes_for

__all__ = [
    "ConnectFailed",
    "Connected",
    "Consent",
    "Target",
    "ask_consent",
    "connect",
    "finish_consent",
    "logout",
    "resolve_target",
    "token_store",
]

WAIT_SECONDS = 600.0  # Fortnox's code lives 10 minutes; there is no point waiting longer


class ConnectFailed(Exception):
    """Connecting did not work out; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """The company `connect` works on: `name` None is the only company (`[fortnox]`)."""

    name: str | None
    values: dict  # its effective settings, `section.key` → value
    new: bool  # `[tenants.NAME]` does not exist yet

    @property
    def label(self) -> str:
        return self.name or "this bridge's company"

    def __getitem__(self, dotted: str):
        return self.values[tuple(dotted.split(".", 1))]


@dataclass(frozen=True)
class Connected:
    connection: Connection
    check: AccessCheck


def token_store(settings: Settings) -> TokenStore:
    return TokenStore.in_state(settings.state_dir)


def resolve_target(settings: Settings, tenant: str | None) -> Target:
    """Which company, and refuse what would send files to the wrong place."""
    if tenant is None:
        if not settings.multi_tenant:
            return Target(None, dict(settings.values), new=False)
        if len(settings.tenants) == 1:
            return Target(settings.tenants[0].name, dict(settings.tenants[0].values), new=False)
        names = ", ".join(t.name for t in settings.tenants)
        raise ConfigError(f"several companies are configured ({names}); say which one with --tenant")
    if settings.multi_tenant:
        for candidate in settings.tenants:
            if candidate.name == tenant:
                return Target(tenant, dict(candidate.values), new=False)
        return Target(tenant, dict(settings.values), new=True)
    if settings["fortnox.tenant_id"]:
        raise ConfigError(
            f"{settings.source or 'bridge.toml'} serves one company ([fortnox] tenant_id"
            f" {settings['fortnox.tenant_id']}); to serve several, move it into a [tenants.NAME] table"
            " first (its files then go into inbox/NAME/)"
        )
    return Target(tenant, dict(settings.values), new=True)


def _oauth(target: Target) -> OAuth:
    if not target["fortnox.url"]:
        raise ConfigError(
            "no Fortnox URL is configured (fortnox.url, e.g. https://api.fortnox.se): the embedded"
            " mock needs no connecting"
        )
    missing = [k for k in ("client_id", "client_secret") if not target[f"fortnox.{k}"]]
    if missing:
        keys = " and ".join(f"fortnox.{k} (env FORTNOX_{k.upper()})" for k in missing)
        raise ConfigError(
            f"{target.label} cannot connect without {keys}: the integration's client id and secret"
            " from Fortnox's Developer Portal (keep the secret in the environment, not in the file)"
        )
    return OAuth(
        oauth_base_for(target["fortnox.url"], target["fortnox.auth_url"]),
        target["fortnox.client_id"],
        target["fortnox.client_secret"],
        timeout=target["fortnox.timeout_seconds"],
    )


@dataclass(frozen=True)
class Consent:
    """A consent asked for and not answered yet: the link to open, and what its answer must match."""

    target: Target
    link: str
    state: str
    redirect_uri: str
    personal: bool
    scopes: tuple[str, ...]


def ask_consent(
    settings: Settings, tenant: str | None, *, personal: bool = False, redirect_uri: str | None = None
) -> Consent:
    """The consent link for `tenant` (its answer comes back to `redirect_uri`, by default
    `fortnox.redirect_uri`). Raises ConfigError when the settings cannot connect."""
    target = resolve_target(settings, tenant)
    oauth = _oauth(target)
    try:
        scopes = tuple(sorted({*scopes_for(flows_named(target["fortnox.flows"])), "companyinformation"}))
        redirect_uri = redirect_uri or target["fortnox.redirect_uri"]
        state = secrets.token_urlsafe(16)
        link = oauth.authorize_url(
            redirect_uri=redirect_uri, scopes=scopes, state=state, service=not personal
        )
    finally:
        oauth.close()
    return Consent(target, link, state, redirect_uri, personal, scopes)


def finish_consent(settings: Settings, consent: Consent, answer: dict[str, str] | None) -> Connected:
    """Exchange the answer the browser brought back (`code`, `state`, or `error`) and record the
    company. Raises ConnectFailed (nothing was changed) or ConfigError."""
    target = consent.target
    oauth = _oauth(target)
    try:
        flows = flows_named(target["fortnox.flows"])
        return _finish(
            settings, target, oauth, answer, consent.state, consent.redirect_uri, consent.personal, flows
        )
    finally:
        oauth.close()


def connect(
    settings: Settings,
    tenant: str | None,
    *,
    personal: bool = False,
    paste: Callable[[], str] | None = None,
    say: Callable[[str], None] = print,
    open_browser: Callable[[str], object] | None = None,
    wait_seconds: float = WAIT_SECONDS,
) -> Connected:
    """Run the activation flow for `tenant`. `paste`: read the address the browser ended on
    instead of listening for it. Raises ConfigError (the settings cannot work) or ConnectFailed."""
    consent = ask_consent(settings, tenant, personal=personal)
    receiver = None
    if paste is None:
        try:
            receiver = CallbackReceiver(consent.redirect_uri).start()
        except (ValueError, OSError) as exc:
            raise ConfigError(
                f"cannot listen on fortnox.redirect_uri {consent.redirect_uri}: {exc}; or use --paste"
            ) from None
    try:
        say(_invitation(consent.target, consent.link, consent.scopes, personal, paste is not None))
        if paste is None and _has_browser():
            (open_browser or webbrowser.open)(consent.link)
        answer = answer_from_address(paste()) if paste is not None else receiver.wait(wait_seconds)  # type: ignore[union-attr]
        try:
            connected = finish_consent(settings, consent, answer)
        except (ConnectFailed, ConfigError) as failure:
            if receiver is not None:
                receiver.finish(False, str(failure))
            raise
        if receiver is not None:
            c = connected.connection
            receiver.finish(True, f"{c.company} ({c.organisation_number}) is connected to fortnox-bridge.")
        return connected
    finally:
        if receiver is not None:
            receiver.stop()


def _invitation(target: Target, link: str, scopes, personal: bool, pasting: bool) -> str:
    who = (
        "a user of the company (the consent is that user's own)"
        if personal
        else "a system administrator of the company in Fortnox (only one may approve a service account)"
    )
    lines = [
        f"Connecting {target.label} to Fortnox. The consent must be given by {who}.",
        "The bridge asks for these permissions (scopes):",
        *(f"  {scope:<20} {MODULES.get(scope, '')}" for scope in scopes),
        "Open this link, or send it to the company's Fortnox administrator; a bureau user picks the"
        " client company on Fortnox's page:",
        "",
        f"  {link}",
        "",
    ]
    if pasting:
        lines.append(
            "After approving, the browser ends on an address starting with the redirect URI; paste it here."
        )
    else:
        lines.append("Waiting for Fortnox's answer (the link works for 10 minutes)…")
    return "\n".join(lines)


def _has_browser() -> bool:
    """A graphical session where opening a browser makes sense (not a server's console)."""
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _finish(
    settings: Settings,
    target: Target,
    oauth: OAuth,
    answer: dict[str, str] | None,
    state: str,
    redirect_uri: str,
    personal: bool,
    flows,
) -> Connected:
    if answer is None:
        raise ConnectFailed("no answer from Fortnox within 10 minutes; run connect again")
    if answer.get("state") != state:
        raise ConnectFailed(
            "the answer does not belong to this connect (its state differs); nothing was changed —"
            " run connect again and use the new link"
        )
    if "error" in answer or not answer.get("code"):
        reason = answer.get("error_description") or answer.get("error") or "no code"
        raise ConnectFailed(f"Fortnox did not give the consent ({reason}); nothing was changed")
    try:
        tokens = oauth.exchange_code(answer["code"], redirect_uri)
        company = _company(target, tokens.access_token)
    except FortnoxError as error:
        raise ConnectFailed(f"Fortnox refused to finish the connection: {error}") from None
    tenant_id = str(company.get("DatabaseNumber", ""))
    _refuse_wrong_company(settings, target, tenant_id, company)
    connection = Connection(
        tenant=target.name or DEFAULT_TENANT,
        tenant_id=tenant_id,
        kind="personal" if personal else "service",
        company=str(company.get("CompanyName", "")),
        organisation_number=str(company.get("OrganizationNumber", "")),
        scopes=tokens.scopes,
        connected_at=datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
    )
    if personal:
        connection = connection.with_tokens(tokens)
    store = token_store(settings)
    store.save(connection)  # a personal refresh token works once: it is on disk before anything else
    path = settings.source or settings.workdir / "bridge.toml"
    record_tenant(
        path,
        target.name,
        tenant_id=tenant_id,
        company=connection.company,
        organisation_number=connection.organisation_number,
    )
    client = _client_for(target, oauth, store, connection)
    try:
        check = check_access(client, target.name, flows, personal=personal)
    except FortnoxError as error:
        raise ConnectFailed(
            f"connected, but Fortnox could not be asked what the company allows: {error}"
        ) from None
    if check.connection is not None:
        raise ConnectFailed(f"{check.connection.message} {check.connection.command}")
    if not personal and check.scopes:
        connection = replace(connection, scopes=check.scopes)
        store.save(connection)  # a service account's token carries the scopes its consent granted
    return Connected(connection, check)


def _company(target: Target, access_token: str) -> dict:
    with FortnoxClient(
        target["fortnox.url"], StaticToken(access_token), timeout=target["fortnox.timeout_seconds"]
    ) as api:
        return api.get("/3/companyinformation").get("CompanyInformation", {})


def _client_for(target: Target, oauth: OAuth, store: TokenStore, connection: Connection) -> FortnoxClient:
    tokens = (
        PersonalToken(oauth, store, connection.tenant)
        if connection.kind == "personal"
        else ClientCredentials(oauth, connection.tenant_id, tenant=connection.tenant)
    )
    return FortnoxClient(target["fortnox.url"], tokens, timeout=target["fortnox.timeout_seconds"])


def _refuse_wrong_company(settings: Settings, target: Target, tenant_id: str, company: dict) -> None:
    """Nothing may land in another company: the consent must be for this one."""
    name = company.get("CompanyName", "?")
    org = company.get("OrganizationNumber", "")
    if not tenant_id:
        raise ConnectFailed(
            "Fortnox did not say which company this is (no DatabaseNumber); nothing was changed"
        )
    known_id, known_org = target["fortnox.tenant_id"], target["fortnox.organisation_number"]
    if not target.new and ((known_id and known_id != tenant_id) or (known_org and org and known_org != org)):
        raise ConnectFailed(
            f"the consent is for {name} ({org}, TenantId {tenant_id}), but {target.label} is"
            f" {target['fortnox.company'] or 'another company'} ({known_org or '?'}, TenantId {known_id or '?'});"
            " nothing was changed — run connect again and pick that company on Fortnox's page"
        )
    for other in settings.tenants if settings.multi_tenant else ():
        if other.name != target.name and str(other["fortnox.tenant_id"]) == tenant_id:
            raise ConnectFailed(
                f"{name} ({org}) is already connected as {other.name!r}; one company has one folder —"
                " nothing was changed"
            )


def logout(settings: Settings, tenant: str | None, *, say: Callable[[str], None] = print) -> bool:
    """Revoke what can be revoked at Fortnox and forget the company's connection here; answers
    whether there was one."""
    target = resolve_target(settings, tenant)
    store = token_store(settings)
    name = target.name or DEFAULT_TENANT
    connection = store.load(name)
    if connection is not None and connection.kind == "personal" and connection.refresh_token:
        oauth = _oauth(target)
        try:
            oauth.revoke(connection.refresh_token)
            say(f"Revoked {target.label}'s personal consent at Fortnox.")
        except FortnoxError as error:
            say(f"Could not revoke at Fortnox ({error}); the consent is forgotten here all the same.")
        finally:
            oauth.close()
    elif connection is not None or target["fortnox.tenant_id"]:
        say(
            f"A service account's consent stays in Fortnox until the company removes the integration"
            f" (Fortnox: Manage integrations); {target.label} is forgotten here."
        )
    forgot = store.forget(name)
    path = settings.source or settings.workdir / "bridge.toml"
    forgot = forget_tenant_id(path, target.name) or forgot
    return forgot
