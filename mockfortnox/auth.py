"""OAuth 2 as Fortnox runs it: `/oauth-v1/token` (client credentials, authorization code,
refresh), bearer tokens on every API route, scopes per token and licences per tenant.

Tokens look like Fortnox's (a JWT carrying the tenant id) but are checked against the
mock's own registry, so revoking or expiring one takes effect at once.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import timedelta

from flask import Blueprint, Response, g, request

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import current_state, json_response
from mockfortnox.state import MockState, Tenant, TokenRecord

__all__ = ["ACCESS_TOKEN_LIFETIME", "ALL_SCOPES", "authenticate", "bp", "issue_tokens"]

ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=45)
AUTHORIZATION_CODE_LIFETIME = timedelta(minutes=10)

ALL_SCOPES = (
    "article", "bookkeeping", "archive", "companyinformation", "connectfile", "costcenter",
    "currency", "customer", "inbox", "invoice", "payment", "price", "print", "profile",
    "project", "settings", "supplier", "supplierinvoice",
)  # fmt: skip

bp = Blueprint("oauth", __name__)


def _oauth_error(error: str, description: str, status: int, mimetype: str) -> Response:
    # Recorded: Fortnox labels these JSON bodies text/html (invalid_grant) and text/plain
    # (invalid_client); we copy that, odd as it is.
    body = json.dumps({"error": error, "error_description": description})
    return Response(body, status=status, mimetype=mimetype)


def _client_from_basic(state: MockState):
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client = state.clients.get(client_id)
    return client if client and secrets.compare_digest(client.client_secret, secret) else None


def _make_jwt(record: TokenRecord) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {
        "tenantId": record.tenant_id,
        "clientId": record.client_id,
        "scope": " ".join(record.scopes),
        "exp": int(record.expires_at.timestamp()),
        "jti": secrets.token_hex(8),
    }
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(32)}"


def issue_tokens(state: MockState, tenant: Tenant, client_id: str, scopes: list[str], refresh: bool) -> dict:
    now = state.clock.now()
    access = TokenRecord(tenant.id, client_id, scopes, now + ACCESS_TOKEN_LIFETIME)
    token = _make_jwt(access)
    with state.lock:
        state.access_tokens[token] = access
    # Recorded key order: access_token, expires_in, token_type, scope, refresh_token.
    answer = {
        "access_token": token,
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        "token_type": "bearer",
        "scope": " ".join(scopes),
    }
    if refresh:
        refresh_token = secrets.token_urlsafe(32)
        with state.lock:
            state.refresh_tokens[refresh_token] = TokenRecord(
                tenant.id, client_id, scopes, now + REFRESH_TOKEN_LIFETIME
            )
        answer["refresh_token"] = refresh_token
    return answer


@bp.post("/oauth-v1/token")
def token():
    state = current_state()
    client = _client_from_basic(state)
    if client is None:
        return _oauth_error("invalid_client", "The client credentials are invalid", 401, "text/plain")
    grant = request.form.get("grant_type", "")
    now = state.clock.now()
    if grant == "client_credentials":
        tenant = state.tenant(request.headers.get("TenantId", ""))
        if tenant is None:
            return _oauth_error("invalid_request", "Unknown TenantId", 400, "text/html")
        if not client.service_accounts:
            return _oauth_error(
                "unauthorized_client", "Client does not allow service account", 400, "text/html"
            )
        scopes = [s for s in ALL_SCOPES if s in tenant.licences]
        return json_response(issue_tokens(state, tenant, client.client_id, scopes, refresh=False))
    if grant in ("authorization_code", "refresh_token"):
        store = state.codes if grant == "authorization_code" else state.refresh_tokens
        value = request.form.get("code" if grant == "authorization_code" else "refresh_token", "")
        with state.lock:
            record = store.pop(value, None)  # single use, whatever happens next
        if record is None or record.expires_at <= now or record.client_id != client.client_id:
            what = "authorization code" if grant == "authorization_code" else "refresh token"
            return _oauth_error("invalid_grant", f"Invalid {what}", 400, "text/html")
        tenant = state.tenant(record.tenant_id)
        if tenant is None:
            return _oauth_error("invalid_grant", "Unknown tenant", 400, "text/html")
        return json_response(issue_tokens(state, tenant, client.client_id, record.scopes, refresh=True))
    return _oauth_error("unsupported_grant_type", f"Unsupported grant type {grant!r}", 400, "text/html")


def authenticate(state: MockState, scope: str | None) -> Response | None:
    """Check the bearer token of an API request; on success sets `g.tenant` and `g.token`."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        if request.headers.get("Access-Token") or request.headers.get("Client-Secret"):
            raise ApiError("legacy_credentials")  # the pre-2025 headers are switched off
        return json_response({"message": "unauthorized"}, 401)
    token_value = header[7:].strip()
    record = state.access_tokens.get(token_value)
    if record is None or record.expires_at <= state.clock.now():
        return json_response({"message": "unauthorized"}, 401)
    tenant = state.tenant(record.tenant_id)
    if tenant is None:
        return json_response({"message": "unauthorized"}, 401)
    if scope is not None:
        if scope not in tenant.licences:
            raise ApiError("missing_licence")
        if scope not in record.scopes:
            raise ApiError("missing_scope")
    g.tenant = tenant
    g.token = token_value
    return None
