"""What the bridge answers in `outbox/`: a receipt per file (JSON for programs, text for
people) and, for files that did not go through, an error report saying what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from bridge.pipeline.ledger import Ledger, now_iso
from bridge.util import dumps, loads

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
    }.get(step["outcome"], step["outcome"])
    return f"{step['label']}: {verb}" + (f" ({ids})" if ids else "")


def render_receipt_json(receipt: dict[str, Any]) -> str:
    return dumps(receipt, indent=2) + "\n"


def render_receipt_text(receipt: dict[str, Any]) -> str:
    return _ENV.get_template("receipt.txt.j2").render(r=receipt, headline=HEADLINES[receipt["state"]])


def render_error_report(receipt: dict[str, Any]) -> str:
    return _ENV.get_template("error.txt.j2").render(r=receipt)


def build_receipt(ledger: Ledger, outbox: Path, file_id: int, state: str, target: Path) -> dict[str, Any]:
    """Everything the receipt, the text receipt and the error report say about one file."""
    row = ledger.file(file_id)
    documents = [_document_view(ledger, d) for d in ledger.documents_of(file_id)]
    problems = loads(row["problems"]) if row["problems"] else []
    receipt: dict[str, Any] = {
        "file": row["name"],
        "file_id": file_id,
        "outcome_name": target.name,
        "outcome_path": str(target),
        "tenant": row["tenant"],
        "sha256": row["sha256"],
        "state": state,
        "received_at": row["claimed_at"],
        "finished_at": now_iso(),
        "importer": row["importer"] or "",
        "facts": loads(row["facts"]) if row["facts"] else {},
        "documents": documents,
        "problems": [_problem_view(p) for p in problems if p["severity"] == "error"],
        "warnings": [_problem_text(p) for p in problems if p["severity"] == "warning"],
        "failed_documents": [d for d in documents if d["state"] == "failed"],
        "done_documents": [d for d in documents if d["state"] == "done"],
        "duplicate_of": None,
    }
    if row["duplicate_of"]:
        first = ledger.file(row["duplicate_of"])
        name = Path(first["outcome_path"]).name if first["outcome_path"] else first["name"]
        receipt["duplicate_of"] = {
            "file": first["name"],
            "received_at": first["claimed_at"],
            "receipt": str(outbox / "receipts" / f"{name}.receipt.json"),
        }
    return receipt


def _document_view(ledger: Ledger, d: Any) -> dict[str, Any]:
    steps = []
    for step in loads(d["result"]) if d["result"] else []:
        view = {
            "label": step["label"],
            "outcome": step["outcome"],
            "fortnox": identify(step["record"]),
        }
        view["text"] = step_text(view)
        steps.append(view)
    note = ""
    if d["state"] == "duplicate":
        first = ledger.document(d["duplicate_of"])
        first_file = ledger.file(first["file_id"])
        note = f"already transferred from {first_file['name']} ({first_file['claimed_at']}); not sent again"
        if first["content_hash"] != d["content_hash"]:
            changes = describe_changes(loads(first["document"]), loads(d["document"]))
            note += "; its content has changed since: " + "; ".join(changes)
    created = (
        ", ".join(s["text"] for s in steps if s["outcome"] in ("created", "reconciled", "updated"))
        or "nothing new"
    )
    return {
        "kind": d["kind"],
        "source_key": d["source_key"],
        "state": d["state"],
        "state_text": {
            "done": "done",
            "failed": "NOT created",
            "duplicate": "duplicate",
            "queued": "queued",
            "sending": "being sent",
        }[d["state"]],
        "summary": d["summary"],
        "steps": steps,
        "created": created,
        "error": d["last_error"] if d["state"] == "failed" else "",
        "note": note,
    }


def _problem_view(p: dict[str, Any]) -> dict[str, Any]:
    parts = []
    if p.get("line") is not None:
        parts.append(f"line {p['line']}")
    if p.get("field"):
        parts.append(f"column {p['field']!r}")
    return {**p, "where": (", ".join(parts) + ": ") if parts else ""}


def _problem_text(p: dict[str, Any]) -> str:
    return _problem_view(p)["where"] + p["message"]


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
