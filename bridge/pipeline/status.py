"""`status`: the ledger, summarised for a person (or, with --json, for a script)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.config import TenantSettings
from bridge.pipeline.live import live_exports
from bridge.pipeline.receipts import when
from bridge.pipeline.records import DocumentState, FileRecord, FileState
from bridge.pipeline.summary import file_state_text
from bridge.util.i18n import N_, _, ngettext, translate_message

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
    waiting = bridge.waiting()  # in a bureau most companies have nothing waiting: ask once for all
    for tenant in bridge.settings.tenants:
        queued, read = waiting.get(tenant.name, (0, 0))  # read: waiting for the company's registers
        if not queued and not read:
            continue
        what = f"{tenant.name}: {queued} document(s) queued" + (
            f", {read} file(s) not yet judged" if read else ""
        )
        connection = _connection(tenant, bridge.access(tenant.name))
        health = bridge.health(tenant.name)
        if connection["state"] not in ("connected", "not checked yet"):
            notices = "; ".join(f"{n['message']} (run: {n['command']})" for n in connection["notices"])
            lines.append(f"{what}: {connection['state']}" + (f": {notices}" if notices else ""))
        elif health.unreachable_since:
            lines.append(
                f"{what}: Fortnox has not answered since {health.unreachable_since}"
                f" ({health.last_error}); `watch` sends them once it does"
            )
        else:
            lines.append(f"{what}: waiting to be retried after a temporary error ({health.last_error})")
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
            return f"{document.name}: {translate_message(document.last_error)}"
    return ""


EMBEDDED = N_("embedded mock")
CONNECTION_STATES = {
    "connected": N_("connected"),
    "not connected": N_("not connected"),
    "reconnect needed": N_("reconnect needed"),
    "not checked yet": N_("not checked yet"),
}


def render_status(info: dict[str, Any]) -> str:
    """`status` for a person, in the language of the settings (`--json` keeps the codes)."""
    lines = [_("Inbox: %(inbox)s   Outbox: %(outbox)s") % {"inbox": info["inbox"], "outbox": info["outbox"]}]
    for notice in info["notices"]:
        lines.append(
            "! "
            + _("since %(since)s: %(message)s")
            % {"since": when(notice["since"]), "message": translate_message(notice["message"])}
        )
    for t in info["tenants"]:
        files = ", ".join(f"{n} {file_state_text(s)}" for s, n in sorted(t["files"].items())) or _("none yet")
        lines.append(
            "\n"
            + _("%(company)s (%(fortnox)s): files: %(files)s")
            % {
                "company": t["tenant"],
                "fortnox": _(EMBEDDED) if t["fortnox"] == "embedded mock" else t["fortnox"],
                "files": files,
            }
        )
        connection = t["connection"]
        queued = t["queued_documents"]
        if connection["state"] != "connected":
            state = (
                _(CONNECTION_STATES[connection["state"]])
                if connection["state"] in CONNECTION_STATES
                else connection["state"]
            )
            since = (
                " " + _("since %(since)s") % {"since": when(connection["since"])}
                if connection["since"]
                else ""
            )
            lines.append(f"  {state}{since}, " + _queued(queued))
        for notice in connection["notices"]:
            lines.append(f"  ! {translate_message(notice['message'])}")
            lines.append("    " + _("run: %(command)s") % {"command": translate_message(notice["command"])})
        if t["waiting_for_fortnox_since"]:
            lines.append(
                "  "
                + _("waiting for Fortnox since %(since)s, %(queued)s (last error: %(error)s)")
                % {
                    "since": when(t["waiting_for_fortnox_since"]),
                    "queued": _queued(queued),
                    "error": t["last_error"],
                }
            )
        elif queued:
            lines.append("  " + _queued(queued))
        live = t["live"]
        if live["exports"]:
            lines.append(
                "  "
                + _("live updates of %(exports)s: %(written)s written, %(waiting)s waiting")
                % {
                    "exports": ", ".join(live["exports"]),
                    "written": ngettext("%(n)s change", "%(n)s changes", live["done_events"])
                    % {"n": live["done_events"]},
                    "waiting": live["pending_events"],
                }
            )
        for f in t["failed_files"]:
            lines.append(
                f"  {file_state_text(str(f['state']))}: {f['file']}: {translate_message(f['error'])}"
            )
            if f["path"]:
                name = f["path"].rsplit("/", 1)[-1]
                lines.append(
                    "      "
                    + _("see %(report)s; then `fortnox-bridge retry %(name)s`")
                    % {
                        "report": f"{f['path']}.error.txt",
                        "name": name,
                    }
                )
    return "\n".join(lines)


def _queued(n: int) -> str:
    return ngettext("%(n)s document queued", "%(n)s documents queued", n) % {"n": n}
