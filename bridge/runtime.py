"""Start-up: settings → Fortnox clients (real, or the embedded mock) → a ready `Bridge`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from bridge.config import ConfigError, Settings, TenantSettings
from bridge.fortnox import ClientCredentials, CompanyTokens, FortnoxClient, OAuth, Pacer, TokenStore
from bridge.fortnox.oauth import oauth_base_for
from bridge.fortnox.scopes import flows_named
from bridge.fortnox.topics import FORTNOX_TOPICS_URL
from bridge.fortnox.transport import SharedTransport
from bridge.pipeline.live import live_exports
from bridge.pipeline.service import Bridge
from bridge.util.i18n import _

__all__ = ["EMBEDDED_CLIENT", "fortnox_client", "open_bridge", "topics_url_for"]

log = logging.getLogger("bridge")

EMBEDDED_CLIENT = ("demo-client", "demo-secret")
EMBEDDED_DEMO_TENANT = "demo"
CONNECTIONS_BEYOND_WORKERS = 8  # calls outside the pool's turns: the live listener, exports, `process`


def _pacer(tenant: TenantSettings) -> Pacer:
    return Pacer(limit=tenant["fortnox.requests_per_window"], seconds=5.0)


def _embedded_client(
    url: str, tenant_id: str, tenant: TenantSettings, transport: SharedTransport | None = None
) -> FortnoxClient:
    timeout = tenant["fortnox.timeout_seconds"]
    oauth = OAuth(f"{url}/oauth-v1", *EMBEDDED_CLIENT, timeout=timeout, transport=transport)
    tokens = ClientCredentials(oauth, tenant_id, tenant=tenant.name)
    return FortnoxClient(url, tokens, pacer=_pacer(tenant), timeout=timeout, transport=transport)


def fortnox_client(
    settings: Settings, tenant: TenantSettings, transport: SharedTransport | None = None
) -> FortnoxClient:
    """The client of a company in the real Fortnox (or a mock served elsewhere), with the tokens
    `connect` left for it. Raises ConfigError when the settings cannot work; a company not
    connected yet is no error: its files wait until it is."""
    missing = [k for k in ("client_id", "client_secret") if not tenant[f"fortnox.{k}"]]
    if missing:
        keys = " and ".join(f"fortnox.{k} (env FORTNOX_{k.upper()})" for k in missing)
        raise ConfigError(
            f"{tenant.name!r} talks to {tenant['fortnox.url']} but lacks {keys}: the integration's client"
            " id and secret from Fortnox's Developer Portal"
        )
    try:
        flows_named(tenant["fortnox.flows"])
    except ValueError as exc:
        raise ConfigError(f"fortnox.flows of {tenant.name!r}: {exc}") from None
    store = TokenStore.in_state(settings.state_dir)
    connection = store.load(tenant.name)
    configured = str(tenant["fortnox.tenant_id"])
    if connection is not None and configured and connection.tenant_id != configured:
        raise ConfigError(
            f"bridge.toml gives {tenant.name!r} the TenantId {configured}, but it was connected to"
            f" {connection.company or 'another company'} (TenantId {connection.tenant_id}); run"
            f" `fortnox-bridge connect --tenant {tenant.name}` again, or correct bridge.toml"
        )
    timeout = tenant["fortnox.timeout_seconds"]
    oauth = OAuth(
        oauth_base_for(tenant["fortnox.url"], tenant["fortnox.auth_url"]),
        tenant["fortnox.client_id"],
        tenant["fortnox.client_secret"],
        timeout=timeout,
        transport=transport,
    )
    tokens = CompanyTokens(oauth, store, tenant.name, configured)
    return FortnoxClient(
        tenant["fortnox.url"], tokens, pacer=_pacer(tenant), timeout=timeout, transport=transport
    )


def topics_url_for(tenant: TenantSettings) -> str:
    """Where the company's live changes come from (Fortnox serves them on a host of their own)."""
    if tenant["live.url"]:
        return str(tenant["live.url"])
    if urlsplit(tenant["fortnox.url"]).hostname == "api.fortnox.se":
        return FORTNOX_TOPICS_URL
    raise ConfigError(
        f"tenant {tenant.name!r} has live.enabled but talks to {tenant['fortnox.url']}: "
        "say where its topics are with live.url (env FORTNOX_LIVE_URL)"
    )


@contextmanager
def open_bridge(
    settings: Settings, *, announce=print, full_check: bool = False, rebuilding: bool = False
) -> Iterator[Bridge]:
    """A bridge with a client per tenant; starts the embedded mock when no Fortnox URL is set.
    Settings that cannot work raise ConfigError before anything starts; a ledger in doubt,
    LedgerTrouble (`full_check`, `rebuilding`: see `Bridge`)."""
    server = None
    clients: dict[str, FortnoxClient] = {}
    topics: dict[str, tuple[str, str]] = {}  # company -> its topics' address, the integration's secret
    # Every company's calls share one pool of connections, a few more than the workers that send.
    shared = SharedTransport(settings["watch.workers"] + CONNECTIONS_BEYOND_WORKERS)
    try:
        for tenant in settings.tenants:
            live_exports(settings, tenant.name)  # an unknown live export is a configuration error now
            if not tenant.embedded:
                clients[tenant.name] = fortnox_client(settings, tenant, shared)
                if tenant["live.enabled"]:
                    topics[tenant.name] = (topics_url_for(tenant), tenant["fortnox.client_secret"])
        embedded = [t for t in settings.tenants if t.embedded]
        if embedded:
            server = _start_embedded(settings, embedded, announce)
        for tenant in embedded:
            assert server is not None  # started above for these
            mock_tenant = _embedded_tenant_name(settings, tenant)
            tenant_id = str(server.app.extensions["mockfortnox"].tenant(mock_tenant).id)
            clients[tenant.name] = _embedded_client(server.url, tenant_id, tenant, shared)
            topics[tenant.name] = (tenant["live.url"] or server.topics.url, EMBEDDED_CLIENT[1])
        bridge = Bridge(settings, clients, topics=topics, full_check=full_check, rebuilding=rebuilding)
        try:
            yield bridge
        finally:
            bridge.close()
    finally:
        for client in clients.values():
            client.close()
        shared.close_shared()
        if server is not None:
            server.stop()


def _embedded_tenant_name(settings: Settings, tenant: TenantSettings) -> str:
    return tenant.name if settings.multi_tenant else EMBEDDED_DEMO_TENANT


def _start_embedded(settings: Settings, tenants: list[TenantSettings], announce):
    from mockfortnox.app import create_app
    from mockfortnox.seed import DEMO_SEED, load_seed, seed_tenant
    from mockfortnox.server import MockServer

    state_file = settings.state_dir / "mock-state.json"
    app = create_app(
        {"MOCK_SEEDS": [DEMO_SEED], "MOCK_STATE_FILE": str(state_file), "MOCK_RATE_LIMIT": "25/5s"}
    )
    state = app.extensions["mockfortnox"]
    with app.app_context():
        demo = load_seed(DEMO_SEED)["tenants"][0]
        for tenant in tenants:
            name = _embedded_tenant_name(settings, tenant)
            if state.tenant(name) is None:
                seed_tenant(state, demo, name=name, tenant_id=state.new_tenant_id())
        state.save(state_file)
    server = MockServer(app).start()
    announce(
        _(
            "No Fortnox URL is configured: using the embedded mock Fortnox at %(url)s "
            "(demo company; its data is kept in %(state)s)."
        )
        % {"url": server.url, "state": state_file}
    )
    return server
