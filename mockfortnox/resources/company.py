"""`/3/companyinformation`: read-only facts about the tenant's company."""

from __future__ import annotations

from flask import Blueprint, g

from mockfortnox.resources.common import json_response

COMPANY_FIELDS = (
    "Address",
    "City",
    "CompanyName",
    "CountryCode",
    "DatabaseNumber",
    "OrganizationNumber",
    "VisitAddress",
    "VisitCity",
    "VisitCountryCode",
    "VisitZipCode",
    "ZipCode",
)

bp = Blueprint("companyinformation", __name__)
bp.scope = "companyinformation"


@bp.get("/3/companyinformation", strict_slashes=False)
def company_information():
    company = {field: g.tenant.company.get(field, "") for field in COMPANY_FIELDS}
    company["DatabaseNumber"] = g.tenant.id
    return json_response({"CompanyInformation": company})
