"""What the bridge answers in `outbox/`: a receipt per file (JSON for programs, text for
people) and, for files that did not go through, an error report saying what to do."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from bridge.jsonnum import dumps

__all__ = ["IDENTIFYING_FIELDS", "render_error_report", "render_receipt_json", "render_receipt_text"]

IDENTIFYING_FIELDS = (
    "DocumentNumber", "CustomerNumber", "ArticleNumber", "GivenNumber", "SupplierNumber",
    "VoucherSeries", "VoucherNumber", "Year", "Id", "FileId", "Code", "Number", "ProjectNumber",
    "InvoiceNumber", "OCR", "Total", "@url",
)  # fmt: skip

_ENV = Environment(
    loader=PackageLoader("bridge", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,  # plain-text reports
)

HEADLINES = {
    "done": "imported",
    "partial": "imported in part",
    "failed": "not imported",
    "duplicate": "duplicate, nothing sent",
}


def identify(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in IDENTIFYING_FIELDS if record.get(k) not in (None, "")}


def step_text(step: dict[str, Any]) -> str:
    ids = ", ".join(f"{k} {v}" for k, v in step.get("fortnox", {}).items() if k not in ("@url", "Total"))
    verb = {
        "created": "created in Fortnox",
        "existing": "already in Fortnox",
        "reconciled": "found in Fortnox (created by an earlier attempt)",
        "updated": "done in Fortnox",
        "already": "already done in Fortnox",
        "skipped": "not needed",
        "absent": "not in Fortnox",
    }.get(step["outcome"], step["outcome"])
    return f"{step['label']}: {verb}" + (f" ({ids})" if ids else "")


def render_receipt_json(receipt: dict[str, Any]) -> str:
    return dumps(receipt, indent=2) + "\n"


def render_receipt_text(receipt: dict[str, Any]) -> str:
    return _ENV.get_template("receipt.txt.j2").render(r=receipt, headline=HEADLINES[receipt["state"]])


def render_error_report(receipt: dict[str, Any]) -> str:
    return _ENV.get_template("error.txt.j2").render(r=receipt)
