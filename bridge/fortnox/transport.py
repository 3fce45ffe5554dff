"""How the client reaches Fortnox: a small seam, a urllib3 pool behind it, and an adapter for
httpx transports (the tests' WSGI mock and scripted answers).

The seam knows two failures and nothing else. `Unsent`: no connection was made, so nothing
reached Fortnox. `Unanswered`: the request may have reached Fortnox, which may have acted on
it, but no complete answer came back. The client turns both into `FortnoxUnreachable`; only
the second makes the executor look before it sends again, so a failure is `Unsent` only when
it surely happened before a byte of the request left.

urllib3 rather than httpx carries the calls: a bureau's pace is bound by the bridge's CPU, and
the client's call costs about 0.6 times the CPU it did through an httpx.Client
(`python -m bench client`).
"""

from __future__ import annotations

import http.client
import os
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import httpx
import urllib3
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    EmptyPoolError,
    HTTPError,
    LocationValueError,
    SSLError,
)
from urllib3.util.ssl_match_hostname import CertificateError

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


class Unsent(Exception):
    """Nothing reached Fortnox: no connection could be made, or none came free in time."""


class Unanswered(Exception):
    """The request may have reached Fortnox (and been acted on), but no complete answer came."""


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
    if isinstance(given, httpx.BaseTransport):
        return HttpxTransport(given)
    return given


# -- urllib3 -----------------------------------------------------------------------------------

# Everything urllib3 lets through: its own errors, and the socket's and http.client's it wraps.
_NETWORK_ERRORS = (HTTPError, OSError, http.client.HTTPException)


def _failure(exc: Exception) -> Unsent | Unanswered:
    said = f"{type(exc).__name__}: {exc}"
    # ConnectTimeoutError is also NewConnectionError and NameResolutionError: raised only while
    # the socket connects. The pool's errors come before a connection is taken; a refused
    # certificate stops the TLS handshake, before the request is written.
    if isinstance(exc, ConnectTimeoutError | EmptyPoolError | ClosedPoolError | LocationValueError):
        return Unsent(said)
    if (
        isinstance(exc, SSLError)
        and exc.args
        and isinstance(exc.args[0], ssl.SSLCertVerificationError | CertificateError)
    ):
        return Unsent(said)
    # Read timeouts, a connection closed or reset while writing or reading (ProtocolError),
    # a body cut short, any other TLS error: Fortnox may have had the whole request.
    return Unanswered(said)


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
    """Keep-alive connections to each host, at most `connections` to one host; a call waits up
    to its timeout for one to come free. Nothing is retried (`retries=False`) and no redirect
    followed: whether a write may be sent again is the executor's decision, made after it looks."""

    def __init__(self, connections: int) -> None:
        self._manager = urllib3.PoolManager(
            maxsize=connections, block=True, retries=False, ssl_context=_tls()
        )
        self._timeouts: dict[float, urllib3.Timeout] = {}

    def _timeout(self, seconds: float) -> urllib3.Timeout:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = self._timeouts[seconds] = urllib3.Timeout(connect=seconds, read=seconds)
        return timeout

    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> Answer:
        try:
            response = self._manager.urlopen(
                method,
                url,
                body=body,
                headers=headers,
                timeout=self._timeout(timeout),
                pool_timeout=timeout,
                retries=False,
                redirect=False,
            )
        except _NETWORK_ERRORS as exc:
            raise _failure(exc) from None
        return Answer(response.status, response.headers, response.data)

    @contextmanager
    def stream(self, url: str, headers: Mapping[str, str], timeout: float) -> Iterator[Streamed]:
        try:
            response = self._manager.urlopen(
                "GET",
                url,
                headers=headers,
                timeout=self._timeout(timeout),
                pool_timeout=timeout,
                retries=False,
                redirect=False,
                preload_content=False,
            )
        except _NETWORK_ERRORS as exc:
            raise _failure(exc) from None

        def chunks(size: int) -> Iterator[bytes]:
            try:
                yield from response.stream(size)
            except _NETWORK_ERRORS as exc:
                raise _failure(exc) from None

        try:
            yield Streamed(response.status, response.headers, chunks)
        finally:
            # Read to its end, the answer gave its connection back already; left half-read, the
            # connection goes with it (closed, its place in the pool free for a new one).
            response.close()
            response.release_conn()

    def close(self) -> None:
        self._manager.clear()


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

# Connection errors happen before anything is sent; these may happen after Fortnox acted.
_HTTPX_AFTER_SEND = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)


@contextmanager
def _httpx_failures() -> Iterator[None]:
    try:
        yield
    except httpx.TransportError as exc:
        said = f"{type(exc).__name__}: {exc}"
        raise (Unanswered(said) if isinstance(exc, _HTTPX_AFTER_SEND) else Unsent(said)) from None


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
        extensions = {"timeout": httpx.Timeout(timeout).as_dict()}
        return httpx.Request(method, url, headers=headers, content=body, extensions=extensions)

    def close(self) -> None:
        self.inner.close()
