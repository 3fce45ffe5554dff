"""What the bridge knows about each company's connection, in one small file per company.

`<state>/connections/<tenant>.json`, mode 0600 in a 0700 folder, always replaced whole
(write, fsync, rename): a reader sees the old connection or the new one, never half. It holds
the company (TenantId, name, organisation number), the kind of consent, the scopes granted,
and for a personal consent its tokens. A refresh token is single use, so the new one is on
disk before the access token that came with it is used; `locked` makes a refresh one at a
time per company across threads and processes.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bridge.fortnox.oauth import Tokens
from bridge.util import atomic_write, dumps, loads

__all__ = ["REFRESH_TOKEN_LIFETIME", "Connection", "TokenStore"]

REFRESH_TOKEN_LIFETIME = 45 * 24 * 3600  # seconds; Fortnox: "valid for 45 days", single use


@dataclass(frozen=True)
class Connection:
    tenant: str  # the bridge's name for the company (`[tenants.NAME]`)
    tenant_id: str  # Fortnox's TenantId = the company's DatabaseNumber
    kind: str  # "service" (client credentials) or "personal" (a user's refresh token)
    company: str = ""
    organisation_number: str = ""
    scopes: tuple[str, ...] = ()
    connected_at: str = ""
    access_token: str = field(default="", repr=False)
    access_expires_at: int = 0  # seconds since the epoch, whole: the JSON here holds no floats
    refresh_token: str = field(default="", repr=False)
    refresh_expires_at: int = 0

    def with_tokens(self, tokens: Tokens) -> Connection:
        """The connection after a code exchange or a refresh: a new refresh token lives 45 days."""
        return replace(
            self,
            access_token=tokens.access_token,
            access_expires_at=int(tokens.expires_at),
            refresh_token=tokens.refresh_token or self.refresh_token,
            refresh_expires_at=int(tokens.issued_at + REFRESH_TOKEN_LIFETIME)
            if tokens.refresh_token
            else self.refresh_expires_at,
            scopes=tokens.scopes or self.scopes,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Connection:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["scopes"] = tuple(known.get("scopes", ()))
        for key in ("access_expires_at", "refresh_expires_at"):
            known[key] = int(known.get(key, 0))
        return cls(**known)


class TokenStore:
    # Grows with every connection this process writes or forgets, whichever store object did it:
    # readers that look at the files only now and then (`PersonalToken`) look at once after it.
    writes = 0

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def in_state(cls, state_dir: Path) -> TokenStore:
        """The store of a working folder's bridge (`.bridge/connections/`)."""
        return cls(state_dir / "connections")

    def path(self, tenant: str) -> Path:
        return self.folder / f"{tenant}.json"

    def load(self, tenant: str) -> Connection | None:
        try:
            return Connection.from_json(loads(self.path(tenant).read_bytes()))
        except FileNotFoundError:
            return None

    def save(self, connection: Connection) -> None:
        self._ensure_folder()
        atomic_write(self.path(connection.tenant), dumps(connection.to_json(), indent=2))  # mkstemp: 0600
        TokenStore.writes += 1

    def forget(self, tenant: str) -> bool:
        try:
            self.path(tenant).unlink()
        except FileNotFoundError:
            return False
        TokenStore.writes += 1
        return True

    def version(self, tenant: str) -> tuple[int, int] | None:
        """Changes whenever the connection is written again (another process reconnected)."""
        try:
            stat = self.path(tenant).stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    @contextmanager
    def locked(self, tenant: str) -> Iterator[None]:
        """Hold the company's lock: one holder at a time, across threads and processes.

        Each call opens its own descriptor, and `flock` locks conflict between descriptors even
        within one process, so threads wait for each other as processes do. The lock goes with
        the descriptor: a process that dies holding it releases it."""
        self._ensure_folder()
        fd = os.open(self.folder / f".{tenant}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _ensure_folder(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
