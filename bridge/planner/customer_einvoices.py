"""An e-invoice this company sent (it is the seller): our own customer invoice, planned the
customer-invoice way, with the buyer as the customer and the invoice number as its key."""

from __future__ import annotations

from decimal import Decimal

from bridge.config import TenantSettings
from bridge.model import Invoice, InvoiceRow, MasterData, Party, Problem, Severity, SupplierInvoice
from bridge.planner.invoices import plan_invoice
from bridge.planner.parties import swedish_format
from bridge.planner.steps import DocumentPlan
from bridge.util.i18n import N_

__all__ = ["as_customer_invoice", "plan_own_einvoice"]


def plan_own_einvoice(
    invoice: SupplierInvoice, tenant: TenantSettings, master: MasterData | None
) -> DocumentPlan:
    plan = plan_invoice(as_customer_invoice(invoice), tenant, master)
    note = Problem(
        N_("this company is the seller of this e-invoice: it is sent as a customer invoice"),
        severity=Severity.WARNING,
        code="einvoice.own-invoice",
    )
    return DocumentPlan(
        key=plan.key,
        summary=plan.summary + " (from our own e-invoice)",
        content_hash=plan.content_hash,
        steps=plan.steps,
        document=plan.document,
        problems=(*plan.problems, note),
    )


def as_customer_invoice(invoice: SupplierInvoice) -> Invoice:
    buyer = invoice.buyer or Party(name="")
    customer = Party(
        name=buyer.name,
        organisation_number=swedish_format(invoice.buyer_organisation_number or buyer.organisation_number),
        vat_number=buyer.vat_number,
        email=buyer.email,
        phone=buyer.phone,
        address=buyer.address,
        zip_code=buyer.zip_code,
        city=buyer.city,
        country_code=buyer.country_code,
    )
    rows = []
    for row in invoice.rows:
        quantity, price = row.quantity, row.price
        if quantity is None or price is None or (quantity * price).quantize(Decimal("0.01")) != row.amount:
            quantity, price = Decimal(1), row.amount  # the line's own arithmetic had charges in it
        rows.append(
            InvoiceRow(
                description=(row.description or "")[:50] or "-",
                quantity=quantity,
                price=price,
                vat=row.vat_rate if row.vat_rate is not None else Decimal(0),
                line=row.line,
            )
        )
    for charge in invoice.allowance_charges:
        amount = charge.amount if charge.is_charge else -charge.amount
        reason = charge.reason or ("Avgift" if charge.is_charge else "Rabatt")
        rows.append(
            InvoiceRow(
                description=reason[:50], quantity=Decimal(1), price=amount, vat=charge.vat_rate or Decimal(0)
            )
        )
    return Invoice(
        source_key=invoice.invoice_number,
        customer=customer,
        rows=tuple(rows),
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        your_reference=invoice.your_reference,
        comments="\n".join(invoice.notes)[:1000] or None,
        credit_of=invoice.credit_of,
    )
