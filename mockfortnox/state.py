"""The mock's whole world: tenants (companies) with their data, OAuth clients and tokens.

Everything is plain data so that it can be snapshotted to JSON and restored; each tenant has
its own lock, so companies never wait for each other and one company's requests are atomic.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.jsonnum import dumps, loads

__all__ = ["Client", "Clock", "MockState", "Tenant", "TokenRecord"]


class Clock:
    """Wall-clock time that tests can freeze or move forward."""

    def __init__(self) -> None:
        self.frozen: datetime | None = None
        self.offset = timedelta()

    def now(self) -> datetime:
        return (self.frozen or datetime.now(UTC)) + self.offset

    def today(self):
        return self.now().astimezone().date()


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    service_accounts: bool = True


@dataclass
class TokenRecord:
    tenant_id: int
    client_id: str
    scopes: list[str]
    expires_at: datetime

    def to_json(self) -> dict:
        return {**self.__dict__, "expires_at": self.expires_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict) -> TokenRecord:
        return cls(**{**data, "expires_at": datetime.fromisoformat(data["expires_at"])})


@dataclass
class Tenant:
    """One Fortnox company. `id` is its DatabaseNumber, which is also the OAuth TenantId."""

    id: int
    name: str
    company: dict[str, Any]
    licences: list[str]
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        return self.tables.setdefault(name, {})

    def next_number(self, counter: str, start: int = 1) -> int:
        value = max(self.counters.get(counter, start - 1) + 1, start)
        self.counters[counter] = value
        return value

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "company": self.company,
            "licences": self.licences,
            "tables": self.tables,
            "counters": self.counters,
            "settings": self.settings,
        }

    @classmethod
    def from_json(cls, data: dict) -> Tenant:
        return cls(**data)


class MockState:
    def __init__(self) -> None:
        self.clock = Clock()
        self.lock = threading.RLock()
        self.tenants: dict[int, Tenant] = {}
        self.clients: dict[str, Client] = {}
        self.access_tokens: dict[str, TokenRecord] = {}
        self.refresh_tokens: dict[str, TokenRecord] = {}
        self.codes: dict[str, TokenRecord] = {}

    def tenant(self, ref: int | str) -> Tenant | None:
        """Find a tenant by its id (DatabaseNumber) or its short name."""
        with self.lock:
            if str(ref).isdigit() and int(ref) in self.tenants:
                return self.tenants[int(ref)]
            return next((t for t in self.tenants.values() if t.name == str(ref)), None)

    def add_tenant(self, tenant: Tenant) -> Tenant:
        with self.lock:
            self.tenants[tenant.id] = tenant
            return tenant

    def new_tenant_id(self) -> int:
        with self.lock:
            return max(self.tenants, default=1_000_000) + 1

    def reset(self) -> None:
        with self.lock:
            self.tenants.clear()
            self.clients.clear()
            self.access_tokens.clear()
            self.refresh_tokens.clear()
            self.codes.clear()

    # --- persistence -------------------------------------------------------------------

    def snapshot(self) -> dict:
        with self.lock:
            tenants = []
            for tenant in self.tenants.values():
                with tenant.lock:
                    tenants.append(loads(dumps(tenant.to_json())))  # a deep, detached copy
            return {
                "tenants": tenants,
                "clients": [c.__dict__ for c in self.clients.values()],
                "access_tokens": {k: v.to_json() for k, v in self.access_tokens.items()},
                "refresh_tokens": {k: v.to_json() for k, v in self.refresh_tokens.items()},
            }

    def restore(self, data: dict) -> None:
        with self.lock:
            self.reset()
            for item in data.get("tenants", []):
                self.add_tenant(Tenant.from_json(item))
            for item in data.get("clients", []):
                self.clients[item["client_id"]] = Client(**item)
            for key, item in data.get("access_tokens", {}).items():
                self.access_tokens[key] = TokenRecord.from_json(item)
            for key, item in data.get("refresh_tokens", {}).items():
                self.refresh_tokens[key] = TokenRecord.from_json(item)

    def save(self, path: Path) -> None:
        """Write the snapshot atomically: a reader sees the old file or the new one, never half."""
        text = dumps(self.snapshot())
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, path: Path) -> None:
        self.restore(loads(path.read_text(encoding="utf-8")))
