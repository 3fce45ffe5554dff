"""A credit at the source credits the invoice in Fortnox (SGX).

The credit names the source invoice it credits (`Krediterar`); that invoice must be one the
bridge sent, found by its stamp. Then, decided on Fortnox's record when the credit is sent:

- the original is booked and the credit is whole (its rows' net amount is the original's
  `Net`) → Fortnox's own `PUT /3/invoices/{n}/credit`, which creates the credit invoice and
  links the two; the credit invoice then gets our stamp, so a lost answer finds it again;
- otherwise (partial, or the original is not booked) → a credit invoice of our own, with
  negative rows and `CreditInvoiceReference` naming the original, created once by its stamp.

An original that Fortnox does not have refuses the credit before anything is written. An
original that Fortnox has already credited is reported ("already done"), not credited again.
The credit goes to the original's customer, whatever the file says of the customer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bridge.config import TenantSettings
from bridge.model import DocumentKey, Invoice, Problem, content_hash, to_plain
from bridge.planner.invoice_rows import credit_rows, invoice_row, row_net
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref, stamp_for
from bridge.util.i18n import N_

__all__ = ["plan_credit"]


def plan_credit(invoice: Invoice, tenant: TenantSettings) -> DocumentPlan:
    assert invoice.credit_of
    key = DocumentKey(tenant.name, invoice.kind, invoice.source_key)
    stamp = stamp_for(key)
    original = invoice.credit_of
    original_stamp = stamp_for(DocumentKey(tenant.name, invoice.kind, original))
    rows = credit_rows(invoice)
    net = sum((row_net(row) for row in rows), Decimal(0))
    names = {"key": invoice.source_key, "original": original}
    problems = []
    if net == 0:
        problems.append(
            Problem(
                N_("credit %(key)s of invoice %(original)s has no amount") % names,
                line=invoice.line,
                hint=N_("give the credit's rows their amounts"),
                code="credit.empty",
            )
        )
    whole = {"original.Booked": True, "original.Net": -net}
    dated = {"InvoiceDate": invoice.invoice_date.isoformat()} if invoice.invoice_date else {}
    body: dict[str, Any] = {
        "CustomerNumber": ref("original", "CustomerNumber"),
        "CreditInvoiceReference": ref("original", "DocumentNumber"),
        "ExternalInvoiceReference1": stamp,
        "InvoiceRows": [invoice_row(row) for row in rows],
        **dated,
    }
    optional = {
        "DueDate": invoice.due_date.isoformat() if invoice.due_date else None,
        "Currency": invoice.currency,
        "YourReference": invoice.your_reference,
        "OurReference": invoice.our_reference,
        "Comments": invoice.comments,
    }
    body.update({k: v for k, v in optional.items() if v})
    steps = (
        Step(
            kind="ensure",
            label=N_("invoice %(original)s, which credit %(key)s credits") % names,
            method="GET",
            path="",
            envelope="Invoice",
            lookup=Lookup(
                path="/3/invoices",
                collection="Invoices",
                params={"externalinvoicereference1": original_stamp},
                match={"ExternalInvoiceReference1": original_stamp},
            ),
            save_as="sent",
            create_if_missing=False,
            missing_hint=N_(
                "credit %(key)s credits invoice %(original)s, which is not in Fortnox (no invoice carries"
                " the bridge's mark %(stamp)s): send invoice %(again)s first, or correct 'Krediterar',"
                " then retry the file"
            )
            % {**names, "stamp": original_stamp, "again": original},
        ),
        Step(
            kind="ensure",
            label=N_("invoice %(original)s as Fortnox has it (booked? credited? its net amount)") % names,
            method="GET",
            path="",
            envelope="Invoice",
            lookup=Lookup(path="/3/invoices/{sent.DocumentNumber}", single=True),
            save_as="original",
            create_if_missing=False,
        ),
        Step(
            kind="action",
            label=N_("Fortnox's credit of invoice %(original)s (booked, and credited in whole)") % names,
            method="PUT",
            path="/3/invoices/{original.DocumentNumber}/credit",
            envelope="Invoice",
            check_path="/3/invoices/{original.DocumentNumber}",
            done_when={"CreditInvoiceReference": {"$not": "0"}},
            when=whole,
        ),
        Step(
            kind="ensure",
            label=N_("invoice %(original)s with its credit invoice's number") % names,
            method="GET",
            path="",
            envelope="Invoice",
            lookup=Lookup(path="/3/invoices/{original.DocumentNumber}", single=True),
            save_as="credited",
            create_if_missing=False,
            when=whole,
        ),
        Step(
            kind="action",
            label=N_("mark Fortnox's credit invoice as credit %(key)s") % names,
            method="PUT",
            path="/3/invoices/{credited.CreditInvoiceReference}",
            envelope="Invoice",
            body={"Invoice": {"ExternalInvoiceReference1": stamp, **dated}},
            check_path="/3/invoices/{credited.CreditInvoiceReference}",
            done_when={"ExternalInvoiceReference1": stamp},
            save_as="invoice",
            when=whole,
        ),
        Step(
            kind="create",
            label=N_(
                "credit invoice %(key)s referring to invoice %(original)s (credited in part, or not booked)"
            )
            % names,
            method="POST",
            path="/3/invoices",
            envelope="Invoice",
            body={"Invoice": body},
            lookup=Lookup(
                path="/3/invoices",
                collection="Invoices",
                params={"externalinvoicereference1": stamp},
                match={"ExternalInvoiceReference1": stamp},
            ),
            save_as="invoice",
            unless=whole,
        ),
    )
    return DocumentPlan(
        key=key,
        summary=N_(
            "credit %(key)s of invoice %(original)s, %(rows)s rows, %(net)s excl. VAT"
            " (whole and booked: Fortnox's credit; otherwise a credit invoice)"
        )
        % {**names, "rows": len(rows), "net": net},
        content_hash=content_hash(invoice),
        steps=steps,
        document=to_plain(invoice),
        problems=tuple(problems),
    )
