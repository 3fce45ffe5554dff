"""The test control API under `/mock/`: what makes the mock a test tool rather than a toy.

Not part of Fortnox; nothing here needs a token. Never expose a mock on a public network.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Blueprint, current_app, request

from bridge.util import dumps, loads
from mockfortnox import __version__, requestlog
from mockfortnox.auth import ALL_SCOPES, issue_tokens
from mockfortnox.errors import ApiError
from mockfortnox.faults import FaultRule
from mockfortnox.resources.common import current_state, json_response
from mockfortnox.seed import (
    DEMO_SEED,
    add_user,
    apply_seed,
    consent_all_service_clients,
    load_seed,
    seed_tenant,
)
from mockfortnox.sie_seed import tenant_name_for, tenant_spec_from_sie
from mockfortnox.state import TOKEN_STORES, Tenant

bp = Blueprint("control", __name__, url_prefix="/mock")


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@bp.errorhandler(ControlError)
def control_error(error: ControlError):
    return json_response({"error": str(error)}, error.status)


def _body() -> dict:
    raw = request.get_data()
    try:
        body = loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise ControlError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


_KIND_WORDS = {list: "a list", bool: "true or false", dict: "an object", str: "a string", int: "a number"}


def _check_shape(body: dict, fields: dict[str, type | tuple[type, ...]]) -> None:
    """Each named field, when present, of its kind; a 400 naming the field otherwise."""
    for name, kind in fields.items():
        if name not in body:
            continue
        value = body[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            words = " or ".join("null" if k is type(None) else _KIND_WORDS.get(k, k.__name__) for k in kinds)
            raise ControlError(f'"{name}" must be {words}, not {dumps(value)[:40]}')


def _tenant(ref: object) -> Tenant:
    tenant = current_state().tenant(str(ref or ""))
    if tenant is None:
        raise ControlError(f"no tenant {ref!r}", 404)
    return tenant


def _tenant_summary(tenant: Tenant) -> dict:
    return {"id": tenant.id, "name": tenant.name, "company": tenant.company.get("CompanyName", "")}


def reset_to_seeds(*, empty: bool = False):
    """Every company as seeded (or none), every token gone."""
    state = current_state()
    state.reset()
    if not empty:
        for seed in current_app.config["MOCK_SEEDS"]:
            apply_seed(state, seed)
    return state


@bp.post("/reset")
def reset():
    """Back to the state the server started with; `{"empty": true}` clears everything. Every
    access and refresh token is invalid afterwards, and the answer says so."""
    state = reset_to_seeds(empty=bool(_body().get("empty")))
    return json_response(
        {
            "tenants": [_tenant_summary(t) for t in state.tenants.values()],
            "tokens": "invalidated: every access and refresh token issued before the reset answers 401; "
            "get new ones (POST /mock/tokens, or the OAuth flow)",
        }
    )


@bp.post("/seed")
def seed():
    """Add the clients and tenants of a JSON seed (the same format as `--seed FILE.json`)."""
    try:
        tenants = apply_seed(current_state(), _body())
    except (ApiError, ValueError, KeyError, TypeError) as exc:
        raise ControlError(f"bad seed: {getattr(exc, 'message', exc)}") from None
    return json_response({"tenants": [_tenant_summary(t) for t in tenants]}, 201)


@bp.get("/tenants")
def tenants():
    return json_response({"tenants": [_tenant_summary(t) for t in current_state().tenants.values()]})


@bp.post("/tenants")
def create_tenant():
    """A new company: from the demo seed (default), from `{"seed": {...tenant spec...}}`, or
    from an uploaded SIE file (multipart field `file`, optional form fields `name` and `id`:
    its chart, years, objects, opening balances and vouchers); answers its id and ready
    credentials."""
    state = current_state()
    if request.files:
        body, spec = _sie_upload()
    else:
        body = _body()
        spec = body.get("seed", DEMO_SEED)
    if spec == DEMO_SEED or request.files:  # ready to use: with the demo company's OAuth client
        demo = load_seed(DEMO_SEED)
        for item in demo.get("clients", []):
            if item["client_id"] not in state.clients:
                apply_seed(state, {"clients": [item]})
        if spec == DEMO_SEED:
            spec = demo["tenants"][0]
    if not isinstance(spec, dict):
        raise ControlError('"seed" must be "demo" or a tenant spec object')
    try:
        tenant = seed_tenant(
            state, spec, name=body.get("name"), tenant_id=body.get("id") or state.new_tenant_id()
        )
    except (ApiError, ValueError, KeyError, TypeError) as exc:
        raise ControlError(f"bad seed: {getattr(exc, 'message', exc)}") from None
    consent_all_service_clients(state, tenant)
    client = next(iter(state.clients.values()), None)
    credentials = {"client_id": client.client_id, "client_secret": client.client_secret} if client else {}
    return json_response(
        {**_tenant_summary(tenant), "credentials": {**credentials, "tenant_id": tenant.id}}, 201
    )


def _sie_upload() -> tuple[dict, dict]:
    upload = request.files.get("file")
    if upload is None:
        raise ControlError('send the SIE file in the multipart field "file"')
    form = {k: v for k, v in request.form.items() if v}
    if "id" in form:
        if not form["id"].isdigit():
            raise ControlError('"id" must be a number')
        form["id"] = int(form["id"])
    try:
        spec = tenant_spec_from_sie(upload.read(), name=form.get("name") or tenant_name_for(upload.filename))
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    if "id" not in form and spec.get("id") and current_state().tenant(spec["id"]) is None:
        form["id"] = spec["id"]  # keep the file's #FNR when it is free
    return form, spec


@bp.patch("/tenants/<ref>")
def change_tenant(ref: str):
    """Change what a test needs: `licences`, `api_licence`, `locked_period` (a date or null),
    `company` fields."""
    tenant = _tenant(ref)
    body = _body()
    _check_shape(
        body, {"licences": list, "api_licence": bool, "locked_period": (str, type(None)), "company": dict}
    )
    if "licences" in body and not all(isinstance(s, str) for s in body["licences"]):
        raise ControlError('"licences" must be a list of licence names (strings)')
    if body.get("locked_period"):
        try:
            date.fromisoformat(body["locked_period"])
        except ValueError:
            raise ControlError('"locked_period" must be a date (YYYY-MM-DD) or null') from None
    with tenant.lock:
        if "licences" in body:
            tenant.licences = [str(s) for s in body["licences"]]
        if "api_licence" in body:
            tenant.settings["api_licence"] = bool(body["api_licence"])
        if "locked_period" in body:
            tenant.settings["LockedPeriodEnd"] = body["locked_period"] or None
        tenant.company.update(body.get("company") or {})
    current_state().needs_snapshot = True
    return json_response(
        {**_tenant_summary(tenant), "licences": tenant.licences, "settings": tenant.settings}
    )


@bp.post("/users")
def create_user():
    """A login for the consent page: `{"username", "password", "name", "sysadmin", "tenants":
    [names or ids]}` (a bureau user lists several companies)."""
    try:
        user = add_user(current_state(), _body())
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return json_response({"username": user.username, "sysadmin": user.sysadmin, "tenants": user.tenants}, 201)


@bp.post("/tokens")
def token_for_tenant():
    """A ready access token for a tenant (by id or name), as a client-credentials grant gives."""
    body = _body()
    _check_shape(body, {"tenant": (str, int), "scopes": list, "client_id": str, "refresh": bool})
    if not all(isinstance(s, str) for s in body.get("scopes") or []):
        raise ControlError('"scopes" must be a list of scope names (strings)')
    state = current_state()
    tenant = _tenant(body.get("tenant"))
    scopes = body.get("scopes") or [s for s in ALL_SCOPES if s in tenant.licences]
    client_id = body.get("client_id") or next(iter(state.clients), "mock")
    return json_response(
        issue_tokens(state, tenant, client_id, list(scopes), refresh=bool(body.get("refresh")), control=True)
    )


@bp.get("/state")
def dump_state():
    ref = request.args.get("tenant")
    if ref:
        tenant = _tenant(ref)
        with tenant.lock:
            return json_response(tenant.to_json())
    return json_response(without_secrets(current_state().snapshot()))


def without_secrets(snapshot: dict) -> dict:
    """The state as `/mock/state` shows it: client secrets masked, and the tokens described
    (whose, which scopes, until when) but not given: whoever reads the state cannot act as a
    client or a company with it."""
    shown = dict(snapshot)
    shown["clients"] = [{**c, "client_secret": "***"} for c in snapshot.get("clients", [])]
    shown["users"] = [{**u, "password": "***"} for u in snapshot.get("users", [])]
    for store in TOKEN_STORES:
        shown[store] = [
            {k: v for k, v in record.items() if k != "redirect_uri" or store == "codes"}
            for record in snapshot.get(store, {}).values()
        ]
    return shown


@bp.post("/faults")
def set_faults():
    """Replace the fault rules: `{"rules": [...], "seed": 42}` (see `mockfortnox.faults`)."""
    body = _body()
    _check_shape(body, {"rules": list, "seed": (int, type(None))})
    try:
        rules = [FaultRule.from_json(r) for r in body.get("rules", [])]
    except (TypeError, ValueError) as exc:
        raise ControlError(f"bad fault rule: {exc}") from None
    current_app.extensions["mockfortnox.faults"].set(rules, body.get("seed"))
    return json_response({"rules": [r.to_json() for r in rules]}, 201)


@bp.get("/faults")
def list_faults():
    return json_response({"rules": [r.to_json() for r in current_app.extensions["mockfortnox.faults"].rules]})


@bp.delete("/faults")
def clear_faults():
    current_app.extensions["mockfortnox.faults"].clear()
    return json_response({"rules": []})


@bp.get("/requests")
def request_log():
    """The exchanges, oldest first, with headers and bodies (secrets masked): filtered by
    `?method=`, `?path=` (prefix), `?status=` (404 or 4xx), `?tenant=`, `?since=`/`?until=`
    (ISO times) and `?after=` (sequence number); `?format=har` answers a HAR 1.2 file."""
    log = current_app.extensions["mockfortnox.requests"]
    ref = request.args.get("tenant")
    try:
        filters = requestlog.parse_filters(request.args, _tenant(ref).id if ref else None)
    except requestlog.FilterError as exc:
        raise ControlError(str(exc)) from None
    entries = [e for e in log.entries() if requestlog.matches(e, filters)]
    if request.args.get("format") == "har":
        document = requestlog.har(entries, log.body_limit, __version__)
        return json_response(
            document, headers={"Content-Disposition": "attachment; filename=mockfortnox.har"}
        )
    return json_response({"requests": [requestlog.view(e, log.body_limit) for e in entries]})


@bp.delete("/requests")
def clear_request_log():
    current_app.extensions["mockfortnox.requests"].clear()
    return json_response({"requests": []})


@bp.route("/clock", methods=["GET", "POST"])
def clock():
    """`{"freeze": true | "2026-01-31T12:00:00+00:00"}`, `{"advance": seconds}`, `{"unfreeze": true}`."""
    state_clock = current_state().clock
    body = _body() if request.method == "POST" else {}
    _check_shape(body, {"advance": (int, Decimal), "unfreeze": bool, "freeze": (bool, str)})
    if body.get("unfreeze"):
        state_clock.unfreeze()
    if body.get("freeze"):
        freeze = body["freeze"]
        try:
            at = None if freeze is True else datetime.fromisoformat(str(freeze))
        except ValueError:
            raise ControlError("freeze takes true or an ISO 8601 time") from None
        state_clock.freeze(at if at is None or at.tzinfo else at.replace(tzinfo=UTC))
    if "advance" in body:
        if abs(body["advance"]) > 100 * 366 * 86_400:
            raise ControlError('"advance" must be seconds within a hundred years')
        state_clock.advance(float(body["advance"]))
    return json_response({"now": state_clock.now().isoformat(), "frozen": state_clock.frozen is not None})
