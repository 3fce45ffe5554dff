"""Fortnox's WebSocket topics (`wss://ws.fortnox.se/topics-v1`): one connection for every company
of the integration, small events saying what changed (fetch the record over the API).

The commands are those of Fortnox's page "WebSockets" and of public clients: `add-tenants-v1`
(the client secret and the companies' access tokens), `add-topics-v1` (each topic with the
offset to replay from), `subscribe-v1`, `remove-tenants-v1`, `list-tenants-v1`; each is
answered with `{"response": <command>, "result": "ok", …}`. Sources disagree on where offsets
go (an AsyncAPI description puts them in add-tenants-v1); the page says an offset is given for
the topic listened to, and client code sends topics as `{"topic": …}` objects, so they go in
add-topics-v1. Events arrive between replies; they wait in order until read.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on opening: most bridges never listen, and it is slow to import
    from websockets.sync.client import ClientConnection

__all__ = ["FORTNOX_TOPICS_URL", "TopicEvent", "TopicsConnection", "TopicsError", "TopicsGone"]

FORTNOX_TOPICS_URL = "wss://ws.fortnox.se/topics-v1"


class TopicsError(Exception):
    """Fortnox answered a command with something other than "ok"."""


class TopicsGone(Exception):
    """The connection could not be opened, or it ended."""


@dataclass(frozen=True)
class TopicEvent:
    topic: str
    offset: str
    type: str
    tenant_id: int
    entity_id: str
    timestamp: str
    extra: Mapping[str, Any] = field(default_factory=dict)  # fields some types add (a voucher's year)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TopicEvent:
        known = ("topic", "offset", "type", "tenantId", "entityId", "timestamp")
        return cls(
            topic=str(data["topic"]),
            offset=str(data["offset"]),
            type=str(data.get("type") or ""),
            tenant_id=int(data["tenantId"]),
            entity_id=str(data.get("entityId") or ""),
            timestamp=str(data.get("timestamp") or ""),
            extra={k: v for k, v in data.items() if k not in known},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "offset": self.offset,
            "type": self.type,
            "tenantId": self.tenant_id,
            "entityId": self.entity_id,
            "timestamp": self.timestamp,
            **self.extra,
        }


@dataclass(frozen=True)
class AddedTenants:
    tenant_ids: dict[str, int]  # access token -> the company's tenant id
    invalid_tokens: tuple[str, ...]
    refused: str = ""  # the whole command refused (the client secret), and Fortnox's words


class TopicsConnection:
    """One open connection. Not thread-safe: one thread (the listener) uses it."""

    def __init__(self, url: str, client_secret: str, *, open_timeout: float = 15.0) -> None:
        self.url = url
        self.client_secret = client_secret
        self._open_timeout = open_timeout
        self._socket: ClientConnection | None = None
        self._closed: tuple[type[Exception], ...] = ()  # websockets' ConnectionClosed, once open
        self._stack = ExitStack()
        self._events: deque[TopicEvent] = deque()

    def open(self) -> TopicsConnection:
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
        from websockets.sync.client import connect

        self._closed = (ConnectionClosed,)
        try:
            self._socket = self._stack.enter_context(
                connect(self.url, open_timeout=self._open_timeout, max_size=2**22)
            )
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise TopicsGone(f"cannot connect to {self.url}: {exc}") from None
        return self

    def close(self) -> None:
        self._socket = None
        with suppress(OSError, *self._closed):  # it ended already
            self._stack.close()

    def __enter__(self) -> TopicsConnection:
        return self.open() if self._socket is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- commands ------------------------------------------------------------------------

    def add_tenants(self, access_tokens: list[str]) -> AddedTenants:
        reply = self._command(
            {
                "command": "add-tenants-v1",
                "clientSecret": self.client_secret,
                "accessTokens": access_tokens,
                "includeChildTenants": False,
            },
            strict=False,
        )
        ids = reply.get("tenantIds") or {}
        invalid = tuple(reply.get("invalidTokens") or ())
        refused = "" if reply.get("result") == "ok" else str(reply.get("message") or reply.get("result"))
        return AddedTenants({str(k): int(v) for k, v in ids.items()}, invalid, refused)

    def remove_tenants(self, tenant_ids: list[int]) -> None:
        self._command({"command": "remove-tenants-v1", "tenants": tenant_ids})

    def list_tenants(self) -> list[int]:
        return [int(t) for t in self._command({"command": "list-tenants-v1"}).get("tenantIds") or []]

    def add_topics(self, topics: Mapping[str, str | None]) -> list[str]:
        """Listen to `topics` (topic -> the offset to replay from, or None for what comes next);
        answers the topics Fortnox does not know."""
        items = [{"topic": t, **({"offset": o} if o else {})} for t, o in topics.items()]
        reply = self._command({"command": "add-topics-v1", "topics": items})
        return [str(t) for t in reply.get("invalidTopics") or []]

    def subscribe(self) -> None:
        self._command({"command": "subscribe-v1"})

    # --- events --------------------------------------------------------------------------

    def receive(self, timeout: float) -> TopicEvent | None:
        """The next event, or None when none came within `timeout` seconds."""
        if self._events:
            return self._events.popleft()
        message = self._read(timeout)
        while message is not None:
            if "response" not in message:
                return _event(message)
            message = self._read(0)  # a stray reply (to a command we stopped waiting for)
        return None

    def _command(self, command: dict[str, Any], *, strict: bool = True) -> dict[str, Any]:
        socket = self._open_socket()
        try:
            socket.send(json.dumps(command))
        except self._closed as exc:
            raise TopicsGone(f"the connection ended: {exc}") from None
        while True:
            message = self._read(self._open_timeout)
            if message is None:
                raise TopicsGone(f"no answer to {command['command']} within {self._open_timeout:.0f} s")
            if message.get("response") == command["command"]:
                if strict and message.get("result") != "ok":
                    raise TopicsError(
                        f"{command['command']}: {message.get('message') or message.get('result')}"
                    )
                return message
            if "response" not in message:
                self._events.append(_event(message))

    def _read(self, timeout: float) -> dict[str, Any] | None:
        socket = self._open_socket()
        try:
            raw = socket.recv(timeout=timeout)
        except TimeoutError:
            return None
        except self._closed as exc:
            raise TopicsGone(f"the connection ended: {exc}") from None
        try:
            message = json.loads(raw)
        except ValueError:
            raise TopicsGone(f"Fortnox sent something that is not JSON: {str(raw)[:80]!r}") from None
        if not isinstance(message, dict):
            raise TopicsGone(f"Fortnox sent something that is not an object: {str(raw)[:80]!r}")
        return message

    def _open_socket(self) -> ClientConnection:
        if self._socket is None:
            raise TopicsGone("the connection is not open")
        return self._socket


def _event(message: dict[str, Any]) -> TopicEvent:
    try:
        return TopicEvent.from_json(message)
    except (KeyError, TypeError, ValueError):
        raise TopicsGone(f"Fortnox sent an event the bridge cannot read: {str(message)[:120]}") from None
