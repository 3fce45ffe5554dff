"""What the bridge answers in `outbox/`: a receipt per file (JSON for programs, text for
people) and, for files that did not go through, an error report saying what to do.

A receipt opens with its summary — what was created, counted, with Fortnox's numbers gathered
into runs, and whether anything needs a person — before the detail. The JSON is for programs and
stays language-neutral: states, outcomes and envelopes are stable codes, and it carries Fortnox's
numbers, not the planned calls (a year of vouchers would make it megabytes). The text speaks the
reader's language (`ui.language`), through the gettext catalogs.

Pure: a receipt is built from the file's record and its documents' records alone."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from bridge.pipeline.fortnox_numbers import fortnox_number, number_ranges
from bridge.pipeline.records import DocumentRecord, DocumentState, FileRecord, UndoRecord, file_outcome
from bridge.util import dumps
from bridge.util.i18n import N_, _, current_language, ngettext, translate_message
from bridge.util.text import printable

__all__ = [
    "IDENTIFYING_FIELDS",
    "build_receipt",
    "describe_changes",
    "document_view",
    "fix_lies_in",
    "made_text",
    "next_step",
    "render_error_report",
    "render_receipt_json",
    "render_receipt_text",
    "summarise",
    "when",
]

IDENTIFYING_FIELDS = (
    "DocumentNumber", "CustomerNumber", "ArticleNumber", "GivenNumber", "SupplierNumber",
    "VoucherSeries", "VoucherNumber", "Year", "Id", "FileId", "Code", "Number", "ProjectNumber",
    "InvoiceNumber", "OCR", "Total",
)  # fmt: skip

# Outcomes that leave something new or changed in Fortnox, and the summary line each counts in.
_SUMMARY_OUTCOMES = {
    "created": "created",
    "reconciled": "created",
    "updated": "updated",
    "removed": "removed",
}
SHOWN_RANGES = 8  # a summary line names this many runs of numbers, then how many in all

_ENV = Environment(
    loader=PackageLoader("bridge", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,  # plain-text reports
    auto_reload=False,  # the templates ship with the package: no look at their files per receipt
    # A file name or value with a newline or an escape sequence is shown escaped, never raw.
    finalize=lambda value: printable(value) if isinstance(value, str) else value,
    extensions=["jinja2.ext.i18n"],
)
# Callables, not one catalog: the language is looked up at each message (a process may write
# receipts for companies, or console readers, in different languages).
_ENV.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)  # type: ignore[attr-defined]
_LOADING = threading.Lock()


def _template(name: str) -> Template:
    """Compiled once: the sending workers' first receipts come together, and each compiled the
    template of its own while none was cached yet (a tenth of a second apiece)."""
    with _LOADING:
        return _ENV.get_template(name)


HEADLINES = {
    "done": N_("imported"),
    "partial": N_("imported in part"),
    "failed": N_("not imported"),
    "duplicate": N_("duplicate, nothing sent"),
}
UNDO_HEADLINES = {"done": N_("undone"), "partial": N_("undone in part"), "failed": N_("not undone")}

STEP_VERBS = {
    "created": N_("created in Fortnox"),
    "existing": N_("already in Fortnox"),
    "reconciled": N_("found in Fortnox (created by an earlier attempt)"),
    "updated": N_("done in Fortnox"),
    "already": N_("already done in Fortnox"),
    "skipped": N_("not needed"),
    "absent": N_("not in Fortnox"),
    "unchanged": N_("unchanged in Fortnox, nothing written"),
    "removed": N_("removed from Fortnox"),
    "module": N_("the company has it"),
    "no-module": N_("the company has none; the bridge keeps the order as an expected order"),
}

UNDO_STATES = {
    "done": N_("undone"),
    "partial": N_("undone in part: see its error report for what could not be undone"),
    "failed": N_("not undone"),
    "duplicate": N_("nothing left to undo"),
    "queued": N_("being undone"),
    "claimed": N_("being undone"),
}

IMPORTERS = {
    "sie": N_("a SIE file"),
    "csv-invoices": N_("CSV invoices"),
    "csv-journal": N_("a journal CSV"),
    "csv-customers": N_("a customer register"),
    "csv-projects": N_("a project register"),
    "csv-articles": N_("an article register"),
    "einvoice": N_("an e-invoice"),
    "pdf": N_("a PDF"),
    "cancel": N_("a cancellation"),
    "undo": N_("an undo file"),
}


# Where the fix of a refusal lies, by the problem's code, so that the report offers `retry` only
# where retrying can help. `file`: the file itself is wrong (correct it, drop it again: retried
# as it is, it fails the same way); `elsewhere`: it is for another company; `fortnox`: the fix
# is in Fortnox or the settings, and then `retry` helps. Codes not named here get the general
# text, which names both ways.
_FILE_CODES = frozenset({
    "credit.empty", "invoice.company-without-org-number", "journal.unbalanced", "journal.rounding-row",
    "pdf.not-a-pdf", "register.too-long", "sie.account-digits", "sie.all-rows-removed", "sie.currency",
    "sie.duplicate-voucher", "sie.no-vouchers", "sie.not-sie", "sie.too-few-rows", "sie.unbalanced",
})  # fmt: skip
_FILE_PREFIXES = ("csv.", "file.", "einvoice.", "cancel.", "undo.file", "undo.encoding", "undo.empty")
_ELSEWHERE_CODES = frozenset({"supplierinvoice.not-our-company", "sie.org-number"})
_FORTNOX_PREFIXES = (
    "config.", "journal.account", "journal.locked-period", "journal.no-financial-year", "journal.object-missing",
    "journal.series-", "pdf.no-financial-year", "undo.locked-period", "undo.no-financial-year", "internal",
)  # fmt: skip


def fix_lies_in(code: str) -> str:
    """`file`, `elsewhere`, `fortnox` or `` (not known) for a problem's code."""
    if code in _ELSEWHERE_CODES:
        return "elsewhere"
    if code in _FILE_CODES or code.startswith(_FILE_PREFIXES):
        return "file"
    if code.startswith(_FORTNOX_PREFIXES):
        return "fortnox"
    return ""


def next_step(problems: Sequence[Mapping[str, Any]], failed_documents: int, *, made_by_command: bool) -> str:
    """What the report tells a person to do: `command` (repeat the command that made it, once
    the cause is fixed), `elsewhere` (drop it into the right company's inbox), `correct` (the
    file itself is wrong), `retry` (fix in Fortnox or the settings, then retry), or `either`
    (not known which: both ways are named)."""
    if made_by_command:
        return "command"
    places = {fix_lies_in(str(p.get("code") or "")) for p in problems if p.get("severity") == "error"}
    if "elsewhere" in places:
        return "elsewhere"
    if failed_documents:
        return "retry"
    if places == {"file"}:
        return "correct"
    if places == {"fortnox"}:
        return "retry"
    return "either"


def _next_step(file: FileRecord, documents: Sequence[DocumentRecord]) -> str:
    failed = [d for d in documents if d.state == DocumentState.FAILED]
    planned = [p for d in failed if isinstance(d.error_detail, list) for p in d.error_detail]
    by_fortnox = sum(not isinstance(d.error_detail, list) for d in failed)  # refused when sent
    return next_step([*file.problems, *planned], by_fortnox, made_by_command=file.work_path is None)


def counted(envelope: str, n: int) -> str:
    """`3 vouchers`, `1 customer`: what Fortnox calls the records, counted, in the reader's language."""
    nouns = {
        "Voucher": lambda: ngettext("%(n)s voucher", "%(n)s vouchers", n),
        "VoucherSeries": lambda: ngettext("%(n)s voucher series", "%(n)s voucher series", n),
        "Account": lambda: ngettext("%(n)s account", "%(n)s accounts", n),
        "CostCenter": lambda: ngettext("%(n)s cost centre", "%(n)s cost centres", n),
        "Project": lambda: ngettext("%(n)s project", "%(n)s projects", n),
        "Customer": lambda: ngettext("%(n)s customer", "%(n)s customers", n),
        "Article": lambda: ngettext("%(n)s article", "%(n)s articles", n),
        "Supplier": lambda: ngettext("%(n)s supplier", "%(n)s suppliers", n),
        "Invoice": lambda: ngettext("%(n)s customer invoice", "%(n)s customer invoices", n),
        "SupplierInvoice": lambda: ngettext("%(n)s supplier invoice", "%(n)s supplier invoices", n),
        "SupplierInvoiceAccrual": lambda: ngettext("%(n)s accrual", "%(n)s accruals", n),
        "FinancialYear": lambda: ngettext("%(n)s financial year", "%(n)s financial years", n),
        "File": lambda: ngettext("%(n)s file", "%(n)s files", n),
        "VoucherFileConnection": lambda: ngettext(
            "%(n)s document attached to a voucher", "%(n)s documents attached to vouchers", n
        ),
        "SupplierInvoiceFileConnection": lambda: ngettext(
            "%(n)s image attached to a supplier invoice", "%(n)s images attached to supplier invoices", n
        ),
    }
    text = nouns[envelope]() if envelope in nouns else ngettext("%(n)s record", "%(n)s records", n)
    return text % {"n": count_text(n)}


def count_text(n: int) -> str:
    """`4,434` in English, `4 434` in Swedish (a no-break space, as Swedish typesetting has it)."""
    return f"{n:,}".replace(",", "\u00a0") if current_language() == "sv" else f"{n:,}"


def identify(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in IDENTIFYING_FIELDS if record.get(k) not in (None, "")}


def step_text(step: Mapping[str, Any]) -> str:
    """One call's outcome for a person: `invoice 2026-1001: created in Fortnox (no. 1)`."""
    return f"{translate_message(step['label'])}: {step_outcome(step)}"


def step_outcome(step: Mapping[str, Any]) -> str:
    verb = _(STEP_VERBS[step["outcome"]]) if step["outcome"] in STEP_VERBS else step["outcome"]
    if step.get("changes"):  # a register record: which fields were written, before → after
        changes = "; ".join(change_text(c["field"], c["before"], c["after"]) for c in step["changes"])
        verb = _("updated in Fortnox: %(changes)s") % {"changes": changes}
    number = step.get("number")
    if number and not re.search(rf"(?<![\w-]){re.escape(number)}(?![\w-])", step["label"]):
        verb += " (" + _("no. %(number)s") % {"number": number} + ")"
    return verb


def change_text(field_name: str, before: Any, after: Any) -> str:
    return f"{field_name} {_shown(before)} → {_shown(after)}"


def _shown(value: Any) -> str:
    return _("(empty)") if value in (None, "") else repr(value) if isinstance(value, str) else str(value)


# -- Rendering ----------------------------------------------------------------------------------


def render_receipt_json(receipt: dict[str, Any]) -> str:
    """Laid out for reading, with one line per document (a SIE file has thousands)."""
    documents = receipt["documents"]
    head = dumps({**receipt, "documents": None}, indent=2)
    if not documents:
        return head.replace('"documents": null', '"documents": []') + "\n"
    lines = ",\n    ".join(dumps(d) for d in documents)
    return head.replace('"documents": null', f'"documents": [\n    {lines}\n  ]') + "\n"


def render_receipt_text(receipt: dict[str, Any]) -> str:
    state = receipt["state"]
    table = UNDO_HEADLINES if receipt["importer"] == "undo" and state in UNDO_HEADLINES else HEADLINES
    return _template("receipt.txt.j2").render(r=receipt, headline=_(table[state]), **_helpers())


def render_error_report(receipt: dict[str, Any]) -> str:
    template = "undo-error.txt.j2" if receipt["importer"] == "undo" else "error.txt.j2"
    return _template(template).render(r=receipt, **_helpers())


def _helpers() -> dict[str, Any]:
    return {
        "summary_lines": summary_lines,
        "document_lines": document_lines,
        "problem_text": problem_text,
        "when": when,
        "importer_text": lambda code: _(IMPORTERS[code]) if code in IMPORTERS else code,
        "undo_state_text": lambda state: _(UNDO_STATES[state]),
        "tr": translate_message,
    }


def summary_lines(receipt: Mapping[str, Any]) -> list[str]:
    """The receipt's opening: what Fortnox has now, and what needs a person."""
    summary = receipt["summary"]
    lines = []
    headings = {
        "created": _("Created in Fortnox"),
        "updated": _("Changed in Fortnox"),
        "removed": _("Removed from Fortnox"),
    }
    for outcome, heading in headings.items():
        made = [m for m in summary["fortnox"] if m["outcome"] == outcome]
        if made:
            lines.append(f"{heading}: " + "; ".join(made_text(m) for m in made) + ".")
    if not lines and receipt["state"] != "duplicate":
        lines.append(_("Nothing new was created in Fortnox."))
    duplicates = summary["documents"].get(DocumentState.DUPLICATE, 0)
    if duplicates and receipt["state"] != "duplicate":
        lines.append(
            ngettext(
                "%(n)s document was sent before and not again.",
                "%(n)s documents were sent before and not again.",
                duplicates,
            )
            % {"n": count_text(duplicates)}
        )
    waiting = summary["documents"].get(DocumentState.QUEUED, 0) + summary["documents"].get(
        DocumentState.SENDING, 0
    )
    if waiting:
        lines.append(
            ngettext(
                "%(n)s document is waiting to be sent.", "%(n)s documents are waiting to be sent.", waiting
            )
            % {"n": count_text(waiting)}
        )
    lines.append(_needs_a_person(receipt))
    return lines


def made_text(made: Mapping[str, Any]) -> str:
    text = counted(made["envelope"], made["count"])
    runs = made["numbers"]
    if not runs:
        return text
    shown = ", ".join(runs[:SHOWN_RANGES]) + (" …" if len(runs) > SHOWN_RANGES else "")
    return f"{text} ({shown})"


def _needs_a_person(receipt: Mapping[str, Any]) -> str:
    summary = receipt["summary"]
    failed, problems = summary["failed_documents"], summary["problems"]
    report = f"outbox/failed/{receipt['outcome_name']}.error.txt"
    if failed:
        return ngettext(
            "Needs a person: %(n)s document was not created; what to do is in %(report)s.",
            "Needs a person: %(n)s documents were not created; what to do is in %(report)s.",
            failed,
        ) % {"n": count_text(failed), "report": report}
    if problems or receipt["state"] in ("failed", "partial"):
        return _("Needs a person: yes; what is wrong and what to do is in %(report)s.") % {"report": report}
    if summary["warnings"]:
        return ngettext(
            "Needs a person: nothing, but read the warning at the end.",
            "Needs a person: nothing, but read the %(n)s warnings at the end.",
            summary["warnings"],
        ) % {"n": summary["warnings"]}
    return _("Needs a person: nothing.")


def document_lines(d: Mapping[str, Any]) -> list[str]:
    """One document for a person: a line when it was one call, its calls beneath it otherwise."""
    steps = d["steps"]
    raw = d["summary"] or f"{d['kind']} {d['source_key']}"
    head = (
        _("accounts, series and objects the file needs")
        if d["kind"] == "registers"
        else translate_message(raw)
    )
    extra: list[str] = []
    if d["state"] == DocumentState.FAILED:
        extra.append(_("NOT created: %(error)s") % {"error": translate_message(d["error"])})
    elif d["state"] in (DocumentState.QUEUED, DocumentState.SENDING):
        extra.append(_("waiting to be sent"))
    elif d["state"] == DocumentState.DUPLICATE:
        extra.append(_duplicate_text(d))
    if len(steps) == 1 and not extra:
        step = steps[0]
        return [f"- {head} — {step_outcome(step)}" if step["label"] in raw else f"- {step_text(step)}"]
    return [f"- {head}", *(f"    {step_text(s)}" for s in steps), *(f"    {e}" for e in extra)]


def _duplicate_text(d: Mapping[str, Any]) -> str:
    first = d.get("duplicate_of")
    if not first:
        return _("sent before, not again")
    values = {"file": first["file"], "at": when(first["received_at"])}
    if d["kind"] == "undo":
        return _("already undone by %(file)s (%(at)s); not sent again") % values
    text = _("already transferred from %(file)s (%(at)s); not sent again") % values
    if first.get("changed"):
        text += "; " + _("its content has changed since: %(changes)s") % {
            "changes": "; ".join(first["changed"])
        }
    return text


def problem_text(p: Mapping[str, Any]) -> str:
    """`line 3, column 'Antal': 'två' is not a number`."""
    parts = []
    if p.get("line") is not None:
        parts.append(_("line %(line)s") % {"line": p["line"]})
    if p.get("field"):
        parts.append(_("column %(field)s") % {"field": repr(p["field"])})
    message = translate_message(p["message"] or "")
    return (", ".join(parts) + ": " if parts else "") + message


def when(at: str | None) -> str:
    """An ISO moment as people write it: `2026-12-02 09:20` (UTC kept when it says so)."""
    if not at:
        return ""
    text = at[:16].replace("T", " ")
    return text + " UTC" if at.endswith(("+00:00", "Z")) else text


# -- Building -----------------------------------------------------------------------------------


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
    views = [document_view(d) for d in documents]
    problems = [_problem_view(p) for p in file.problems if p["severity"] == "error"]
    warnings = [_problem_view(p) for p in file.problems if p["severity"] == "warning"]
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
        "summary": summarise(views, problems, warnings),
        "facts": file.facts,
        "problems": problems,
        "warnings": warnings,
        "next": _next_step(file, documents),
        "duplicate_of": None,
        "undone": [_undo_view(u, receipts) for u in undos],
        "documents": views,
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


def summarise(views: list[dict[str, Any]], problems: list[Any], warnings: list[Any]) -> dict[str, Any]:
    """Counts and Fortnox's numbers of what changed there, by record kind (envelope) and outcome."""
    made: dict[tuple[str, str], list[str]] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for view in views:
        for step in view["steps"]:
            outcome = _SUMMARY_OUTCOMES.get(step["outcome"])
            if outcome is None:
                continue
            key = (step["envelope"], outcome)
            counts[key] += 1
            if step.get("number"):
                made.setdefault(key, []).append(step["number"])
    states = Counter(str(v["state"]) for v in views)
    return {
        "documents": dict(sorted(states.items())),
        "fortnox": [
            {
                "envelope": envelope,
                "outcome": outcome,
                "count": n,
                "numbers": number_ranges(made.get((envelope, outcome), [])),
            }
            for (envelope, outcome), n in counts.items()
        ],
        "failed_documents": states.get(DocumentState.FAILED, 0),
        "problems": len(problems),
        "warnings": len(warnings),
    }


def _undo_view(undo: UndoRecord, receipts: Path) -> dict[str, Any]:
    name = undo.outcome_path.name if undo.outcome_path else undo.undo_file
    return {
        "undo_file": undo.undo_file,
        "state": undo.state,
        "requested_by": undo.requested_by,
        "requested_at": undo.requested_at,
        "finished_at": undo.finished_at,
        "receipt": str(receipts / f"{name}.receipt.json"),
    }


def document_view(d: DocumentRecord) -> dict[str, Any]:
    steps = []
    for step in d.result:
        envelope = step.get("envelope", "")
        view: dict[str, Any] = {
            "label": step["label"],
            "envelope": envelope,
            "outcome": step["outcome"],
            "number": fortnox_number(envelope, step["record"]),
            "fortnox": identify(step["record"]),
        }
        if step.get("changes"):
            view["changes"] = [{"field": f, "before": b, "after": a} for f, b, a in step["changes"]]
        steps.append(view)
    view_of: dict[str, Any] = {
        "kind": d.kind,
        "source_key": d.source_key,
        "state": d.state,
        "summary": d.summary,
        "steps": steps,
        "error": d.last_error if d.state == DocumentState.FAILED else "",
        "duplicate_of": None,
    }
    first = d.duplicate_of
    if d.state == DocumentState.DUPLICATE and first is not None:
        changed = describe_changes(first.document, d.document) if first.content_hash != d.content_hash else []
        view_of["duplicate_of"] = {
            "file": first.file_name,
            "received_at": first.file_claimed_at,
            "changed": changed,
        }
    return view_of


def _problem_view(p: Mapping[str, Any]) -> dict[str, Any]:
    return {k: p.get(k) for k in ("code", "message", "line", "field", "hint")}


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
