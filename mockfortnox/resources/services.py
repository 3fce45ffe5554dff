"""The read-only services: time reporting (`/api/time`) and the integration developer's and
partner's statistics (`/api/integration-developer`, `/api/integration-partner`).

Fortnox fills these from its own apps (the time-reporting app, its app market), so the API
only reads them; a test puts rows in with the control API's seed (tables
`time/registrations`, `time/articles`, `integration/ratings`, `integration/sales`,
`integration/users`) and reads them back filtered as Fortnox filters them."""

from __future__ import annotations

from flask import Blueprint, g, request

from mockfortnox.resources.common import json_response

READ_ONLY_TABLES = (
    "time/registrations",
    "time/articles",
    "integration/ratings",
    "integration/sales",
    "integration/users",
)

bp = Blueprint("time_reporting", __name__)
bp.scope = "timereporting"
integration_bp = Blueprint("integration", __name__)
integration_bp.scope = None  # the developer's own statistics: any token of the app may read them


def _listed(name: str) -> set[str] | None:
    values = {v for part in request.args.getlist(name) for v in part.split(",") if v}
    return values or None


def _in(value: object, wanted: set[str] | None) -> bool:
    return wanted is None or str(value) in wanted


def _registrations(table: str, date_field: str) -> list[dict]:
    args = request.args
    customers, projects = _listed("customerIds"), _listed("projectIds")
    rows = []
    for row in g.tenant.table(table).values():
        day = str(row.get(date_field) or "")
        if (args.get("fromDate") and day < args["fromDate"]) or (args.get("toDate") and day > args["toDate"]):
            continue
        if not _in((row.get("customer") or {}).get("id"), customers):
            continue
        project = (row.get("project") or {}).get("id")
        without_project = project is None and args.get("includeRegistrationsWithoutProject") == "true"
        if projects is not None and not without_project and not _in(project, projects):
            continue
        if "invoiced" in args and bool(row.get("invoiceBasisId")) != (args["invoiced"] == "true"):
            continue
        rows.append(row)
    return sorted(rows, key=lambda r: (str(r.get(date_field)), str(r.get("id"))))


@bp.get("/api/time/registrations-v2")
def registrations():
    return json_response(_registrations("time/registrations", "workedDate"))


@bp.get("/api/time/articles-v1")
def article_registrations():
    return json_response(_registrations("time/articles", "purchaseDate"))


@integration_bp.get("/api/integration-developer/ratings-v1")
def ratings():
    return json_response(list(g.tenant.table("integration/ratings").values()))


@integration_bp.get("/api/integration-developer/sales-v1/<integration_id>")
def integration_sales(integration_id: str):
    rows = [
        r
        for r in g.tenant.table("integration/sales").values()
        if str(r.get("integrationId")) == integration_id
    ]
    return json_response(rows)


@integration_bp.get("/api/integration-developer/users/users-v1/<integration_id>/<tenant_id>")
def integration_users(integration_id: str, tenant_id: str):
    rows = [r for r in g.tenant.table("integration/users").values()
            if str(r.get("integrationId")) == integration_id and str(r.get("tenantId", tenant_id)) == tenant_id]  # fmt: skip
    return json_response(
        [{k: v for k, v in r.items() if k not in ("integrationId", "tenantId")} for r in rows]
    )


@integration_bp.get("/api/integration-partner/apps/sales-v1/<app_id>")
@integration_bp.get("/api/integration-partner/apps/sales-v1/<app_id>/<tenant_id>")
def app_sales(app_id: str, tenant_id: str | None = None):
    tenants = [r for r in g.tenant.table("integration/sales").values()
               if str(r.get("appId")) == app_id and tenant_id in (None, str(r.get("tenantId")))]  # fmt: skip
    return json_response(
        {"appId": app_id, "tenants": [{k: v for k, v in r.items() if k != "appId"} for r in tenants]}
    )


BLUEPRINTS = (bp, integration_bp)
