"""A short table for the terminal: each file and what it became in Fortnox."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bridge.util import loads

__all__ = ["last_file_id", "results_table"]

_NUMBERS = ("DocumentNumber", "GivenNumber", "VoucherNumber")
SHOWN_PER_FILE = 6


def last_file_id(bridge) -> int:
    rows = bridge.ledger.files()
    return rows[-1]["id"] if rows else 0


def results_table(bridge, after_id: int, only: list[int] | None = None) -> tuple[str, bool]:
    """The files recorded after `after_id` (or those in `only`); answers the text and whether
    any of them failed."""
    rows = [r for r in bridge.ledger.files() if r["id"] > after_id and (only is None or r["id"] in only)]
    if not rows:
        return "Nothing new.", False
    failed = False
    lines = [f"{'file':32} {'result':10} Fortnox"]
    for row in rows:
        documents = bridge.ledger.documents_of(row["id"])
        outcomes = [_document_text(d) for d in documents[:SHOWN_PER_FILE]]
        if len(documents) > SHOWN_PER_FILE:  # a SIE file may hold thousands: the receipt lists them
            states = Counter(d["state"] for d in documents[SHOWN_PER_FILE:])
            outcomes.append(f"… and {len(documents) - SHOWN_PER_FILE} more ({_counted(states)})")
        failed |= row["state"] in ("failed", "partial")
        if row["duplicate_of"]:
            first = bridge.ledger.file(row["duplicate_of"])
            outcomes = [f"same content as {first['name']} ({first['claimed_at']}): nothing sent again"]
        lines.append(f"{row['name'][:32]:32} {row['state']:10} {'; '.join(outcomes) or row['error'] or ''}")
    outbox = bridge.settings.outbox
    lines.append(
        f"\nReceipts: {outbox / 'receipts'}   Failed: {outbox / 'failed'}   Originals: {outbox / 'archive'}"
    )
    return "\n".join(lines), failed


def _document_text(document: Any) -> str:
    name = f"{document['kind']} {document['source_key']}"
    if document["state"] == "duplicate":
        return f"{name}: sent before, not again"
    if document["state"] == "failed":
        return f"{name}: NOT created"
    if document["state"] != "done":
        return f"{name}: queued"
    steps = loads(document["result"])
    numbered = [s for s in steps if any(s.get("record", {}).get(k) for k in _NUMBERS)]
    if not numbered:  # registers only (a SIE file's accounts, series, objects)
        made = [s["label"] for s in steps if s["outcome"] == "created"]
        return f"{name}: " + (f"created {'; '.join(made)}" if made else "nothing was missing")
    main = numbered[-1]
    number = next(main["record"][k] for k in _NUMBERS if main["record"].get(k))
    created = [s["label"] for s in steps if s["outcome"] == "created" and s is not main]
    text = f"{name} → Fortnox {main.get('envelope', '').lower()} {number}"
    return text + (f" (created {', '.join(created)})" if created else "")


def _counted(states: Counter[str]) -> str:
    return ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
