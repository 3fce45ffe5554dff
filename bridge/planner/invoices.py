"""Customer invoices: the customer, the articles and projects the rows name, then the invoice,
created once. An invoice that names the invoice it credits is planned by `bridge.planner.credits`.

Customers follow `invoices.create_customers`: `always` creates a missing one from the file;
`private` creates private persons only, and finds a company by its organisation number (10 or
12 digits, with or without hyphen, compared exactly) or refuses the invoice naming it; `never`
creates nobody. A missing article is created from the row (number, description, unit, VAT,
account) when `invoices.create_articles` allows; a missing project from the project register
the bridge has read, which must give a start date (Fortnox needs one).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from bridge.config import TenantSettings
from bridge.model import (
    DocumentKey,
    Invoice,
    InvoiceRow,
    MasterData,
    Problem,
    Project,
    Severity,
    content_hash,
    to_plain,
)
from bridge.planner.credits import plan_credit
from bridge.planner.invoice_rows import invoice_row, row_net, vat_value
from bridge.planner.parties import swedish_format
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref, stamp_for
from bridge.planner.upserts import PROJECT_NEEDS_START, project_fields
from bridge.util.i18n import N_

__all__ = ["plan_invoice"]


def plan_invoice(
    invoice: Invoice,
    tenant: TenantSettings,
    master: MasterData | None = None,
    projects: Mapping[str, Project] | None = None,
) -> DocumentPlan:
    """`projects`: what the project registers the bridge has read say, by project number."""
    if invoice.credit_of:
        return plan_credit(invoice, tenant)
    key = DocumentKey(tenant.name, invoice.kind, invoice.source_key)
    stamp = stamp_for(key)
    problems: list[Problem] = []
    customer = _ensure_customer(invoice, tenant, problems)
    registers = [*_ensure_articles(invoice, tenant), *_ensure_projects(invoice, tenant, projects or {})]
    body: dict[str, Any] = {
        "CustomerNumber": ref("customer", "CustomerNumber"),
        "ExternalInvoiceReference1": stamp,
        "InvoiceRows": [invoice_row(row) for row in invoice.rows],
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
    total = sum((row_net(row) for row in invoice.rows), Decimal(0))
    if total < 0:
        problems.append(
            Problem(
                f"invoice {invoice.source_key} is negative ({total}) but names no invoice it credits: "
                "it is sent as a negative invoice, not linked to an original",
                line=invoice.line,
                hint=N_("to credit an invoice, write its number in a 'Krediterar' column"),
                severity=Severity.WARNING,
                code="invoice.negative-without-original",
            )
        )
    steps = (
        customer,
        *registers,
        Step(
            kind="create",
            label=N_("create invoice for source invoice %(key)s") % {"key": invoice.source_key},
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
        summary=N_("invoice %(key)s to %(customer)s, %(rows)s rows, %(total)s excl. VAT")
        % {
            "key": invoice.source_key,
            "customer": invoice.customer.name or invoice.customer.number,
            "rows": len(invoice.rows),
            "total": total,
        },
        content_hash=content_hash(invoice),
        steps=steps,
        document=to_plain(invoice),
        problems=tuple(problems),
    )


def _ensure_customer(invoice: Invoice, tenant: TenantSettings, problems: list[Problem]) -> Step:
    customer = invoice.customer
    policy = tenant["invoices.create_customers"]
    if policy == "private" and not customer.is_private:
        return _find_company(invoice, problems)
    create = policy == "always" or (policy == "private" and customer.is_private)
    body = {
        k: v
        for k, v in {
            "CustomerNumber": customer.number,
            "Name": customer.name or customer.number,
            "OrganisationNumber": swedish_format(customer.organisation_number),
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
        lookup = Lookup(path=f"/3/customers/{quote(customer.number, safe='')}", single=True)
    elif customer.organisation_number:
        lookup = _by_organisation_number(customer.organisation_number)
    else:
        lookup = Lookup(
            path="/3/customers",
            collection="Customers",
            params={"name": customer.name},
            match={"Name": customer.name},
        )
    return Step(
        kind="ensure",
        label=(
            N_("customer %(number)s (%(name)s)") % {"number": who, "name": customer.name}
            if customer.name and customer.name != who
            else N_("customer %(number)s") % {"number": who}
        ),
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


def _by_organisation_number(number: str) -> Lookup:
    # Searched by the last digits, which `556677-8899`, `5566778899` and `16556677-8899` all
    # contain; compared exactly in their 10-digit form.
    digits = "".join(c for c in number if c.isdigit())
    return Lookup(
        path="/3/customers",
        collection="Customers",
        params={"organisationnumber": digits[-4:]},
        match={"OrganisationNumber": number},
        normalise=True,
    )


def _find_company(invoice: Invoice, problems: list[Problem]) -> Step:
    """A company must already be in Fortnox's customer register with the same organisation
    number (SGX); the bridge never creates or changes it."""
    customer = invoice.customer
    name = customer.name or customer.number or "the customer"
    org = customer.organisation_number
    if not org:
        problems.append(
            Problem(
                f"invoice {invoice.source_key}: company {name} has no organisation number, and with "
                "invoices.create_customers = private a company is found by its organisation number",
                line=invoice.line,
                field="Organisationsnummer",
                hint=N_(
                    "fill in the company's organisation number (or 'Kundtyp' Privat for a private person)"
                ),
                code="invoice.company-without-org-number",
            )
        )
    return Step(
        kind="ensure",
        label=f"company {name} (organisation number {org})",
        method="GET",
        path="",
        envelope="Customer",
        lookup=_by_organisation_number(org or ""),
        save_as="customer",
        create_if_missing=False,
        missing_hint=(
            f"company {name} with organisation number {org} is not in Fortnox's customer register; "
            "the bridge creates private persons only (invoices.create_customers = private): add the "
            "company in Fortnox with that organisation number, then retry the file"
        ),
    )


def _ensure_articles(invoice: Invoice, tenant: TenantSettings) -> list[Step]:
    """One step per article the rows name, in order: found, or created from the first row
    that names it."""
    if not tenant["invoices.create_articles"]:
        return []
    first: dict[str, InvoiceRow] = {}
    for row in invoice.rows:
        if row.article_number:
            first.setdefault(row.article_number, row)
    steps = []
    for number, row in first.items():
        article = {
            k: v
            for k, v in {
                "ArticleNumber": number,
                "Description": row.description[:200],
                "Unit": row.unit,
                "VAT": vat_value(row.vat) if row.vat is not None else None,
                "SalesAccount": row.account,
            }.items()
            if v not in (None, "")
        }
        where = f" (line {row.line})" if row.line else ""
        steps.append(
            Step(
                kind="ensure",
                label=(
                    N_("article %(number)s (%(name)s)") % {"number": number, "name": row.description}
                    if row.description
                    else N_("article %(number)s") % {"number": number}
                ),
                method="POST",
                path="/3/articles",
                envelope="Article",
                body={"Article": article},
                lookup=Lookup(path=f"/3/articles/{quote(number, safe='')}", single=True),
                create_if_missing=bool(row.description),
                missing_hint=(
                    f"article {number} does not exist in Fortnox, and the row{where} gives no description "
                    "to create it with: add a 'Beskrivning' to the row, or create the article in Fortnox, "
                    "then retry the file"
                ),
            )
        )
    return steps


def _ensure_projects(invoice: Invoice, tenant: TenantSettings, known: Mapping[str, Project]) -> list[Step]:
    """One step per project the invoice names: found, or created from the project register."""
    numbers = dict.fromkeys(p for p in (invoice.project, *(r.project for r in invoice.rows)) if p)
    steps = []
    for number in numbers:
        project = known.get(number)
        hint = f"project {number} does not exist in Fortnox"
        if project is None:
            hint += (
                ", and no project register the bridge has read names it: drop the project register "
                "(with the project's start date) or create the project in Fortnox, then retry the file"
            )
        elif project.start_date is None:
            hint += f", and the project register names it without a start date: {PROJECT_NEEDS_START}"
        elif not tenant["invoices.create_projects"]:
            hint += " and invoices.create_projects is off: create it in Fortnox, then retry the file"
        creatable = (
            project is not None and project.start_date is not None and tenant["invoices.create_projects"]
        )
        steps.append(
            Step(
                kind="ensure",
                label=f"project {number}" + (f" ({project.name})" if project else ""),
                method="POST",
                path="/3/projects",
                envelope="Project",
                body={"Project": project_fields(project)} if project else None,
                lookup=Lookup(path=f"/3/projects/{quote(number, safe='')}", single=True),
                create_if_missing=creatable,
                missing_hint=hint,
            )
        )
    return steps
