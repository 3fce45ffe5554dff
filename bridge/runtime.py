"""Start-up: settings → Fortnox clients (real, or the embedded mock) → a ready `Bridge`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from bridge.config import ConfigError, Settings, TenantSettings
from bridge.fortnox import ClientCredentials, FortnoxClient, Pacer
from bridge.pipeline.service import Bridge

__all__ = ["EMBEDDED_CLIENT", "open_bridge", "token_url_for"]

log = logging.getLogger("bridge")

EMBEDDED_CLIENT = ("demo-client", "demo-secret")
EMBEDDED_DEMO_TENANT = "demo"


def token_url_for(tenant: TenantSettings) -> str:
    if tenant["fortnox.auth_url"]:
        return tenant["fortnox.auth_url"].rstrip("/") + "/token"
    parts = urlsplit(tenant["fortnox.url"])
    if parts.hostname == "api.fortnox.se":
        return "https://apps.fortnox.se/oauth-v1/token"
    return f"{parts.scheme}://{parts.netloc}/oauth-v1/token"


def _client(
    base_url: str, token_url: str, client_id: str, secret: str, tenant_id: str, tenant: TenantSettings
) -> FortnoxClient:
    tokens = ClientCredentials(
        token_url, client_id, secret, tenant_id, timeout=tenant["fortnox.timeout_seconds"]
    )
    pacer = Pacer(limit=tenant["fortnox.requests_per_window"], seconds=5.0)
    return FortnoxClient(base_url, tokens, pacer=pacer, timeout=tenant["fortnox.timeout_seconds"])


@contextmanager
def open_bridge(settings: Settings, *, announce=print) -> Iterator[Bridge]:
    """A bridge with a client per tenant; starts the embedded mock when no Fortnox URL is set."""
    server = None
    clients: dict[str, FortnoxClient] = {}
    try:
        embedded = [t for t in settings.tenants if t.embedded]
        if embedded:
            server = _start_embedded(settings, embedded, announce)
        for tenant in settings.tenants:
            if tenant.embedded and server is not None:  # started above for these
                mock_tenant = _embedded_tenant_name(settings, tenant)
                tenant_id = str(server.app.extensions["mockfortnox"].tenant(mock_tenant).id)
                clients[tenant.name] = _client(
                    server.url, f"{server.url}/oauth-v1/token", *EMBEDDED_CLIENT, tenant_id, tenant
                )
                continue
            missing = [k for k in ("client_id", "client_secret", "tenant_id") if not tenant[f"fortnox.{k}"]]
            if missing:
                keys = ", ".join(f"fortnox.{k} (env FORTNOX_{k.upper()})" for k in missing)
                raise ConfigError(f"tenant {tenant.name!r} talks to {tenant['fortnox.url']} but lacks {keys}")
            clients[tenant.name] = _client(
                tenant["fortnox.url"],
                token_url_for(tenant),
                tenant["fortnox.client_id"],
                tenant["fortnox.client_secret"],
                tenant["fortnox.tenant_id"],
                tenant,
            )
        bridge = Bridge(settings, clients)
        try:
            yield bridge
        finally:
            bridge.close()
    finally:
        for client in clients.values():
            client.close()
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
        f"No Fortnox URL is configured: using the embedded mock Fortnox at {server.url} "
        f"(demo company; its data is kept in {state_file})."
    )
    return server
