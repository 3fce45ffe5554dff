"""`status`: the ledger, summarised for a person (or, with --json, for a script)."""

from __future__ import annotations

from typing import Any

from bridge.config import Settings, TenantSettings
from bridge.pipeline.ledger import Ledger

__all__ = ["collect_status", "render_status"]


def collect_status(settings: Settings) -> dict[str, Any]:
    ledger = Ledger(settings.state_dir / "ledger.sqlite3")
    try:
        tenants = []
        for tenant in settings.tenants:
            counts = ledger.counts(tenant.name)
            health = ledger.tenant_status(tenant.name)
            access = ledger.access(tenant.name)
            queued = counts["documents"].get("queued", 0) + counts["documents"].get("sending", 0)
            failed = [
                {"file": row["name"], "state": row["state"], "error": row["error"] or _first_error(ledger, row["id"]),
                 "path": row["outcome_path"]}
                for row in ledger.files(["failed", "partial"], tenant=tenant.name)
            ]  # fmt: skip
            tenants.append(
                {
                    "tenant": tenant.name,
                    "fortnox": tenant["fortnox.url"] or "embedded mock",
                    "files": counts["files"],
                    "documents": counts["documents"],
                    "queued_documents": queued,
                    "waiting_for_fortnox_since": health["unreachable_since"] if health else None,
                    "last_error": health["last_error"] if health else None,
                    "last_success": health["last_success"] if health else None,
                    "failed_files": failed,
                    "connection": _connection(tenant, access),
                }
            )
        notices = [
            {"message": n["message"], "since": n["since"], "tenant": n["tenant"]} for n in ledger.notices()
        ]
        return {
            "inbox": str(settings.inbox),
            "outbox": str(settings.outbox),
            "notices": notices,
            "tenants": tenants,
        }
    finally:
        ledger.close()


def _connection(tenant: TenantSettings, access: dict | None) -> dict[str, Any]:
    """The company's access as last recorded; before any check, what the settings tell."""
    if access is not None:
        return {"state": access["state"], "since": access["since"], "notices": access["notices"]}
    if tenant.embedded:
        return {"state": "connected", "since": None, "notices": []}
    return {"state": "not checked yet", "since": None, "notices": []}


def _first_error(ledger: Ledger, file_id: int) -> str:
    for document in ledger.documents_of(file_id):
        if document["state"] == "failed":
            return f"{document['kind']} {document['source_key']}: {document['last_error']}"
    return ""


def render_status(info: dict[str, Any]) -> str:
    lines = [f"Inbox: {info['inbox']}   Outbox: {info['outbox']}"]
    for notice in info["notices"]:
        lines.append(f"! since {notice['since']}: {notice['message']}")
    for t in info["tenants"]:
        files = ", ".join(f"{n} {s}" for s, n in sorted(t["files"].items())) or "none yet"
        lines.append(f"\n{t['tenant']} ({t['fortnox']}): files: {files}")
        connection = t["connection"]
        if connection["state"] != "connected":
            since = f" since {connection['since']}" if connection["since"] else ""
            lines.append(f"  {connection['state']}{since}, {t['queued_documents']} documents queued")
        for notice in connection["notices"]:
            lines.append(f"  ! {notice['message']}")
            lines.append(f"    run: {notice['command']}")
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
