"""Planned API calls as data: what to send, how to find the record again, what to keep.

Plans are stored in the ledger as JSON, so a document resumes after a crash without its
file being read again. A body value `{"$ref": "customer.CustomerNumber"}` stands for a field
of the record an earlier step produced (the executor fills it in).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bridge.model import DocumentKey, Problem

__all__ = ["DocumentPlan", "Lookup", "Step", "ref", "stamp_for"]

StepKind = Literal["ensure", "create", "action"]


def ref(step: str, field_name: str) -> dict[str, str]:
    return {"$ref": f"{step}.{field_name}"}


def stamp_for(key: DocumentKey, limit: int = 80) -> str:
    """Our mark on the Fortnox record, by which we find it again after an unclear outcome."""
    stamp = f"fnb:{key.source_key}"
    if len(stamp) <= limit:
        return stamp
    return "fnb:#" + hashlib.sha256(key.source_key.encode()).hexdigest()[: limit - 5]


@dataclass(frozen=True)
class Lookup:
    """How to find a record in Fortnox.

    `single`: `path` names one record and 404 means it does not exist. Otherwise `path` is a
    list, narrowed by `params`, and a row matches when each `match` field equals exactly
    (Fortnox searches by substring, so the exact comparison is ours).
    """

    path: str
    collection: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    match: dict[str, Any] = field(default_factory=dict)
    single: bool = False


@dataclass(frozen=True)
class Step:
    """One call in a document's plan.

    `ensure`: look up, create only when absent (registers: customers, articles …).
    `create`: a document that must exist once; looked up by its stamp before any resend.
    `action`: a PUT such as bookkeep; `done_when` says how to see it already happened.
    Paths may name fields of earlier results: `/3/invoices/{invoice.DocumentNumber}/bookkeep`.
    """

    kind: StepKind
    label: str
    method: str
    path: str
    envelope: str
    body: dict[str, Any] | None = None
    lookup: Lookup | None = None
    save_as: str | None = None
    create_if_missing: bool = True
    missing_hint: str = ""
    done_when: dict[str, Any] = field(default_factory=dict)
    check_path: str = ""  # for actions: the record whose fields `done_when` reads

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        lookup = data.get("lookup")
        return cls(**{**data, "lookup": Lookup(**lookup) if lookup else None})


@dataclass(frozen=True)
class DocumentPlan:
    key: DocumentKey
    summary: str
    content_hash: str
    steps: tuple[Step, ...]
    document: dict[str, Any]  # the document as plain data, for receipts and diffs
    problems: tuple[Problem, ...] = ()
