"""Runs a document's plan against Fortnox, exactly once.

Before every write the ledger records the intent; our stamp travels on the record. When an
earlier attempt may have reached Fortnox (a timeout, a dropped connection, a 5xx, a crash
between call and commit) the record is looked up before anything is sent again.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from bridge.formats.einvoice.identifiers import normalise_org_number
from bridge.fortnox import ConnectionRefused, FortnoxClient, FortnoxError
from bridge.pipeline.filestore import FileStore, MissingFile
from bridge.pipeline.ledger import Ledger
from bridge.pipeline.lookups import RegisterIndex
from bridge.pipeline.records import DocumentRecord, StepRecord, StepState
from bridge.planner import Lookup, Step
from bridge.planner.undo import mirrored_rows
from bridge.util import dumps
from bridge.util.i18n import N_

__all__ = ["Executor", "Outcome", "backoff_seconds", "conditions_hold", "loosely_equal"]

MAX_BACKOFF = 60.0
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+\.[A-Za-z0-9_@]+)\}")
_SEPARATORS = re.compile(r"[\s\-.]")
_MISSING = object()
_UNKNOWN = object()
# Kept in the ledger in English and translated when read (`translate_message`), like the labels.
_NOT_POSSIBLE = N_("%(label)s: not possible in Fortnox now")
_DOES_NOT_EXIST = N_("%(label)s does not exist in Fortnox")
_REFUSED = N_("Fortnox refused %(method)s %(path)s: %(message)s")
_REFUSED_CODE = N_("Fortnox refused %(method)s %(path)s: %(message)s (Fortnox code %(code)s)")


@dataclass(frozen=True)
class Outcome:
    state: Literal["done", "failed", "later"]
    error: str = ""
    unreachable: bool = False  # no answer, or Fortnox itself failing (5xx): the tenant waits
    refused: ConnectionRefused | None = None  # Fortnox will not let us in until a person acts
    uploaded: tuple[str, ...] = ()  # done: the files (sha256) its steps uploaded


class PlanError(Exception):
    """The plan cannot go on for a reason that retrying will not change."""


def backoff_seconds(failures: int, rng: random.Random | None = None) -> float:
    """Exponential backoff after `failures` failures in a row, jittered between half and all."""
    base: float = min(MAX_BACKOFF, 0.5 * 2 ** max(failures - 1, 0))
    return base * (0.5 + 0.5 * (rng or random).random())


class Executor:
    def __init__(
        self,
        ledger: Ledger,
        files: FileStore | None = None,
        progress: Callable[[DocumentRecord, int, int], object] | None = None,
    ) -> None:
        self.ledger = ledger
        self.files = files
        self.progress = progress  # told after each step: (document, steps done, steps)
        # Each company's worker runs its documents on a thread of its own, with a client of its
        # own: what a run needs is kept per thread, the registers a file has read per client.
        self._kept: dict[int, tuple[int, RegisterIndex]] = {}
        self._run = threading.local()

    def _index_for(self, client: FortnoxClient, file_id: int) -> RegisterIndex:
        """The registers the file has read so far (a file's documents run one after another)."""
        kept = self._kept.get(id(client))
        if kept is None or kept[0] != file_id:
            index = RegisterIndex(client, lambda prefix: self.ledger.lookups_ahead(file_id, prefix))
            kept = self._kept[id(client)] = (file_id, index)
        return kept[1]

    def run(self, client: FortnoxClient, document: DocumentRecord) -> Outcome:
        """Run the document's steps not done yet. A step's answer is recorded with the next write
        that must be durable anyway (the next step's intent, the document's end): a commit of
        its own per answer was a third of a document's commits. An answer lost to a crash
        before that is no harm: the step has an attempt recorded and looks before it sends."""
        results: dict[str, Any] = {}
        summary: list[dict[str, Any]] = []
        self._run.answered = []
        try:
            return self._run_steps(client, document, results, summary)
        finally:
            if self._run.answered:  # the document waits (or a bug): its answers are kept all the same
                self.ledger.steps_done(self._answered())

    def _run_steps(
        self,
        client: FortnoxClient,
        document: DocumentRecord,
        results: dict[str, Any],
        summary: list[dict[str, Any]],
    ) -> Outcome:
        try:
            records = self.ledger.steps(document.id)
            self._run.needed = _fields_used([dumps(record.spec) for record in records])
            self._run.registers = self._index_for(client, document.file_id)
            self._run.rebuilt = self.ledger.knows_fortnox_records(document.tenant)
            self._run.reconcile = False
            for done, record in enumerate(records, 1):
                step = record.spec
                if record.state == StepState.DONE and record.result is not None:
                    result = dict(record.result)
                else:
                    result = self._run_step(client, document, record, results)
                    self._run.answered.append((record.id, result))
                if step.save_as and result["outcome"] not in ("skipped", "absent"):
                    results[step.save_as] = result["record"]
                summary.append({"label": step.label, "envelope": step.envelope, **result})
                if self.progress is not None:
                    self.progress(document, done, len(records))
        except ConnectionRefused as error:  # the connection's fault, never the document's
            return Outcome("later", str(error), refused=error)
        except FortnoxError as error:
            if error.transient:
                return Outcome("later", str(error), unreachable=error.status is None or error.status >= 500)
            self.ledger.document_failed(
                document.id,
                _explain(error),
                {"status": error.status, "code": error.code},
                done=self._answered(),
            )
            return Outcome("failed", _explain(error))
        except (PlanError, MissingFile) as error:
            self.ledger.document_failed(document.id, str(error), done=self._answered())
            return Outcome("failed", str(error))
        self.ledger.document_done(document.id, summary, done=self._answered())
        return Outcome("done", uploaded=tuple(r.spec.file.sha256 for r in records if r.spec.file))

    def _run_step(
        self, client: FortnoxClient, document: DocumentRecord, record: StepRecord, results: dict[str, Any]
    ) -> dict[str, Any]:
        step = record.spec
        if step.when and not conditions_hold(step.when, results):
            return {"outcome": "skipped", "record": {}}
        if step.unless and conditions_hold(step.unless, results):
            return {"outcome": "skipped", "record": {}}
        # An earlier attempt may have reached Fortnox, or a rebuilt ledger found the record there.
        uncertain = record.attempts > 0 or self._found_by_rebuild(document, step, results)
        if step.kind == "upsert":
            return self._upsert(client, document, record, results, uncertain)
        listed = False  # the register's list said the record is not there
        if step.kind == "ensure" or (uncertain and step.lookup is not None):
            found: Any = None
            if step.lookup is not None:
                found = _UNKNOWN
                if step.kind == "ensure" and not uncertain:
                    found = self._listed(step, results)
                    listed = found is None
                if found is _UNKNOWN:
                    found = self._lookup(client, step.lookup, results)
            if found is not None and step.refuse_when and _fields_hold(step.refuse_when, found):
                raise PlanError(step.missing_hint or _NOT_POSSIBLE % {"label": step.label})
            if found is not None:
                known = step.kind == "ensure" and not uncertain
                return {"outcome": "existing" if known else "reconciled", "record": found}
            if step.kind == "ensure" and not step.create_if_missing:
                if step.missing_ok:
                    return {"outcome": "absent", "record": {}}
                raise PlanError(step.missing_hint or _DOES_NOT_EXIST % {"label": step.label})
        path = _resolve_path(step.path, results)
        if step.kind == "probe":
            available = _module_available(client, path)
            return {"outcome": "module" if available else "no-module", "record": {"available": available}}
        if step.kind == "delete":
            return self._delete(client, document, record, path)
        if step.kind == "action" and (step.done_when or step.refuse_when or step.skip_when):
            check_path = _resolve_path(step.check_path, results)
            current = self._index().find(check_path, {})
            wanted = {*step.done_when, *step.refuse_when, *step.skip_when}
            if not isinstance(current, dict) or not wanted <= current.keys():
                answer = client.get(check_path)  # the newer services answer bare objects
                current = answer.get(step.envelope, {}) if step.envelope else answer
            if step.done_when and _fields_hold(step.done_when, current):
                return {"outcome": "already", "record": current}
            if step.skip_when and _fields_hold(step.skip_when, current):
                return {"outcome": "skipped", "record": {}}
            if step.refuse_when and _fields_hold(step.refuse_when, current):
                raise PlanError(step.missing_hint or _NOT_POSSIBLE % {"label": step.label})
        files = None
        if step.kind == "upload":
            if step.file is None or self.files is None:
                raise PlanError(f"internal: {step.label} has no file to upload")
            data = self.files.get(document.tenant, step.file.sha256)
            files = {"file": (step.file.name, data, step.file.media_type)}
        self._sending(record, document)
        body = _resolve(step.body, results)
        try:
            answer = client.request(step.method, path, json=body, files=files)
        except FortnoxError as error:
            # The list was read a while ago: someone may have created the record since.
            found = None
            if listed and not error.transient and step.lookup is not None:
                found = self._lookup(client, step.lookup, results)
            if found is None:
                raise
            self._remember(step, results, found)
            return {"outcome": "existing", "record": found}
        if isinstance(answer, list):  # the newer services answer bare arrays
            answer = answer[0] if answer else {}
        written = answer.get(step.envelope, answer) if isinstance(answer, dict) else {}
        if step.kind == "ensure":
            self._remember(step, results, written)
        elif step.kind == "action" and step.check_path:
            self._index().remember(_resolve_path(step.check_path, results), {}, written)
        return {"outcome": "created" if step.method == "POST" else "updated", "record": written}

    def _sending(self, record: StepRecord, document: DocumentRecord) -> None:
        """The step's intent, durable before its call (with the answers of the steps before it)."""
        self.ledger.step_sending(record.id, document.id, done=self._answered())

    def _answered(self) -> list[tuple[int, dict[str, Any]]]:
        """The answers not recorded yet, handed over to the write that records them."""
        answered: list[tuple[int, dict[str, Any]]] = self._run.answered
        self._run.answered = []
        return answered

    def _found_by_rebuild(self, document: DocumentRecord, step: Step, results: dict[str, Any]) -> bool:
        """After `ledger rebuild`: whether Fortnox listed a record this step's look-up matches.
        From the first such step on, the document's steps all look before they send (its
        upload found, its file connection may exist too), as after a lost answer."""
        if getattr(self._run, "reconcile", False):
            return True
        if not getattr(self._run, "rebuilt", False) or step.lookup is None:
            return False
        try:
            match = _resolve(step.lookup.match, results)
        except (KeyError, TypeError, PlanError):
            return False
        fields = [
            (k, str(v)) for k, v in match.items() if isinstance(v, str | int) and not isinstance(v, bool)
        ]
        self._run.reconcile = self.ledger.seen_in_fortnox(document.tenant, fields)
        return bool(self._run.reconcile)

    def _index(self) -> RegisterIndex:
        registers: RegisterIndex | None = getattr(self._run, "registers", None)
        if registers is None:
            raise PlanError("internal: a step ran outside a document")
        return registers

    def _remember(self, step: Step, results: dict[str, Any], record: dict[str, Any]) -> None:
        if step.lookup is not None and step.lookup.single:
            path = _resolve_path(step.lookup.path, results)
            self._index().remember(path, _resolve(step.lookup.params, results), record)

    def _listed(self, step: Step, results: dict[str, Any]) -> Any:
        """What the file's register index says of the record an ensure step looks up by its
        number: the list row, None (not there), or `_UNKNOWN`. A row is only enough when it
        holds every field that later steps read from the record."""
        lookup = step.lookup
        if lookup is None or not lookup.single or lookup.then is not None:
            return _UNKNOWN
        path, params = _resolve_path(lookup.path, results), _resolve(lookup.params, results)
        found = self._index().find(path, params)
        if RegisterIndex.unknown(found):
            return _UNKNOWN
        needed: dict[str, set[str]] = self._run.needed
        if found is not None and step.save_as and not needed.get(step.save_as, set()) <= found.keys():
            return _UNKNOWN
        return found

    def _delete(
        self, client: FortnoxClient, document: DocumentRecord, record: StepRecord, path: str
    ) -> dict[str, Any]:
        """Remove once: a record Fortnox no longer has is gone already, whoever removed it."""
        self._sending(record, document)
        try:
            client.request("DELETE", path)
        except FortnoxError as error:
            if error.status == 404:
                return {"outcome": "already", "record": {}}
            raise
        return {"outcome": "removed", "record": {}}

    def _upsert(
        self,
        client: FortnoxClient,
        document: DocumentRecord,
        record: StepRecord,
        results: dict[str, Any],
        uncertain: bool,
    ) -> dict[str, Any]:
        """Create the record, or write only the fields that differ; nothing when none do."""
        step = record.spec
        if step.lookup is None:
            raise PlanError(f"internal: {step.label} has no lookup")
        found = self._lookup(client, step.lookup, results)
        wanted = _resolve(step.body, results)[step.envelope]
        if found is None:
            self._sending(record, document)
            answer = client.request("POST", _resolve_path(step.path, results), json={step.envelope: wanted})
            return {"outcome": "created", "record": answer.get(step.envelope, answer)}
        changes = [[k, found.get(k), v] for k, v in wanted.items() if not _same_value(found.get(k), v)]
        if not changes:
            return {"outcome": "reconciled" if uncertain else "unchanged", "record": found}
        self._sending(record, document)
        path = _resolve_path(step.lookup.path, results)
        answer = client.request("PUT", path, json={step.envelope: {k: v for k, _, v in changes}})
        return {"outcome": "updated", "record": answer.get(step.envelope, answer), "changes": changes}

    def _lookup(
        self, client: FortnoxClient, lookup: Lookup, results: dict[str, Any]
    ) -> dict[str, Any] | None:
        path = _resolve_path(lookup.path, results)
        params = _resolve(lookup.params, results)
        match = _resolve(lookup.match, results)
        if lookup.single:
            try:
                answer = client.get(path, **params)
            except FortnoxError as error:
                if error.status == 404:
                    answer = None
                else:
                    raise
            found = next(iter(answer.values())) if isinstance(answer, dict) and answer else None
        else:
            found = next(
                (r for r in _rows(client, path, lookup.collection, params) if _matches(r, match, lookup)),
                None,
            )
        if found is None and lookup.then is not None:
            return self._lookup(client, lookup.then, results)
        if isinstance(found, dict) and lookup.alias:
            found = {
                **found,
                **{name: found[given] for name, given in lookup.alias.items() if given in found},
            }
        return found


_FIELD_USE = re.compile(r"\b([A-Za-z_]+)\.([A-Za-z0-9_@]+)")


def _fields_used(specs: list[str]) -> dict[str, set[str]]:
    """Which fields of earlier steps' records the steps read (`$ref`s, `{step.Field}` in
    paths, `when` conditions), by the name they are saved as; a few words of a label that look
    the same only cost a look-up."""
    used: dict[str, set[str]] = {}
    for spec in specs:
        for name, field_name in _FIELD_USE.findall(spec):
            used.setdefault(name, set()).add(field_name)
    return used


def _rows(client: FortnoxClient, path: str, collection: str, params: dict[str, Any]) -> Iterator[Any]:
    if collection and "." not in collection:
        yield from client.iter_pages(path, collection, **params)
        return
    answer: Any = client.get(path, **params)
    for part in collection.split(".") if collection else ():
        answer = answer.get(part, {}) if isinstance(answer, dict) else {}
    yield from answer if isinstance(answer, list) else ()


def _matches(record: dict[str, Any], match: dict[str, Any], lookup: Lookup) -> bool:
    if lookup.normalise:
        return all(_identifier(record.get(k)) == _identifier(v) for k, v in match.items())
    return all(str(record.get(k)) == str(v) for k, v in match.items())


def _identifier(value: Any) -> str:
    """Identifiers compared as Fortnox means them: without spaces, dashes and dots, in upper
    case, and an organisation number or personnummer in its 10-digit form (`16556677-8899` and
    `19800101-1234` are `5566778899` and `8001011234`)."""
    text = str(value or "")
    return normalise_org_number(text) or _SEPARATORS.sub("", text).upper()


def _same_value(current: Any, wanted: Any) -> bool:
    """Does Fortnox's field already hold what the register says (loosely typed, either way)?"""
    if isinstance(wanted, str) and isinstance(current, str):
        return current.strip() == wanted.strip()
    return loosely_equal(current, wanted)


def loosely_equal(actual: Any, expected: Any) -> bool:
    """Fortnox types loosely: `"12.50"` is 12.5, `"true"` is True, null is ""."""
    actual = "" if actual is None else actual
    expected = "" if expected is None else expected
    if isinstance(actual, bool) or isinstance(expected, bool):
        return str(actual).lower() == str(expected).lower()
    try:
        return Decimal(str(actual)) == Decimal(str(expected))
    except InvalidOperation:
        return str(actual) == str(expected)


def _module_available(client: FortnoxClient, path: str) -> bool:
    """Whether the company has the licence behind `path`; a missing scope still waits for a
    person (the consent lacks it, the company may well have the module)."""
    try:
        client.get(path, limit=1)
    except ConnectionRefused as error:
        if error.problem == "licence":
            return False
        raise
    except FortnoxError as error:
        if error.transient:
            raise
    return True


def conditions_hold(conditions: dict[str, Any], results: dict[str, Any]) -> bool:
    """Do `step.Field` conditions hold on earlier steps' records? A step that did not run
    (or found nothing) makes its conditions false."""
    for name, expected in conditions.items():
        step, _, field_name = name.partition(".")
        if step not in results or not _holds(expected, results[step].get(field_name, _MISSING)):
            return False
    return True


def _fields_hold(conditions: dict[str, Any], record: dict[str, Any]) -> bool:
    return all(_holds(expected, record.get(name, _MISSING)) for name, expected in conditions.items())


def _holds(expected: Any, actual: Any) -> bool:
    """`expected` is a value, `{"$not": value}`, or `{"$any": {field: value}}` (some element of a
    list has these fields); a missing field never holds."""
    if actual is _MISSING:
        return False
    if isinstance(expected, dict) and set(expected) == {"$not"}:
        return not loosely_equal(actual, expected["$not"])
    if isinstance(expected, dict) and set(expected) == {"$any"}:
        items = actual if isinstance(actual, list) else []
        return any(isinstance(i, dict) and _fields_hold(expected["$any"], i) for i in items)
    return loosely_equal(actual, expected)


def _resolve_path(path: str, results: dict[str, Any]) -> str:
    """`/3/invoices/{invoice.DocumentNumber}/bookkeep` with the number filled in."""
    return _PLACEHOLDER.sub(lambda m: str(_resolve({"$ref": m[1]}, results)), path)


def _resolve(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"$mirror"}:  # a voucher's rows, reversed
        return mirrored_rows(_resolve({"$ref": value["$mirror"]}, results))
    if isinstance(value, dict):
        if "$ref" in value and set(value) <= {"$ref", "or"}:
            step, _, field_name = value["$ref"].partition(".")
            found = results.get(step, {}).get(field_name)
            if found in (None, "", 0, "0") and "or" in value:
                return value["or"]
            if step not in results or field_name not in results[step]:
                raise PlanError(f"internal: {value['$ref']} is not known when it is needed")
            return found
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    return value


def _explain(error: FortnoxError) -> str:
    values = {"method": error.method, "path": error.path, "message": error.message, "code": error.code}
    return (_REFUSED_CODE if error.code else _REFUSED) % values
