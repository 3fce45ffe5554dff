"""Fault injection and the request log: a WSGI layer around the Flask app, so it sees every
request (even one it refuses before Flask runs) and can withhold an answer entirely.

A rule (`POST /mock/faults`) matches by `method` and `path` (a prefix, or a glob with `*`) and
fires with `probability` (default 1) at most `times` times (default unlimited). Effects:
`latency_ms` (added before the request runs; adds up over rules), `status` (answer at once,
without running the request), `rate_limit` (a 429 like the real limiter's, with
`Retry-After`), `drop_response` (run the request — the write happens — then close the
connection without an answer). An optional `seed` makes the randomness reproducible.
"""

from __future__ import annotations

import fnmatch
import io
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bridge.util import dumps
from mockfortnox.errors import ERRORS, ApiError, error_body

__all__ = ["DroppedResponse", "FaultInjector", "FaultRule", "RequestLog", "WsgiLayer"]

EFFECTS = ("status", "drop_response", "latency_ms", "rate_limit")


class DroppedResponse(ConnectionResetError):
    """Raised out of the WSGI app when a rule drops the answer; the server closes the
    connection without writing anything (see `mockfortnox.server`)."""


@dataclass
class FaultRule:
    method: str = "*"
    path: str = "*"
    probability: float = 1.0
    times: int | None = None
    status: int | None = None
    body: Any = None
    drop_response: bool = False
    latency_ms: int = 0
    rate_limit: bool = False
    retry_after: int = 1
    fired: int = field(default=0, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> FaultRule:
        """A rule from the control API's JSON; ValueError naming the field when one is wrong
        (a rule taken unchecked would fail on every later request instead)."""
        if not isinstance(data, dict):
            raise ValueError("a rule must be a JSON object")
        known = {f for f in cls.__dataclass_fields__ if f != "fired"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule keys: {', '.join(sorted(unknown))}")
        for name, value in data.items():
            _check_rule_field(name, value)
        rule = cls(**{k: v for k, v in data.items() if not (k == "times" and v is None)})
        rule.probability = float(rule.probability)
        if not 0 <= rule.probability <= 1:
            raise ValueError("probability must lie between 0 and 1")
        if not (rule.status or rule.drop_response or rule.latency_ms or rule.rate_limit):
            raise ValueError(f"a rule needs one of {', '.join(EFFECTS)}")
        rule.method = rule.method.upper()
        return rule

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        if self.path == "*" or path == self.path or path.startswith(self.path.rstrip("/") + "/"):
            return True
        return fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict:
        shown = {k: v for k, v in self.__dict__.items() if v not in (None, False, 0, "*") or k == "fired"}
        shown["probability"] = Decimal(str(self.probability))  # JSON numbers here are never floats
        return shown


# What each field of a rule takes: its type and, for numbers, the range that makes sense.
_RULE_FIELDS: dict[str, tuple[type | tuple[type, ...], int | None, int | None]] = {
    "method": (str, None, None),
    "path": (str, None, None),
    "probability": ((int, Decimal), 0, 1),
    "times": (int, 0, None),
    "status": (int, 100, 599),
    "drop_response": (bool, None, None),
    "latency_ms": (int, 0, 600_000),
    "rate_limit": (bool, None, None),
    "retry_after": (int, 0, 86_400),
}


def _check_rule_field(name: str, value: Any) -> None:
    if name == "body" or (name in ("times", "status") and value is None):
        return
    kind, low, high = _RULE_FIELDS[name]
    wrong_type = not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)
    if wrong_type:
        wanted = {str: "a string", bool: "true or false", int: "a whole number"}.get(kind, "a number")  # type: ignore[call-overload]
        raise ValueError(f"{name} must be {wanted}, not {dumps(value)[:40]}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(
            f"{name} must lie between {low} and {high if high is not None else 'any'}, not {value}"
        )


@dataclass
class Decision:
    latency: float = 0.0
    answer: tuple[int, dict, dict[str, str]] | None = None
    drop: bool = False


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = []
        self._random = random.Random()

    def set(self, rules: list[FaultRule], seed: int | None = None) -> None:
        with self._lock:
            self.rules = rules
            self._random = random.Random(seed)

    def clear(self) -> None:
        self.set([])

    def decide(self, method: str, path: str) -> Decision:
        decision = Decision()
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, path) or (rule.times is not None and rule.fired >= rule.times):
                    continue
                if rule.probability < 1 and self._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                decision.latency += rule.latency_ms / 1000
                if decision.answer is None and not decision.drop:
                    if rule.rate_limit:
                        body = ApiError("rate_limited").body()
                        decision.answer = (429, body, {"Retry-After": str(rule.retry_after)})
                    elif rule.status:
                        decision.answer = (rule.status, rule.body or _default_body(rule.status), {})
                    elif rule.drop_response:
                        decision.drop = True
        return decision


def _default_body(status: int) -> dict:
    if status == 429:
        return ApiError("rate_limited").body()
    if status >= 500:
        entry = ERRORS["system_exception"]
        return error_body(entry, entry.message, status)
    return {"message": f"injected fault {status}"}


class RequestLog:
    """The last `size` exchanges: what testers assert on ("exactly one POST reached Fortnox")
    and what they look at when their client misbehaves (see `mockfortnox.requestlog`).

    Entries are stored raw and cheap — the headers as the server gave them, at most
    `body_limit` bytes of each body — and turned into JSON or HAR (secrets masked) only when
    someone asks."""

    def __init__(self, size: int = 10_000, body_limit: int = 64 * 1024) -> None:
        self._entries: deque[dict] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._counter = 0
        self.body_limit = body_limit

    def add(self, entry: dict) -> None:
        with self._lock:
            self._counter += 1
            entry["seq"] = self._counter
            self._entries.append(entry)

    def entries(self) -> list[dict]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class _Prefixed:
    """`wsgi.input` after its first bytes were taken for the log: those bytes, then the rest."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head = io.BytesIO(head)
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        data = self._head.read(size)
        if size is None or size < 0:
            return data + self._rest.read()
        return data + (self._rest.read(size - len(data)) if len(data) < size else b"")

    def readline(self, size: int = -1) -> bytes:
        line = self._head.readline(size)
        if line.endswith(b"\n") or (size is not None and 0 <= size <= len(line)):
            return line
        return line + self._rest.readline(-1 if size is None or size < 0 else size - len(line))

    def __iter__(self):
        while line := self.readline():
            yield line


StartResponse = Callable[..., Any]


class WsgiLayer:
    """Applies faults and logs exchanges around `app`; `/mock/` itself is neither faulted nor
    logged."""

    def __init__(self, app: Callable, faults: FaultInjector, log: RequestLog) -> None:
        self.app = app
        self.faults = faults
        self.log = log

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/mock/") or path == "/favicon.ico":  # the mock's own pages, and theirs
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        limit = self.log.body_limit
        # Raw and cheap: the request's headers as the server passed them (HTTP_*), bodies as
        # bytes; they are rendered (and secrets masked) only when someone reads the log.
        # Tuples of strings only: the garbage collector stops tracking them, so a full log
        # costs the collector (and so every request) nothing.
        headers = tuple((k, v) for k, v in environ.items() if k[:5] == "HTTP_" or k == "CONTENT_TYPE")
        entry: dict[str, Any] = {
            "started": time.time(),
            "method": method,
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "status": None,
            "fault": "",
            "request_headers": headers,
            "request_body": b"",
            "response_headers": (),
            "response_body": b"",
            "scheme": environ.get("wsgi.url_scheme", "http"),
            "host": environ.get("HTTP_HOST")
            or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}",
        }
        started = time.perf_counter()
        length = environ.get("CONTENT_LENGTH") or "0"
        if length != "0" and length.isdigit():
            # The body's head is read at once, so the log has it even when the app never reads
            # it (a request refused before its body matters); the app reads it all the same.
            size = int(length)
            head = entry["request_body"] = environ["wsgi.input"].read(min(size, limit))
            environ["wsgi.input"] = (
                io.BytesIO(head) if len(head) == size else _Prefixed(head, environ["wsgi.input"])
            )

        def answer(start: StartResponse) -> list[bytes]:
            """The app's whole answer (the mock never streams), kept up to the limit."""
            body = self.app(environ, start)
            try:
                chunks = list(body)
            finally:
                getattr(body, "close", lambda: None)()
            kept = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            entry["response_body"] = kept if len(kept) <= limit else kept[:limit]
            return chunks

        def remember(status: str, headers: list, exc_info: Any = None) -> Any:
            entry["status"] = int(status.split()[0])
            entry["response_headers"] = tuple(headers)
            return start_response(status, headers, exc_info)

        def record(outcome: str = "") -> None:
            entry["ms"] = (time.perf_counter() - started) * 1000
            entry["fault"] = outcome
            entry["tenant"] = environ.get("mockfortnox.tenant")
            self.log.add(entry)

        decision = self.faults.decide(method, path)
        if decision.latency:
            time.sleep(decision.latency)
        if decision.answer is not None:
            status, body, extra = decision.answer
            payload = dumps(body).encode()
            remember(
                f"{status} Injected",
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), *extra.items()],
            )
            entry["response_body"] = payload[:limit]
            record("status")
            return [payload]
        if decision.drop:
            # Run the request to the end (its write is applied and saved), then answer nothing.
            lines: list[str] = []

            def withheld(status: str, headers: list, exc_info: Any = None) -> None:
                lines.append(status)
                entry["response_headers"] = tuple(headers)

            answer(withheld)
            record(f"dropped ({lines[0] if lines else '?'})")
            raise DroppedResponse("fault rule: answer dropped")
        chunks = answer(remember)
        record("latency" if decision.latency else "")
        return chunks
