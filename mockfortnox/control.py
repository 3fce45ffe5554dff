"""The test control API under `/mock/`: what makes the mock a test tool rather than a toy.

Not part of Fortnox; nothing here needs a token. Never expose a mock on a public network.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from bridge.jsonnum import loads
from mockfortnox.auth import ALL_SCOPES, issue_tokens
from mockfortnox.resources.common import current_state, json_response
from mockfortnox.seed import DEMO_SEED, apply_seed, load_seed, seed_tenant

bp = Blueprint("control", __name__, url_prefix="/mock")


def _body() -> dict:
    raw = request.get_data()
    return loads(raw) if raw.strip() else {}


def _tenant_summary(tenant) -> dict:
    return {"id": tenant.id, "name": tenant.name, "company": tenant.company.get("CompanyName", "")}


@bp.post("/reset")
def reset():
    """Back to the state the server started with; `{"empty": true}` clears everything."""
    state = current_state()
    state.reset()
    if not _body().get("empty"):
        for seed in current_app.config["MOCK_SEEDS"]:
            apply_seed(state, seed)
    return json_response({"tenants": [_tenant_summary(t) for t in state.tenants.values()]})


@bp.post("/seed")
def seed():
    """Add the clients and tenants of a JSON seed (the same format as `--seed FILE.json`)."""
    tenants = apply_seed(current_state(), _body())
    return json_response({"tenants": [_tenant_summary(t) for t in tenants]}, 201)


@bp.get("/tenants")
def tenants():
    return json_response({"tenants": [_tenant_summary(t) for t in current_state().tenants.values()]})


@bp.post("/tenants")
def create_tenant():
    """A new company from the demo seed (default) or from `{"seed": {...tenant spec...}}`."""
    body = _body()
    state = current_state()
    spec = body.get("seed", DEMO_SEED)
    if spec == DEMO_SEED:
        demo = load_seed(DEMO_SEED)
        for item in demo.get("clients", []):
            apply_seed(state, {"clients": [item]})
        spec = demo["tenants"][0]
    tenant = seed_tenant(
        state, spec, name=body.get("name"), tenant_id=body.get("id") or state.new_tenant_id()
    )
    client = next(iter(state.clients.values()), None)
    credentials = {"client_id": client.client_id, "client_secret": client.client_secret} if client else {}
    return json_response(
        {**_tenant_summary(tenant), "credentials": {**credentials, "tenant_id": tenant.id}}, 201
    )


@bp.post("/tokens")
def token_for_tenant():
    """A ready access token for a tenant (by id or name), as a client-credentials grant gives."""
    body = _body()
    state = current_state()
    tenant = state.tenant(body.get("tenant", ""))
    if tenant is None:
        return json_response({"error": f"no tenant {body.get('tenant')!r}"}, 404)
    scopes = body.get("scopes") or [s for s in ALL_SCOPES if s in tenant.licences]
    client_id = body.get("client_id") or next(iter(state.clients), "mock")
    return json_response(
        issue_tokens(state, tenant, client_id, list(scopes), refresh=bool(body.get("refresh")))
    )


@bp.get("/state")
def dump_state():
    state = current_state()
    ref = request.args.get("tenant")
    if ref:
        tenant = state.tenant(ref)
        if tenant is None:
            return json_response({"error": f"no tenant {ref!r}"}, 404)
        with tenant.lock:
            return json_response(tenant.to_json())
    return json_response(state.snapshot())
