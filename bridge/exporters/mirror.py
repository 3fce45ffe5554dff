"""A folder that mirrors files kept in Fortnox: resumable, idempotent, with a manifest.

The caller says which files should be there (`WantedFile`: the document it belongs to, its
Fortnox id, its name, where to download it); the mirror fetches what the folder lacks and
writes `manifest.csv` and `manifest.json` (document, Fortnox file id, original name, size,
SHA-256, and whether the file is new, unchanged, changed or replaced since the last export).

- **Resumable.** Each file is written under a temporary name, synced and renamed
  (`AtomicFile`), and only then noted in `.progress.jsonl` (one synced line per file). A run stopped anywhere — Ctrl-C,
  a crash, `kill -9` — continues with the files it had not finished.
- **Idempotent.** A file already exported (same Fortnox id, or same version for a rendered
  PDF, and the local bytes still hashing as recorded) is not downloaded again. Fortnox never
  changes a file in place: a replaced file comes with a new id, so it is fetched, and the
  manifest names the id it replaced; files no longer in Fortnox leave the folder.
- **Paced.** Downloads share the client's pacer with everything else that talks to the
  company; a few run at once so that the time goes to Fortnox's limit, not to latency. A
  429 or an outage is waited out with backoff; after `MAX_ATTEMPTS` the run stops, keeping
  all it has, and says to run it again.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.util import AtomicFile, atomic_write, dumps, loads, remove_stale_temporaries
from bridge.util.csvsafe import render_csv

__all__ = [
    "MANIFEST_COLUMNS",
    "ManifestEntry",
    "MirrorResult",
    "Progress",
    "WantedFile",
    "mirror_files",
    "safe_file_name",
]

MAX_ATTEMPTS = 6  # per file, for answers worth waiting out (429, 5xx, no answer)
WORKERS = 4
JOURNAL = ".progress.jsonl"
MANIFEST_COLUMNS = (
    "kind", "document", "reference", "description", "fortnox_file_id", "original_name", "file", "size",
    "sha256", "media_type", "status", "replaces_file_id", "exported_at",
)  # fmt: skip

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", re.I)
NAME_BYTES = 120


@dataclass(frozen=True)
class WantedFile:
    """A file that belongs in the mirror. `version` is what tells, without downloading, that
    Fortnox has something new: the file id for archived files, a digest of the document for
    PDFs Fortnox renders."""

    kind: str  # vouchers | supplierinvoices | invoices
    document: str  # the document's folder under the mirror, e.g. `vouchers/A-12`
    reference: str  # the document as people name it: `A 12`
    description: str
    file_id: str  # Fortnox's file id; empty for a PDF Fortnox renders
    name: str  # the name Fortnox knows it by
    download_path: str
    version: str

    @property
    def key(self) -> str:
        return f"{self.document}|{self.file_id or 'rendered'}"


@dataclass(frozen=True)
class ManifestEntry:
    kind: str
    document: str
    reference: str
    description: str
    fortnox_file_id: str
    original_name: str
    file: str  # path under the mirror folder
    size: int
    sha256: str
    media_type: str
    status: str  # new | unchanged | changed | replaced
    replaces_file_id: str
    exported_at: str
    version: str = ""

    @property
    def key(self) -> str:
        return f"{self.document}|{self.fortnox_file_id or 'rendered'}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManifestEntry:
        return cls(**{k: data.get(k, "") for k in cls.__dataclass_fields__})


@dataclass
class Progress:
    """What the progress bar shows; `seconds_left` assumes Fortnox's limit is the bottleneck."""

    files_total: int
    files_done: int = 0
    files_fetched: int = 0
    bytes_done: int = 0
    calls_per_second: float | None = None

    @property
    def seconds_left(self) -> float | None:
        if not self.calls_per_second:
            return None
        return (self.files_total - self.files_done) / self.calls_per_second


@dataclass
class MirrorResult:
    folder: Path
    entries: list[ManifestEntry] = field(default_factory=list)
    fetched: int = 0  # downloads made by this run
    removed: list[str] = field(default_factory=list)  # files that left Fortnox, and so the folder
    problems: list[str] = field(default_factory=list)  # files Fortnox no longer had when asked

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)


def safe_file_name(name: str, fallback: str = "fil") -> str:
    """A name every file system takes: no separators, control or reserved characters, not
    hidden, at most `NAME_BYTES` bytes of UTF-8 (the extension kept); letters such as å stay."""
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text).strip().lstrip(".").strip() or fallback
    if _WINDOWS_RESERVED.fullmatch(text):
        text = "_" + text
    stem, dot, extension = text.rpartition(".")
    if not dot or len(extension) > 10:
        stem, extension = text, ""
    suffix = f".{extension}" if extension else ""
    room = NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore").rstrip() or fallback
    return stem + suffix


def local_names(wanted: Iterable[WantedFile]) -> dict[str, str]:
    """Each wanted file's path under the mirror; two files of one name in one document are told
    apart by their Fortnox ids, the same way on every run."""
    by_document: dict[str, list[WantedFile]] = {}
    for item in wanted:
        by_document.setdefault(item.document, []).append(item)
    paths = {}
    for document, items in by_document.items():
        names = [safe_file_name(i.name) for i in items]
        folded = [n.casefold() for n in names]
        for item, name in zip(items, names, strict=True):
            if folded.count(name.casefold()) > 1:
                stem, dot, extension = name.rpartition(".")
                tag = item.file_id[:8] or "fortnox"
                name = f"{stem}-{tag}.{extension}" if dot else f"{name}-{tag}"
            paths[item.key] = f"{document}/{name}"
    return paths


def mirror_files(
    client: FortnoxClient,
    folder: Path,
    wanted: list[WantedFile],
    *,
    on_progress: Callable[[Progress], None] = lambda _: None,
    workers: int = WORKERS,
    pause: Callable[[float], object] | None = None,
) -> MirrorResult:
    """Make `folder` hold `wanted`, fetching what it lacks. `pause(seconds)` waits between
    attempts at a file; a true answer means stop (by default: the run is being stopped)."""
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)  # what a killed run was writing
    published = {e.key: e for e in _read_manifest(folder)}  # the last finished export
    done = {e.key: e for e in _read_journal(folder)}  # what a stopped run already fetched
    paths = local_names(wanted)
    result = MirrorResult(folder)
    entries: dict[str, ManifestEntry] = {}
    to_fetch: list[WantedFile] = []
    for item in wanted:
        known = done.get(item.key) or published.get(item.key)
        if (
            known
            and known.version == item.version
            and known.file == paths[item.key]
            and _intact(folder, known)
        ):
            entries[item.key] = known if item.key in done else replace(known, status="unchanged")
        else:
            to_fetch.append(item)
    pacer = client.pacer
    progress = Progress(
        files_total=len(to_fetch),
        calls_per_second=pacer.limit / pacer.seconds if pacer is not None else None,
    )
    on_progress(progress)
    journal = _Journal(folder / JOURNAL)
    replaced = _replacements(wanted, published)
    lock = threading.Lock()
    stopping = threading.Event()
    wait_or_stop = pause or stopping.wait

    def fetch(item: WantedFile) -> None:
        entry = _download(
            client, folder, item, paths[item.key], published.get(item.key), replaced, wait_or_stop
        )
        with lock:
            if entry is None:
                result.problems.append(f"{item.reference}: {item.name} is no longer in Fortnox")
            else:
                journal.append(entry)
                entries[item.key] = entry
                progress.files_fetched += 1
                progress.bytes_done += entry.size
            progress.files_done += 1
            on_progress(progress)

    try:
        _run(fetch, to_fetch, workers, stopping)
    finally:
        journal.close()
    result.fetched = progress.files_fetched
    result.entries = sorted(entries.values(), key=lambda e: (e.kind, _natural(e.document), e.file))
    kept = {e.file for e in result.entries}
    for old in list(published.values()) + list(done.values()):
        if old.file not in kept and (folder / old.file).exists():
            (folder / old.file).unlink()
            result.removed.append(old.file)
            _remove_empty_parents(folder, folder / old.file)
    _write_manifest(folder, result.entries)
    (folder / JOURNAL).unlink(missing_ok=True)  # the manifest now says all the journal said
    return result


def _run(
    fetch: Callable[[WantedFile], None], items: list[WantedFile], workers: int, stopping: threading.Event
) -> None:
    if not items:
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="download")
    try:
        futures = [pool.submit(fetch, item) for item in items]
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in finished:
            future.result()  # the first failure, raised here
    finally:
        stopping.set()  # a Ctrl-C or a failure: downloads waiting out an outage give up at once
        pool.shutdown(wait=True, cancel_futures=True)


def _download(
    client: FortnoxClient,
    folder: Path,
    item: WantedFile,
    relative: str,
    before: ManifestEntry | None,
    replaced: dict[str, str],
    pause: Callable[[float], object],
) -> ManifestEntry | None:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with AtomicFile(folder / relative) as pending:
                sink = _Sink(pending.handle)
                media_type = client.download(item.download_path, sink.write)
                pending.commit()
            break
        except FortnoxError as error:
            if error.status == 404:
                return None
            if not error.transient or attempt == MAX_ATTEMPTS or pause(min(2.0**attempt, 60.0)):
                raise
    sha256, size = sink.digest.hexdigest(), sink.size
    if before is not None:
        status = "unchanged" if before.sha256 == sha256 else "changed"
    else:
        status = "replaced" if item.key in replaced else "new"
    return ManifestEntry(
        kind=item.kind,
        document=item.document,
        reference=item.reference,
        description=item.description,
        fortnox_file_id=item.file_id,
        original_name=item.name,
        file=relative,
        size=size,
        sha256=sha256,
        media_type=media_type.split(";")[0].strip(),
        status=status,
        replaces_file_id=replaced.get(item.key, ""),
        exported_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        version=item.version,
    )


def _replacements(wanted: list[WantedFile], published: dict[str, ManifestEntry]) -> dict[str, str]:
    """New files that take the place of a file the document had: one of the same name, else the
    document's only file for its only one. Key of the new file -> id of the one it replaces."""
    wanted_keys = {w.key for w in wanted}
    gone: dict[str, list[ManifestEntry]] = {}
    for entry in published.values():
        if entry.key not in wanted_keys and entry.fortnox_file_id:
            gone.setdefault(entry.document, []).append(entry)
    arrived: dict[str, list[WantedFile]] = {}
    for item in wanted:
        if item.key not in published and item.file_id:
            arrived.setdefault(item.document, []).append(item)
    pairs = {}
    for document, items in arrived.items():
        left = list(gone.get(document, []))
        for item in items:
            same = next((e for e in left if e.original_name == item.name), None)
            if same is None and len(items) == 1 and len(left) == 1:
                same = left[0]
            if same is not None:
                left.remove(same)
                pairs[item.key] = same.fortnox_file_id
    return pairs


def _intact(folder: Path, entry: ManifestEntry) -> bool:
    path = folder / entry.file
    if not path.is_file() or path.stat().st_size != entry.size:
        return False
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest() == entry.sha256


class _Sink:
    """Bytes on their way to disk, hashed and counted as they pass."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)


class _Journal:
    """One synced line per finished file: what a run stopped by force still knows it did."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    def append(self, entry: ManifestEntry) -> None:
        if self._handle is None:
            torn = self.path.exists() and not self.path.read_bytes().endswith(b"\n")
            self._handle = self.path.open("a", encoding="utf-8")
            if torn:  # the last line of a run killed while writing it: begin on a line of our own
                self._handle.write("\n")
        self._handle.write(dumps(asdict(entry)) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def _read_journal(folder: Path) -> list[ManifestEntry]:
    path = folder / JOURNAL
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(ManifestEntry.from_json(loads(line)))
        except ValueError:
            continue  # the last line of a run killed while writing it
    return entries


def _read_manifest(folder: Path) -> list[ManifestEntry]:
    path = folder / "manifest.json"
    if not path.exists():
        return []
    return [ManifestEntry.from_json(item) for item in loads(path.read_text(encoding="utf-8"))["files"]]


def _write_manifest(folder: Path, entries: list[ManifestEntry]) -> None:
    rows = ([getattr(e, c) for c in MANIFEST_COLUMNS] for e in entries)
    atomic_write(folder / "manifest.csv", render_csv(MANIFEST_COLUMNS, rows))
    document = {"files": [asdict(e) for e in entries]}
    atomic_write(folder / "manifest.json", dumps(document, indent=2) + "\n")


def _remove_empty_parents(folder: Path, path: Path) -> None:
    parent = path.parent
    while parent != folder and parent.is_relative_to(folder) and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))
