"""Planned API calls as data: what to send, how to find the record again, what to keep.

Plans are stored in the ledger as JSON, so a document resumes after a crash without its
file being read again. A body value `{"$ref": "customer.CustomerNumber"}` stands for a field
of the record an earlier step produced (the executor fills it in); `{"$ref": …, "or": v}`
falls back to `v` when that field is empty; `{"$mirror": "original.VoucherRows"}` stands for
those voucher rows reversed (debit and credit swapped: a reversing voucher).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bridge.model import DocumentKey, Problem

__all__ = ["DocumentPlan", "Lookup", "Step", "UploadFile", "ref", "stamp_for"]

StepKind = Literal["ensure", "create", "action", "upload", "upsert", "delete", "probe"]


def ref(step: str, field_name: str, default: Any = None) -> dict[str, Any]:
    reference: dict[str, Any] = {"$ref": f"{step}.{field_name}"}
    if default is not None:
        reference["or"] = default
    return reference


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
    (Fortnox searches by substring, so the exact comparison is ours). `collection` may be a
    dotted path into the answer (`Folder.Files`); empty when the answer is a bare list.
    `normalise` compares identifiers without spaces, dashes and dots, in upper case
    (`556677-8899` is `5566778899`). `then` is where to look when nothing matched here.
    Paths, params and match values may hold `{"$ref": …}` and `{step.Field}` placeholders.
    """

    path: str
    collection: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    match: dict[str, Any] = field(default_factory=dict)
    single: bool = False
    normalise: bool = False
    then: Lookup | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Lookup | None:
        if not data:
            return None
        return cls(**{**data, "then": cls.from_json(data.get("then"))})


@dataclass(frozen=True)
class UploadFile:
    """A file to upload, kept by the bridge under its SHA-256; `name` is the name we give it."""

    sha256: str
    name: str
    media_type: str


@dataclass(frozen=True)
class Step:
    """One call in a document's plan.

    `ensure`: look up, create only when absent (registers: customers, articles …); with
    `missing_ok` and `create_if_missing` false, finding nothing is an answer, not a failure.
    `create`: a document that must exist once; looked up by its stamp before any resend.
    `action`: a PUT such as bookkeep; `done_when` says how to see it already happened,
    `skip_when` when it is not needed, and `refuse_when` when it must not happen (with
    `missing_hint` as the reason), each read on the record at `check_path` just before sending.
    An `ensure` that finds its record also refuses when `refuse_when` holds on it.
    `upload`: a multipart POST of `file`; looked up by its name before any resend.
    `upsert`: a register record stated in full: looked up by `lookup` (a single record); absent
    → POST `body`; present → PUT to `lookup.path` only the fields that differ (the result
    lists them), nothing when none differ.
    `delete`: a DELETE sent once; Fortnox answering 404 means it is gone already.
    `probe`: a GET that asks whether the company has the module behind `path`; its record is
    `{"available": true|false}` (a missing licence is an answer here, not a wait), so later
    steps can go one way or the other with `when`/`unless` on `<save_as>.available`.
    `when`: run only if these fields of earlier steps' records hold (a condition on a step
    that did not run is false); otherwise the step is skipped. `unless`: skipped when all of
    these hold (the other branch of a `when`).
    Condition values compare loosely (`"12.50"` is 12.5); `{"$not": v}` means "is not v";
    `{"$any": {field: v}}` on a list field means "some element's field is v".
    Paths may name fields of earlier results: `/3/invoices/{invoice.DocumentNumber}/bookkeep`.
    """

    kind: StepKind
    label: str
    method: str
    path: str
    envelope: str
    body: Any = None
    lookup: Lookup | None = None
    save_as: str | None = None
    create_if_missing: bool = True
    missing_ok: bool = False
    missing_hint: str = ""
    done_when: dict[str, Any] = field(default_factory=dict)
    refuse_when: dict[str, Any] = field(default_factory=dict)
    skip_when: dict[str, Any] = field(default_factory=dict)
    check_path: str = ""  # for actions: the record whose fields `done_when` reads
    when: dict[str, Any] = field(default_factory=dict)
    unless: dict[str, Any] = field(default_factory=dict)
    file: UploadFile | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        upload = data.get("file")
        return cls(
            **{
                **data,
                "lookup": Lookup.from_json(data.get("lookup")),
                "file": UploadFile(**upload) if upload else None,
            }
        )


@dataclass(frozen=True)
class DocumentPlan:
    key: DocumentKey
    summary: str
    content_hash: str
    steps: tuple[Step, ...]
    document: Any  # the document (a record, or plain data), kept as JSON for receipts and diffs
    problems: tuple[Problem, ...] = ()
    files: tuple[Any, ...] = ()  # `Attachment`s the upload steps send; kept by the bridge at queue time
