"""Small registers keyed by a code the client chooses: cost centres, currencies, terms of
payment, units, modes of payment; and projects, whose numbers Fortnox assigns when omitted."""

from __future__ import annotations

from datetime import date

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import Resource, crud_routes, money, today
from mockfortnox.state import Tenant


class CodeRegister(Resource):
    """A register whose key is a client-chosen `Code` that must be new on create."""

    key = "Code"
    deletable = True
    required: tuple[str, ...] = ("Code", "Description")
    max_code_length = 25

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("required_field", field=self.key)

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        for field_name in self.required:
            if not str(record.get(field_name) or "").strip():
                raise ApiError("required_field", field=field_name)
        code = str(record[self.key])
        if len(code) > self.max_code_length:
            raise ApiError("invalid_value", field=self.key, value=code)
        if creating and code in tenant.table(self.name):
            raise ApiError("code_taken", value=code)

    def list_row(self, record: dict) -> dict:
        return self.single(record)  # these small records have no smaller list view


class CostCenters(CodeRegister):
    name, singular, plural = "costcenters", "CostCenter", "CostCenters"
    scope = "costcenter"
    not_found = "costcenter_not_found"
    location = "costcenters"
    max_code_length = 6
    template = {"Code": "", "Description": "", "Note": "", "Active": True}
    sort = {"code": "Code"}


class Currencies(CodeRegister):
    name, singular, plural = "currencies", "Currency", "Currencies"
    scope = "currency"
    not_found = "currency_not_found"
    location = "currencies"
    max_code_length = 3
    template = {
        "BuyRate": 0,
        "Code": "",
        "Date": None,
        "Description": "",
        "IsAutomatic": False,
        "SellRate": 0,
        "Unit": 1,
    }

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        """Rates are kept with the day they are for: a change of rate without a `Date` is
        today's rate (as Fortnox's daily automatic rates are)."""
        super().complete(tenant, record, creating=creating)
        record["Code"] = str(record["Code"]).upper()
        before = tenant.table(self.name).get(record["Code"], {}) if not creating else {}
        for field_name in ("BuyRate", "SellRate", "Unit"):
            record[field_name] = money(record[field_name] or 0)
        if record["Date"]:
            try:
                record["Date"] = date.fromisoformat(str(record["Date"])).isoformat()
            except ValueError:
                raise ApiError("invalid_value", field="Date", value=record["Date"]) from None
        rates = (record["BuyRate"], record["SellRate"])
        new_rates = any(rates) and rates != (before.get("BuyRate"), before.get("SellRate"))
        if new_rates and record["Date"] == before.get("Date"):  # no date of their own
            record["Date"] = today().isoformat()


class TermsOfPayments(CodeRegister):
    name, singular, plural = "termsofpayments", "TermsOfPayment", "TermsOfPayments"
    scope = "settings"
    not_found = "termsofpayment_not_found"
    location = "termsofpayments"
    template = {"Code": "", "Description": ""}


class Units(CodeRegister):
    name, singular, plural = "units", "Unit", "Units"
    scope = "settings"
    not_found = "unit_not_found"
    location = "units"
    max_code_length = 20
    template = {"Code": "", "CodeEnglish": "", "Description": ""}


class ModesOfPayments(CodeRegister):
    name, singular, plural = "modesofpayments", "ModeOfPayment", "ModesOfPayments"
    scope = "settings"
    not_found = "modeofpayment_not_found"
    location = "modesofpayments"
    required = ("Code", "Description", "AccountNumber")
    # The spec types AccountNumber as a string of at most four characters.
    template = {"AccountNumber": "", "Code": "", "Description": ""}

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        super().complete(tenant, record, creating=creating)
        account = str(record["AccountNumber"])
        if not (account.isdigit() and len(account) == 4):
            raise ApiError("invalid_value", field="AccountNumber", value=account)
        record["AccountNumber"] = account


class Projects(Resource):
    name, singular, plural = "projects", "Project", "Projects"
    key = "ProjectNumber"
    scope = "project"
    not_found = "project_not_found"
    location = "project"  # recorded: singular, unlike every other resource
    deletable = True
    # Recorded list rows leave out Comments and ContactPerson.
    list_fields = ("Description", "EndDate", "ProjectLeader", "ProjectNumber", "Status", "StartDate")
    template = {
        "Comments": "",
        "ContactPerson": None,
        "Description": "",
        "EndDate": None,
        "ProjectLeader": None,
        "ProjectNumber": "",
        "Status": "ONGOING",
        "StartDate": None,
    }
    search = {"description": "Description", "projectleader": "ProjectLeader"}
    sort = {"projectnumber": "ProjectNumber"}
    statuses = ("NOTSTARTED", "ONGOING", "COMPLETED")

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not str(record.get("Description") or "").strip():
            raise ApiError("required_field", field="Description")
        if creating and record["ProjectNumber"] in tenant.table(self.name):
            raise ApiError("code_taken", value=record["ProjectNumber"])
        if len(record["ProjectNumber"]) > 20 or len(record["Description"]) > 50:
            raise ApiError("invalid_value", field="ProjectNumber/Description", value=record["ProjectNumber"])
        if record["Status"] not in self.statuses:
            raise ApiError("invalid_value", field="Status", value=record["Status"])


costcenters = CostCenters()
currencies = Currencies()
termsofpayments = TermsOfPayments()
units = Units()
modesofpayments = ModesOfPayments()
projects = Projects()
REGISTERS = (costcenters, currencies, termsofpayments, units, modesofpayments, projects)
BLUEPRINTS = tuple(crud_routes(r) for r in REGISTERS)
