"""Shared helpers for the e-invoice tests: where things are, and how a file is read."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bridge.importers import FileSource
from bridge.importers.einvoice import EInvoiceImporter
from bridge.model import Extraction, SupplierInvoice

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "fixtures" / "einvoice"


def extract(path: Path, name: str | None = None) -> Extraction:
    return EInvoiceImporter().extract(FileSource.open(path, name=name))


def codes(extraction: Extraction) -> set[str]:
    return {p.code for p in extraction.problems}


def reconciles(invoice: SupplierInvoice) -> bool:
    """lines − allowances + charges + VAT − prepaid + rounding = the amount to pay, to the öre."""
    assert invoice.totals is not None
    lines = sum((row.amount for row in invoice.rows), Decimal(0))
    adjustments = sum((c.amount if c.is_charge else -c.amount for c in invoice.allowance_charges), Decimal(0))
    prepaid = invoice.totals.prepaid or Decimal(0)
    return lines + adjustments + invoice.vat - prepaid + invoice.rounding == invoice.total
