"""Access tokens for the client: where they come from and when to renew them.

A service account (`ClientCredentials`) asks Fortnox for a token with the client id, the
secret and the company's TenantId whenever it needs one. A personal consent
(`PersonalToken`) holds a refresh token that works exactly once: it is rotated under the
company's lock and the new one is stored before the access token is used.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Protocol

from bridge.fortnox.errors import ConnectionRefused
from bridge.fortnox.oauth import OAuth
from bridge.fortnox.tokenstore import Connection, TokenStore

__all__ = ["ClientCredentials", "CompanyTokens", "PersonalToken", "StaticToken", "TokenSource"]

RENEW_BEFORE = 60.0  # seconds before expiry when a token counts as spent
LOOK_AGAIN_SECONDS = 1.0  # how stale a company's stored connection may be between its calls
# A service account's token is renewed ahead of need at a moment drawn from this many seconds
# before it is spent: companies whose tokens were fetched together do not all renew together.
RENEW_SPREAD = 600.0


class TokenSource(Protocol):
    def access_token(self) -> str: ...

    def invalidate(self, token: str) -> None:
        """The token was refused (401): forget it so the next call gets a new one."""

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes Fortnox granted the latest token; empty when not known."""
        ...


class StaticToken:
    """A token handed to us (tests, `mockfortnox token`); it cannot be renewed."""

    scopes: tuple[str, ...] = ()

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def invalidate(self, token: str) -> None:
        pass


class ClientCredentials:
    """A service account: `client_credentials` grant with the `TenantId` header.

    Tokens live an hour; a new one is fetched a minute before expiry or after a 401. One
    fetch at a time, whatever the number of threads. `tenant_id` may be a function: a company
    connected while the bridge runs is picked up at the next token.
    """

    def __init__(
        self,
        oauth: OAuth,
        tenant_id: str | Callable[[], str],
        *,
        tenant: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.oauth = oauth
        self._tenant_id = tenant_id if callable(tenant_id) else (lambda: str(tenant_id))
        self.tenant = tenant
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._for_tenant_id = ""
        self._expires = 0.0
        self._renew_at = 0.0
        self.scopes: tuple[str, ...] = ()

    def access_token(self) -> str:
        return self._fetch(ahead=False)

    def renew_in(self) -> float | None:
        """Seconds until the token should be renewed ahead of need (None: no token to renew)."""
        if self._token is None:
            return None
        return self._renew_at - self._clock()

    def renew(self) -> None:
        """Renew the token now if it is due (in the background: on the company's worker)."""
        self._fetch(ahead=True)

    def _fetch(self, *, ahead: bool) -> str:
        with self._lock:  # single flight: whoever waits here gets the token the first one fetched
            tenant_id = self._tenant_id()
            if not tenant_id:
                raise ConnectionRefused(
                    f"{self.tenant or 'the company'} is not connected to Fortnox yet", problem="not_connected"
                )
            now = self._clock()
            spent = now > (self._renew_at if ahead else self._expires - RENEW_BEFORE)
            if self._token is None or spent or tenant_id != self._for_tenant_id:
                tokens = self.oauth.client_credentials(tenant_id)
                self._token, self._expires, self.scopes = (
                    tokens.access_token,
                    tokens.expires_at,
                    tokens.scopes,
                )
                spread = min(RENEW_SPREAD, max(tokens.expires_at - now - RENEW_BEFORE, 0.0) / 4)
                self._renew_at = tokens.expires_at - RENEW_BEFORE - random.uniform(0.0, spread)
                self._for_tenant_id = tenant_id
            return self._token

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None


class PersonalToken:
    """A user's consent: an access token renewed with a refresh token that works once.

    The stored connection is read again whenever its file changes, so a refresh made by
    another process (or a `connect` that replaced the consent) is used within a second, and at
    once where it matters: under the company's lock, before its single-use refresh token is spent.
    """

    def __init__(
        self, oauth: OAuth, store: TokenStore, tenant: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.oauth = oauth
        self.store = store
        self.tenant = tenant
        self._clock = clock
        self._refused: set[str] = set()
        self._cache: tuple[object, Connection | None] = (None, None)
        self._looked_at = -LOOK_AGAIN_SECONDS  # time.monotonic() of the last look at the file
        self._writes_seen = -1  # `TokenStore.writes` at that look
        self.refreshes = 0  # refreshes this object made (tests and status)

    @property
    def scopes(self) -> tuple[str, ...]:
        connection = self._connection()
        return connection.scopes if connection else ()

    def access_token(self) -> str:
        connection = self._connection()
        if self._usable(connection):
            return connection.access_token  # type: ignore[union-attr]
        with self.store.locked(self.tenant):
            # Another thread or process may have refreshed meanwhile.
            connection = self._connection(fresh=True)
            if self._usable(connection):
                return connection.access_token  # type: ignore[union-attr]
            return self._refresh(connection).access_token

    def invalidate(self, token: str) -> None:
        self._refused.add(token)

    def _refresh(self, connection: Connection | None) -> Connection:
        if connection is None or connection.kind != "personal":
            raise ConnectionRefused(f"{self.tenant} has no personal consent stored", problem="not_connected")
        if not connection.refresh_token or connection.refresh_expires_at <= self._clock():
            raise ConnectionRefused(
                "the refresh token has expired (it lives 45 days unless used)", problem="consent"
            )
        try:
            tokens = self.oauth.refresh(connection.refresh_token)
        except ConnectionRefused:
            latest = self._connection(fresh=True)
            if latest is not None and latest.refresh_token != connection.refresh_token:
                return latest  # someone refreshed without our lock (an older bridge): theirs is good
            raise
        renewed = connection.with_tokens(tokens)
        self.store.save(renewed)  # the old refresh token is dead: the new one is on disk before use
        self._cache = (self.store.version(self.tenant), renewed)
        self.refreshes += 1
        return renewed

    def _connection(self, *, fresh: bool = False) -> Connection | None:
        """The stored connection; its file is looked at again after `LOOK_AGAIN_SECONDS` (or now,
        `fresh`, or once this process wrote a connection): a look per call was a system call per
        call, hundreds a second in a bureau."""
        now, writes = time.monotonic(), TokenStore.writes
        if not fresh and writes == self._writes_seen and now - self._looked_at < LOOK_AGAIN_SECONDS:
            return self._cache[1]
        self._looked_at, self._writes_seen = now, writes
        version = self.store.version(self.tenant)
        if version is None or version != self._cache[0]:
            self._cache = (version, self.store.load(self.tenant) if version else None)
        return self._cache[1]

    def _usable(self, connection: Connection | None) -> bool:
        return (
            connection is not None
            and connection.kind == "personal"
            and bool(connection.access_token)
            and connection.access_token not in self._refused
            and self._clock() < connection.access_expires_at - RENEW_BEFORE
        )


class CompanyTokens:
    """A company's tokens as `connect` left them: a service account, or a personal consent.

    Follows what another process does: a company connected (or reconnected, or switched
    between personal and service) while the bridge runs is used from its next token on.
    `tenant_id` is the one in the configuration, for a service account connected elsewhere.
    """

    def __init__(self, oauth: OAuth, store: TokenStore, tenant: str, tenant_id: str = "") -> None:
        self.store = store
        self.tenant = tenant
        self._configured = tenant_id
        self.personal = PersonalToken(oauth, store, tenant)
        self.service = ClientCredentials(oauth, self._service_tenant_id, tenant=tenant)

    def _connection(self) -> Connection | None:
        return self.personal._connection()  # read again only when the file changed

    def _service_tenant_id(self) -> str:
        connection = self._connection()
        return connection.tenant_id if connection is not None else self._configured

    def _current(self) -> PersonalToken | ClientCredentials:
        connection = self._connection()
        return self.personal if connection is not None and connection.kind == "personal" else self.service

    @property
    def kind(self) -> str:
        return "personal" if self._current() is self.personal else "service"

    @property
    def scopes(self) -> tuple[str, ...]:
        return self._current().scopes

    def access_token(self) -> str:
        return self._current().access_token()

    def renew_in(self) -> float | None:
        """A service account's token is renewed ahead of need; a personal one when spent (its
        refresh token works once: renewing it more often than needed only adds risk)."""
        current = self._current()
        return current.renew_in() if isinstance(current, ClientCredentials) else None

    def renew(self) -> None:
        current = self._current()
        if isinstance(current, ClientCredentials):
            current.renew()

    def invalidate(self, token: str) -> None:
        self.personal.invalidate(token)
        self.service.invalidate(token)
