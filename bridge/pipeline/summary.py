"""A short table for the terminal: each file and what it became in Fortnox, in totals and
Fortnox's numbers (the receipt beside it has the detail)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bridge.pipeline import receipts
from bridge.pipeline.records import DocumentState, FileRecord
from bridge.util.i18n import N_, _, ngettext, translate_message

if TYPE_CHECKING:
    from bridge.pipeline.service import Bridge

__all__ = ["file_state_text", "results_json", "results_table"]

FILE_STATES = {
    "done": N_("done"),
    "partial": N_("in part"),
    "failed": N_("failed"),
    "duplicate": N_("duplicate"),
    "queued": N_("queued"),
    "claimed": N_("queued"),
    "waiting": N_("waiting"),
}


def file_state_text(state: str) -> str:
    return _(FILE_STATES[state]) if state in FILE_STATES else state


def results_table(bridge: Bridge, files: Sequence[FileRecord]) -> tuple[str, bool]:
    """Each of `files` and what it became; answers the text and whether any of them failed."""
    if not files:
        return _("Nothing new."), False
    failed = False
    rows = []
    for file in files:
        failed |= file.state.retryable
        details: list[str] = []
        if file.work_path is None and file.state.retryable:  # made by a command: no report in failed/
            failures = [d for d in bridge.documents(file.id) if d.state == DocumentState.FAILED]
            details = [f"  {d.name}: {translate_message(d.last_error)}" for d in failures]
        rows.append((file.name, file_state_text(str(file.state)), _outcome(bridge, file), details))
    width = min(32, max(len(_("file")), *(len(r[0]) for r in rows)))
    state_width = max(len(_("result")), *(len(r[1]) for r in rows))
    head_file, head_result, head_fortnox = _("file"), _("result"), _("in Fortnox")
    lines = [f"{head_file:{width}} {head_result:{state_width}} {head_fortnox}"]
    for name, state, what, details in rows:
        lines.append(f"{name[:width]:{width}} {state:{state_width}} {what}")
        lines += details
    outbox = bridge.settings.outbox
    lines.append(
        "\n"
        + _("Receipts: %(receipts)s   Failed: %(failed)s   Originals: %(archive)s")
        % {"receipts": outbox / "receipts", "failed": outbox / "failed", "archive": outbox / "archive"}
    )
    return "\n".join(lines), failed


def _outcome(bridge: Bridge, file: FileRecord) -> str:
    if file.duplicate_of is not None:
        first = file.duplicate_of
        return _("same content as %(file)s (%(at)s): nothing sent again") % {
            "file": first.name,
            "at": receipts.when(first.claimed_at),
        }
    views = [receipts.document_view(d) for d in bridge.documents(file.id)]
    summary: dict[str, Any] = receipts.summarise(views, [], [])
    verbs = {
        "created": _("created %(what)s"),
        "updated": _("changed %(what)s"),
        "removed": _("removed %(what)s"),
    }
    parts = [verbs[m["outcome"]] % {"what": receipts.made_text(m)} for m in summary["fortnox"]]
    states = summary["documents"]
    if states.get("duplicate"):
        parts.append(
            ngettext("%(n)s sent before, not again", "%(n)s sent before, not again", states["duplicate"])
            % {"n": states["duplicate"]}
        )
    if summary["failed_documents"]:
        n = summary["failed_documents"]
        parts.append(ngettext("%(n)s NOT created", "%(n)s NOT created", n) % {"n": n})
    waiting = states.get("queued", 0) + states.get("sending", 0)
    if waiting:
        parts.append(ngettext("%(n)s queued", "%(n)s queued", waiting) % {"n": waiting})
    if not parts and file.error:
        return translate_message(file.error)
    return "; ".join(parts) or _("nothing new was needed")


def results_json(bridge: Bridge, files: Sequence[FileRecord]) -> dict[str, Any]:
    """The same for programs (`--json`): stable codes, counts and Fortnox's numbers."""
    answer = []
    for file in files:
        views = [receipts.document_view(d) for d in bridge.documents(file.id)]
        answer.append(
            {
                "file": file.name,
                "file_id": file.id,
                "tenant": file.tenant,
                "state": file.state,
                "summary": receipts.summarise(
                    views, [p for p in file.problems if p["severity"] == "error"], []
                ),
                "error": file.error or None,
                "outcome_path": str(file.outcome_path) if file.outcome_path else None,
                "duplicate_of": file.duplicate_of.name if file.duplicate_of is not None else None,
            }
        )
    return {"files": answer, "failed": any(f.state.retryable for f in files)}
