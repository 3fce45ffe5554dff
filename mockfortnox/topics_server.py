"""`ws://host:port/topics-v1`: the mock's WebSocket service, as Fortnox serves its topics on a host
of their own (`wss://ws.fortnox.se/topics-v1`). waitress, which serves the REST API, does not
upgrade connections to WebSockets, so the topics get their own loopback port.

One connection carries many tenants. The client sends `add-tenants-v1` (its client secret and
the companies' access tokens), `add-topics-v1` (topics, each with an optional offset to replay
from), then `subscribe-v1`; `list-tenants-v1` and `remove-tenants-v1` manage the tenants. Each
command is answered with `{"response": <command>, "result": "ok", …}`. Events follow in order
within each topic. What the mock decides where Fortnox published nothing is in
`mockfortnox.errors.TOPICS_BEHAVIOUR`.

Faults for tests (`POST /mock/topics`): deliver the next events twice, drop every connection
without a closing handshake, forget the events kept so far (an expired offset).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from flask import Blueprint, current_app, request
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from mockfortnox.errors import TOPICS_BEHAVIOUR
from mockfortnox.resources.common import json_response
from mockfortnox.state import MockState
from mockfortnox.topics import KNOWN_TOPICS, SCOPES, Event, TopicLog

__all__ = ["PATH", "TopicsServer", "bp"]

PATH = "/topics-v1"
CHECK_SECONDS = 0.5  # how often a connection looks at tokens and the log without being woken


@dataclass
class _Connection:
    socket: ServerConnection
    tokens: dict[int, str] = field(default_factory=dict)  # tenant id -> its access token
    cursors: dict[str, int] = field(default_factory=dict)  # topic -> position last delivered
    held: dict[int, list[Event]] = field(default_factory=dict)  # events of tenants whose token expired
    subscribed: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class TopicsServer:
    """The topics of `app`'s mock on `host:port` (0: a free port), served from a thread of its own."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state: MockState = app.extensions["mockfortnox"]
        self.log: TopicLog = app.extensions["mockfortnox.topics"]
        self.host = host
        self._port = port
        self.port = 0
        self.connections: list[_Connection] = []
        self.duplicates_left = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        app.extensions["mockfortnox.topics_server"] = self
        self.log.listeners.append(self._published)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}{PATH}"

    def start(self) -> TopicsServer:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="mockfortnox-topics", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or not self.port:
            raise RuntimeError(f"the topics server could not listen on {self.host}:{self._port}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._published in self.log.listeners:
            self.log.listeners.remove(self._published)

    # --- faults and state, called from the control API (another thread) -----------------

    def drop_connections(self) -> int:
        """End every connection at once, without a closing handshake, as a network failure does."""
        count = len(self.connections)
        if self._loop is not None:
            for connection in list(self.connections):
                self._loop.call_soon_threadsafe(connection.socket.transport.abort)
        return count

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"tenants": sorted(c.tokens), "topics": sorted(c.cursors), "subscribed": c.subscribed}
            for c in list(self.connections)
        ]

    # --- the event loop ---------------------------------------------------------------------

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        async with serve(
            self._handle, self.host, self._port, process_request=_only_topics, ping_interval=20
        ) as server:
            self._server = server
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await server.wait_closed()

    def _published(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake_all)

    def _wake_all(self) -> None:
        for connection in self.connections:
            connection.wake.set()

    async def _handle(self, socket: ServerConnection) -> None:
        connection = _Connection(socket)
        self.connections.append(connection)
        sender = asyncio.create_task(self._deliver(connection))
        try:
            async for message in socket:
                reply = self._command(connection, message)
                async with connection.send_lock:
                    await socket.send(json.dumps(reply))
                connection.wake.set()
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            self.connections.remove(connection)

    async def _deliver(self, connection: _Connection) -> None:
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(connection.wake.wait(), CHECK_SECONDS)
                connection.wake.clear()
                if connection.subscribed:
                    for event in self._due(connection):
                        times = 1
                        if self.duplicates_left > 0:  # a fault: at-least-once, visibly
                            self.duplicates_left -= 1
                            times = 2
                        async with connection.send_lock:
                            for _ in range(times):
                                await connection.socket.send(json.dumps(event.to_json()))
        except ConnectionClosed:
            pass

    def _due(self, connection: _Connection) -> list[Event]:
        """Events to send now: held ones whose tenant has a valid token again, then new ones."""
        due: list[Event] = []
        for tenant_id in list(connection.held):
            if self._token_valid(connection.tokens.get(tenant_id)):
                due.extend(connection.held.pop(tenant_id))
        for topic, cursor in list(connection.cursors.items()):
            for event in self.log.after(topic, cursor):
                connection.cursors[topic] = event.position
                token = connection.tokens.get(event.tenant_id)
                if token is None or not self._token_has_scope(token, topic):
                    continue
                if not self._token_valid(token) or event.tenant_id in connection.held:
                    connection.held.setdefault(event.tenant_id, []).append(event)
                    continue
                due.append(event)
        return due

    # --- commands ---------------------------------------------------------------------------

    def _command(self, connection: _Connection, message: str | bytes) -> dict[str, Any]:
        try:
            command = json.loads(message)
            name = command["command"]
        except (ValueError, TypeError, KeyError):
            return {
                "response": "unknown",
                "result": "error",
                "message": "not a command: send JSON with 'command'",
            }
        if name == "add-tenants-v1":
            return self._add_tenants(connection, command)
        if name == "remove-tenants-v1":
            for tenant_id in command.get("tenants") or []:
                connection.tokens.pop(int(tenant_id), None)
                connection.held.pop(int(tenant_id), None)
            return {"response": name, "result": "ok"}
        if name == "list-tenants-v1":
            return {"response": name, "result": "ok", "tenantIds": sorted(connection.tokens)}
        if name == "add-topics-v1":
            invalid = []
            for item in command.get("topics") or []:
                topic = item.get("topic") if isinstance(item, dict) else None
                if topic not in KNOWN_TOPICS:
                    invalid.append(topic)
                    continue
                connection.cursors[topic] = self.log.cursor_for(topic, item.get("offset"))
            return {"response": name, "result": "ok", "invalidTopics": invalid}
        if name == "subscribe-v1":
            connection.subscribed = True
            return {"response": name, "result": "ok"}
        return {"response": name, "result": "error", "message": f"unknown command {name!r}"}

    def _add_tenants(self, connection: _Connection, command: dict[str, Any]) -> dict[str, Any]:
        name = "add-tenants-v1"
        tokens = [str(t) for t in command.get("accessTokens") or []]
        secret = str(command.get("clientSecret") or "")
        clients = {
            c.client_id
            for c in self.state.clients.values()
            if secrets.compare_digest(c.client_secret, secret)
        }
        if not clients:
            return {"response": name, "result": "error", "tenantIds": {}, "invalidTokens": tokens,
                    "message": "invalid client secret"}  # fmt: skip
        tenant_ids, invalid = {}, []
        for token in tokens:
            record = self.state.access_tokens.get(token)
            if record is None or record.client_id not in clients or not self._token_valid(token):
                invalid.append(token)
                continue
            connection.tokens[record.tenant_id] = token
            tenant_ids[token] = record.tenant_id
        return {"response": name, "result": "ok", "tenantIds": tenant_ids, "invalidTokens": invalid}

    def _token_valid(self, token: str | None) -> bool:
        record = self.state.access_tokens.get(token or "")
        return record is not None and record.expires_at > self.state.clock.now()

    def _token_has_scope(self, token: str, topic: str) -> bool:
        record = self.state.access_tokens.get(token)
        scope = SCOPES.get(topic)
        return record is not None and (scope is None or scope in record.scopes)


def _only_topics(connection: ServerConnection, req: Request) -> Response | None:
    if req.path.split("?")[0] != PATH:
        return connection.respond(HTTPStatus.NOT_FOUND, f"only {PATH} is served here\n")
    return None


# --- the control API's part: `GET /mock/topics`, `POST /mock/topics` ----------------------------

bp = Blueprint("mock_topics", __name__)


@bp.get("/mock/topics")
def topics_state():
    server: TopicsServer | None = current_app.extensions.get("mockfortnox.topics_server")
    log: TopicLog = current_app.extensions["mockfortnox.topics"]
    return json_response(
        {
            "url": server.url if server else None,
            "topics": log.summary(),
            "connections": server.describe() if server else [],
            "invented": TOPICS_BEHAVIOUR,
        }
    )


@bp.post("/mock/topics")
def topics_fault():
    """`{"duplicate": N}` delivers the next N events twice; `{"drop": true}` ends every connection
    without a closing handshake; `{"expire": true | ["invoices", …]}` forgets the events kept."""
    body = request.get_json(silent=True) or {}
    server: TopicsServer | None = current_app.extensions.get("mockfortnox.topics_server")
    log: TopicLog = current_app.extensions["mockfortnox.topics"]
    answer: dict[str, Any] = {}
    if "duplicate" in body and server is not None:
        server.duplicates_left = int(body["duplicate"])
        answer["duplicate"] = server.duplicates_left
    if body.get("drop") and server is not None:
        answer["dropped"] = server.drop_connections()
    if body.get("expire"):
        topics = body["expire"] if isinstance(body["expire"], list) else None
        answer["expired"] = log.expire(topics)
    return json_response(answer)
