"""The mock's whole world: tenants (companies) with their data, OAuth clients and tokens.

Everything is plain data so that it can be snapshotted to JSON and restored; each tenant has
its own lock, so companies never wait for each other and one company's requests are atomic.

Writes go through `Tenant.put`/`remove`/`touch`, which remember what changed, so the state
file can be kept up to date by appending only the changed records (see `mockfortnox.persist`).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.util import atomic_write, dumps, loads

__all__ = ["Client", "Clock", "MockState", "Tenant", "TokenRecord", "User", "journal_path"]

TOKEN_STORES = ("access_tokens", "refresh_tokens", "codes")


class Clock:
    """Wall-clock time that tests can freeze or move forward."""

    def __init__(self) -> None:
        self.frozen: datetime | None = None
        self.offset = timedelta()

    def now(self) -> datetime:
        return (self.frozen or datetime.now(UTC)) + self.offset

    def today(self) -> date:
        return self.now().astimezone().date()

    def freeze(self, at: datetime | None = None) -> None:
        self.frozen = at or datetime.now(UTC)
        self.offset = timedelta()

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def unfreeze(self) -> None:
        self.frozen = None
        self.offset = timedelta()


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    service_accounts: bool = True
    name: str = ""


@dataclass
class User:
    """Someone who logs in on the consent page: a company's own user, or a bureau's user who
    sees several companies. Only a system administrator may consent to a service account."""

    username: str
    password: str
    name: str = ""
    sysadmin: bool = False
    tenants: list[int] = field(default_factory=list)


@dataclass
class TokenRecord:
    tenant_id: int
    client_id: str
    scopes: list[str]
    expires_at: datetime
    offline: bool = True  # an authorization code from access_type=offline yields a refresh token
    redirect_uri: str = ""
    service: bool = False
    control: bool = False  # handed out by the control API to a tester, not by Fortnox's OAuth

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
    changed: set[tuple[str, str]] = field(default_factory=set, repr=False, compare=False)
    # Every write since the topics last looked: (table, key, action, the record as removed).
    writes: list[tuple[str, str, str, dict | None]] = field(default_factory=list, repr=False, compare=False)

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        return self.tables.setdefault(name, {})

    def put(self, table: str, key: str, record: dict[str, Any]) -> dict[str, Any]:
        records = self.table(table)
        self.writes.append((table, key, "updated" if key in records else "created", None))
        records[key] = record
        self.changed.add((table, key))
        return record

    def remove(self, table: str, key: str) -> None:
        removed = self.table(table).pop(key, None)
        self.writes.append((table, key, "deleted", removed))
        self.changed.add((table, key))

    def touch(self, table: str, key: str) -> None:
        """A record was changed in place."""
        self.writes.append((table, key, "updated", None))
        self.changed.add((table, key))

    def mark(self, table: str, key: str, action: str) -> None:
        """Say what a write meant when more than created/updated/deleted (`bookkeep`, `cancel`)."""
        self.writes.append((table, key, action, None))

    def next_number(self, counter: str, start: int = 1) -> int:
        value = max(self.counters.get(counter, start - 1) + 1, start)
        self.counters[counter] = value
        return value

    def drain_changes(self, seq: int) -> list[dict]:
        """Journal entries for what changed since the last call, as the records are now.

        Call with the tenant's lock held; `seq` orders them against other drains and snapshots.
        """
        if not self.changed:
            return []
        entries = [
            {"seq": seq, "tenant": self.id, "table": table, "key": key, "record": self.table(table).get(key)}
            for table, key in sorted(self.changed)
        ]
        entries.append({"seq": seq, "tenant": self.id, "counters": self.counters, "settings": self.settings})
        self.changed.clear()
        return loads(dumps(entries))  # detached copies

    def apply_entry(self, entry: dict) -> None:
        if "table" in entry:
            if entry["record"] is None:
                self.table(entry["table"]).pop(entry["key"], None)
            else:
                self.table(entry["table"])[entry["key"]] = entry["record"]
        else:
            self.counters = entry["counters"]
            self.settings = entry["settings"]

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
        # (client id, tenant id) → the scopes an administrator consented to for a service
        # account; None for a seeded consent: every scope the company holds a licence for
        self.service_consents: dict[tuple[str, int], list[str] | None] = {}
        self.users: dict[str, User] = {}
        # Not kept in the state file: a restart logs everyone out, as a new browser session would.
        self.sessions: dict[str, str] = {}  # login cookie → username
        self.consent_forms: dict[
            str, tuple[str, str, float]
        ] = {}  # one-time form token → (session, client, expiry)
        self.token_changes: list[dict] = []
        # Orders journal entries and snapshots: an entry older than the snapshot of its tenant
        # is already in it and is skipped on load.
        self.sequence = itertools.count(1)
        self.needs_snapshot = True  # structural change (tenants, clients): write the whole state

    def tenant(self, ref: int | str) -> Tenant | None:
        """Find a tenant by its id (DatabaseNumber) or its short name."""
        with self.lock:
            if str(ref).isdigit() and int(ref) in self.tenants:
                return self.tenants[int(ref)]
            return next((t for t in self.tenants.values() if t.name == str(ref)), None)

    def add_tenant(self, tenant: Tenant) -> Tenant:
        with self.lock:
            self.tenants[tenant.id] = tenant
            self.needs_snapshot = True
            return tenant

    def remove_tenant(self, tenant_id: int) -> None:
        with self.lock:
            self.tenants.pop(tenant_id, None)
            self.needs_snapshot = True

    def add_client(self, client: Client) -> Client:
        with self.lock:
            self.clients[client.client_id] = client
            self.needs_snapshot = True
            return client

    def consent_service(self, client_id: str, tenant_id: int, scopes: list[str] | None = None) -> None:
        with self.lock:
            self.service_consents[(client_id, tenant_id)] = scopes
            self.needs_snapshot = True

    def add_user(self, user: User) -> User:
        """Add a user, or give one already known (by username) the companies of this one too."""
        with self.lock:
            known = self.users.get(user.username)
            if known is not None:
                known.tenants = sorted({*known.tenants, *user.tenants})
                known.sysadmin = known.sysadmin or user.sysadmin
                user = known
            self.users[user.username] = user
            self.needs_snapshot = True
            return user

    def new_tenant_id(self) -> int:
        with self.lock:
            return max(self.tenants, default=1_000_000) + 1

    def store_token(self, store: str, key: str, record: TokenRecord | None) -> TokenRecord | None:
        """Put (or with None, take out) a token; answers what was there before."""
        with self.lock:
            tokens: dict[str, TokenRecord] = getattr(self, store)
            before = tokens.pop(key, None)
            if record is not None:
                tokens[key] = record
            self.token_changes.append(
                {
                    "seq": next(self.sequence),
                    "store": store,
                    "key": key,
                    "record": record.to_json() if record else None,
                }
            )
            return before

    def reset(self) -> None:
        with self.lock:
            self.tenants.clear()
            self.clients.clear()
            self.service_consents.clear()
            self.users.clear()
            self.sessions.clear()
            self.consent_forms.clear()
            for store in TOKEN_STORES:
                getattr(self, store).clear()
            self.token_changes.clear()
            self.needs_snapshot = True

    # --- persistence -------------------------------------------------------------------

    def snapshot(self) -> dict:
        """A deep, detached copy of everything. Each tenant is read under its own lock only, so
        a snapshot never waits for one lock while holding another that a request may need."""
        with self.lock:
            tenants = list(self.tenants.values())
            answer: dict[str, Any] = {
                "clients": [dict(c.__dict__) for c in self.clients.values()],
                "service_consents": sorted([c, t, s] for (c, t), s in self.service_consents.items()),
                "users": [dict(u.__dict__) for u in self.users.values()],
                "seq": {"tokens": next(self.sequence)},
            }
            for store in TOKEN_STORES:
                answer[store] = {k: v.to_json() for k, v in getattr(self, store).items()}
        answer["tenants"] = []
        for tenant in tenants:
            with tenant.lock:
                answer["tenants"].append(loads(dumps(tenant.to_json())))
                answer["seq"][str(tenant.id)] = next(self.sequence)
        return answer

    def restore(self, data: dict) -> None:
        with self.lock:
            self.reset()
            for item in data.get("tenants", []):
                self.tenants[item["id"]] = Tenant.from_json(item)
            for item in data.get("clients", []):
                self.clients[item["client_id"]] = Client(**item)
            self.service_consents = {
                (item[0], int(item[1])): (item[2] if len(item) > 2 else None)
                for item in data.get("service_consents", [])
            }
            for item in data.get("users", []):
                self.users[item["username"]] = User(**item)
            for store in TOKEN_STORES:
                getattr(self, store).update(
                    {k: TokenRecord.from_json(v) for k, v in data.get(store, {}).items()}
                )

    def apply_journal_entry(self, entry: dict, snapshot_seq: dict[str, int]) -> None:
        owner = "tokens" if "store" in entry else str(entry["tenant"])
        if entry["seq"] <= snapshot_seq.get(owner, 0):
            return  # already in the snapshot
        if "store" in entry:
            tokens = getattr(self, entry["store"])
            tokens.pop(entry["key"], None)
            if entry["record"] is not None:
                tokens[entry["key"]] = TokenRecord.from_json(entry["record"])
            return
        tenant = self.tenants.get(entry["tenant"])
        if tenant is not None:
            tenant.apply_entry(entry)

    def save(self, path: Path) -> None:
        """Write the whole state atomically (a reader sees the old file or the new one, never
        half) and start an empty journal beside it."""
        with self.lock:
            self.needs_snapshot = False
        atomic_write(path, dumps(self.snapshot()))
        journal_path(path).unlink(missing_ok=True)

    def load(self, path: Path) -> None:
        data = loads(path.read_text(encoding="utf-8"))
        self.restore(data)
        journal = journal_path(path)
        entries = []
        if journal.exists():
            for line in journal.read_text(encoding="utf-8").splitlines():
                try:
                    entries.append(loads(line))
                except ValueError:
                    break  # a line torn by a crash mid-write: everything before it is whole
        for entry in sorted(entries, key=lambda e: e["seq"]):
            self.apply_journal_entry(entry, data.get("seq", {}))
        with self.lock:
            self.sequence = itertools.count(
                max([0, *(e["seq"] for e in entries), *data.get("seq", {}).values()]) + 1
            )
            self.needs_snapshot = False


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")
