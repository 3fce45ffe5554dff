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
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    def from_json(cls, data: dict) -> FaultRule:
        known = {f for f in cls.__dataclass_fields__ if f != "fired"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule keys: {', '.join(sorted(unknown))}")
        rule = cls(**data)
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
    """The last `size` requests: what testers assert on ("exactly one POST reached Fortnox")."""

    def __init__(self, size: int = 10_000) -> None:
        self._entries: deque[dict] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._counter = 0

    def add(self, entry: dict) -> None:
        with self._lock:
            self._counter += 1
            self._entries.append({"seq": self._counter, **entry})

    def entries(self) -> list[dict]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


StartResponse = Callable[..., Any]


class WsgiLayer:
    """Applies faults and logs requests around `app`; `/mock/` itself is never faulted."""

    def __init__(self, app: Callable, faults: FaultInjector, log: RequestLog) -> None:
        self.app = app
        self.faults = faults
        self.log = log

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        started = time.perf_counter()
        captured: dict[str, Any] = {}

        def remember(status: str, headers: list, exc_info: Any = None) -> Any:
            captured["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        def record(status: int | None, outcome: str = "") -> None:
            if path.startswith("/mock/"):
                return
            self.log.add(
                {
                    "time": datetime.now(UTC).isoformat(),
                    "method": method,
                    "path": path,
                    "query": environ.get("QUERY_STRING", ""),
                    "status": status,
                    "tenant": environ.get("mockfortnox.tenant"),
                    "fault": outcome,
                    "ms": Decimal(f"{(time.perf_counter() - started) * 1000:.1f}"),
                }
            )

        decision = Decision() if path.startswith("/mock/") else self.faults.decide(method, path)
        if decision.latency:
            time.sleep(decision.latency)
        if decision.answer is not None:
            status, body, headers = decision.answer
            payload = dumps(body).encode()
            start_response(
                f"{status} Injected",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(payload))),
                    *headers.items(),
                ],
            )
            record(status, "status")
            return [payload]
        if decision.drop:
            # Run the request to the end (its write is applied and saved), then answer nothing.
            body = self.app(environ, lambda status, headers, exc_info=None: captured.update(status=status))
            try:
                for _chunk in body:
                    pass
            finally:
                getattr(body, "close", lambda: None)()
            record(None, f"dropped ({captured.get('status', '?')})")
            raise DroppedResponse("fault rule: answer dropped")
        answer = self.app(environ, remember)
        record(captured.get("status"), "latency" if decision.latency else "")
        return answer
