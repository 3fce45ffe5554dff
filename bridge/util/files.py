"""File moves and writes that never leave half a file where a person or program could see it.

Every file the bridge and the mock publish is written under a temporary name beside its final
place (`.name.<process>-<n>.tmp`), synced, renamed, and its folder synced: a reader sees the old
file or the whole new one, and a crash leaves at most a hidden temporary that
`remove_stale_temporaries` clears.

Temporaries are made 0600, and so stays what the bridge keeps for itself (tokens, its state).
Files published under a folder shared with people (`share_folder`: the outbox) get the mode the
umask gives, so that others in a shared office folder can open them.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

__all__ = [
    "AtomicFile",
    "atomic_write",
    "atomic_write_all",
    "free_name",
    "fsync_dir",
    "move_file",
    "remove_stale_temporaries",
    "rename_into",
    "share_folder",
]

_SHARED: dict[Path, int] = {}  # folder -> the mode its files get
_PRIVATE: set[Path] = set()
# A folder's mode, by the folder as written (resolving it walks every part of the path with a
# system call each: for two receipts per file that was a good part of finishing one), kept by
# its name: hashing a fresh Path object costs more than the rest of the look-up.
_MODES: dict[str, int | None] = {}
# Temporaries are named `.name.<process>-<n>.tmp`: unique among this process's without the
# random names (and the Path objects) `tempfile.mkstemp` makes for each.
_TEMPORARY_NUMBERS = itertools.count()
_TEMPORARY_FLAGS = (
    os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)


def share_folder(folder: Path, *, private: Path | None = None) -> None:
    """Files published under `folder` are for people: they follow the umask (read once, here);
    except under `private` (the bridge's state, should it lie inside), which stays 0600."""
    _SHARED[folder.resolve()] = 0o666 & ~_umask()
    if private is not None:
        _PRIVATE.add(private.resolve())
    _MODES.clear()


def _umask() -> int:
    try:  # thread-safe where the kernel tells it (Linux ≥ 4.7)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o077)  # elsewhere: read by setting it, briefly to something safe
    os.umask(mask)
    return mask


def _shared_mode(path: Path) -> int | None:
    if not _SHARED:
        return None
    folder = os.path.dirname(path)
    try:
        return _MODES[folder]
    except KeyError:
        mode = _MODES[folder] = _folder_mode(path.parent)
        return mode


def _folder_mode(directory: Path) -> int | None:
    resolved = directory.resolve()
    if any(resolved.is_relative_to(folder) for folder in _PRIVATE):
        return None
    for folder, mode in _SHARED.items():
        if resolved.is_relative_to(folder):
            return mode
    return None


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicFile:
    """A file written under a temporary name beside `path`, published by `commit`.

        with AtomicFile(path) as pending:
            pending.handle.write(data)
            if looks_right(pending.temporary):
                pending.commit()

    Leaving the block without `commit` (or with an exception) removes the temporary file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        fd, self.temporary = _temporary(path)
        self.handle: BinaryIO = os.fdopen(fd, "wb")
        self.committed = False

    def flush(self) -> None:
        """Make the bytes written so far durable (and readable at `temporary`)."""
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def commit(self) -> None:
        self.flush()
        mode = _shared_mode(self.path)
        if mode is not None:
            os.fchmod(self.handle.fileno(), mode)
        self.handle.close()
        os.replace(self.temporary, self.path)
        self.committed = True
        fsync_dir(self.path.parent)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self.committed:
            try:
                self.handle.close()  # flushes what is buffered: may fail again on a full disk
            finally:
                self.temporary.unlink(missing_ok=True)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write `data` (text as UTF-8) to `path` so that no reader ever sees half of it."""
    atomic_write_all({path: data})


def _temporary(path: Path) -> tuple[int, Path]:
    """A new file beside `path` under a temporary name, open for writing, 0600; its folder is
    made only when missing (a system call less for every file written where it is)."""
    for attempt in range(100):
        temporary = path.with_name(f".{path.name}.{os.getpid():x}-{next(_TEMPORARY_NUMBERS):x}.tmp")
        try:
            return os.open(temporary, _TEMPORARY_FLAGS, 0o600), temporary
        except FileExistsError:  # left by a process of the same number before a restart
            continue
        except FileNotFoundError:
            if attempt:  # the folder was made (by us or another thread): something else is wrong
                raise
            path.parent.mkdir(parents=True, exist_ok=True)
    raise FileExistsError(errno.EEXIST, "no free temporary name beside it", str(path))


def atomic_write_all(files: Mapping[Path, bytes | str]) -> None:
    """Write several files as `atomic_write` does, each folder synced once for all of them
    (a file's two receipts: one folder sync, not two). Each file is whole or as it was."""
    written: list[tuple[Path, Path]] = []  # (temporary, final), synced and not yet renamed
    try:
        for path, data in files.items():
            fd, temporary = _temporary(path)
            written.append((temporary, path))
            try:
                left = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
                while left:
                    left = left[os.write(fd, left) :]
                os.fsync(fd)
                mode = _shared_mode(path)
                if mode is not None:
                    os.fchmod(fd, mode)
            finally:
                os.close(fd)
        while written:
            temporary, path = written[0]
            os.replace(temporary, path)
            written.pop(0)
    finally:
        for temporary, _ in written:  # a failure before all were renamed leaves no temporary
            temporary.unlink(missing_ok=True)
    for folder in dict.fromkeys(path.parent for path in files):
        fsync_dir(folder)


NAME_BYTES = 200  # room left for ` (12)`, `.receipt.json` and a temporary's `.….<process>-<n>.tmp` under 255


def fit_name(name: str, limit: int = NAME_BYTES) -> str:
    """`name` when it is at most `limit` bytes (UTF-8), else its start, `~`, a short hash of the
    whole name and its extension: a 255-byte name (the most a file system allows) still has room
    for what the bridge adds to it, and two long names alike at the start stay apart."""
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = (
        dot + extension if stem and len((dot + extension).encode("utf-8", "surrogateescape")) <= 16 else ""
    )
    mark = "~" + hashlib.sha256(encoded).hexdigest()[:10]
    room = limit - len(mark) - len(suffix.encode("utf-8", "surrogateescape"))
    start = encoded[:room].decode("utf-8", "ignore")  # never half a character
    return start + mark + suffix


def free_name(directory: Path, name: str, also_free: Callable[[str], bool] = lambda _: True) -> Path:
    """`directory/name`, or `name (2)`, `name (3)` … when that is taken: never overwrite.

    `also_free(candidate_name)` can demand more, e.g. that its receipt name is unused too.
    """
    stem, suffix = _split(name)
    candidate, n = directory / name, 1
    while candidate.exists() or not also_free(candidate.name):
        n += 1
        candidate = directory / f"{stem} ({n}){suffix}"
    return candidate


def move_file(source: Path, target: Path) -> None:
    """Rename `source` to `target` (same file system), or copy, fsync and delete across them."""
    try:
        rename_into(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = target.with_name(f".{target.name}.partial")
        try:
            shutil.copyfile(source, tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk must not leave half a copy behind
            raise
        source.unlink()
    fsync_dir(target.parent)


def rename_into(source: Path, target: Path) -> None:
    """Rename, making the target's folder when it is missing (only then: a system call less
    for every file moved into a folder that is there). FileNotFoundError: `source` is gone."""
    try:
        os.rename(source, target)
    except FileNotFoundError:
        if not os.path.lexists(source):
            raise
        # The folder is missing, or was missing a moment ago (another thread may be making it):
        # make sure of it and try once more; the retry's answer is the answer.
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(source, target)


def _split(name: str) -> tuple[str, str]:
    dot = name.find(".", 1)
    return (name, "") if dot == -1 else (name[:dot], name[dot:])


def remove_stale_temporaries(root: Path) -> None:
    """Temporary files a killed process left behind (`.name.<process>-<n>.tmp`, `.name.partial`)."""
    if root.is_dir():
        for path in root.rglob(".*"):
            if path.is_file() and path.name.endswith((".tmp", ".partial")):
                path.unlink(missing_ok=True)
