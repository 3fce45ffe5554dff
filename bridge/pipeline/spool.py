"""Plans kept on disk as they are made, so that a file of any size is planned in flat memory.

A big SIE file is planned one voucher at a time, but judged as a whole at its end, and the
document that runs first (its registers) is made last. Until then its plans wait here, one
line of JSON each in a temporary file (gone when closed); the ledger takes them in batches
(`Ledger.queue_spooled`) and `check` prints them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from types import TracebackType

from bridge.planner import DocumentPlan

__all__ = ["PlanSpool"]


class PlanSpool:
    """Plans written as lines by `encode`; `lines()` reads them back in order."""

    def __init__(self, encode: Callable[[DocumentPlan], bytes]) -> None:
        self._encode = encode
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `close`, or with the spool)
        self.count = 0

    def add(self, plan: DocumentPlan) -> None:
        self._file.write(self._encode(plan) + b"\n")  # JSON holds no raw newline
        self.count += 1

    def lines(self) -> Iterator[bytes]:
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield line[:-1]

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> PlanSpool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
