"""File moves and writes that never leave half a file where a person or program could see it."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "free_name", "fsync_dir", "move_file"]


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write under a temporary name in the same folder, fsync, rename, fsync the folder."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


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
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)
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


def _split(name: str) -> tuple[str, str]:
    dot = name.find(".", 1)
    return (name, "") if dot == -1 else (name[:dot], name[dot:])


def remove_stale_temporaries(root: Path) -> None:
    """Temporary files a killed process left behind (`.name.XXXX.tmp`, `.name.partial`)."""
    if root.is_dir():
        for path in root.rglob(".*"):
            if path.is_file() and path.name.endswith((".tmp", ".partial")):
                path.unlink(missing_ok=True)
