"""Register records from CSV files: each created, or updated field by field, by its number.

One `upsert` step per record: Fortnox's record is read first; what differs is written (the
receipt lists each field, before → after); a record that already says it all costs no write.
Only what the file gives is compared and sent: an empty cell never erases Fortnox's value.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from bridge.config import TenantSettings
from bridge.model import (
    Article,
    Customer,
    DocumentKey,
    MasterData,
    Problem,
    Project,
    Severity,
    content_hash,
    to_plain,
)
from bridge.planner.parties import swedish_format
from bridge.planner.steps import DocumentPlan, Lookup, Step
from bridge.util.i18n import N_

__all__ = [
    "PROJECT_NEEDS_START",
    "plan_article",
    "plan_customer",
    "plan_project",
    "project_fields",
]

PROJECT_NEEDS_START = (
    "Fortnox needs a start date to create a project (SmartDok: 'Projektet behöver ett startdatum')"
)
PROJECT_CODE_LIMIT, PROJECT_NAME_LIMIT = 20, 50
ARTICLE_NUMBER_LIMIT, ARTICLE_DESCRIPTION_LIMIT = 50, 200


def plan_customer(
    customer: Customer, tenant: TenantSettings, master: MasterData | None = None
) -> DocumentPlan:
    fields = _present(
        {
            "CustomerNumber": customer.number,
            "Name": customer.name,
            "OrganisationNumber": swedish_format(customer.organisation_number),
            "VATNumber": customer.vat_number,
            "Type": None if customer.is_private is None else "PRIVATE" if customer.is_private else "COMPANY",
            "Address1": customer.address,
            "Address2": customer.address2,
            "ZipCode": customer.zip_code,
            "City": customer.city,
            "CountryCode": customer.country_code,
            "Email": customer.email,
            "EmailInvoice": customer.email_invoice,
            "Phone1": customer.phone,
            "TermsOfPayment": customer.terms_of_payment,
            "Currency": customer.currency,
            "YourReference": customer.your_reference,
            "OurReference": customer.our_reference,
        }
    )
    step = _upsert(
        N_("customer %(number)s (%(name)s)") % {"number": customer.number, "name": customer.name},
        "customers",
        "Customer",
        customer.number,
        fields,
    )
    return _plan(tenant, customer, f"customer {customer.number} {customer.name}", step)


def project_fields(project: Project) -> dict[str, Any]:
    return _present(
        {
            "ProjectNumber": project.number,
            "Description": project.name[:PROJECT_NAME_LIMIT],
            "StartDate": _day(project.start_date),
            "EndDate": _day(project.end_date),
            "ProjectLeader": project.leader,
            "Status": project.status,
            "ContactPerson": project.contact_person,
            "Comments": project.comments,
        }
    )


def plan_project(project: Project, tenant: TenantSettings, master: MasterData | None = None) -> DocumentPlan:
    problems = []
    if project.start_date is None:
        problems.append(
            Problem(
                f"project {project.number} has no start date: {PROJECT_NEEDS_START}",
                line=project.line,
                field="Startdatum",
                hint=N_(
                    "fill in the project's start date in the program that wrote the file, then drop it again"
                ),
                code="project.no-start-date",
            )
        )
    if len(project.number) > PROJECT_CODE_LIMIT:
        problems.append(_too_long(f"project number {project.number!r}", PROJECT_CODE_LIMIT, project.line))
    if len(project.name) > PROJECT_NAME_LIMIT:
        problems.append(_cut(f"project {project.number}'s name", PROJECT_NAME_LIMIT, project.line))
    step = _upsert(
        N_("project %(code)s (%(name)s)") % {"code": project.number, "name": project.name},
        "projects",
        "Project",
        project.number,
        project_fields(project),
    )
    return _plan(tenant, project, f"project {project.number} {project.name}", step, problems)


def _article_fields(article: Article) -> dict[str, Any]:
    return _present(
        {
            "ArticleNumber": article.number,
            "Description": article.description[:ARTICLE_DESCRIPTION_LIMIT],
            "Unit": article.unit,
            "VAT": _whole(article.vat),
            "SalesPrice": article.sales_price,
            "PurchasePrice": article.purchase_price,
            "SalesAccount": article.sales_account,
            "Type": article.type,
            "EAN": article.ean,
        }
    )


def plan_article(article: Article, tenant: TenantSettings, master: MasterData | None = None) -> DocumentPlan:
    problems = []
    if len(article.number) > ARTICLE_NUMBER_LIMIT:
        problems.append(_too_long(f"article number {article.number!r}", ARTICLE_NUMBER_LIMIT, article.line))
    if len(article.description) > ARTICLE_DESCRIPTION_LIMIT:
        problems.append(
            _cut(f"article {article.number}'s description", ARTICLE_DESCRIPTION_LIMIT, article.line)
        )
    step = _upsert(
        N_("article %(number)s (%(name)s)") % {"number": article.number, "name": article.description},
        "articles",
        "Article",
        article.number,
        _article_fields(article),
    )
    return _plan(tenant, article, f"article {article.number} {article.description}", step, problems)


def _upsert(label: str, resource: str, envelope: str, number: str, fields: dict[str, Any]) -> Step:
    return Step(
        kind="upsert",
        label=label,
        method="POST",
        path=f"/3/{resource}",
        envelope=envelope,
        body={envelope: fields},
        lookup=Lookup(path=f"/3/{resource}/{quote(number, safe='')}", single=True),
        save_as=envelope.lower(),
    )


def _plan(
    tenant: TenantSettings,
    record: Customer | Project | Article,
    what: str,
    step: Step,
    problems: list[Problem] | None = None,
) -> DocumentPlan:
    return DocumentPlan(
        key=DocumentKey(tenant.name, record.kind, record.source_key),
        summary=N_("%(what)s: create, or update what differs") % {"what": what},
        content_hash=content_hash(record),
        steps=(step,),
        document=to_plain(record),
        problems=tuple(problems or ()),
    )


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _whole(value: Decimal | None) -> int | Decimal | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral() else value


def _too_long(what: str, limit: int, line: int | None) -> Problem:
    return Problem(
        f"{what} is longer than Fortnox allows ({limit} characters)",
        line=line,
        hint=N_("shorten it in the program that wrote the file"),
        code="register.too-long",
    )


def _cut(what: str, limit: int, line: int | None) -> Problem:
    return Problem(
        f"{what} is longer than Fortnox keeps; only its first {limit} characters are sent",
        line=line,
        severity=Severity.WARNING,
        code="register.shortened",
    )
