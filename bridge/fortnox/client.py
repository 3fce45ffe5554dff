"""The Fortnox API client: JSON in `Decimal`, typed errors, pages, pacing, injectable transport.

Tests hand it an `httpx.WSGITransport` around the mock, or a real socket; production uses
httpx's default transport. Nothing here retries a write: whether a failed write may be sent
again is the executor's decision: it looks first after any attempt that may have reached Fortnox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import Any

import httpx

from bridge import __version__
from bridge.fortnox.auth import TokenSource
from bridge.fortnox.errors import ConnectionRefused, FortnoxError, FortnoxUnreachable
from bridge.fortnox.pacing import Pacer
from bridge.util import dumps, loads

__all__ = ["FortnoxClient", "SharedTransport"]

# Connection errors happen before anything is sent; these may happen after Fortnox acted.
_AFTER_SEND = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)


DOWNLOAD_CHUNK = 256 * 1024


@contextmanager
def _no_answer_as_error(method: str, path: str) -> Iterator[None]:
    """httpx's transport errors as `FortnoxUnreachable`."""
    try:
        yield
    except _AFTER_SEND as exc:
        raise FortnoxUnreachable(
            f"no complete answer: {type(exc).__name__}: {exc}",
            method=method,
            path=path,
        ) from None
    except httpx.TransportError as exc:
        raise FortnoxUnreachable(
            f"cannot connect: {type(exc).__name__}: {exc}", method=method, path=path
        ) from None


class SharedTransport(httpx.BaseTransport):
    """One pool of connections for many companies' clients. A bureau's hundreds of companies
    talk to the same Fortnox over as many connections as send at once, not one or two each:
    hundreds of idle keep-alive connections are what a server stops accepting new ones over.
    A client's `close` leaves it open; whoever made it calls `close_shared` at the end."""

    def __init__(self, connections: int) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._inner = httpx.HTTPTransport(limits=limits)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)

    def close(self) -> None:
        pass

    def close_shared(self) -> None:
        self._inner.close()


class FortnoxClient:
    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        *,
        transport: httpx.BaseTransport | None = None,
        pacer: Pacer | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.pacer = pacer
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": f"fortnox-bridge/{__version__}"},
        )

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("POST", path, json=body, params=params or None)

    def put(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("PUT", path, json=body, params=params or None)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: dict[str, Any] | None = None,
    ) -> Any:
        """One API call; renews the token once on 401 or a missing scope (a token fetched before a
        reconnect may lack a scope the consent has now). Returns JSON, bytes, or None (204).

        A fresh token refused as well means the consent behind it is gone: `ConnectionRefused`."""
        for attempt in (1, 2):
            token = self.tokens.access_token()
            response = self._send(method, path, token, params, json, files)
            if response.status_code == 401 and attempt == 1:
                self.tokens.invalidate(token)
                continue
            if response.status_code == 401:
                raise ConnectionRefused(
                    "Fortnox refuses even a new access token (401 unauthorized)",
                    problem="consent",
                    status=401,
                    method=method,
                    path=path,
                )
            try:
                return self._answer(method, path, response)
            except ConnectionRefused as refused:
                if refused.problem != "scope" or attempt == 2:
                    raise
                self.tokens.invalidate(token)  # refused before it acted: safe to send again
        raise AssertionError("unreachable")  # pragma: no cover

    def download(self, path: str, write: Callable[[bytes], object], **params: Any) -> str:
        """A file's bytes (archive, inbox, a PDF), streamed into `write` as they arrive and
        never read as JSON whatever they look like; returns their media type. When this raises,
        `write` may have had part of the file: the caller throws that part away."""
        for attempt in (1, 2):
            token = self.tokens.access_token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "*/*"}
            with _no_answer_as_error("GET", path), ExitStack() as stack:
                with self._paced():  # counted by Fortnox once the answer begins, however long the file
                    response = stack.enter_context(
                        self._http.stream("GET", path, params=params or None, headers=headers)
                    )
                if response.status_code == 401 and attempt == 1:
                    self.tokens.invalidate(token)
                    continue
                if response.status_code >= 400:
                    response.read()
                    self._answer("GET", path, response)  # raises the typed error
                for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                    write(chunk)
                return response.headers.get("Content-Type", "application/octet-stream")
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method, path, token, params, json, files) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        content = None
        if json is not None:
            content = dumps(json).encode()
            headers["Content-Type"] = "application/json"
        with _no_answer_as_error(method, path), self._paced():
            return self._http.request(
                method, path, params=params, content=content, files=files, headers=headers
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _paced(self) -> AbstractContextManager[None]:
        return self.pacer.slot() if self.pacer is not None else nullcontext()

    def _answer(self, method: str, path: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status == 204:
            return None
        body: Any = None
        if "json" in response.headers.get("Content-Type", "") or response.content.lstrip()[:1] in (
            b"{",
            b"[",
        ):
            try:
                body = loads(response.content)
            except ValueError:
                body = None
        if status >= 400:
            if status == 429 and self.pacer is not None:
                retry_after = response.headers.get("Retry-After", "")
                self.pacer.slow_down(float(retry_after) if retry_after.isdigit() else None)
            raise FortnoxError.from_response(status, body, method, path)
        return body if body is not None else response.content

    def iter_pages(self, path: str, collection: str, *, limit: int = 500, **params: Any) -> Iterator[dict]:
        """Every record of a list, page after page, as `MetaInformation` counts them."""
        page = 1
        while True:
            answer = self.get(path, **params, limit=limit, page=page)
            yield from answer.get(collection, [])
            meta = answer.get("MetaInformation", {})
            if page >= int(meta.get("@TotalPages", 0) or 0):
                return
            page += 1

    def __enter__(self) -> FortnoxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
