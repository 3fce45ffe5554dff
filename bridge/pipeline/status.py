"""`status`: the ledger, summarised for a person (or, with --json, for a script)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.config import TenantSettings
from bridge.pipeline.live import live_exports
from bridge.pipeline.records import DocumentState, FileRecord, FileState

if TYPE_CHECKING:
    from bridge.pipeline.service import Bridge

__all__ = ["collect_status", "render_status", "what_waits"]


def collect_status(bridge: Bridge) -> dict[str, Any]:
    settings = bridge.settings
    tenants = []
    live_counts = bridge.ledger.live_counts()
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
                "connection": _connection(tenant, bridge.access(tenant.name)),
                "live": {
                    "exports": list(live_exports(settings, tenant.name)),
                    "pending_events": live_counts.get(tenant.name, {}).get("pending", 0),
                    "done_events": live_counts.get(tenant.name, {}).get("done", 0),
                },
            }
        )
    notices = [{"message": n.message, "since": n.since, "tenant": n.tenant} for n in bridge.notices()]
    return {
        "inbox": str(settings.inbox),
        "outbox": str(settings.outbox),
        "notices": notices,
        "tenants": tenants,
    }


def what_waits(bridge: Bridge, unsettled: list[Path] | None = None) -> list[str]:
    """After `watch --once`: each company whose documents could not be sent now, how many and
    why, with what to do; and files still being written into the inbox. Empty: nothing waits."""
    lines = [f"{path}: still being written; taken once it stops changing" for path in unsettled or ()]
    for t in collect_status(bridge)["tenants"]:
        queued = t["queued_documents"]
        read = t["files"].get(FileState.CLAIMED, 0)  # read, waiting for the company's registers
        if not queued and not read:
            continue
        what = f"{t['tenant']}: {queued} document(s) queued" + (
            f", {read} file(s) not yet judged" if read else ""
        )
        connection = t["connection"]
        if connection["state"] not in ("connected", "not checked yet"):
            notices = "; ".join(f"{n['message']} (run: {n['command']})" for n in connection["notices"])
            lines.append(f"{what}: {connection['state']}" + (f": {notices}" if notices else ""))
        elif t["waiting_for_fortnox_since"]:
            lines.append(
                f"{what}: Fortnox has not answered since {t['waiting_for_fortnox_since']}"
                f" ({t['last_error']}); `watch` sends them once it does"
            )
        else:
            lines.append(f"{what}: waiting to be retried after a temporary error ({t['last_error']})")
    return lines


def _connection(tenant: TenantSettings, access: dict[str, Any] | None) -> dict[str, Any]:
    """The company's access as last recorded; before any check, what the settings tell."""
    if access is not None:
        return {"state": access["state"], "since": access["since"], "notices": access["notices"]}
    if tenant.embedded:
        return {"state": "connected", "since": None, "notices": []}
    return {"state": "not checked yet", "since": None, "notices": []}


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
        live = t["live"]
        if live["exports"]:
            lines.append(
                f"  live updates of {', '.join(live['exports'])}: {live['done_events']} change(s) written, "
                f"{live['pending_events']} waiting"
            )
        for f in t["failed_files"]:
            lines.append(f"  {f['state']}: {f['file']}: {f['error']}")
            lines.append(
                f"      see {f['path']}.error.txt; then `fortnox-bridge retry {f['path'].rsplit('/', 1)[-1]}`"
                if f["path"]
                else ""
            )
    return "\n".join(line for line in lines if line is not None)
