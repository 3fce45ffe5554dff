"""Runs a document's plan against Fortnox, exactly once.

Before every write the ledger records the intent; our stamp travels on the record. When an
earlier attempt may have reached Fortnox (a timeout, a dropped connection, a 5xx, a crash
between call and commit) the record is looked up before anything is sent again.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.jsonnum import loads
from bridge.pipeline.ledger import Ledger
from bridge.planner import Lookup, Step

__all__ = ["Executor", "Outcome", "backoff_seconds"]

MAX_BACKOFF = 60.0
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+\.[A-Za-z0-9_@]+)\}")


@dataclass(frozen=True)
class Outcome:
    state: str  # done | failed | later
    error: str = ""
    unreachable: bool = False  # no answer, or Fortnox itself failing (5xx): the tenant waits


class PlanError(Exception):
    """The plan cannot go on for a reason that retrying will not change."""


def backoff_seconds(failures: int, rng: random.Random | None = None) -> float:
    """Exponential backoff after `failures` failures in a row, jittered between half and all."""
    base = min(MAX_BACKOFF, 0.5 * 2 ** max(failures - 1, 0))
    return base * (0.5 + 0.5 * (rng or random).random())


class Executor:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def run(self, client: FortnoxClient, document: Any) -> Outcome:
        results: dict[str, Any] = {}
        summary: list[dict[str, Any]] = []
        try:
            for row in self.ledger.steps(document["id"]):
                step = Step.from_json(loads(row["spec"]))
                if row["state"] == "done":
                    result = loads(row["result"])
                else:
                    result = self._run_step(client, document["id"], row, step, results)
                    self.ledger.step_done(row["id"], result)
                if step.save_as:
                    results[step.save_as] = result["record"]
                summary.append({"label": step.label, "envelope": step.envelope, **result})
        except FortnoxError as error:
            if error.transient:
                return Outcome("later", str(error), unreachable=error.status is None or error.status >= 500)
            self.ledger.document_failed(
                document["id"], _explain(error), {"status": error.status, "code": error.code}
            )
            return Outcome("failed", _explain(error))
        except PlanError as error:
            self.ledger.document_failed(document["id"], str(error))
            return Outcome("failed", str(error))
        self.ledger.document_done(document["id"], summary)
        return Outcome("done")

    def _run_step(self, client: FortnoxClient, document_id: int, row: Any, step: Step, results: dict) -> dict:
        uncertain = row["attempts"] > 0  # an earlier attempt may have reached Fortnox
        if step.kind == "ensure" or (uncertain and step.lookup is not None):
            found = self._lookup(client, step.lookup) if step.lookup else None
            if found is not None:
                return {"outcome": "existing" if step.kind == "ensure" else "reconciled", "record": found}
            if step.kind == "ensure" and not step.create_if_missing:
                raise PlanError(step.missing_hint or f"{step.label} does not exist in Fortnox")
        path = _resolve_path(step.path, results)
        if step.kind == "action" and step.done_when:
            current = client.get(_resolve_path(step.check_path, results)).get(step.envelope, {})
            if all(current.get(k) == v for k, v in step.done_when.items()):
                return {"outcome": "already", "record": current}
        self.ledger.step_sending(row["id"], document_id)
        body = _resolve(step.body, results)
        answer = client.request(step.method, path, json=body)
        record = answer.get(step.envelope, answer) if isinstance(answer, dict) else {}
        return {"outcome": "created" if step.method == "POST" else "updated", "record": record}

    def _lookup(self, client: FortnoxClient, lookup: Lookup) -> dict | None:
        if lookup.single:
            try:
                answer = client.get(lookup.path, **lookup.params)
            except FortnoxError as error:
                if error.status == 404:
                    return None
                raise
            return next(iter(answer.values())) if isinstance(answer, dict) and answer else None
        for record in client.iter_pages(lookup.path, lookup.collection, **lookup.params):
            if all(str(record.get(k)) == str(v) for k, v in lookup.match.items()):
                return record
        return None


def _resolve_path(path: str, results: dict[str, Any]) -> str:
    """`/3/invoices/{invoice.DocumentNumber}/bookkeep` with the number filled in."""
    return _PLACEHOLDER.sub(lambda m: str(_resolve({"$ref": m[1]}, results)), path)


def _resolve(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            step, _, field_name = value["$ref"].partition(".")
            try:
                return results[step][field_name]
            except KeyError:
                raise PlanError(f"internal: {value['$ref']} is not known when it is needed") from None
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    return value


def _explain(error: FortnoxError) -> str:
    code = f" (Fortnox code {error.code})" if error.code else ""
    return f"Fortnox refused {error.method} {error.path}: {error.message}{code}"
