"""E-invoice XML (Peppol BIS 3, EN 16931 UBL, Svefaktura 1.0) → one supplier invoice per file.

`identify` looks at the root element's namespace in the first bytes, whatever the file is
called; it also claims any XML with a DOCTYPE, so that such a file is refused for what it is
(unsafe XML) rather than as an unknown kind. Whether the tenant is the buyer, which Fortnox
supplier it is and which calls to make are decided later, from the facts kept here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bridge.formats.einvoice import (
    KNOWN_ROOT_NAMESPACES,
    MAX_FILE_BYTES,
    EInvoiceResult,
    has_doctype,
    read_einvoice,
    root_namespace,
)
from bridge.formats.einvoice.safexml import is_html, prolog_text
from bridge.importers.base import Source
from bridge.model import Extraction, Problem

__all__ = ["EInvoiceImporter"]


class EInvoiceImporter:
    name = "einvoice"

    def identify(self, source: Source) -> bool:
        if not prolog_text(source.head[:64]).lstrip("\ufeff \t\r\n").startswith("<"):
            return False
        if is_html(source.head):
            return False  # a web page, not XML: no e-invoice (an HTML page saved as .se is the SIE reader's to name)
        return has_doctype(source.head) or root_namespace(source.head) in KNOWN_ROOT_NAMESPACES

    def extract(self, source: Source) -> Extraction:
        size = source.path.stat().st_size
        if size > MAX_FILE_BYTES:
            problem = Problem(
                f"the file is {size // (1024 * 1024)} MB; e-invoices over {MAX_FILE_BYTES // (1024 * 1024)} MB are not read",
                hint="ask the sender for the invoice without oversized attachments",
                code="einvoice.too-large",
            )
            return Extraction(self.name, problems=(problem,), facts={"format": None})
        result = read_einvoice(source.path.read_bytes())
        documents = (result.invoice,) if result.invoice is not None else ()
        return Extraction(self.name, documents, result.problems, facts(result))


def facts(result: EInvoiceResult) -> dict[str, Any]:
    """What a receipt or a later step wants to know about the file, as plain JSON-ready data."""
    recognised, invoice = result.recognised, result.invoice
    summary: dict[str, Any] = {
        "format": recognised.format if recognised else None,
        "syntax": recognised.syntax if recognised else None,
        "customization_id": recognised.customization_id if recognised else None,
        "profile_id": recognised.profile_id if recognised else None,
        "envelopes": list(recognised.envelopes) if recognised else [],
        "validation": {
            "schema": result.schema,
            "arithmetic": result.arithmetic,
            "errors": sum(1 for p in result.problems if p.is_error),
            "warnings": sum(1 for p in result.problems if not p.is_error),
            "rules": sorted({p.code for p in result.problems if p.code}),
        },
        "external_references": list(result.external_references),
    }
    if invoice is not None:
        summary.update(
            {
                "invoice_number": invoice.invoice_number,
                "document_type_code": invoice.document_type_code,
                "is_credit": invoice.is_credit,
                "credit_of": invoice.credit_of,
                "supplier": {
                    "name": invoice.supplier.name,
                    "organisation_number": invoice.supplier.organisation_number,
                    "vat_number": invoice.supplier.vat_number,
                    "endpoint_id": invoice.supplier.endpoint_id,
                },
                "buyer_organisation_number": invoice.buyer_organisation_number,
                "currency": invoice.currency,
                "totals": {
                    "lines": sum((row.amount for row in invoice.rows), Decimal(0)),
                    "vat": invoice.vat,
                    "rounding": invoice.rounding,
                    "payable": invoice.total,
                },
                "lines": len(invoice.rows),
                "attachments": len(invoice.attachments),
                "attachments_refused": result.attachments_refused,
            }
        )
    return summary
