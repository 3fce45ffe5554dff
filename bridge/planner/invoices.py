"""Customer invoices: make sure the customer exists, then create the invoice once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bridge.config import TenantSettings
from bridge.model import DocumentKey, Invoice, InvoiceRow, MasterData, Party, content_hash, to_plain
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref, stamp_for

__all__ = ["plan_invoice"]


def plan_invoice(invoice: Invoice, tenant: TenantSettings, master: MasterData | None = None) -> DocumentPlan:
    key = DocumentKey(tenant.name, invoice.kind, invoice.source_key)
    stamp = stamp_for(key)
    body: dict[str, Any] = {
        "CustomerNumber": ref("customer", "CustomerNumber"),
        "ExternalInvoiceReference1": stamp,
        "InvoiceRows": [_row(row) for row in invoice.rows],
    }
    optional = {
        "InvoiceDate": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
        "DueDate": invoice.due_date.isoformat() if invoice.due_date else None,
        "Currency": invoice.currency,
        "YourReference": invoice.your_reference,
        "OurReference": invoice.our_reference,
        "Comments": invoice.comments,
        "CostCenter": invoice.cost_center,
        "Project": invoice.project,
    }
    body.update({k: v for k, v in optional.items() if v})
    total = sum((row.quantity * row.price for row in invoice.rows), Decimal(0)).quantize(Decimal("0.01"))
    steps = (
        _ensure_customer(invoice.customer, tenant),
        Step(
            kind="create",
            label=f"create invoice for source invoice {invoice.source_key}",
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
        ),
    )
    return DocumentPlan(
        key=key,
        summary=f"invoice {invoice.source_key} to {invoice.customer.name or invoice.customer.number}, "
        f"{len(invoice.rows)} rows, {total} excl. VAT",
        content_hash=content_hash(invoice),
        steps=steps,
        document=to_plain(invoice),
    )


def _row(row: InvoiceRow) -> dict[str, Any]:
    out: dict[str, Any] = {"DeliveredQuantity": format(row.quantity, "f"), "Price": row.price}
    if row.description:
        out["Description"] = row.description
    if row.article_number:
        out["ArticleNumber"] = row.article_number
    if row.account:
        out["AccountNumber"] = row.account
    if row.vat is not None:
        out["VAT"] = int(row.vat) if row.vat == row.vat.to_integral() else row.vat
    if row.unit:
        out["Unit"] = row.unit
    if row.discount:
        out["Discount"] = row.discount
        out["DiscountType"] = "PERCENT"
    if row.cost_center:
        out["CostCenter"] = row.cost_center
    if row.project:
        out["Project"] = row.project
    return out


def _ensure_customer(customer: Party, tenant: TenantSettings) -> Step:
    policy = tenant["invoices.create_customers"]
    create = policy == "always" or (policy == "private" and customer.is_private)
    body = {
        k: v
        for k, v in {
            "CustomerNumber": customer.number,
            "Name": customer.name or customer.number,
            "OrganisationNumber": customer.organisation_number,
            "VATNumber": customer.vat_number,
            "Email": customer.email,
            "Phone1": customer.phone,
            "Address1": customer.address,
            "ZipCode": customer.zip_code,
            "City": customer.city,
            "CountryCode": customer.country_code,
            "Type": "PRIVATE" if customer.is_private else "COMPANY",
        }.items()
        if v
    }
    who = customer.number or customer.organisation_number or customer.name
    if customer.number:
        lookup = Lookup(path=f"/3/customers/{customer.number}", single=True)
    elif customer.organisation_number:
        # Searched by the last digits, which `556677-8899` and `5566778899` both contain.
        digits = "".join(c for c in customer.organisation_number if c.isalnum())
        lookup = Lookup(
            path="/3/customers",
            collection="Customers",
            params={"organisationnumber": digits[-4:]},
            match={"OrganisationNumber": customer.organisation_number},
            normalise=True,
        )
    else:
        lookup = Lookup(
            path="/3/customers",
            collection="Customers",
            params={"name": customer.name},
            match={"Name": customer.name},
        )
    return Step(
        kind="ensure",
        label=f"customer {who}" + (f" ({customer.name})" if customer.name and customer.name != who else ""),
        method="POST",
        path="/3/customers",
        envelope="Customer",
        body={"Customer": body},
        lookup=lookup,
        save_as="customer",
        create_if_missing=create,
        missing_hint=(
            f"customer {who} does not exist in Fortnox and the bridge is set not to create customers "
            f"(invoices.create_customers = {policy}): create the customer in Fortnox, then retry the file"
        ),
    )
