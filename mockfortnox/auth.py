"""OAuth 2 as Fortnox runs it: `/oauth-v1/auth` (the consent page), `/oauth-v1/token` (client
credentials, authorization code, refresh), `/oauth-v1/revoke`, bearer tokens on every API
route, scopes per token and licences per tenant.

Tokens look like Fortnox's (a JWT carrying the tenant id) but are checked against the
mock's own registry, so revoking or expiring one takes effect at once.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from flask import Blueprint, Response, g, redirect, render_template, request

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import current_state, json_response
from mockfortnox.state import MockState, Tenant, TokenRecord, User

__all__ = ["ACCESS_TOKEN_LIFETIME", "ALL_SCOPES", "authenticate", "bp", "issue_tokens"]

ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=45)
AUTHORIZATION_CODE_LIFETIME = timedelta(minutes=10)

ALL_SCOPES = (
    "article", "bookkeeping", "archive", "companyinformation", "connectfile", "costcenter",
    "currency", "customer", "inbox", "invoice", "order", "payment", "price", "print", "profile",
    "project", "settings", "supplier", "supplierinvoice",
    # the newer modules (names as Fortnox's scope list gives them)
    "assets", "noxfinansinvoice", "offer", "salary", "timereporting", "warehouse",
)  # fmt: skip

bp = Blueprint("oauth", __name__, template_folder="templates")


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
    return (
        client if client and secrets.compare_digest(client.client_secret.encode(), secret.encode()) else None
    )


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


def issue_tokens(
    state: MockState,
    tenant: Tenant,
    client_id: str,
    scopes: list[str],
    refresh: bool,
    *,
    control: bool = False,
) -> dict:
    now = state.clock.now()
    access = TokenRecord(tenant.id, client_id, scopes, now + ACCESS_TOKEN_LIFETIME, control=control)
    token = _make_jwt(access)
    state.store_token("access_tokens", token, access)
    # Recorded key order: access_token, expires_in, token_type, scope, refresh_token.
    answer = {
        "access_token": token,
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        "token_type": "bearer",
        "scope": " ".join(scopes),
    }
    if refresh:
        refresh_token = secrets.token_urlsafe(32)
        record = TokenRecord(tenant.id, client_id, scopes, now + REFRESH_TOKEN_LIFETIME)
        state.store_token("refresh_tokens", refresh_token, record)
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
        consent = (client.client_id, tenant.id)
        if not client.service_accounts or consent not in state.service_consents:
            return _oauth_error(
                "unauthorized_client", "Client does not allow service account", 400, "text/html"
            )
        # Only what the administrator consented to (a seeded consent: whatever the company licenses).
        granted = state.service_consents[consent]
        scopes = [s for s in ALL_SCOPES if s in tenant.licences] if granted is None else list(granted)
        return json_response(issue_tokens(state, tenant, client.client_id, scopes, refresh=False))
    if grant in ("authorization_code", "refresh_token"):
        store = "codes" if grant == "authorization_code" else "refresh_tokens"
        value = request.form.get("code" if grant == "authorization_code" else "refresh_token", "")
        record = state.store_token(store, value, None)  # single use, whatever happens next
        what = "authorization code" if grant == "authorization_code" else "refresh token"
        if record is None or record.expires_at <= now or record.client_id != client.client_id:
            return _oauth_error("invalid_grant", f"Invalid {what}", 400, "text/html")
        if grant == "authorization_code" and request.form.get("redirect_uri", "") != record.redirect_uri:
            # The exchange repeats the redirect_uri of the consent, character for character.
            return _oauth_error("invalid_grant", "Invalid redirect_uri", 400, "text/html")
        tenant = state.tenant(record.tenant_id)
        if tenant is None:
            return _oauth_error("invalid_grant", "Unknown tenant", 400, "text/html")
        answer = issue_tokens(state, tenant, client.client_id, record.scopes, refresh=record.offline)
        return json_response(answer)
    return _oauth_error("unsupported_grant_type", f"Unsupported grant type {grant!r}", 400, "text/html")


@bp.post("/oauth-v1/revoke")
def revoke():
    """Revoke a refresh token (or an access token); answers whether one was revoked."""
    state = current_state()
    client = _client_from_basic(state)
    if client is None:
        return _oauth_error("invalid_client", "The client credentials are invalid", 401, "text/plain")
    value = request.form.get("token", "")
    hint = request.form.get("token_type_hint", "refresh_token")
    stores = (
        ("refresh_tokens", "access_tokens")
        if hint == "refresh_token"
        else ("access_tokens", "refresh_tokens")
    )
    revoked = False
    for store in stores:
        record = getattr(state, store).get(value)
        if record is not None and record.client_id == client.client_id:
            state.store_token(store, value, None)
            revoked = True
            break
    return json_response({"revoked": revoked})


# --- the consent page -------------------------------------------------------------------


def _consent_error(message: str, status: int = 400) -> Response:
    return Response(
        render_template("consent_error.html", message=message), status=status, mimetype="text/html"
    )


@bp.route("/oauth-v1/auth", methods=["GET", "POST"])
def authorize():
    """The page Fortnox shows a user: log in (a bureau user sees several companies), see which
    application asks for which scopes, pick the company, approve — and go back to the app with
    a code and the app's `state`, unchanged."""
    state = current_state()
    params = request.values
    client = state.clients.get(params.get("client_id", ""))
    if client is None:
        return _consent_error("Okänd klient (client_id).")
    if not client.redirect_uris:
        return _consent_error(
            "Klienten har ingen registrerad redirect_uri och kan inte använda inloggningsflödet."
        )
    redirect_uri = params.get("redirect_uri") or client.redirect_uris[0]
    if redirect_uri not in client.redirect_uris:
        return _consent_error("redirect_uri stämmer inte med den registrerade adressen.")
    scopes = [s for s in params.get("scope", "").split() if s]
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if params.get("response_type") != "code" or not params.get("state") or not scopes or unknown:
        return _back(redirect_uri, {"error": "invalid_request", "state": params.get("state", "")})
    service = params.get("account_type") == "service"
    if service and not client.service_accounts:
        return _consent_error("Client does not allow service account")
    # What the app sent, carried through the login and the consent form (never our own fields).
    carried = {k: v for k, v in params.items() if k in AUTHORIZE_PARAMS}
    user, session = _logged_in(state)
    if state.users and user is None:
        if request.method == "POST" and "username" in request.form:
            user = state.users.get(request.form["username"])
            if user is None or not secrets.compare_digest(
                user.password.encode(), request.form.get("password", "").encode()
            ):
                return _login_page(client, carried, "Fel e-postadress eller lösenord.", 401)
            session = secrets.token_urlsafe(24)
            state.sessions[session] = user.username
            return _consent_page(state, client, scopes, carried, service, user, session)
        return _login_page(client, carried)
    if request.method == "GET" or "decision" not in request.form:
        return _consent_page(state, client, scopes, carried, service, user, session)
    form_token = state.consent_forms.pop(request.form.get("consent_token", ""), None)
    if (
        form_token is None
        or form_token[0] != session
        or form_token[1] != client.client_id
        or form_token[2] < state.clock.now().timestamp()
    ):
        # Not the form this user was shown (another site's, an old one, one used already).
        return _consent_error("Formuläret är ogiltigt eller har gått ut. Börja om från integrationen.", 403)
    if request.form.get("decision") != "allow":
        return _back(redirect_uri, {"error": "access_denied", "state": params["state"]})
    companies = _companies(state, user)
    chosen = request.form.get("tenant", "")
    tenant = next((t for t in companies if str(t.id) == chosen), None)
    if tenant is None and len(companies) == 1 and not chosen:
        tenant = companies[0]
    if tenant is None:
        return _consent_error("Välj ett företag.")
    if service and user is not None and not user.sysadmin:
        return _back(
            redirect_uri,
            {
                "error": "access_denied",
                "error_description": "Only a system administrator can approve a service account",
                "state": params["state"],
            },
        )
    code = secrets.token_urlsafe(24)
    record = TokenRecord(
        tenant.id,
        client.client_id,
        scopes,
        state.clock.now() + AUTHORIZATION_CODE_LIFETIME,
        offline=params.get("access_type") == "offline",
        redirect_uri=params.get("redirect_uri", ""),
        service=service,
    )
    state.store_token("codes", code, record)
    if service:
        state.consent_service(client.client_id, tenant.id, scopes)
    return _back(redirect_uri, {"code": code, "state": params["state"]})


AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "response_type",
    "access_type",
    "account_type",
)
SESSION_COOKIE = "fortnox_login"
CONSENT_FORM_LIFETIME = timedelta(minutes=10)


def _logged_in(state: MockState) -> tuple[User | None, str]:
    session = request.cookies.get(SESSION_COOKIE, "")
    username = state.sessions.get(session)
    return (state.users.get(username) if username else None), session


def _companies(state: MockState, user: User | None) -> list[Tenant]:
    """The companies the user may pick: theirs; with no users at all, every company."""
    tenants = sorted(state.tenants.values(), key=lambda t: t.id)
    return tenants if user is None else [t for t in tenants if t.id in user.tenants]


def _login_page(client, carried: dict, message: str = "", status: int = 200) -> Response:
    page = render_template("login.html", client=client, params=carried, message=message)
    return Response(page, status=status, mimetype="text/html")


def _consent_page(state: MockState, client, scopes, carried, service, user, session) -> Response:
    form_token = secrets.token_urlsafe(24)
    expires = (state.clock.now() + CONSENT_FORM_LIFETIME).timestamp()
    state.consent_forms[form_token] = (session, client.client_id, expires)
    page = render_template(
        "consent.html",
        client=client,
        scopes=scopes,
        tenants=_companies(state, user),
        params=carried,
        service=service,
        user=user,
        consent_token=form_token,
    )
    response = Response(page, mimetype="text/html")
    if session:
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="Lax", path="/oauth-v1")
    return response


def _back(redirect_uri: str, query: dict) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{separator}{urlencode(query)}", code=302)


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
    tenant = state.tenants.get(record.tenant_id)
    if tenant is None:
        return json_response({"message": "unauthorized"}, 401)
    if not tenant.settings.get("api_licence", True):
        raise ApiError("missing_api_licence")
    if scope is not None:
        if scope not in tenant.licences:
            raise ApiError("missing_licence")
        if scope not in record.scopes:
            raise ApiError("missing_scope")
    g.tenant = tenant
    g.token = token_value
    # Fortnox counts the limit per integration and company, not per token: new tokens do not
    # buy a fresh window. A tester's token from the control API counts on its own, so that
    # looking at a company never eats the window of the integration under test.
    g.rate_key = token_value if record.control else f"{record.client_id}\n{tenant.id}"
    return None
