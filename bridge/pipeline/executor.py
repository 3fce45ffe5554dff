"""Runs a document's plan against Fortnox, exactly once.

Before every write the ledger records the intent; our stamp travels on the record. When an
earlier attempt may have reached Fortnox (a timeout, a dropped connection, a 5xx, a crash
between call and commit) the record is looked up before anything is sent again.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from bridge.formats.einvoice.identifiers import normalise_org_number
from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.pipeline.filestore import FileStore, MissingFile
from bridge.pipeline.ledger import Ledger
from bridge.pipeline.records import DocumentRecord, StepRecord, StepState
from bridge.planner import Lookup

__all__ = ["Executor", "Outcome", "backoff_seconds", "conditions_hold", "loosely_equal"]

MAX_BACKOFF = 60.0
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+\.[A-Za-z0-9_@]+)\}")
_SEPARATORS = re.compile(r"[\s\-.]")
_MISSING = object()


@dataclass(frozen=True)
class Outcome:
    state: Literal["done", "failed", "later"]
    error: str = ""
    unreachable: bool = False  # no answer, or Fortnox itself failing (5xx): the tenant waits


class PlanError(Exception):
    """The plan cannot go on for a reason that retrying will not change."""


def backoff_seconds(failures: int, rng: random.Random | None = None) -> float:
    """Exponential backoff after `failures` failures in a row, jittered between half and all."""
    base: float = min(MAX_BACKOFF, 0.5 * 2 ** max(failures - 1, 0))
    return base * (0.5 + 0.5 * (rng or random).random())


class Executor:
    def __init__(self, ledger: Ledger, files: FileStore | None = None) -> None:
        self.ledger = ledger
        self.files = files

    def run(self, client: FortnoxClient, document: DocumentRecord) -> Outcome:
        results: dict[str, Any] = {}
        summary: list[dict[str, Any]] = []
        try:
            for record in self.ledger.steps(document.id):
                step = record.spec
                if record.state == StepState.DONE and record.result is not None:
                    result = dict(record.result)
                else:
                    result = self._run_step(client, document, record, results)
                    self.ledger.step_done(record.id, result)
                if step.save_as and result["outcome"] not in ("skipped", "absent"):
                    results[step.save_as] = result["record"]
                summary.append({"label": step.label, "envelope": step.envelope, **result})
        except FortnoxError as error:
            if error.transient:
                return Outcome("later", str(error), unreachable=error.status is None or error.status >= 500)
            self.ledger.document_failed(
                document.id, _explain(error), {"status": error.status, "code": error.code}
            )
            return Outcome("failed", _explain(error))
        except (PlanError, MissingFile) as error:
            self.ledger.document_failed(document.id, str(error))
            return Outcome("failed", str(error))
        self.ledger.document_done(document.id, summary)
        return Outcome("done")

    def _run_step(
        self, client: FortnoxClient, document: DocumentRecord, record: StepRecord, results: dict[str, Any]
    ) -> dict[str, Any]:
        step = record.spec
        if step.when and not conditions_hold(step.when, results):
            return {"outcome": "skipped", "record": {}}
        if step.unless and conditions_hold(step.unless, results):
            return {"outcome": "skipped", "record": {}}
        uncertain = record.attempts > 0  # an earlier attempt may have reached Fortnox
        if step.kind == "upsert":
            return self._upsert(client, document, record, results, uncertain)
        if step.kind == "ensure" or (uncertain and step.lookup is not None):
            found = self._lookup(client, step.lookup, results) if step.lookup else None
            if found is not None:
                known = step.kind == "ensure" and not uncertain
                return {"outcome": "existing" if known else "reconciled", "record": found}
            if step.kind == "ensure" and not step.create_if_missing:
                if step.missing_ok:
                    return {"outcome": "absent", "record": {}}
                raise PlanError(step.missing_hint or f"{step.label} does not exist in Fortnox")
        path = _resolve_path(step.path, results)
        if step.kind == "action" and (step.done_when or step.refuse_when):
            current = client.get(_resolve_path(step.check_path, results)).get(step.envelope, {})
            if step.done_when and _fields_hold(step.done_when, current):
                return {"outcome": "already", "record": current}
            if step.refuse_when and _fields_hold(step.refuse_when, current):
                raise PlanError(step.missing_hint or f"{step.label}: not possible in Fortnox now")
        files = None
        if step.kind == "upload":
            if step.file is None or self.files is None:
                raise PlanError(f"internal: {step.label} has no file to upload")
            data = self.files.get(document.tenant, step.file.sha256)
            files = {"file": (step.file.name, data, step.file.media_type)}
        self.ledger.step_sending(record.id, document.id)
        body = _resolve(step.body, results)
        answer = client.request(step.method, path, json=body, files=files)
        if isinstance(answer, list):  # the newer services answer bare arrays
            answer = answer[0] if answer else {}
        record = answer.get(step.envelope, answer) if isinstance(answer, dict) else {}
        return {"outcome": "created" if step.method == "POST" else "updated", "record": record}

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
            self.ledger.step_sending(record.id, document.id)
            answer = client.request("POST", _resolve_path(step.path, results), json={step.envelope: wanted})
            return {"outcome": "created", "record": answer.get(step.envelope, answer)}
        changes = [[k, found.get(k), v] for k, v in wanted.items() if not _same_value(found.get(k), v)]
        if not changes:
            return {"outcome": "reconciled" if uncertain else "unchanged", "record": found}
        self.ledger.step_sending(record.id, document.id)
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
        return found


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
    """`expected` is a value, or `{"$not": value}`; a missing field never holds."""
    if actual is _MISSING:
        return False
    if isinstance(expected, dict) and set(expected) == {"$not"}:
        return not loosely_equal(actual, expected["$not"])
    return loosely_equal(actual, expected)


def _resolve_path(path: str, results: dict[str, Any]) -> str:
    """`/3/invoices/{invoice.DocumentNumber}/bookkeep` with the number filled in."""
    return _PLACEHOLDER.sub(lambda m: str(_resolve({"$ref": m[1]}, results)), path)


def _resolve(value: Any, results: dict[str, Any]) -> Any:
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
    code = f" (Fortnox code {error.code})" if error.code else ""
    return f"Fortnox refused {error.method} {error.path}: {error.message}{code}"
