"""What the bridge answers in `outbox/`: a receipt per file (JSON for programs, text for
people) and, for files that did not go through, an error report saying what to do.

Pure: a receipt is built from the file's record and its documents' records alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from bridge.pipeline.records import DocumentRecord, DocumentState, FileRecord, UndoRecord, file_outcome
from bridge.planner.describe import describe_calls
from bridge.util import dumps

__all__ = [
    "IDENTIFYING_FIELDS",
    "build_receipt",
    "describe_changes",
    "render_error_report",
    "render_receipt_json",
    "render_receipt_text",
]

IDENTIFYING_FIELDS = (
    "DocumentNumber", "CustomerNumber", "ArticleNumber", "GivenNumber", "SupplierNumber",
    "VoucherSeries", "VoucherNumber", "Year", "Id", "FileId", "Code", "Number", "ProjectNumber",
    "InvoiceNumber", "OCR", "Total", "@url",
)  # fmt: skip

_ENV = Environment(
    loader=PackageLoader("bridge", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,  # plain-text reports
)

HEADLINES = {
    "done": "imported",
    "partial": "imported in part",
    "failed": "not imported",
    "duplicate": "duplicate, nothing sent",
}
UNDO_HEADLINES = {"done": "undone", "partial": "undone in part", "failed": "not undone"}


def identify(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in IDENTIFYING_FIELDS if record.get(k) not in (None, "")}


def step_text(step: dict[str, Any]) -> str:
    ids = ", ".join(f"{k} {v}" for k, v in step.get("fortnox", {}).items() if k not in ("@url", "Total"))
    verb = {
        "created": "created in Fortnox",
        "existing": "already in Fortnox",
        "reconciled": "found in Fortnox (created by an earlier attempt)",
        "updated": "done in Fortnox",
        "already": "already done in Fortnox",
        "skipped": "not needed",
        "absent": "not in Fortnox",
        "unchanged": "unchanged in Fortnox, nothing written",
        "removed": "removed from Fortnox",
        "module": "the company has it",
        "no-module": "the company has none; the bridge keeps the order as an expected order",
    }.get(step["outcome"], step["outcome"])
    changes = step.get("changes")
    if changes:  # a register record: which fields were written, before → after
        verb = "updated in Fortnox: " + "; ".join(changes)
    return f"{step['label']}: {verb}" + (f" ({ids})" if ids else "")


def change_text(field_name: str, before: Any, after: Any) -> str:
    return f"{field_name} {_shown(before)} → {_shown(after)}"


def _shown(value: Any) -> str:
    return "(empty)" if value in (None, "") else repr(value) if isinstance(value, str) else str(value)


def render_receipt_json(receipt: dict[str, Any]) -> str:
    return dumps(receipt, indent=2) + "\n"


def render_receipt_text(receipt: dict[str, Any]) -> str:
    state = receipt["state"]
    headline = (
        UNDO_HEADLINES.get(state, HEADLINES[state]) if receipt["importer"] == "undo" else HEADLINES[state]
    )
    return _ENV.get_template("receipt.txt.j2").render(r=receipt, headline=headline)


def render_error_report(receipt: dict[str, Any]) -> str:
    template = "undo-error.txt.j2" if receipt["importer"] == "undo" else "error.txt.j2"
    return _ENV.get_template(template).render(r=receipt)


def build_receipt(
    file: FileRecord,
    documents: Sequence[DocumentRecord],
    *,
    receipts: Path,
    finished_at: str,
    undos: Sequence[UndoRecord] = (),
) -> dict[str, Any]:
    """Everything the receipt, the text receipt and the error report say about one file
    (whose answer's place, `outcome_path`, is chosen); `receipts` is the receipts folder;
    `undos` the undo files that undid it."""
    target = file.outcome_path or Path(file.name)
    views = [_document_view(d) for d in documents]
    problems = file.problems
    receipt: dict[str, Any] = {
        "file": file.name,
        "file_id": file.id,
        "outcome_name": target.name,
        "outcome_path": str(target),
        "tenant": file.tenant,
        "sha256": file.sha256,
        "state": file_outcome(file, documents),
        "received_at": file.claimed_at,
        "finished_at": finished_at,
        "importer": file.importer,
        "facts": file.facts,
        "documents": views,
        "problems": [_problem_view(p) for p in problems if p["severity"] == "error"],
        "warnings": [_problem_text(p) for p in problems if p["severity"] == "warning"],
        "failed_documents": [d for d in views if d["state"] == DocumentState.FAILED],
        "done_documents": [d for d in views if d["state"] == DocumentState.DONE],
        "duplicate_of": None,
        "undone": [_undo_view(u, receipts) for u in undos],
    }
    first = file.duplicate_of
    if first is not None:
        name = first.outcome_path.name if first.outcome_path else first.name
        receipt["duplicate_of"] = {
            "file": first.name,
            "received_at": first.claimed_at,
            "receipt": str(receipts / f"{name}.receipt.json"),
        }
    return receipt


UNDO_STATES = {
    "done": "undone",
    "partial": "undone in part: see its error report for what could not be undone",
    "failed": "not undone",
    "duplicate": "nothing left to undo",
    "queued": "being undone",
    "claimed": "being undone",
}


def _undo_view(undo: UndoRecord, receipts: Path) -> dict[str, Any]:
    name = undo.outcome_path.name if undo.outcome_path else undo.undo_file
    return {
        "undo_file": undo.undo_file,
        "state": undo.state,
        "state_text": UNDO_STATES[undo.state],
        "requested_by": undo.requested_by,
        "requested_at": undo.requested_at,
        "finished_at": undo.finished_at,
        "receipt": str(receipts / f"{name}.receipt.json"),
    }


STATE_TEXTS = {
    DocumentState.DONE: "done",
    DocumentState.FAILED: "NOT created",
    DocumentState.DUPLICATE: "duplicate",
    DocumentState.QUEUED: "queued",
    DocumentState.SENDING: "being sent",
}


def _document_view(d: DocumentRecord) -> dict[str, Any]:
    steps = []
    for step in d.result:
        view = {
            "label": step["label"],
            "outcome": step["outcome"],
            "fortnox": identify(step["record"]),
        }
        if step.get("changes"):
            view["changes"] = [change_text(*change) for change in step["changes"]]
        view["text"] = step_text(view)
        steps.append(view)
    note = ""
    first = d.duplicate_of
    if d.state == DocumentState.DUPLICATE and first is not None and d.kind == "undo":
        note = f"already undone by {first.file_name} ({first.file_claimed_at}); not sent again"
    elif d.state == DocumentState.DUPLICATE and first is not None:
        note = f"already transferred from {first.file_name} ({first.file_claimed_at}); not sent again"
        if first.content_hash != d.content_hash:
            changes = describe_changes(first.document, d.document)
            note += "; its content has changed since: " + "; ".join(changes)
    created = (
        ", ".join(s["text"] for s in steps if s["outcome"] in ("created", "reconciled", "updated"))
        or "nothing new"
    )
    return {
        "kind": d.kind,
        "source_key": d.source_key,
        "state": d.state,
        "state_text": STATE_TEXTS[d.state],
        "summary": d.summary,
        "calls": describe_calls(d.plan, bodies=False),
        "steps": steps,
        "created": created,
        "error": d.last_error if d.state == DocumentState.FAILED else "",
        "note": note,
    }


def _problem_view(p: Mapping[str, Any]) -> dict[str, Any]:
    parts = []
    if p.get("line") is not None:
        parts.append(f"line {p['line']}")
    if p.get("field"):
        parts.append(f"column {p['field']!r}")
    return {**p, "where": (", ".join(parts) + ": ") if parts else ""}


def _problem_text(p: Mapping[str, Any]) -> str:
    return f"{_problem_view(p)['where']}{p['message']}"


def describe_changes(before: Any, after: Any, path: str = "") -> list[str]:
    """What differs between two versions of a document, field by field (line numbers aside)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after)):
            if key == "line":
                continue
            out += describe_changes(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} → {len(after)} entries"]
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += describe_changes(b, a, f"{path}[{i + 1}]")
        return out
    return [] if before == after else [f"{path}: {before} → {after}"]
