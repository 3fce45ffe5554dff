"""E-invoice XML (Peppol BIS 3, EN 16931 UBL, Svefaktura 1.0) → one supplier invoice per file.

`identify` looks at the root element's namespace in the first bytes, whatever the file is
called; it also claims any XML with a DOCTYPE, so that such a file is refused for what it is
(unsafe XML) rather than as an unknown kind. Whether the tenant is the buyer, which Fortnox
supplier it is and which calls to make are decided later, from the facts kept here.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from bridge.formats.einvoice import (
    KNOWN_ROOT_NAMESPACES,
    MAX_FILE_BYTES,
    EInvoiceResult,
    has_doctype,
    read_einvoice,
    root_namespace,
)
from bridge.formats.einvoice.attachments import attachment_name
from bridge.formats.einvoice.safexml import is_html, prolog_text
from bridge.formats.pdf import PDF_MEDIA_TYPE, pdf_problem
from bridge.importers.base import Source
from bridge.model import Attachment, Extraction, Problem, Severity, SupplierInvoice
from bridge.util.i18n import N_

__all__ = ["EInvoiceImporter", "with_image_beside"]


class EInvoiceImporter:
    name = "einvoice"

    def identify(self, source: Source) -> bool:
        if source.name.lower().endswith(".pdf"):
            return False  # whatever its content, a file called .pdf is judged as a PDF
        if not prolog_text(source.head[:64]).lstrip("\ufeff \t\r\n").startswith("<"):
            return False
        if is_html(source.head):
            return False  # a web page, not XML: no e-invoice (an HTML page saved as .se is the SIE reader's to name)
        return has_doctype(source.head) or root_namespace(source.head) in KNOWN_ROOT_NAMESPACES

    def extract(self, source: Source) -> Extraction:
        size = source.path.stat().st_size
        if size > MAX_FILE_BYTES:
            problem = Problem(
                N_("the file is %(size)s MB; e-invoices over %(limit)s MB are not read")
                % {"size": size // (1024 * 1024), "limit": MAX_FILE_BYTES // (1024 * 1024)},
                hint=N_("ask the sender for the invoice without oversized attachments"),
                code="einvoice.too-large",
            )
            return Extraction(self.name, problems=(problem,), facts={"format": None})
        result = read_einvoice(source.path.read_bytes())
        problems = result.problems
        invoice = result.invoice
        if invoice is not None and source.companion is not None:
            invoice, refusal = with_image_beside(invoice, source.companion)
            problems = (*problems, *refusal)
        documents = (invoice,) if invoice is not None else ()
        return Extraction(self.name, documents, problems, facts(result))


def with_image_beside(
    invoice: SupplierInvoice, companion: Path
) -> tuple[SupplierInvoice, tuple[Problem, ...]]:
    """The PDF dropped beside the XML becomes the invoice's first attachment, if it is a PDF."""
    data = companion.read_bytes()
    reason = pdf_problem(data)
    if reason is not None:
        problem = Problem(
            N_("the PDF beside the invoice is not attached: %(reason)s") % {"reason": reason},
            hint=N_("drop the invoice's real PDF beside it, or attach it later by name (see README, PDFs)"),
            severity=Severity.WARNING,
            code="einvoice.image-not-pdf",
        )
        return invoice, (problem,)
    stem = attachment_name(invoice.invoice_number, 0, PDF_MEDIA_TYPE).rsplit("-attachment-", 1)[0]
    image = Attachment(f"{stem}-image.pdf", PDF_MEDIA_TYPE, data)
    return replace(invoice, attachments=(image, *invoice.attachments)), ()


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
