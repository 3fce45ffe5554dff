"""Noticing files in `inbox/` and telling when one is complete enough to take.

A file is ready when its size and modification time have not changed for `settle` seconds
and we first saw it at least `settle` seconds ago (its own mtime may be old: copies keep it).
`X.done` beside `X` makes `X` ready at once. Temporary and hidden names are never taken.

A PDF beside an `.xml` file of the same name (`faktura.xml` + `faktura.pdf`, any case) is the
invoice's image: it is never taken on its own, and the XML is taken together with it once both
are ready.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bridge.config import Settings
from bridge.importers.limits import MB, Limits

__all__ = ["Candidate", "InboxScanner", "is_ignored", "limits_of"]

IGNORED_PATTERNS = ("*.tmp", "*.part", "*.partial", "*.crdownload", "~$*", ".~lock*", ".*", "*.done")


def limits_of(settings: Settings) -> Limits:
    """The `[limits]` settings as the readers take them."""
    return Limits(
        csv_bytes=settings["limits.csv_megabytes"] * MB,
        sie_bytes=settings["limits.sie_megabytes"] * MB,
        xml_bytes=settings["limits.xml_megabytes"] * MB,
        pdf_bytes=settings["limits.pdf_megabytes"] * MB,
        csv_rows=settings["limits.csv_rows"],
        invoice_rows=settings["limits.invoice_rows"],
    )


def _has_done_marker(path: Path) -> bool:
    try:
        return path.with_name(path.name + ".done").exists()
    except OSError:  # a name so long that `.done` cannot follow it: it has none
        return False


def is_ignored(name: str) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in IGNORED_PATTERNS)


@dataclass
class Candidate:
    path: Path
    tenant: str
    size: int
    mtime_ns: int
    first_seen: float
    stable_since: float
    empty_reported: bool = False
    companion: Path | None = None


class InboxScanner:
    """Keeps track of files seen in the tenants' inbox folders between scans."""

    def __init__(
        self,
        folders: dict[str, Path],
        settle: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        excluded: tuple[Path, ...] = (),
    ) -> None:
        self.folders = folders
        self.settle = settle
        self.clock = clock
        self.excluded = tuple(p.resolve() for p in excluded)
        self.seen: dict[Path, Candidate] = {}

    def scan(self) -> list[Candidate]:
        """Look at every file once; answer those that are ready now."""
        now = self.clock()
        present: set[Path] = set()
        ready: list[Candidate] = []
        for tenant, folder in self.folders.items():
            for path, info in self._files(folder):
                present.add(path)
                candidate = self.seen.get(path)
                if candidate is None or (info.st_size, info.st_mtime_ns) != (
                    candidate.size,
                    candidate.mtime_ns,
                ):
                    first = candidate.first_seen if candidate else now
                    candidate = Candidate(path, tenant, info.st_size, info.st_mtime_ns, first, now)
                    self.seen[path] = candidate
                done_marker = _has_done_marker(path)
                settled = (
                    now - candidate.stable_since >= self.settle and now - candidate.first_seen >= self.settle
                )
                # A FIFO, device or socket has no size to settle: taken at once, to be refused unread.
                special = not stat.S_ISREG(info.st_mode) and not stat.S_ISLNK(info.st_mode)
                if special or (candidate.size > 0 and (done_marker or settled)):
                    ready.append(candidate)
        for path in list(self.seen):
            if path not in present:
                del self.seen[path]
        ready = self._pair(ready)
        # Taken in the order they arrived, as far as we can tell.
        return sorted(ready, key=lambda c: (c.first_seen, c.mtime_ns, str(c.path)))

    def _pair(self, ready: list[Candidate]) -> list[Candidate]:
        """Hold back PDFs that belong to an XML; let an XML go only with its ready PDF."""

        def stem(path: Path) -> tuple[Path, str]:
            return path.parent, path.stem.casefold()

        xmls = {stem(p) for p in self.seen if p.suffix.lower() == ".xml"}
        pdfs = {stem(p): p for p in self.seen if p.suffix.lower() == ".pdf"}
        ready_paths = {c.path for c in ready}
        paired = []
        for candidate in ready:
            suffix = candidate.path.suffix.lower()
            if suffix == ".pdf" and stem(candidate.path) in xmls:
                continue  # taken with its XML
            if suffix == ".xml":
                companion = pdfs.get(stem(candidate.path))
                if companion is not None and companion not in ready_paths:
                    continue  # its PDF is still being written
                candidate.companion = companion
            paired.append(candidate)
        return paired

    def forget(self, path: Path) -> None:
        self.seen.pop(path, None)

    def pending(self) -> bool:
        return bool(self.seen)

    def stale_empty(self, older_than: float) -> list[Candidate]:
        """Empty files that stayed empty for `older_than` seconds and were not reported yet."""
        now = self.clock()
        out = []
        for candidate in self.seen.values():
            if (
                candidate.size == 0
                and not candidate.empty_reported
                and now - candidate.stable_since >= older_than
            ):
                candidate.empty_reported = True
                out.append(candidate)
        return out

    def _files(self, folder: Path) -> Iterator[tuple[Path, os.stat_result]]:
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return
        for entry in entries:
            if is_ignored(entry.name):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                yield path, entry.stat(follow_symlinks=False)  # refused at claim time, not ignored
                continue
            if entry.is_dir(follow_symlinks=False):
                if path.resolve() not in self.excluded and path not in self.folders.values():
                    yield from self._files(path)
                continue
            try:
                yield path, entry.stat(follow_symlinks=False)  # a FIFO or device: refused at claim time
            except FileNotFoundError:
                continue
