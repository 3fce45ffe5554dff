"""A short table for the terminal: each file and what it became in Fortnox."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bridge.pipeline.records import DocumentRecord, DocumentState, FileRecord

if TYPE_CHECKING:
    from bridge.pipeline.service import Bridge

__all__ = ["results_table"]

_NUMBERS = ("DocumentNumber", "GivenNumber", "VoucherNumber")
SHOWN_PER_FILE = 6


def results_table(bridge: Bridge, files: Sequence[FileRecord]) -> tuple[str, bool]:
    """Each of `files` and what it became; answers the text and whether any of them failed."""
    if not files:
        return "Nothing new.", False
    failed = False
    lines = [f"{'file':32} {'result':10} Fortnox"]
    for file in files:
        documents = bridge.documents(file.id)
        outcomes = [_document_text(d) for d in documents[:SHOWN_PER_FILE]]
        if len(documents) > SHOWN_PER_FILE:  # a SIE file may hold thousands: the receipt lists them
            states = Counter(str(d.state) for d in documents[SHOWN_PER_FILE:])
            outcomes.append(f"… and {len(documents) - SHOWN_PER_FILE} more ({_counted(states)})")
        failed |= file.state.retryable
        if file.duplicate_of is not None:
            first = file.duplicate_of
            outcomes = [f"same content as {first.name} ({first.claimed_at}): nothing sent again"]
        lines.append(f"{file.name[:32]:32} {file.state:10} {'; '.join(outcomes) or file.error}")
        if file.work_path is None and file.state.retryable:  # made by a command: no report in failed/
            lines += [f"  {d.name}: {d.last_error}" for d in documents if d.state == DocumentState.FAILED]
    outbox = bridge.settings.outbox
    lines.append(
        f"\nReceipts: {outbox / 'receipts'}   Failed: {outbox / 'failed'}   Originals: {outbox / 'archive'}"
    )
    return "\n".join(lines), failed


def _document_text(document: DocumentRecord) -> str:
    name = document.name
    if document.state == DocumentState.DUPLICATE:
        return f"{name}: sent before, not again"
    if document.state == DocumentState.FAILED:
        return f"{name}: NOT created"
    if document.state != DocumentState.DONE:
        return f"{name}: queued"
    steps = document.result
    numbered = [s for s in steps if any(s.get("record", {}).get(k) for k in _NUMBERS)]
    if not numbered:  # registers only (a SIE file's accounts, series, objects; a register CSV's record)
        made = [f"created {s['label']}" for s in steps if s["outcome"] == "created"]
        made += [f"updated {', '.join(c[0] for c in s['changes'])}" for s in steps if s.get("changes")]
        if any(s["outcome"] == "unchanged" for s in steps):
            made.append("unchanged")
        return f"{name}: " + ("; ".join(made) or "nothing was missing")
    main = numbered[-1]
    number = next(main["record"][k] for k in _NUMBERS if main["record"].get(k))
    created = [s["label"] for s in steps if s["outcome"] == "created" and s is not main]
    text = f"{name} → Fortnox {main.get('envelope', '').lower()} {number}"
    return text + (f" (created {', '.join(created)})" if created else "")


def _counted(states: Counter[str]) -> str:
    return ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
