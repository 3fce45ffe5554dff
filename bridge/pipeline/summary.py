"""A short table for the terminal: each file and what it became in Fortnox."""

from __future__ import annotations

from typing import Any

from bridge.jsonnum import loads

__all__ = ["last_file_id", "results_table"]

_NUMBERS = ("DocumentNumber", "GivenNumber", "VoucherNumber")


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
        outcomes = [_document_text(d) for d in bridge.ledger.documents_of(row["id"])]
        failed |= row["state"] in ("failed", "partial")
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
    main = numbered[-1] if numbered else (steps[-1] if steps else {})
    record = main.get("record", {})
    number = next((record[k] for k in _NUMBERS if record.get(k)), "?")
    created = [s["label"] for s in steps if s["outcome"] == "created" and s is not main]
    text = f"{name} → Fortnox {main.get('envelope', '').lower()} {number}"
    return text + (f" (created {', '.join(created)})" if created else "")
