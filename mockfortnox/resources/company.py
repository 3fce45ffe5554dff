"""The company itself: `/3/companyinformation`, `/3/settings/company`, `/3/settings/lockedperiod`
and `/3/me` (the user behind the token). All read-only through the API; seeds and the control
API set them."""

from __future__ import annotations

from flask import Blueprint, g

from mockfortnox.resources.common import json_response

COMPANY_FIELDS = (
    "Address", "City", "CompanyName", "CountryCode", "DatabaseNumber", "OrganizationNumber",
    "VisitAddress", "VisitCity", "VisitCountryCode", "VisitZipCode", "ZipCode",
)  # fmt: skip
# CompanySettings names some fields differently (Name, not CompanyName) and prints the
# DatabaseNumber as a string (spec).
SETTINGS_FIELDS = (
    "Address", "BG", "BIC", "BranchCode", "City", "ContactFirstName", "ContactLastName", "Country",
    "CountryCode", "DatabaseNumber", "Domicile", "Email", "Fax", "IBAN", "Name", "OrganizationNumber",
    "PG", "Phone1", "Phone2", "TaxEnabled", "VATNumber", "VisitAddress", "VisitCity", "VisitCountry",
    "VisitCountryCode", "VisitName", "VisitZipCode", "WWW", "ZipCode",
)  # fmt: skip


def _blueprint(name: str, scope: str) -> Blueprint:
    bp = Blueprint(name, __name__)
    bp.scope = scope
    return bp


information_bp = _blueprint("companyinformation", "companyinformation")
settings_bp = _blueprint("settings", "settings")
me_bp = _blueprint("me", "profile")


@information_bp.get("/3/companyinformation", strict_slashes=False)
def company_information():
    tenant = g.tenant
    company = {field: tenant.company.get(field, "") for field in COMPANY_FIELDS}
    company["DatabaseNumber"] = tenant.id
    return json_response({"CompanyInformation": company})


@settings_bp.get("/3/settings/company", strict_slashes=False)
def company_settings():
    tenant = g.tenant
    company = tenant.company
    settings = {field: company.get(field, "") for field in SETTINGS_FIELDS}
    settings.update(
        Name=company.get("CompanyName", ""),
        DatabaseNumber=str(tenant.id),
        TaxEnabled=bool(company.get("TaxEnabled", True)),
        Country=company.get("Country", "Sverige"),
    )
    return json_response({"CompanySettings": settings})


@settings_bp.get("/3/settings/lockedperiod", strict_slashes=False)
def locked_period():
    # No date means nothing is locked (spec); the field is then left out, as the spec's
    # date type has no null.
    end = g.tenant.settings.get("LockedPeriodEnd")
    return json_response({"LockedPeriod": {"EndDate": end} if end else {}})


@me_bp.get("/3/me", strict_slashes=False)
def me():
    user = g.tenant.settings.get("user") or {}
    return json_response(
        {
            "Me": {
                "Email": user.get("Email", f"admin@{g.tenant.name}.example"),
                "Id": str(user.get("Id", "1")),
                "Locale": user.get("Locale", "sv_SE"),
                "Name": user.get("Name", "Administratör"),
                "SysAdmin": bool(user.get("SysAdmin", True)),
            }
        }
    )


BLUEPRINTS = (information_bp, settings_bp, me_bp)
