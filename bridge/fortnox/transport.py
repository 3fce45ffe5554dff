"""How the client reaches Fortnox: a small seam, a pool of keep-alive HTTP/1.1 connections
behind it (`wire`), and an adapter for httpx transports (the tests' WSGI mock and scripted
answers).

The seam knows two failures and nothing else. `Unsent`: no connection was made, so nothing
reached Fortnox. `Unanswered`: the request may have reached Fortnox, which may have acted on
it, but no complete answer came back. The client turns both into `FortnoxUnreachable`; only
the second makes the executor look before it sends again, so a failure is `Unsent` only when
it surely happened before a byte of the request left.

Neither httpx nor urllib3 carries the calls: a bureau's pace is bound by the bridge's CPU, and
a client's call through this pool costs about a quarter to two fifths of the CPU it did over
urllib3's, and a fifth of an httpx.Client's (`python -m bench client`).
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Protocol

from bridge.fortnox.wire import Connection, Origin, Unanswered, Unsent, split_url

if TYPE_CHECKING:  # imported where used: a bridge that sends through its own pool never loads it
    import httpx

__all__ = [
    "Answer",
    "HttpxTransport",
    "Pool",
    "SharedTransport",
    "Streamed",
    "Transport",
    "Unanswered",
    "Unsent",
    "transport_for",
]

OWN_POOL_CONNECTIONS = 20  # a client with a pool of its own: httpx kept as many alive


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # looked up in any case, as HTTP's header names are
    content: bytes


@dataclass(frozen=True)
class Streamed:
    """An answer whose body is still on its way."""

    status: int
    headers: Mapping[str, str]
    chunks: Callable[[int], Iterator[bytes]]  # the body as it arrives, in pieces of at most that size

    def read(self) -> bytes:
        return b"".join(self.chunks(64 * 1024))


class Transport(Protocol):
    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> Answer: ...

    def stream(
        self, url: str, headers: Mapping[str, str], timeout: float
    ) -> AbstractContextManager[Streamed]:
        """A GET whose body is read while it arrives; the connection is given back on exit."""
        ...

    def close(self) -> None: ...


def transport_for(given: Transport | httpx.BaseTransport | None) -> Transport:
    """The seam over what a client was given: nothing (a pool of its own), an httpx transport
    (wrapped), or a transport of ours (as it is)."""
    if given is None:
        return Pool(OWN_POOL_CONNECTIONS)
    if isinstance(given, Pool):
        return given
    import httpx

    if isinstance(given, httpx.BaseTransport):
        return HttpxTransport(given)
    return given


# -- the bridge's own pool ---------------------------------------------------------------------


@cache  # reading the roots takes some 20 ms; one context serves every pool
def _tls() -> ssl.SSLContext:
    """The certificates httpx trusted: SSL_CERT_FILE or SSL_CERT_DIR when set, else certifi's."""
    import certifi

    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    return ssl.create_default_context(cafile=certifi.where())


class Pool:
    """Keep-alive connections to each origin, at most `connections` to one; a call waits up to
    its timeout for one to come free. Nothing is retried and no redirect followed: whether a
    write may be sent again is the executor's decision, made after it looks."""

    def __init__(self, connections: int) -> None:
        self.connections = connections
        self._origins: dict[str, Origin] = {}
        self._idle: dict[str, list[Connection]] = {}  # most recently used last
        self._open: dict[str, int] = {}  # connections made and not closed, idle or in use
        self._changed = threading.Condition()

    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> Answer:
        connection, target = self._take(url, timeout)
        kept = False
        try:
            response = connection.request(method, target, headers, body, timeout)
            content = response.read()
            kept = response.complete
            return Answer(response.status, response.headers, content)
        finally:
            self._give_back(connection, kept)

    @contextmanager
    def stream(self, url: str, headers: Mapping[str, str], timeout: float) -> Iterator[Streamed]:
        connection, target = self._take(url, timeout)
        response = None
        try:
            response = connection.request("GET", target, headers, None, timeout)
            yield Streamed(response.status, response.headers, response.chunks)
        finally:
            # Read to its end, the answer's connection carries the next call; left half-read,
            # it is closed and its place in the pool is free for a new one.
            self._give_back(connection, response is not None and response.complete)

    def _take(self, url: str, timeout: float) -> tuple[Connection, str]:
        scheme, netloc, target = split_url(url)
        key = f"{scheme}://{netloc}"
        with self._changed:
            origin = self._origins.get(key)
            if origin is None:
                origin = self._origins[key] = Origin(scheme, netloc)
            idle = self._idle.setdefault(key, [])
            deadline = None
            while not idle and self._open.get(key, 0) >= self.connections:
                if deadline is None:
                    deadline = time.monotonic() + timeout
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Unsent(f"no connection to {origin} came free in {timeout:g} s")
                self._changed.wait(left)
            kept = idle.pop() if idle else None
            self._open[key] = self._open.get(key, 0) + (kept is None)
        while kept is not None and kept.dropped():  # closed by the server while idle: not an error
            kept.close()
            with self._changed:
                kept = idle.pop() if idle else None
                self._open[key] -= kept is not None  # else the closed one's place is the new one's
        if kept is not None:
            return kept, target
        try:
            return Connection(origin, timeout, _tls() if origin.tls else None), target
        except BaseException:
            self._forget(key)
            raise

    def _give_back(self, connection: Connection, kept: bool) -> None:
        key = str(connection.origin)
        if kept:
            with self._changed:
                self._idle.setdefault(key, []).append(connection)
                self._changed.notify()
            return
        connection.close()
        self._forget(key)

    def _forget(self, key: str) -> None:
        with self._changed:
            self._open[key] -= 1
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            idle = [c for kept in self._idle.values() for c in kept]
            for key in self._idle:
                self._open[key] -= len(self._idle[key])
            self._idle.clear()
        for connection in idle:
            connection.close()


class SharedTransport(Pool):
    """One pool of connections for many companies' clients. A bureau's hundreds of companies
    talk to the same Fortnox over as many connections as send at once, not one or two each:
    hundreds of idle keep-alive connections are what a server stops accepting new ones over.
    A client's `close` leaves it open; whoever made it calls `close_shared` at the end."""

    def close(self) -> None:
        pass

    def close_shared(self) -> None:
        super().close()


# -- httpx -------------------------------------------------------------------------------------


@contextmanager
def _httpx_failures() -> Iterator[None]:
    import httpx

    # Connection errors happen before anything is sent; these may happen after Fortnox acted.
    after_send = (
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.WriteError,
    )
    try:
        yield
    except httpx.TransportError as exc:
        said = f"{type(exc).__name__}: {exc}"
        raise (Unanswered(said) if isinstance(exc, after_send) else Unsent(said)) from None


class HttpxTransport:
    """An httpx transport behind the seam: the tests' mock (`httpx.WSGITransport`) and scripted
    answers (`httpx.MockTransport`), and httpx's own pool for the benchmark's baseline."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> Answer:
        with _httpx_failures():
            response = self.inner.handle_request(self._request(method, url, headers, body, timeout))
            try:
                return Answer(response.status_code, response.headers, response.read())
            finally:
                response.close()

    @contextmanager
    def stream(self, url: str, headers: Mapping[str, str], timeout: float) -> Iterator[Streamed]:
        with _httpx_failures():
            response = self.inner.handle_request(self._request("GET", url, headers, None, timeout))

        def chunks(size: int) -> Iterator[bytes]:
            with _httpx_failures():
                yield from response.iter_bytes(size)

        try:
            yield Streamed(response.status_code, response.headers, chunks)
        finally:
            response.close()

    @staticmethod
    def _request(
        method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> httpx.Request:
        import httpx

        extensions = {"timeout": httpx.Timeout(timeout).as_dict()}
        return httpx.Request(method, url, headers=headers, content=body, extensions=extensions)

    def close(self) -> None:
        self.inner.close()
