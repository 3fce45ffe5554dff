"""A fixed number of sending workers shared by every company, however many there are.

A bureau's hundreds of companies each may make 25 calls per 5 s: their work is naturally
parallel, but a thread per company would mean hundreds of threads, database connections and
simultaneous token fetches. Instead a few workers take turns over the companies:

- **Round-robin over ready companies.** A company is *ready* when it has work it may do now
  (a document due, a kick from a new file) and its pacer has room for a call. A worker takes
  the company at the head of the queue, runs one turn for it — one document, or the company's
  registers, its access check, a scheduled export — and puts it back at the tail when it has
  more. Every ready company gets one turn per round, so a 4,000-voucher SIE file of one
  company costs another company's invoice at most one round's wait, never the whole file.
- **One worker per company at a time.** A company is never in two workers' hands, so its
  documents go in arrival order (the oldest due first) and its registers, tokens and exports
  are handled by one thread at a time, as by a thread of its own.
- **Waiting costs no worker.** A company whose pacer is full, or that backs off after a
  failure, waits on a timer; a worker only ever runs a company that can send now.

Round-robin rather than a priority by queue length or age: every company is entitled to the
same 25 calls per 5 s at Fortnox, so equal turns is what is fair, and it needs no tuning.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["CompanyPool", "Turn"]

log = logging.getLogger("bridge.pool")

IDLE_LOOK_SECONDS = 1.0  # an idle worker looks at the stop flag this often


@dataclass(frozen=True)
class Turn:
    """What a company's turn answers: `more` — run it again at its next turn; else `at`
    (time.monotonic()) — when to look again, or None — only when kicked; `done` — with
    `once`, the company has nothing more that can be sent now."""

    more: bool = False
    at: float | None = None
    done: bool = False


class CompanyPool:
    """`workers` threads running `turn(company)` for the companies, round-robin over those
    ready. `kick(company)` makes a company ready (a file arrived for it). With `once`, `run`
    returns when every company's turn has said `done` and none is due again."""

    def __init__(
        self,
        companies: Iterable[str],
        turn: Callable[[str], Turn],
        *,
        workers: int,
        stop: threading.Event | None = None,
        once: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.companies = list(companies)
        self.turn = turn
        self.workers = max(1, min(workers, len(self.companies) or 1))
        self.stop = stop or threading.Event()
        self.once = once
        self._clock = clock
        self._cond = threading.Condition()
        self._ready: deque[str] = deque(self.companies)  # every company has a first turn
        self._queued: set[str] = set(self.companies)
        self._running: set[str] = set()
        self._kicked: set[str] = set()
        self._timers: list[tuple[float, int, str]] = []
        self._wake_at: dict[str, float] = {}
        self._seq = itertools.count()
        self.turns: dict[str, int] = dict.fromkeys(self.companies, 0)  # turns run, per company
        self._holding = False  # with `once`: more work may still arrive (`hold`, `release`)

    # --- from outside ------------------------------------------------------------------------

    def kick(self, company: str) -> None:
        """There is work for `company`: it is ready at once (after its current turn, if running)."""
        with self._cond:
            if company in self._running:
                self._kicked.add(company)
            elif company not in self._queued and company in self.turns:
                self._wake_at.pop(company, None)
                self._make_ready(company)

    def hold(self) -> None:
        """With `once`: do not end while files are still being taken (until `release`)."""
        with self._cond:
            self._holding = True

    def release(self) -> None:
        """Everything is handed over: the workers end once every company is done."""
        with self._cond:
            self._holding = False
            self._cond.notify_all()

    def run(self) -> None:
        """Run the workers until `stop` is set (or, with `once`, until every company is done)."""
        for thread in self.start():
            while thread.is_alive():
                thread.join(timeout=1.0)

    def start(self) -> list[threading.Thread]:
        """The workers in the background (`watch`): answers their threads, to join after `stop`."""
        threads = [
            threading.Thread(target=self._work, name=f"send-{n}", daemon=True) for n in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        return threads

    # --- the workers ---------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            company = self._next()
            if company is None:
                return
            try:
                turn = self.turn(company)
            except Exception:  # keep the company's queue alive whatever one document does
                log.exception("sending for %s failed unexpectedly", company)
                turn = Turn(at=self._clock() + 5.0)
            self._after(company, turn)

    def _next(self) -> str | None:
        """The company whose turn it is, waiting until one is ready; None when the work is over."""
        with self._cond:
            while not self.stop.is_set():
                self._promote_due()
                if self._ready:
                    company = self._ready.popleft()
                    self._queued.discard(company)
                    self._running.add(company)
                    return company
                if self.once and not self._holding and not self._running and not self._timers:
                    self._cond.notify_all()  # the other workers see it too
                    return None
                wait = IDLE_LOOK_SECONDS
                if self._timers:
                    wait = min(wait, max(self._timers[0][0] - self._clock(), 0.0))
                self._cond.wait(wait)
            return None

    def _after(self, company: str, turn: Turn) -> None:
        with self._cond:
            self._running.discard(company)
            self.turns[company] += 1
            kicked = company in self._kicked
            self._kicked.discard(company)
            if turn.more or (kicked and not (self.once and turn.done)):
                self._make_ready(company)  # wakes one idle worker
            elif turn.at is not None and not (self.once and turn.done):
                self._wake_at[company] = turn.at
                heapq.heappush(self._timers, (turn.at, next(self._seq), company))
                if self._timers[0][2] == company:
                    self._cond.notify()  # the earliest timer now: one idle worker waits for it instead
            elif self.once and not self._running and not self._ready:
                self._cond.notify_all()  # perhaps the last: the idle workers see whether the work is over
            # Otherwise no one need wake: waking every idle worker after every turn (hundreds a
            # second) only had them contend for the lock and wait again.

    def _make_ready(self, company: str) -> None:
        self._ready.append(company)
        self._queued.add(company)
        self._cond.notify()

    def _promote_due(self) -> None:
        now = self._clock()
        while self._timers and self._timers[0][0] <= now:
            at, _, company = heapq.heappop(self._timers)
            if self._wake_at.get(company) != at or company in self._queued or company in self._running:
                continue  # kicked meanwhile, or an older timer of a company that was rescheduled
            del self._wake_at[company]
            self._make_ready(company)
        # Drop stale timers at the head so that the wait below is for a live one.
        while self._timers and self._wake_at.get(self._timers[0][2]) != self._timers[0][0]:
            heapq.heappop(self._timers)
