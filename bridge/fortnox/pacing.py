"""Client-side pacing: stay under Fortnox's 25 requests per 5-second sliding window.

One `Pacer` per tenant token, shared by every thread that talks for that tenant. A 429 means
we were too fast anyway: the pacer then holds everyone back for a moment.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["Pacer"]


class Pacer:
    def __init__(
        self,
        limit: int = 24,
        seconds: float = 5.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._hold_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.seconds:
                    self._sent.popleft()
                wait = max(self._hold_until - now, 0.0)
                if not wait and len(self._sent) >= self.limit:
                    wait = self._sent[0] + self.seconds - now
                if wait <= 0:
                    self._sent.append(now)
                    return
            self._sleep(wait)

    def slow_down(self, seconds: float | None = None) -> None:
        """After a 429: nobody sends for `seconds` (default: one window)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + (seconds or self.seconds))
