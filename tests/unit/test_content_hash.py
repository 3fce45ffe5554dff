"""A document's fingerprint: computed straight from the record, and the same digest as always.

Ledgers keep these digests and a SIE voucher without a number is known by one, so the fast
way must give exactly what the plain-dict way gave. The reference below is that way, written
out once more: the record as plain data, line numbers dropped, as compact exact JSON.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from bridge.importers import FileSource, extract_file
from bridge.model import (
    Attachment,
    Invoice,
    InvoiceRow,
    Party,
    Problem,
    Severity,
    Voucher,
    VoucherRow,
    content_hash,
    to_plain,
)
from bridge.util import dumps

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def reference_plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: reference_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [reference_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: reference_plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest(), "size": len(value)}
    if isinstance(value, StrEnum):
        return str(value)
    return value


def reference_hash(document: Any) -> str:
    def drop_lines(plain: Any) -> None:
        if isinstance(plain, dict):
            plain.pop("line", None)
            for v in plain.values():
                drop_lines(v)
        elif isinstance(plain, list):
            for v in plain:
                drop_lines(v)

    plain = reference_plain(document)
    drop_lines(plain)
    return hashlib.sha256(dumps(plain).encode()).hexdigest()


def documents_of(path: Path) -> list[Any]:
    extraction = extract_file(FileSource.open(path, tenant="default"))
    return [*extraction.documents, extraction]


def test_the_digest_of_every_sample_and_fixture_is_what_it_always_was():
    paths = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and not p.name.endswith(".json"))
    checked = 0
    for path in paths:
        for document in documents_of(path):
            assert content_hash(document) == reference_hash(document), path.name
            assert to_plain(document) == reference_plain(document), path.name
            checked += 1
    assert checked > 20


def test_the_digest_of_every_voucher_of_a_real_year_is_what_it_always_was(shared_ref):
    vouchers = documents_of(shared_ref / "sie/keyholder_Fortnox3.60_Bygg_4434ver.se")[:-1]
    assert len(vouchers) == 4434
    for voucher in vouchers:
        assert content_hash(voucher) == reference_hash(voucher)
        assert to_plain(voucher) == reference_plain(voucher)


def test_odd_values_keep_their_digest():
    row = VoucherRow(1930, Decimal("-0.00"), 'ö\u2028\x01"\\', objects=(("1", "Nord"),), line=7)
    voucher = Voucher("A 1", date(2025, 1, 31), "", (row,), line=3)
    invoice = Invoice(
        "F1",
        Party("Åkesson", is_private=True),
        (InvoiceRow("x", Decimal("1E+3"), Decimal("0.0000001"), line=2),),
        line=1,
    )
    attachment = Attachment("a.pdf", "application/pdf", b"%PDF-1.4")
    problem = Problem("m", line=2, severity=Severity.WARNING)
    for document in (voucher, invoice, attachment, problem, [voucher, {"line": 1, "x": invoice}]):
        assert content_hash(document) == reference_hash(document)
        assert to_plain(document) == reference_plain(document)


def test_the_same_document_on_another_line_is_the_same_document():
    row = VoucherRow(1930, Decimal("100.00"), line=7)
    first = Voucher("A 1", date(2025, 1, 31), "Hyra", (row, row), line=3)
    moved = Voucher("A 1", date(2025, 1, 31), "Hyra", (VoucherRow(1930, Decimal("100.00"), line=70),) * 2)
    assert content_hash(first) == content_hash(moved)
    changed = Voucher("A 1", date(2025, 1, 31), "Hyra", (row, VoucherRow(1930, Decimal("100.01"))))
    assert content_hash(first) != content_hash(changed)


@pytest.mark.parametrize("value", [Decimal("12.50"), "text", 3, None, date(2025, 1, 1)])
def test_plain_values_are_themselves(value):
    assert to_plain(value) == value
