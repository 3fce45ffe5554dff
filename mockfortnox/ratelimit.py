"""Fortnox's rate limit: 25 requests per 5-second sliding window, counted per integration
(client id) and company (tenant): every token of the pair shares one window."""

from __future__ import annotations

import re
import threading
from collections import deque

__all__ = ["SlidingWindow", "parse_rate"]


def parse_rate(text: str | None) -> tuple[int, float] | None:
    """`"25/5s"` → (25, 5.0); `"off"` → None."""
    if text is None or text.strip().lower() in ("off", "none", "0"):
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*", text)
    if not match:
        raise ValueError(f"rate limit {text!r} is not like 25/5s or off")
    return int(match[1]), float(match[2])


class SlidingWindow:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float) -> tuple[bool, float]:
        """Count one request; answers whether it may pass and, if not, seconds until it could."""
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return False, hits[0] + self.seconds - now
            hits.append(now)
            return True, 0.0
