"""The Fortnox API client: JSON in `Decimal`, typed errors, pages, pacing, injectable transport.

Calls go through the seam in `bridge.fortnox.transport`: its own pool in production, or an
httpx transport tests hand in (`httpx.WSGITransport` around the mock, `httpx.MockTransport`).
Nothing here retries a write: whether a failed write may be sent again is the executor's
decision: it looks first after any attempt that may have reached Fortnox.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bridge import __version__
from bridge.fortnox.auth import TokenSource
from bridge.fortnox.errors import ConnectionRefused, FortnoxError, FortnoxUnreachable
from bridge.fortnox.pacing import Pacer
from bridge.fortnox.transport import Answer, SharedTransport, Transport, Unanswered, Unsent, transport_for
from bridge.util import dumps, loads

if TYPE_CHECKING:
    import httpx

__all__ = ["FortnoxClient", "SharedTransport"]

DOWNLOAD_CHUNK = 256 * 1024


@contextmanager
def _no_answer_as_error(method: str, path: str) -> Iterator[None]:
    """The transport's two failures as `FortnoxUnreachable`, saying which it was."""
    try:
        yield
    except (Unsent, Unanswered) as failure:
        said = "no complete answer" if isinstance(failure, Unanswered) else "cannot connect"
        raise FortnoxUnreachable(f"{said}: {failure}", method=method, path=path) from None


def _query_value(value: Any) -> str:
    """A query parameter as httpx wrote it: booleans in lower case, None as nothing."""
    if value is True or value is False:
        return "true" if value else "false"
    return "" if value is None else str(value)


class FortnoxClient:
    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        *,
        transport: Transport | httpx.BaseTransport | None = None,
        pacer: Pacer | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.pacer = pacer
        self.timeout = timeout
        self._transport = transport_for(transport)
        self._headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",  # as httpx asked: long lists travel compressed
            "User-Agent": f"fortnox-bridge/{__version__}",
        }

    def close(self) -> None:
        self._transport.close()

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
        url = self._url(path, params)
        body, content_type = self._body(json, files)
        for attempt in (1, 2):
            token = self.tokens.access_token()
            answer = self._send(method, path, url, token, body, content_type)
            if answer.status == 401 and attempt == 1:
                self.tokens.invalidate(token)
                continue
            if answer.status == 401:
                raise ConnectionRefused(
                    "Fortnox refuses even a new access token (401 unauthorized)",
                    problem="consent",
                    status=401,
                    method=method,
                    path=path,
                )
            try:
                return self._answer(method, path, answer)
            except ConnectionRefused as refused:
                if refused.problem != "scope" or attempt == 2:
                    raise
                self.tokens.invalidate(token)  # refused before it acted: safe to send again
        raise AssertionError("unreachable")  # pragma: no cover

    def download(self, path: str, write: Callable[[bytes], object], **params: Any) -> str:
        """A file's bytes (archive, inbox, a PDF), streamed into `write` as they arrive and
        never read as JSON whatever they look like; returns their media type. When this raises,
        `write` may have had part of the file: the caller throws that part away."""
        url = self._url(path, params)
        for attempt in (1, 2):
            token = self.tokens.access_token()
            headers = {**self._headers, "Authorization": f"Bearer {token}", "Accept": "*/*"}
            with _no_answer_as_error("GET", path), ExitStack() as stack:
                with self._paced():  # counted by Fortnox once the answer begins, however long the file
                    streamed = stack.enter_context(self._transport.stream(url, headers, self.timeout))
                if streamed.status == 401 and attempt == 1:
                    self.tokens.invalidate(token)
                    continue
                if streamed.status >= 400:
                    answer = Answer(streamed.status, streamed.headers, streamed.read())
                    self._answer("GET", path, answer)  # raises the typed error
                for chunk in streamed.chunks(DOWNLOAD_CHUNK):
                    write(chunk)
                return streamed.headers.get("Content-Type", "application/octet-stream")
        raise AssertionError("unreachable")  # pragma: no cover

    def _url(self, path: str, params: dict[str, Any] | None) -> str:
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        if not params:
            return url
        pairs = [
            (key, _query_value(item))
            for key, value in params.items()
            for item in (value if isinstance(value, list | tuple) else (value,))
        ]
        return f"{url}{'&' if '?' in url else '?'}{urlencode(pairs)}"

    @staticmethod
    def _body(json: Any, files: dict[str, Any] | None) -> tuple[bytes | None, str]:
        """The request's bytes and their media type, encoded once whichever transport carries them."""
        if files:
            return multipart(files)
        if json is not None:
            return dumps(json).encode(), "application/json"
        return None, ""

    def _send(
        self, method: str, path: str, url: str, token: str, body: bytes | None, content_type: str
    ) -> Answer:
        headers = {**self._headers, "Authorization": f"Bearer {token}"}
        if content_type:
            headers["Content-Type"] = content_type
        with _no_answer_as_error(method, path), self._paced():
            return self._transport.send(method, url, headers, body, self.timeout)
        raise AssertionError("unreachable")  # pragma: no cover

    def _paced(self) -> AbstractContextManager[None]:
        return self.pacer.slot() if self.pacer is not None else nullcontext()

    def _answer(self, method: str, path: str, answer: Answer) -> Any:
        status, content = answer.status, answer.content
        if status == 204:
            return None
        body: Any = None
        if "json" in answer.headers.get("Content-Type", "") or content.lstrip()[:1] in (b"{", b"["):
            try:
                body = loads(content)
            except ValueError:
                body = None
        if status >= 400:
            if status == 429 and self.pacer is not None:
                retry_after = answer.headers.get("Retry-After", "")
                self.pacer.slow_down(float(retry_after) if retry_after.isdigit() else None)
            raise FortnoxError.from_response(status, body, method, path)
        return body if body is not None else content

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


def multipart(files: dict[str, tuple[str, bytes] | tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """Files as `multipart/form-data`, as browsers send a form: names in UTF-8, with line breaks
    and quotes percent-encoded (the WHATWG HTML standard); a random boundary."""
    boundary = secrets.token_hex(16)
    parts = []
    for field, (name, content, *media_type) in files.items():
        quoted = name.translate({10: "%0A", 13: "%0D", 34: "%22"})
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{quoted}"\r\n'
            f"Content-Type: {media_type[0] if media_type else 'application/octet-stream'}\r\n\r\n"
        )
        parts += [head.encode("utf-8"), content, b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
