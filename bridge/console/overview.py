"""What the pages show, gathered from the `Bridge` into plain dictionaries for the templates:
one row per company, a company's files, a file's documents with their Fortnox numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.console.text import _
from bridge.fortnox.scopes import MODULES
from bridge.pipeline import Bridge, DocumentRecord, FileRecord, FileState
from bridge.pipeline.receipts import identify
from bridge.util.i18n import translate_message

__all__ = [
    "company_rows",
    "connection_label",
    "document_views",
    "file_label",
    "file_view",
    "recent_files",
]

FILES_SHOWN = 100


def connection_label(state: str) -> tuple[str, str]:
    """The connection's colour class and its words: green, amber (a person must act), grey."""
    labels = {
        "connected": ("ok", _("Connected")),
        "reconnect needed": ("warn", _("Reconnect needed")),
        "not connected": ("off", _("Not connected")),
        "unreachable": ("warn", _("Fortnox does not answer")),
        "not checked yet": ("unknown", _("Not checked yet")),
    }
    return labels.get(state, ("unknown", state))


def file_label(state: str) -> str:
    labels = {
        "claimed": _("Received"),
        "queued": _("Queued"),
        "sending": _("Being sent"),
        "done": _("Done"),
        "failed": _("Failed"),
        "partial": _("Imported in part"),
        "duplicate": _("Duplicate, nothing sent"),
    }
    return labels.get(state, state)


def company_rows(bridge: Bridge) -> list[dict[str, Any]]:
    status = bridge.status()
    rows = []
    for company in status["tenants"]:
        name = company["tenant"]
        settings = bridge.settings.tenant(name)
        access = bridge.access(name) or {}
        checked = access.get("checked") or {}
        files = company["files"]
        done = bridge.latest_files(name, [FileState.DONE], limit=1)
        colour, words = connection_label(company["connection"]["state"])
        rows.append(
            {
                "name": name,
                "company": checked.get("company") or settings["fortnox.company"] or "",
                "embedded": settings.embedded,
                "connection": company["connection"]["state"],
                "connection_class": colour,
                "connection_text": words,
                "connection_since": company["connection"]["since"],
                "licences_missing": _missing_licences(checked.get("licences") or {}),
                "notices": [n["message"] for n in company["connection"]["notices"]],
                "files_queued": files.get("queued", 0) + files.get("claimed", 0),
                "documents_queued": company["queued_documents"],
                "waiting_since": company["waiting_for_fortnox_since"],
                "failed": len(company["failed_files"]),
                "last_done": _file_summary(done[0]) if done else None,
            }
        )
    return rows


def _missing_licences(licences: dict[str, bool]) -> list[str]:
    """Fortnox's own (Swedish) module names, as the company's administrator sees them."""
    names = [MODULES.get(scope, scope).split(" (")[0] for scope, present in licences.items() if not present]
    return sorted(set(names))


def _file_summary(file: FileRecord) -> dict[str, Any]:
    return {"id": file.id, "name": file.name, "at": file.finished_at or file.claimed_at}


def recent_files(bridge: Bridge, tenant: str) -> list[dict[str, Any]]:
    """The company's latest files, newest first."""
    return [
        file_view(bridge, f, with_documents=False) for f in bridge.latest_files(tenant, limit=FILES_SHOWN)
    ]


def file_view(bridge: Bridge, file: FileRecord, *, with_documents: bool = True) -> dict[str, Any]:
    counts = bridge.document_counts(file.id)
    state = str(file.state)
    if state == "queued" and (counts.get("sending") or counts.get("done")):
        state = "sending"
    view: dict[str, Any] = {
        "id": file.id,
        "name": file.name,
        "tenant": file.tenant,
        "state": state,
        "state_text": file_label(state),
        "retryable": file.state.retryable,
        "claimed_at": file.claimed_at,
        "finished_at": file.finished_at,
        "error": translate_message(file.error),
        "documents_total": sum(counts.values()),
        "documents_done": counts.get("done", 0),
        "documents_failed": counts.get("failed", 0),
    }
    if with_documents:
        view["documents"] = document_views(bridge.documents(file.id))
        view["problems"] = [dict(p) for p in file.problems]
        view["receipt"], view["error_report"] = _answers(bridge, file)
    return view


def document_views(documents: list[DocumentRecord]) -> list[dict[str, Any]]:
    return [
        {
            "summary": d.summary or d.name,
            "state": str(d.state),
            "state_text": file_label(str(d.state)),
            "numbers": _numbers(d),
            "error": translate_message(d.last_error),
        }
        for d in documents
    ]


def _numbers(document: DocumentRecord) -> list[str]:
    """What each step made or found in Fortnox, by Fortnox's numbers (`Invoice: DocumentNumber 12`)."""
    shown = []
    for step in document.result or ():
        if step.get("outcome") not in ("created", "reconciled", "updated", "existing"):
            continue
        fortnox = identify(step.get("record") or {})
        ids = ", ".join(f"{k} {v}" for k, v in fortnox.items() if k not in ("@url", "Total"))
        if ids:
            shown.append(f"{step.get('label', '')}: {ids}")
    return shown


def _answers(bridge: Bridge, file: FileRecord) -> tuple[str | None, str | None]:
    """The text receipt and the error report the bridge wrote in outbox/, when there are."""
    if file.outcome_path is None:
        return None, None
    receipt = bridge.settings.outbox / "receipts" / f"{file.outcome_path.name}.receipt.txt"
    report = file.outcome_path.with_name(file.outcome_path.name + ".error.txt")
    return _read(receipt), _read(report) if file.state.retryable else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
