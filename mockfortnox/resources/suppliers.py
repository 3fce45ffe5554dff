"""`/3/suppliers`: the supplier register. Numbers are assigned when omitted; no DELETE (spec)."""

from __future__ import annotations

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import Resource, crud_routes
from mockfortnox.state import Tenant

_TEXT_FIELDS = (
    "Address1", "Address2", "BG", "BIC", "Bank", "BankAccountNumber", "BranchCode", "City",
    "ClearingNumber", "Comments", "CostCenter", "Country", "CountryCode", "Email", "Fax", "IBAN",
    "OrganisationNumber", "OurCustomerNumber", "OurReference", "PG", "Phone1", "Phone2",
    "PreDefinedAccount", "Project", "TermsOfPayment", "VATNumber", "VisitingAddress", "VisitingCity",
    "VisitingCountry", "VisitingCountryCode", "VisitingZipCode", "WWW", "WorkPlace", "YourReference",
    "ZipCode",
)  # fmt: skip


class Suppliers(Resource):
    name, singular, plural = "suppliers", "Supplier", "Suppliers"
    key = "SupplierNumber"
    scope = "supplier"
    not_found = "supplier_not_found"
    location = "suppliers"
    template = {
        **dict.fromkeys(_TEXT_FIELDS, ""),
        "Active": True,
        "Currency": "SEK",
        "DisablePaymentFile": False,
        "Name": "",
        "SupplierNumber": "",
        "VATType": "NORMAL",
    }
    # Like customers, list rows say `Phone` for the record's `Phone1`; they carry the VAT number
    # (spec list schema), which is how a supplier without organisation number is found.
    list_fields = (
        "Active", "Address1", "Address2", "BankAccountNumber", "BG", "BIC", "City", "CostCenter",
        "Country", "CountryCode", "Currency", "DisablePaymentFile", "Email", "IBAN", "Name",
        "OrganisationNumber", "PG", "Phone", "PreDefinedAccount", "Project", "SupplierNumber", "VATNumber",
        "ZipCode",
    )  # fmt: skip
    filters = {"active": lambda r: r["Active"] is True, "inactive": lambda r: r["Active"] is not True}
    search = {
        "suppliernumber": "SupplierNumber",
        "name": "Name",
        "organisationnumber": "OrganisationNumber",
        "phone": "Phone1",
        "zipcode": "ZipCode",
        "city": "City",
        "email": "Email",
    }
    sort = {"suppliernumber": "SupplierNumber", "name": "Name"}

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not str(record.get("Name") or "").strip():
            raise ApiError("required_field", field="Name")
        if creating and record["SupplierNumber"] in tenant.table(self.name):
            raise ApiError("code_taken", value=record["SupplierNumber"])
        account = str(record["PreDefinedAccount"] or "")
        if account and not (account.isdigit() and len(account) == 4):
            raise ApiError("invalid_value", field="PreDefinedAccount", value=account)

    def list_row(self, record: dict) -> dict:
        return super().list_row({**record, "Phone": record.get("Phone1") or ""})


suppliers = Suppliers()
bp = crud_routes(suppliers)
