"""HTTP/1.1 on one socket: a request written, its answer read (by length, chunked, or to the
close; gzip and deflate undone). The pool in `transport` keeps these connections alive.

Written here rather than taken from http.client or urllib3: a bureau's pace is bound by the
bridge's CPU, and a call through this costs about a quarter of urllib3's CPU (`python -m bench
client`); http.client alone, under urllib3, parses every answer's headers with the email
package.

Every failure is one of the seam's two: `Unsent` only while the connection is made (nothing
was written), `Unanswered` from the first byte of the request on.
"""

from __future__ import annotations

import io
import select
import socket
import ssl
import zlib
from collections.abc import Iterator, Mapping
from urllib.parse import quote

__all__ = ["Connection", "Headers", "Origin", "Response", "Unanswered", "Unsent"]

MAX_LINE = 64 * 1024  # a status or header line longer than this is not an answer we can trust
MAX_HEADERS = 200
BODY_IN_ONE_WRITE = 64 * 1024  # smaller bodies go out with the head in one write
_TARGET_SAFE = "/?&=%:@!$'()*+,;~#[]"  # kept as they are in a request's path and query


class Unsent(Exception):
    """Nothing reached Fortnox: no connection could be made, or none came free in time."""


class Unanswered(Exception):
    """The request may have reached Fortnox (and been acted on), but no complete answer came."""


class Headers(Mapping[str, str]):
    """An answer's headers, looked up in any case as HTTP's names are; repeated ones joined."""

    __slots__ = ("_items",)

    def __init__(self, items: dict[str, tuple[str, str]]) -> None:
        self._items = items  # lower-case name -> (name as sent, value)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class Origin:
    """Where connections go: scheme, host and port, and the Host header they send."""

    __slots__ = ("host", "host_header", "port", "tls")

    def __init__(self, scheme: str, netloc: str) -> None:
        if scheme not in ("http", "https") or not netloc or "@" in netloc:
            raise Unsent(f"not a URL the bridge can call: {scheme}://{netloc}")
        self.tls = scheme == "https"
        self.host_header = netloc
        host, port = netloc, 443 if self.tls else 80
        try:
            if netloc.startswith("["):  # an IPv6 address
                end = netloc.index("]")
                host, rest = netloc[1:end], netloc[end + 1 :]
                if rest.startswith(":"):
                    port = int(rest[1:])
            elif ":" in netloc:
                host, _, number = netloc.rpartition(":")
                port = int(number)
        except ValueError:
            raise Unsent(f"not a URL the bridge can call: {scheme}://{netloc}") from None
        self.host, self.port = host, port

    def __str__(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host_header}"


def split_url(url: str) -> tuple[str, str, str]:
    """`scheme://netloc/path?query` as (scheme, netloc, the path and query to request)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise Unsent(f"not a URL the bridge can call: {url}")
    slash = rest.find("/")
    if slash < 0:
        question = rest.find("?")
        netloc, target = (rest, "/") if question < 0 else (rest[:question], "/" + rest[question:])
    else:
        netloc, target = rest[:slash], rest[slash:]
    return scheme.lower(), netloc, target


class Response:
    """An answer whose head has been read; its body is read by `read` or `chunks`."""

    def __init__(self, connection: Connection, status: int, headers: Headers, reusable: bool) -> None:
        self.status = status
        self.headers = headers
        self._connection = connection
        self._reader = connection.reader
        self._reusable = reusable
        self.complete = False  # the whole body was read: the connection may carry another call
        self._left = -1  # bytes of the body still to read (-1: to the close; chunked: the chunk's)
        self._chunked = False
        encoding = headers.get("Content-Encoding", "").strip().lower()
        self._decoder = (
            zlib.decompressobj(16 + zlib.MAX_WBITS)
            if encoding in ("gzip", "x-gzip")
            else _Deflate()
            if encoding == "deflate"
            else None
        )
        if status < 200 or status in (204, 304):
            self._left = 0
        elif "chunked" in headers.get("Transfer-Encoding", "").lower():
            self._chunked, self._left = True, 0
        elif "Content-Length" in headers:
            try:
                self._left = int(headers["Content-Length"])
            except ValueError:
                raise Unanswered(f"an answer with a broken length: {headers['Content-Length']!r}") from None
        else:
            self._reusable = False  # its end is the connection's
        if self._left == 0 and not self._chunked:
            self._finished()

    def read(self) -> bytes:
        return b"".join(self.chunks(1024 * 1024))

    def chunks(self, size: int) -> Iterator[bytes]:
        """The body as it arrives (decoded), in pieces of at most about `size` bytes."""
        for raw in self._raw(size):
            data = raw if self._decoder is None else self._decoder.decompress(raw)
            if data:
                yield data
        if self._decoder is not None:
            rest = self._decoder.flush()
            if rest:
                yield rest

    def _raw(self, size: int) -> Iterator[bytes]:
        try:
            if self._chunked:
                yield from self._raw_chunked(size)
                return
            while self._left != 0:
                wanted = size if self._left < 0 else min(size, self._left)
                data = self._reader.read1(wanted)
                if not data:
                    if self._left < 0:  # its end was the connection's close
                        self._finished()
                        return
                    raise Unanswered(f"the answer was cut short, {self._left} bytes still to come")
                if self._left > 0:
                    self._left -= len(data)
                yield data
            self._finished()
        except (OSError, ssl.SSLError) as exc:
            raise _unanswered(exc) from None

    def _raw_chunked(self, size: int) -> Iterator[bytes]:
        while True:
            if self._left == 0:
                line = _line(self._reader)
                try:
                    self._left = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise Unanswered(f"a chunked answer with a broken chunk size: {line[:40]!r}") from None
                if self._left == 0:  # the last chunk: trailers until an empty line
                    for _ in range(MAX_HEADERS):
                        if _line(self._reader) in (b"\r\n", b"\n"):
                            break
                    self._finished()
                    return
            data = self._reader.read1(min(size, self._left))
            if not data:
                raise Unanswered("the answer was cut short inside a chunk")
            self._left -= len(data)
            if self._left == 0:
                _line(self._reader)  # the CRLF after each chunk
            yield data

    def _finished(self) -> None:
        self.complete = self._reusable
        self._left = 0


class _Deflate:
    """`deflate` as servers send it: zlib-wrapped as the standard says, or raw as some do."""

    def __init__(self) -> None:
        self._inner = zlib.decompressobj()
        self._first = True

    def decompress(self, data: bytes) -> bytes:
        if self._first:
            self._first = False
            try:
                return self._inner.decompress(data)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inner.decompress(data)

    def flush(self) -> bytes:
        return self._inner.flush()


class Connection:
    """One keep-alive connection to `origin`."""

    def __init__(self, origin: Origin, timeout: float, tls: ssl.SSLContext | None) -> None:
        self.origin = origin
        try:
            sock = socket.create_connection((origin.host, origin.port), timeout=timeout)
        except OSError as exc:
            raise Unsent(f"{origin}: {_said(exc)}") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                # The handshake (and the certificate's check) happens here, before a byte of a
                # request is written: any failure in it is still "nothing sent".
                sock = tls.wrap_socket(sock, server_hostname=origin.host)
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            raise Unsent(f"{origin}: {_said(exc)}") from None
        self.sock = sock
        self.reader: io.BufferedReader = sock.makefile("rb")
        self._timeout = timeout

    def dropped(self) -> bool:
        """The server closed it while it was idle (or sent what nobody asked for): an idle
        connection has nothing to read."""
        try:
            look = select.poll()
            look.register(self.sock, select.POLLIN)
            return bool(look.poll(0))
        except (OSError, ValueError):
            return True

    def request(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> Response:
        """Write the request and read its answer's head."""
        if timeout != self._timeout:
            self.sock.settimeout(timeout)
            self._timeout = timeout
        if not target.isascii() or " " in target:  # as browsers and httpx send them
            target = quote(target, safe=_TARGET_SAFE)
        head = [f"{method} {target} HTTP/1.1\r\nHost: {self.origin.host_header}\r\n"]
        for name, value in headers.items():
            if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
                raise ValueError(f"a header cannot hold a line break: {name}")
            head.append(f"{name}: {value}\r\n")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body or b'')}\r\n")
        head.append("\r\n")
        data = "".join(head).encode("latin-1")
        try:
            if body and len(body) > BODY_IN_ONE_WRITE:
                self.sock.sendall(data)
                self.sock.sendall(body)
            else:
                self.sock.sendall(data + body if body else data)
            return self._answer(method)
        except (OSError, ssl.SSLError) as exc:
            raise _unanswered(exc) from None

    def _answer(self, method: str) -> Response:
        while True:
            line = _line(self.reader)
            if not line:
                raise Unanswered("the connection was closed without an answer")
            version, _, rest = line.decode("latin-1").partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/") or not code.isdigit():
                raise Unanswered(f"not an HTTP answer: {line[:60]!r}")
            items: dict[str, tuple[str, str]] = {}
            for _ in range(MAX_HEADERS):
                field = _line(self.reader)
                if field in (b"\r\n", b"\n"):
                    break
                if not field:
                    raise Unanswered("the connection was closed in the middle of an answer's head")
                name, colon, value = field.decode("latin-1").partition(":")
                if not colon:
                    raise Unanswered(f"a broken header in the answer: {field[:60]!r}")
                key, value = name.strip().lower(), value.strip()
                if key in items:
                    value = f"{items[key][1]}, {value}"
                items[key] = (name.strip(), value)
            else:
                raise Unanswered(f"an answer with more than {MAX_HEADERS} headers")
            status = int(code)
            if 100 <= status < 200 and status != 101:
                continue  # an interim answer (100 Continue): the real one follows
            headers = Headers(items)
            connection = headers.get("Connection", "").lower()
            reusable = (
                "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
            ) and status != 101
            response = Response(self, status, headers, reusable)
            if method == "HEAD":
                response._left = 0
                response._finished()
            return response

    def close(self) -> None:
        try:
            self.reader.close()
        finally:
            self.sock.close()


def _line(reader: io.BufferedReader) -> bytes:
    line = reader.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise Unanswered(f"a line of the answer longer than {MAX_LINE} bytes")
    return line


def _said(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _unanswered(exc: BaseException) -> Unanswered:
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
        return Unanswered("no answer in time (the read timed out)")
    return Unanswered(_said(exc))
