"""Bytes in, one supplier invoice (or the reasons there is none) out: the e-invoice pipeline.

safety gate → recognition → XSD → read → arithmetic and national rules → attachments → signs.
A refusal at the gate, in recognition, in the schema or in the arithmetic leaves no invoice;
everything softer travels with the invoice as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bridge.formats.einvoice.attachments import decode_attachment
from bridge.formats.einvoice.errors import EInvoiceError
from bridge.formats.einvoice.reading import Reading, as_booked
from bridge.formats.einvoice.recognise import Recognised, recognise
from bridge.formats.einvoice.rules import check_arithmetic
from bridge.formats.einvoice.safexml import parse_untrusted_xml
from bridge.formats.einvoice.svefaktura import read_svefaktura
from bridge.formats.einvoice.swedish import swedish_rule_problems
from bridge.formats.einvoice.ubl import read_ubl
from bridge.formats.einvoice.xsd import schema_problems
from bridge.model import Attachment, Problem, SupplierInvoice

__all__ = ["EInvoiceResult", "read_einvoice"]

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"


@dataclass(frozen=True)
class EInvoiceResult:
    """The outcome of reading one e-invoice file.

    `invoice` is `None` when the file was refused; `problems` then holds at least one error.
    `schema` and `arithmetic` are `passed`, `failed` or `not run` (an earlier step refused).
    """

    invoice: SupplierInvoice | None
    problems: tuple[Problem, ...]
    recognised: Recognised | None = None
    schema: str = NOT_RUN
    arithmetic: str = NOT_RUN
    attachments_refused: int = 0
    external_references: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)


def read_einvoice(data: bytes) -> EInvoiceResult:
    """Read one e-invoice file's bytes. Pure: no file, no network, no XSLT from the input."""
    try:
        recognised = recognise(parse_untrusted_xml(data))
    except EInvoiceError as refusal:
        return EInvoiceResult(None, (refusal.problem,))

    schema = [
        p for element in (recognised.document, *recognised.object_envelopes) for p in schema_problems(element)
    ]
    if schema:
        return EInvoiceResult(None, tuple(schema), recognised, schema=FAILED)

    reading = read_ubl(recognised) if recognised.syntax == "ubl" else read_svefaktura(recognised)
    arithmetic = check_arithmetic(reading)
    problems = [*reading.log.problems, *arithmetic, *reading.problems, *swedish_rule_problems(reading)]
    attachments, refused = _attachments(reading)
    problems.extend(refused)
    common: dict[str, Any] = {
        "recognised": recognised,
        "schema": PASSED,
        "arithmetic": FAILED if any(p.is_error for p in arithmetic) else PASSED,
        "attachments_refused": len(refused),
        "external_references": tuple(reading.external_references),
    }
    if any(p.is_error for p in problems):
        return EInvoiceResult(None, tuple(problems), **common)
    return EInvoiceResult(_booked(reading, attachments), tuple(problems), **common)


def _attachments(reading: Reading) -> tuple[tuple[Attachment, ...], list[Problem]]:
    attachments: list[Attachment] = []
    refused: list[Problem] = []
    for embedded in reading.embedded_files:
        outcome = decode_attachment(embedded, reading.invoice.invoice_number, len(attachments) + 1)
        if isinstance(outcome, Attachment):
            attachments.append(outcome)
        else:
            refused.append(outcome)
    return tuple(attachments), refused


def _booked(reading: Reading, attachments: tuple[Attachment, ...]) -> SupplierInvoice:
    """The invoice in the buyer's signs: a credit always ends with a negative total.

    A UBL CreditNote (or an Invoice with type code 381) credits with positive amounts, so it is
    negated; a negative Invoice already is. Svefaktura's 381 is negated unless it is already
    negative, since no sample settles which sign its senders use.
    """
    stated = reading.invoice
    if reading.recognised.syntax == "ubl":
        negate = reading.declared_credit
    else:
        negate = reading.declared_credit and stated.total > 0
    booked = as_booked(replace(stated, attachments=attachments), negate=negate)
    is_credit = booked.total < 0 or (reading.declared_credit and booked.total == 0)
    return replace(booked, is_credit=is_credit)
