"""`status`: the ledger, summarised for a person (or, with --json, for a script)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge.pipeline.records import DocumentState, FileRecord, FileState

if TYPE_CHECKING:
    from bridge.pipeline.service import Bridge

__all__ = ["collect_status", "render_status"]


def collect_status(bridge: Bridge) -> dict[str, Any]:
    settings = bridge.settings
    tenants = []
    for tenant in settings.tenants:
        counts = bridge.counts(tenant.name)
        health = bridge.health(tenant.name)
        queued = counts["documents"].get(DocumentState.QUEUED, 0) + counts["documents"].get(
            DocumentState.SENDING, 0
        )
        failed = [
            {"file": f.name, "state": f.state, "error": f.error or _first_error(bridge, f),
             "path": str(f.outcome_path) if f.outcome_path else None}
            for f in bridge.files(states=[FileState.FAILED, FileState.PARTIAL], tenant=tenant.name)
        ]  # fmt: skip
        tenants.append(
            {
                "tenant": tenant.name,
                "fortnox": tenant["fortnox.url"] or "embedded mock",
                "files": counts["files"],
                "documents": counts["documents"],
                "queued_documents": queued,
                "waiting_for_fortnox_since": health.unreachable_since,
                "last_error": health.last_error,
                "last_success": health.last_success,
                "failed_files": failed,
            }
        )
    notices = [{"message": n.message, "since": n.since, "tenant": n.tenant} for n in bridge.notices()]
    return {
        "inbox": str(settings.inbox),
        "outbox": str(settings.outbox),
        "notices": notices,
        "tenants": tenants,
    }


def _first_error(bridge: Bridge, file: FileRecord) -> str:
    for document in bridge.documents(file.id):
        if document.state == DocumentState.FAILED:
            return f"{document.name}: {document.last_error}"
    return ""


def render_status(info: dict[str, Any]) -> str:
    lines = [f"Inbox: {info['inbox']}   Outbox: {info['outbox']}"]
    for notice in info["notices"]:
        lines.append(f"! since {notice['since']}: {notice['message']}")
    for t in info["tenants"]:
        files = ", ".join(f"{n} {s}" for s, n in sorted(t["files"].items())) or "none yet"
        lines.append(f"\n{t['tenant']} ({t['fortnox']}): files: {files}")
        if t["waiting_for_fortnox_since"]:
            lines.append(
                f"  waiting for Fortnox since {t['waiting_for_fortnox_since']}, "
                f"{t['queued_documents']} documents queued (last error: {t['last_error']})"
            )
        elif t["queued_documents"]:
            lines.append(f"  {t['queued_documents']} documents queued")
        for f in t["failed_files"]:
            lines.append(f"  {f['state']}: {f['file']}: {f['error']}")
            lines.append(
                f"      see {f['path']}.error.txt; then `fortnox-bridge retry {f['path'].rsplit('/', 1)[-1]}`"
                if f["path"]
                else ""
            )
    return "\n".join(line for line in lines if line is not None)
