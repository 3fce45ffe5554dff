"""Client-side pacing: stay under Fortnox's 25 requests per 5-second sliding window.

One `Pacer` per tenant token, shared by every thread that talks for that tenant. A 429 means
we were too fast anyway: the pacer then holds everyone back for a moment.

Fortnox counts a request when it arrives, which is some time after we send it: a request that
waited in a queue on the way would count later than our clock says, and a window that was
full by our count by then overflows by Fortnox's. So a request holds its place in the window
from the moment it is sent until five seconds after its answer came back — between the two
lies the moment Fortnox counted it, whatever the network did.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Pacer"]

WAIT_FOR_ANSWERS = 0.05  # seconds between looks when the window is full of requests in flight


class _Slot:
    __slots__ = ("answered", "at")

    def __init__(self, at: float) -> None:
        self.at = at  # when it was sent, then when its answer came
        self.answered = False


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
        self._slots: list[_Slot] = []
        self._hold_until = 0.0
        self._lock = threading.Lock()
        # Worker mode: asked right before every call, raises when this process no longer
        # serves the company (its lease was taken over while it was paused).
        self.before_call: Callable[[], None] | None = None

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Around one request: wait until it fits in the window, hold its place until answered."""
        taken = self._acquire()
        try:
            if self.before_call is not None:
                self.before_call()
            yield
        finally:
            with self._lock:
                taken.at, taken.answered = self._clock(), True

    def _acquire(self) -> _Slot:
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait(now)
                if wait <= 0:
                    taken = _Slot(now)
                    self._slots.append(taken)
                    return taken
            self._sleep(wait)

    def ready_in(self) -> float:
        """Seconds until a request would fit in the window (0: now); takes no place. A pool of
        workers shared by many companies asks this first, so that no worker sits waiting."""
        with self._lock:
            return max(self._wait(self._clock()), 0.0)

    def _wait(self, now: float) -> float:
        """Seconds until one more request fits; call with the lock held."""
        self._slots = [s for s in self._slots if not s.answered or s.at > now - self.seconds]
        wait = max(self._hold_until - now, 0.0)
        if not wait and len(self._slots) >= self.limit:
            freeing = sorted(s.at for s in self._slots if s.answered)
            needed = len(self._slots) - self.limit + 1
            wait = freeing[needed - 1] + self.seconds - now if len(freeing) >= needed else WAIT_FOR_ANSWERS
        return wait

    def recent(self) -> list[float]:
        """How many seconds ago each call of the current window was made (oldest first): what
        the next worker to serve the company needs to go on at the same pace."""
        with self._lock:
            now = self._clock()
            self._wait(now)
            return sorted(round(now - s.at, 3) for s in self._slots)

    def remember(self, ages: list[float]) -> None:
        """Calls made `ages` seconds ago by another process count in this window too."""
        with self._lock:
            now = self._clock()
            for age in ages:
                if 0 <= age < self.seconds:
                    slot = _Slot(now - age)
                    slot.answered = True
                    self._slots.append(slot)

    def slow_down(self, seconds: float | None = None) -> None:
        """After a 429: nobody sends for `seconds` (default: one window)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + (seconds or self.seconds))
