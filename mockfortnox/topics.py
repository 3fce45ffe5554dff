"""Fortnox's WebSocket topics, as a log the mock writes: every write a request performs becomes
a small event on its topic (`{topic, offset, type, tenantId, entityId, timestamp}`), and
connections read the log from wherever they stand (`mockfortnox.topics_server`).

What Fortnox published (page "WebSockets", guides and good to know): one topic per domain,
events that say what changed and not how, a unique offset per event within its topic, order
guaranteed within a topic, at-least-once delivery, replay about two weeks back from an offset.
The event types are those public clients list (zenta-ab/fortnox.NET). Everything else here is
the mock's choice and is listed, marked invented, in `mockfortnox.errors.TOPICS_BEHAVIOUR`
(shown by `GET /mock/topics`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mockfortnox.state import Clock, Tenant

__all__ = [
    "RETENTION",
    "SCOPES",
    "TOPICS",
    "Event",
    "TopicLog",
    "decode_offset",
    "encode_offset",
]

RETENTION = timedelta(days=14)

# The mock's table → (topic, the type's prefix, the actions that make an event).
_ALL = ("created", "updated", "deleted")
TOPICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "invoices": ("invoices", "invoice", ("created", "updated", "cancelled", "bookkeep")),
    "invoicepayments": ("invoices", "invoicepayment", ("bookkeep", "deleted")),
    "supplierinvoices": (
        "supplier-invoices",
        "supplier-invoice",
        ("created", "updated", "cancelled", "bookkeep"),
    ),
    "customers": ("customers", "customer", _ALL),
    "suppliers": ("suppliers", "supplier", _ALL),
    "articles": ("articles", "article", _ALL),
    "projects": ("projects", "project", _ALL),
    "costcenters": ("cost-centers", "cost-center", _ALL),
    "currencies": ("currencies", "currency", _ALL),
    "financialyears": ("financial-years", "financial-year", _ALL),
    "termsofpayments": ("termsofpayments", "termsofpayments", _ALL),
    "vouchers": ("vouchers", "voucher", _ALL),
    "orders": ("orders", "order", ("created", "updated", "cancelled")),
}
KNOWN_TOPICS = (
    "articles", "bureau-activities", "bureau-assignments", "cost-centers", "currencies", "customers",
    "financial-years", "invoices", "messages", "offers", "orders", "projects", "suppliers",
    "supplier-invoices", "termsofdeliveries", "termsofpayments", "vouchers", "warehouse-stockbalances",
    "waysofdeliveries",
)  # fmt: skip
SCOPES = {
    "invoices": "invoice", "supplier-invoices": "supplierinvoice", "customers": "customer",
    "suppliers": "supplier", "articles": "article", "projects": "project", "cost-centers": "costcenter",
    "currencies": "currency", "financial-years": "bookkeeping", "vouchers": "bookkeeping",
    "termsofpayments": "settings", "orders": "order", "offers": "order",
}  # fmt: skip
_TYPE_NAMES = {("customer", "updated"): "customer-updated-v2"}  # as fortnox.NET lists it
_STRENGTH = {"updated": 0, "cancelled": 1, "bookkeep": 2, "created": 3, "deleted": 4}
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def encode_offset(position: int) -> str:
    text = ""
    while True:
        position, digit = divmod(position, 62)
        text = _ALPHABET[digit] + text
        if not position:
            return text


def decode_offset(offset: str) -> int | None:
    position = 0
    for char in offset:
        digit = _ALPHABET.find(char)
        if digit < 0:
            return None
        position = position * 62 + digit
    return position if offset else None


@dataclass(frozen=True)
class Event:
    topic: str
    position: int
    type: str
    tenant_id: int
    entity_id: str
    timestamp: datetime
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def offset(self) -> str:
        return encode_offset(self.position)

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "offset": self.offset,
            "type": self.type,
            "tenantId": self.tenant_id,
            "entityId": self.entity_id,
            "timestamp": self.timestamp.astimezone().isoformat(timespec="milliseconds"),
            **self.extra,
        }


class TopicLog:
    """Every topic's events in order, kept `RETENTION` by the mock's clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._events: dict[str, list[Event]] = {}
        self._first = int(time.time() * 1000)  # positions never repeat across restarts of the mock
        self._next: dict[str, int] = {}
        self.listeners: list[Callable[[], None]] = []  # told after every publish

    # --- writing -------------------------------------------------------------------------

    def publish(self, tenant: Tenant) -> list[Event]:
        """Turn the tenant's writes since the last call into events (call with its lock held)."""
        writes, tenant.writes = tenant.writes, []
        chosen: dict[tuple[str, str], tuple[str, dict | None]] = {}
        for table, key, action, removed in writes:
            if table not in TOPICS and table not in _CONNECTIONS:
                continue
            earlier = chosen.get((table, key))
            if earlier is not None and earlier[0] == "created" and action == "deleted":
                del chosen[(table, key)]  # made and gone in one request: nobody saw it
                continue
            if earlier is None or _STRENGTH.get(action, 0) >= _STRENGTH.get(earlier[0], 0):
                chosen[(table, key)] = (action, removed or (earlier[1] if earlier else None))
        now = self.clock.now()
        made = []
        with self._lock:
            for (table, key), (action, removed) in chosen.items():
                record = removed if action == "deleted" else tenant.table(table).get(key)
                described = _describe(table, key, action, record or {})
                if described is None:
                    continue
                topic, type_, entity, extra = described
                position = self._next.get(topic, self._first)
                self._next[topic] = position + 1
                event = Event(topic, position, type_, tenant.id, entity, now, extra)
                self._events.setdefault(topic, []).append(event)
                self._kept(topic)  # what is older than Fortnox keeps goes, read or not
                made.append(event)
        if made:
            for listener in list(self.listeners):
                listener()
        return made

    def expire(self, topics: list[str] | None = None) -> int:
        """A fault for tests: forget every event kept so far, as if all were older than the
        retention, so that any offset given now is one Fortnox no longer has."""
        with self._lock:
            dropped = 0
            for topic in topics or list(self._events):
                dropped += len(self._events.pop(topic, []))
            return dropped

    # --- reading -------------------------------------------------------------------------

    def _kept(self, topic: str) -> list[Event]:
        events = self._events.get(topic, [])
        horizon = self.clock.now() - RETENTION
        if events and events[0].timestamp < horizon:
            events[:] = [e for e in events if e.timestamp >= horizon]
        return events

    def after(self, topic: str, position: int) -> list[Event]:
        """The kept events of `topic` after `position`."""
        with self._lock:
            events = self._kept(topic)
            if not events or events[-1].position <= position:
                return []
            start = max(position + 1 - events[0].position, 0)
            return events[start:]

    def cursor_for(self, topic: str, offset: str | None) -> int:
        """Where a connection asking for `offset` starts reading (the position before its first event)."""
        with self._lock:
            events = self._kept(topic)
            if offset is None:
                return self._next.get(topic, self._first) - 1  # only what comes next
            position = decode_offset(offset)
            if events and position is not None and events[0].position <= position <= events[-1].position:
                return position - 1  # from the event itself
            return events[0].position - 1 if events else self._next.get(topic, self._first) - 1

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                topic: {
                    "events": len(self._kept(topic)),
                    "first": events[0].offset if events else None,
                    "last": events[-1].offset if events else None,
                }
                for topic, events in sorted(self._events.items())
            }


# File connections are events of the document the file is connected to.
_CONNECTIONS = {
    "voucherfileconnections": ("vouchers", "voucher"),
    "supplierinvoicefileconnections": ("supplier-invoices", "supplier-invoice"),
}


def _describe(table: str, key: str, action: str, record: dict) -> tuple[str, str, str, dict[str, Any]] | None:
    """(topic, type, entity id, extra fields) of a write, or None when it makes no event."""
    if table in _CONNECTIONS:
        topic, prefix = _CONNECTIONS[table]
        if topic == "vouchers":
            extra = {"year": int(record.get("VoucherYear") or 0), "series": str(record.get("VoucherSeries"))}
            return topic, f"{prefix}-updated-v1", str(record.get("VoucherNumber")), extra
        return topic, f"{prefix}-updated-v1", str(record.get("SupplierInvoiceNumber")), {}
    topic, prefix, actions = TOPICS[table]
    if action not in actions:
        return None
    type_ = _TYPE_NAMES.get((prefix, action), f"{prefix}-{action}-v1")
    if table == "vouchers":
        extra = {"year": int(record.get("Year") or 0), "series": str(record.get("VoucherSeries"))}
        return topic, type_, str(record.get("VoucherNumber")), extra
    return topic, type_, key, {}
