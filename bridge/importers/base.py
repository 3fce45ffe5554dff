"""The importer protocol: a cheap `identify` and a pure `extract`, one importer per input kind."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bridge.importers.limits import Limits
from bridge.model import Extraction

__all__ = ["Importer", "Source"]


class Source(Protocol):
    """What an importer may know about a file (read-only: an importer changes nothing).

    `path` is where the bytes are (the bridge's work area); `name` is the name it was dropped
    under; `head` its first bytes, enough for `identify`; `origin` where in the inbox it was
    dropped (`vouchers/A-15.pdf`), the name alone when outside; `companion` a PDF dropped
    beside an `.xml` under the same name, claimed with it; `limits` how much of a file the
    readers take (checked by size before `extract`; rows while reading).
    """

    @property
    def path(self) -> Path: ...
    @property
    def name(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def head(self) -> bytes: ...
    @property
    def origin(self) -> str: ...
    @property
    def companion(self) -> Path | None: ...
    @property
    def limits(self) -> Limits: ...


class Importer(Protocol):
    name: str

    def identify(self, source: Source) -> bool:
        """Is this file mine? Looks at the name and the first bytes only; no side effects."""
        ...

    def extract(self, source: Source) -> Extraction:
        """Read the whole file into documents and problems. Pure: no network, no writes."""
        ...
