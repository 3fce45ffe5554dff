"""Fortnox's OAuth endpoints, as its pages "Get Authorization-Code", "Get Access-Token",
"Get Refresh-Token" and "Get Access-Token using Client-Credentials" describe them.

`/oauth-v1/auth` is the consent page a person opens; `/oauth-v1/token` exchanges a code,
rotates a refresh token, or gives a service account its token (client id and secret as HTTP
Basic, form-encoded body); `/oauth-v1/revoke` withdraws a token. A refusal that only a person
can mend (a wrong secret, a revoked consent, a used or expired refresh token) is a
`ConnectionRefused`; an outage is a `FortnoxUnreachable` as for any other call.
"""

from __future__ import annotations

import time
from base64 import b64encode
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from bridge import __version__
from bridge.fortnox.errors import ConnectionRefused, FortnoxError, FortnoxUnreachable
from bridge.fortnox.transport import Transport, Unanswered, Unsent, transport_for
from bridge.util import loads

if TYPE_CHECKING:
    import httpx

__all__ = ["FORTNOX_OAUTH", "OAuth", "Tokens", "oauth_base_for"]

FORTNOX_OAUTH = "https://apps.fortnox.se/oauth-v1"

# RFC 6749 error codes, sorted by who can mend them. Anything else is our mistake or an outage.
_NEEDS_SECRET = {"invalid_client"}
_NEEDS_CONSENT = {"invalid_grant", "unauthorized_client", "access_denied", "invalid_request", "invalid_scope"}


def oauth_base_for(api_url: str, auth_url: str = "") -> str:
    """Where the OAuth endpoints live: `auth_url` when set; Fortnox's own beside its API;
    otherwise beside the API (the mock serves both)."""
    if auth_url:
        return auth_url.rstrip("/")
    parts = urlsplit(api_url)
    if parts.hostname == "api.fortnox.se":
        return FORTNOX_OAUTH
    return f"{parts.scheme}://{parts.netloc}/oauth-v1"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    issued_at: float  # seconds since the epoch: tokens outlive the process that asked
    expires_at: float
    scopes: tuple[str, ...]
    refresh_token: str | None = None


class OAuth:
    """The OAuth side of one Fortnox integration (its client id and secret)."""

    def __init__(
        self,
        base: str,
        client_id: str,
        client_secret: str,
        *,
        transport: Transport | httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base = base.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._timeout = timeout
        self._transport = transport_for(transport)
        basic = b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._headers = {
            "Authorization": f"Basic {basic}",  # the client id and secret, as HTTP Basic
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": f"fortnox-bridge/{__version__}",
        }

    def close(self) -> None:
        self._transport.close()

    def authorize_url(
        self, *, redirect_uri: str, scopes: Iterable[str], state: str, service: bool = True
    ) -> str:
        """The consent page's address. `service` asks for a service account (only a system
        administrator of the company can approve); without it the consent is the user's own."""
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "access_type": "offline",
            "response_type": "code",
        }
        if service:
            query["account_type"] = "service"
        return f"{self.base}/auth?{urlencode(query, quote_via=quote)}"  # spaces as %20, as Fortnox shows

    def exchange_code(self, code: str, redirect_uri: str) -> Tokens:
        """The code from the consent page → tokens; `redirect_uri` must be the one the consent
        page was opened with."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return self._tokens(self._post("/token", form))

    def refresh(self, refresh_token: str) -> Tokens:
        """A new access token and a new refresh token; the old refresh token is dead from now on."""
        return self._tokens(
            self._post("/token", {"grant_type": "refresh_token", "refresh_token": refresh_token})
        )

    def client_credentials(self, tenant_id: str) -> Tokens:
        """A service account's token for the company `tenant_id` (its DatabaseNumber)."""
        answer = self._post("/token", {"grant_type": "client_credentials"}, {"TenantId": str(tenant_id)})
        return self._tokens(answer)

    def revoke(self, token: str, hint: str = "refresh_token") -> bool:
        answer = self._post("/revoke", {"token": token, "token_type_hint": hint})
        return bool(answer.get("revoked"))

    def _tokens(self, answer: dict[str, Any]) -> Tokens:
        now = self._clock()
        return Tokens(
            access_token=str(answer["access_token"]),
            issued_at=now,
            expires_at=now + float(answer.get("expires_in", 3600)),
            scopes=tuple(str(answer.get("scope", "")).split()),
            refresh_token=answer.get("refresh_token"),
        )

    def _post(self, path: str, form: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, Any]:
        url = self.base + path
        try:
            response = self._transport.send(
                "POST", url, {**self._headers, **(headers or {})}, urlencode(form).encode(), self._timeout
            )
        except (Unsent, Unanswered) as failure:
            raise FortnoxUnreachable(f"cannot reach {url}: {failure}", method="POST", path=url) from None
        try:
            body = loads(response.content)  # Fortnox labels these JSON bodies text/html or text/plain
        except ValueError:
            body = None
        if response.status == 200 and isinstance(body, dict) and ("access_token" in body or path != "/token"):
            return body
        error = body.get("error") if isinstance(body, dict) else None
        description = (body.get("error_description") if isinstance(body, dict) else None) or error
        if error in _NEEDS_SECRET or error in _NEEDS_CONSENT:
            problem = "secret" if error in _NEEDS_SECRET else "consent"
            raise ConnectionRefused(
                f"{description} ({error})",
                problem=problem,
                status=response.status,
                body=body,
                method="POST",
                path=url,
            )
        raise FortnoxError.from_response(response.status, body, "POST", url)
