"""A line every few seconds about a big file on its way, so that a person sees it move.

A year of vouchers is thousands of calls: at Fortnox's limit of 25 requests in 5 seconds,
4,434 vouchers take a quarter of an hour, and the accounts and projects they need go first.
While a file of at least `BIG` documents (or a document of at least `BIG` calls, such as a
SIE file's registers) is being sent, the log says how far it is and how long the rest takes
at that limit:

    bok.se: 1,200 of 4,435 documents through (27%); about 11 min left at Fortnox's 5 calls a second
    bok.se: accounts, series and objects: 40 of 646 calls

Listeners (`subscribe`) hear of every step of such a file, unthrottled: `watch` draws its
terminal bars from them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bridge.pipeline.ledger import Ledger
from bridge.pipeline.records import DocumentRecord
from bridge.util.i18n import _

__all__ = ["FORTNOX_CALLS_PER_SECOND", "FileProgress", "Progress"]

log = logging.getLogger("bridge")

FORTNOX_CALLS_PER_SECOND = 25 / 5
BIG = 20


@dataclass(frozen=True)
class FileProgress:
    """How far a big file is: `done` of `total` documents, or (`calls`) `done` of `total`
    calls of its one big document, `part` (the registers a SIE file needs)."""

    file_id: int
    file_name: str
    done: int
    total: int
    calls: bool = False
    part: str = ""


class Progress:
    def __init__(
        self, ledger: Ledger, every: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ledger = ledger
        self.every = every
        self.clock = clock
        self._last = -every
        self.listeners: list[Callable[[FileProgress], None]] = []
        self.calls = 0  # steps answered since start: the console measures the pace from it

    def subscribe(self, listener: Callable[[FileProgress], None]) -> None:
        self.listeners.append(listener)

    def _tell(self, event: FileProgress) -> None:
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # a display that fails must not stop a file being sent
                log.debug("a progress listener failed", exc_info=True)

    def _due(self) -> bool:
        now = self.clock()
        if now - self._last < self.every:
            return False
        self._last = now
        return True

    def step(self, document: DocumentRecord, done: int, steps: int) -> None:
        """A document of many calls has made `done` of its `steps`."""
        self.calls += 1
        if steps >= BIG and self.listeners:
            part = _("accounts, series and objects") if document.kind == "registers" else document.summary
            self._tell(FileProgress(document.file_id, self._file_name(document), done, steps, True, part))
        if steps >= BIG and done < steps and self._due():
            log.info(
                "%s: %s: %s of %s calls", self._file_name(document), document.name, f"{done:,}", f"{steps:,}"
            )

    def document(self, document: DocumentRecord) -> bool:
        """A document of a file has gone through (done or failed); answers whether all of the
        file's have (it is counted here anyway, so that the caller need not ask again)."""
        counts = self.ledger.document_counts(document.file_id)
        total = sum(counts.values())
        left = counts.get("queued", 0) + counts.get("sending", 0)
        through = total - left
        if total >= BIG and self.listeners:
            self._tell(FileProgress(document.file_id, self._file_name(document), through, total))
        if total < BIG or (left and not self._due()):
            return not left
        minutes = left / FORTNOX_CALLS_PER_SECOND / 60
        rest = (
            f"; about {minutes:,.0f} min left at Fortnox's {FORTNOX_CALLS_PER_SECOND:g} calls a second"
            if left
            else ""
        )
        log.info(
            "%s: %s of %s documents through (%d%%)%s",
            self._file_name(document),
            f"{through:,}",
            f"{total:,}",
            100 * through // total,
            rest,
        )
        return not left

    def _file_name(self, document: DocumentRecord) -> str:
        return self.ledger.file(document.file_id).name
