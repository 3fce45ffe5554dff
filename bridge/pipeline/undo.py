"""Undo, the ledger's side: find the file a person names, and read what it created in Fortnox.

An undo request names a file as the person sees it: its name in `outbox/archive/` or
`outbox/failed/`, its receipt, or the name it was dropped under. `resolve_undo` turns each
request into the reversals `bridge.planner.undo` chooses from the ledger's record of the file
(every step's outcome and the record Fortnox answered), so an undo needs no copy of the file.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bridge.config import TenantSettings
from bridge.model import Extraction, Problem, Reversal, UndoRequest
from bridge.pipeline.ledger import Ledger
from bridge.pipeline.records import DocumentState, FileRecord, FileState, StepState
from bridge.planner.undo import SentDocument, SentStep, reversals_of
from bridge.util.i18n import N_

__all__ = ["UNDO_IMPORTER", "find_sent_file", "os_user", "resolve_undo", "sent_name"]

UNDO_IMPORTER = "undo"
_ANSWER_SUFFIXES = (".receipt.json", ".receipt.txt", ".error.txt")


def sent_name(text: str) -> str:
    """`outbox/receipts/faktura.csv.receipt.json` → `faktura.csv`."""
    name = Path(text.strip()).name
    for suffix in _ANSWER_SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def os_user(path: Path | None = None) -> str:
    """Who asks: the owner of a dropped file, else the user running the bridge."""
    if path is not None:
        try:
            import pwd

            return pwd.getpwuid(path.stat().st_uid).pw_name
        except (ImportError, KeyError, OSError):
            pass
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def find_sent_file(ledger: Ledger, tenant: str, text: str) -> FileRecord | str:
    """The file `text` names, or why it cannot be undone."""
    name = sent_name(text)
    candidates = [f for f in ledger.find_files(name) if f.tenant == tenant]
    answered = [f for f in candidates if f.outcome_path is not None and f.outcome_path.name == name]
    found = answered or [f for f in candidates if f.name == name]
    if not found:
        return (
            f"no file named {name!r} was taken for {tenant}: name it as it is in outbox/archive/ or "
            "outbox/failed/ (see `fortnox-bridge status`)"
        )
    sent = [f for f in found if f.state in (FileState.DONE, FileState.PARTIAL)] or found
    if len(sent) > 1:
        names = ", ".join(f.outcome_path.name if f.outcome_path else f.name for f in sent)
        return f"several files were dropped as {name!r}: name the one to undo as it is in outbox/ ({names})"
    file = sent[0]
    if file.importer == UNDO_IMPORTER:
        return f"{name} is itself an undo: an undo cannot be undone; send the documents again instead"
    if file.state in (FileState.CLAIMED, FileState.QUEUED):
        return f"{name} is still being sent to Fortnox: undo it once it is through (`fortnox-bridge status`)"
    if file.state == FileState.DUPLICATE:
        return f"{name} repeated an earlier file and sent nothing to Fortnox: there is nothing to undo"
    if file.state == FileState.FAILED:
        return f"{name} was refused and sent nothing to Fortnox: there is nothing to undo"
    return file


def sent_documents(ledger: Ledger, file: FileRecord) -> list[SentDocument]:
    """What each of the file's documents did in Fortnox, step by step, as the ledger kept it."""
    documents = []
    for document in ledger.documents_of(file.id):
        if document.state not in (DocumentState.DONE, DocumentState.FAILED):
            continue
        steps = tuple(
            SentStep(s.spec, str(s.result["outcome"]), s.result.get("record") or {})
            for s in ledger.steps(document.id)
            if s.state == StepState.DONE and s.result is not None
        )
        documents.append(SentDocument(document.kind, document.source_key, steps))
    return documents


def resolve_undo(
    ledger: Ledger, tenant: TenantSettings, extraction: Extraction, *, today: date, requested_by: str
) -> tuple[Extraction, list[FileRecord]]:
    """The undo requests of `extraction` as reversals (each record once, whichever request
    names it), the warnings that list what stays and why, and the files they undo."""
    reversals: dict[str, Reversal] = {}
    problems: list[Problem] = list(extraction.problems)
    undone: list[FileRecord] = []
    voucher_date = today if tenant["undo.voucher_date"] == "today" else None
    for request in extraction.documents:
        if not isinstance(request, UndoRequest):
            continue
        found = find_sent_file(ledger, tenant.name, request.name)
        if isinstance(found, str):
            problems.append(Problem(found, line=request.line, code="undo.file"))
            continue
        name = found.outcome_path.name if found.outcome_path else found.name
        found_reversals, kept = reversals_of(name, sent_documents(ledger, found), voucher_date)
        if not found_reversals:
            problems.append(
                Problem(
                    f"nothing {name} created in Fortnox can be reversed",
                    line=request.line,
                    hint=N_("the warnings say what stays in Fortnox and why"),
                    code="undo.nothing",
                )
            )
        for reversal in found_reversals:
            reversals.setdefault(reversal.source_key, reversal)
        problems += kept
        undone.append(found)
    facts = {
        "undoes": [f.outcome_path.name if f.outcome_path else f.name for f in undone],
        "reversals": len(reversals),
        "requested_by": requested_by,
    }
    resolved = Extraction(UNDO_IMPORTER, tuple(reversals.values()), tuple(problems), facts)
    return resolved, undone


def undo_requests(extraction: Extraction) -> Sequence[UndoRequest]:
    return [d for d in extraction.documents if isinstance(d, UndoRequest)]
