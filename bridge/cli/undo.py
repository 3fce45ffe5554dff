"""`undo FILE [--preview] [--json]`: reverse what a file created in Fortnox, as Fortnox allows."""

from __future__ import annotations

from typing import Any

import click

from bridge.cli.common import Context, finish, open_bridge, pass_context, print_results, reading
from bridge.pipeline.records import FileState
from bridge.planner.describe import call_line
from bridge.util import dumps
from bridge.util.i18n import _, translate_message

__all__ = ["undo"]


@click.command()
@click.argument("file")
@click.option("--preview", is_flag=True, help="Show what would be reversed, as `check` does. Sends nothing.")
@click.option("--tenant", help="Company, when several are configured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
@pass_context
def undo(ctx: Context, file: str, preview: bool, tenant: str | None, as_json: bool) -> None:
    """Undo FILE (its name in outbox/archive/ or outbox/failed/, or its receipt): every voucher
    it created is reversed, invoices cancelled or credited, uploads removed; what cannot be
    undone is listed, and what changed in Fortnox since is reported and left alone."""
    if preview:
        with reading(ctx) as bridge:
            report = bridge.undo_preview(file, tenant=tenant)
        click.echo(dumps(report, indent=2) if as_json else _preview_text(report))
        finish(not report["ok"])
    with open_bridge(ctx) as bridge:
        record = bridge.undo(file, tenant=tenant)
        if not as_json:  # with any earlier undo still under way (its reversals are this one's too)
            waiting = [f for f in bridge.files(states=[FileState.QUEUED]) if f.importer == "undo"]
            finish(print_results(bridge, [record, *(f for f in waiting if f.id != record.id)]))
        documents = [
            {"state": d.state, "summary": d.summary, "error": d.last_error or None}
            for d in bridge.documents(record.id)
        ]
    outcome = str(record.outcome_path) if record.outcome_path else None
    click.echo(dumps({"state": record.state, "documents": documents, "outcome_path": outcome}, indent=2))
    finish(record.state.retryable)


def _preview_text(report: dict[str, Any]) -> str:
    verdict = _("OK") if report["ok"] else _("REFUSED")
    lines = [
        _("undo %(file)s (%(company)s): %(verdict)s")
        % {"file": report["file"], "company": report["tenant"], "verdict": verdict}
    ]
    for problem in report["problems"]:
        severity = _("error") if problem["severity"] == "error" else _("warning")
        lines.append(f"  {severity}: {translate_message(problem['message'])}")
        if problem["hint"]:
            lines.append("      " + _("What to do: %(hint)s") % {"hint": translate_message(problem["hint"])})
    for document in report["documents"]:
        lines.append(f"  {translate_message(document['summary'])}")
        if document.get("already_undone_by"):
            lines.append(
                "    "
                + _("already undone by %(file)s: nothing is sent again")
                % {"file": document["already_undone_by"]}
            )
        lines += [f"    {call_line(call)}" for call in document["calls"]]
    if not report["documents"]:
        lines.append("  " + _("nothing to reverse"))
    return "\n".join(lines)
