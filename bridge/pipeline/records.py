"""What the ledger remembers, as immutable records: files, their documents, each document's steps.

The ledger turns its rows into these at its edge; nothing else in the bridge sees a database
row. States are `StrEnum`s, so they compare equal to (and print as) the words stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from bridge.fortnox.topics import TopicEvent
from bridge.planner import Step

__all__ = [
    "DocumentRecord",
    "DocumentState",
    "EarlierDocument",
    "EarlierFile",
    "FileRecord",
    "FileState",
    "LiveEvent",
    "LiveOffset",
    "Notice",
    "StepRecord",
    "StepState",
    "TenantHealth",
    "UndoRecord",
    "file_outcome",
]


class FileState(StrEnum):
    """claimed → queued → done | failed | partial | duplicate"""

    CLAIMED = "claimed"  # taken into the work area, not read yet
    QUEUED = "queued"  # read; its documents wait in the queue
    DONE = "done"
    FAILED = "failed"  # nothing of it went to Fortnox
    PARTIAL = "partial"  # some documents are in Fortnox, others were refused
    DUPLICATE = "duplicate"  # the same bytes as an earlier file: nothing sent

    @property
    def retryable(self) -> bool:
        return self in (FileState.FAILED, FileState.PARTIAL)


class DocumentState(StrEnum):
    """queued → sending → done | failed | duplicate"""

    QUEUED = "queued"
    SENDING = "sending"  # a call may have reached Fortnox
    DONE = "done"
    FAILED = "failed"
    DUPLICATE = "duplicate"  # its key was already live in another document: never sent


class StepState(StrEnum):
    """pending → sending → done"""

    PENDING = "pending"
    SENDING = "sending"  # the intent is recorded: after a crash, look before sending again
    DONE = "done"


@dataclass(frozen=True)
class EarlierFile:
    """The file a duplicate repeats."""

    id: int
    name: str
    claimed_at: str
    outcome_path: Path | None


@dataclass(frozen=True)
class FileRecord:
    id: int
    tenant: str
    name: str  # the name it was dropped under
    sha256: str
    size: int
    work_path: Path | None  # where the bridge keeps it until it is answered; None when made in code
    state: FileState
    claimed_at: str
    importer: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[Mapping[str, Any], ...] = ()  # as the importer and planner said them, plain
    error: str = ""
    duplicate_of: EarlierFile | None = None
    outcome_path: Path | None = None  # where its original went in outbox/
    origin: str = ""  # where in the inbox it was dropped (`vouchers/A-15.pdf`)
    companion: Path | None = None  # the work path of the PDF claimed with it
    finished_at: str | None = None  # set once its answer is written


@dataclass(frozen=True)
class EarlierDocument:
    """The live document a duplicate document repeats, and the file that brought it."""

    id: int
    file_name: str
    file_claimed_at: str
    content_hash: str
    document: Any


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    file_id: int
    tenant: str
    kind: str
    source_key: str
    content_hash: str
    summary: str
    state: DocumentState
    document: Any = None  # the document as plain data (for receipts and diffs)
    attempts: int = 0
    failures: int = 0  # transient failures in a row
    last_error: str = ""
    # Why it failed, as data: the planner's problems (a list) or Fortnox's answer (status, code).
    error_detail: Any = None
    duplicate_of: EarlierDocument | None = None
    result: Sequence[Mapping[str, Any]] = ()  # each step's outcome, once done
    plan: tuple[Step, ...] = ()  # its planned calls, when asked for (`Ledger.documents_of`)
    created_at: str = ""
    finished_at: str | None = None

    @property
    def name(self) -> str:
        return f"{self.kind} {self.source_key}"


@dataclass(frozen=True)
class StepRecord:
    id: int
    document_id: int
    position: int
    spec: Step
    state: StepState
    attempts: int = 0  # more than 0: an earlier attempt may have reached Fortnox
    result: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class UndoRecord:
    """An undo of a file: the undo file that carries it, who asked for it and when."""

    undo_file_id: int
    undo_file: str
    state: FileState  # the undo file's: done, partial (something could not be undone) …
    requested_by: str
    requested_at: str
    finished_at: str | None = None
    outcome_path: Path | None = None


@dataclass(frozen=True)
class Notice:
    """A condition a person should know about (an unreadable file, an outbox that cannot be written)."""

    key: str
    message: str
    since: str
    tenant: str | None = None


@dataclass(frozen=True)
class TenantHealth:
    name: str
    unreachable_since: str | None = None
    last_error: str | None = None
    last_success: str | None = None


def file_outcome(file: FileRecord, documents: Sequence[DocumentRecord]) -> FileState:
    """How a file ends: as it was refused or repeated, or as its documents went."""
    if file.state in (FileState.FAILED, FileState.DUPLICATE):
        return file.state
    states = {d.state for d in documents}
    if DocumentState.FAILED in states:
        return FileState.PARTIAL if DocumentState.DONE in states else FileState.FAILED
    return FileState.DONE


@dataclass(frozen=True)
class LiveEvent:
    """An event from Fortnox's topics, kept until the export it causes is written."""

    id: int  # the order it arrived in
    stream: str  # the connection (integration) it came over
    tenant: str
    event: TopicEvent


@dataclass(frozen=True)
class LiveOffset:
    """How far a topic is done: every event up to `offset` has its export written."""

    topic: str
    offset: str
    event_time: str  # the event's own timestamp, to tell when Fortnox no longer keeps it
    committed_at: str
