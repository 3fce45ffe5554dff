"""Access tokens for the client: where they come from and when to renew them."""

from __future__ import annotations

import threading
import time
from typing import Protocol

import httpx

from bridge.fortnox.errors import FortnoxError, FortnoxUnreachable
from bridge.util import loads

__all__ = ["ClientCredentials", "StaticToken", "TokenSource"]


class TokenSource(Protocol):
    def access_token(self) -> str: ...

    def invalidate(self, token: str) -> None:
        """The token was refused (401): forget it so the next call gets a new one."""


class StaticToken:
    """A token handed to us (tests, `mockfortnox token`); it cannot be renewed."""

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def invalidate(self, token: str) -> None:
        pass


class ClientCredentials:
    """A service account: `client_credentials` grant with the `TenantId` header.

    Tokens live an hour; a new one is fetched a minute before expiry or after a 401. One
    fetch at a time per tenant, whatever the number of threads.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        tenant_id: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.token_url = token_url
        self._auth = (client_id, client_secret)
        self.tenant_id = str(tenant_id)
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def access_token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() > self._expires - 60:
                self._token, lifetime = self._fetch()
                self._expires = time.monotonic() + lifetime
            return self._token

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> tuple[str, float]:
        try:
            response = self._http.post(
                self.token_url,
                auth=self._auth,
                headers={"TenantId": self.tenant_id},
                data={"grant_type": "client_credentials"},
            )
        except httpx.TransportError as exc:
            raise FortnoxUnreachable(
                f"cannot reach {self.token_url}: {exc}", method="POST", path=self.token_url
            ) from None
        try:
            body = loads(response.content)
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            raise FortnoxError.from_response(response.status_code, body, "POST", self.token_url)
        return body["access_token"], float(body.get("expires_in", 3600))
