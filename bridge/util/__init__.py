"""Leaf plumbing every layer may use (the mock too): atomic file writes, exact JSON, and CSV
that spreadsheets open safely (`csvsafe`).

Nothing here imports anything else of `bridge`.
"""

from bridge.util.files import (
    AtomicFile,
    atomic_write,
    atomic_write_all,
    fit_name,
    free_name,
    fsync_dir,
    move_file,
    remove_stale_temporaries,
    rename_into,
    share_folder,
)
from bridge.util.jsonnum import dumpb, dumps, dumps_fast, format_decimal, loads

__all__ = [
    "AtomicFile",
    "atomic_write",
    "atomic_write_all",
    "dumpb",
    "dumps",
    "dumps_fast",
    "fit_name",
    "format_decimal",
    "free_name",
    "fsync_dir",
    "loads",
    "move_file",
    "remove_stale_temporaries",
    "rename_into",
    "share_folder",
]
