"""`/3/customers`: the customer register. Numbers are assigned when omitted and never reused."""

from __future__ import annotations

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import Resource, crud_routes
from mockfortnox.state import Tenant

_NULLABLE = [
    "Address1",
    "Address2",
    "City",
    "Country",
    "Comments",
    "CostCenter",
    "CountryCode",
    "DeliveryAddress1",
    "DeliveryAddress2",
    "DeliveryCity",
    "DeliveryCountry",
    "DeliveryCountryCode",
    "DeliveryFax",
    "DeliveryName",
    "DeliveryPhone1",
    "DeliveryPhone2",
    "DeliveryZipCode",
    "ExternalReference",
    "Fax",
    "GLN",
    "GLNDelivery",
    "InvoiceAdministrationFee",
    "InvoiceDiscount",
    "InvoiceFreight",
    "Phone1",
    "Phone2",
    "SalesAccount",
    "VisitingAddress",
    "VisitingCity",
    "VisitingCountry",
    "VisitingCountryCode",
    "VisitingZipCode",
    "ZipCode",
]
_EMPTY = [
    "Email",
    "EmailInvoice",
    "EmailInvoiceBCC",
    "EmailInvoiceCC",
    "EmailOffer",
    "EmailOfferBCC",
    "EmailOfferCC",
    "EmailOrder",
    "EmailOrderBCC",
    "EmailOrderCC",
    "InvoiceRemark",
    "OrganisationNumber",
    "OurReference",
    "Project",
    "TermsOfDelivery",
    "TermsOfPayment",
    "VATNumber",
    "WayOfDelivery",
    "WWW",
    "YourReference",
]


class Customers(Resource):
    name = "customers"
    singular = "Customer"
    plural = "Customers"
    key = "CustomerNumber"
    scope = "customer"
    not_found = "customer_not_found"
    location = "customers"
    deletable = True
    # Recorded: list rows carry `Phone` where the single record says `Phone1`.
    list_fields = (
        "Address1",
        "Address2",
        "City",
        "CustomerNumber",
        "Email",
        "Name",
        "OrganisationNumber",
        "Phone",
        "ZipCode",
    )
    template = {
        **dict.fromkeys(_NULLABLE),
        **dict.fromkeys(_EMPTY, ""),
        "Active": True,
        "CustomerNumber": "",
        "Currency": "SEK",
        "DefaultDeliveryTypes": {"Invoice": "PRINT", "Order": "PRINT", "Offer": "PRINT"},
        "DefaultTemplates": {
            "Order": "DEFAULTTEMPLATE",
            "Offer": "DEFAULTTEMPLATE",
            "Invoice": "DEFAULTTEMPLATE",
            "CashInvoice": "DEFAULTTEMPLATE",
        },
        "Name": "",
        "PriceList": "A",
        "ShowPriceVATIncluded": False,
        "Type": "COMPANY",
        "VATType": "SEVAT",
    }
    filters = {"active": lambda r: r["Active"] is True, "inactive": lambda r: r["Active"] is not True}
    search = {
        "customernumber": "CustomerNumber",
        "name": "Name",
        "zipcode": "ZipCode",
        "city": "City",
        "email": "Email",
        "phone": "Phone1",
        "organisationnumber": "OrganisationNumber",
        "gln": "GLN",
        "glndelivery": "GLNDelivery",
    }
    sort = {"customernumber": "CustomerNumber", "name": "Name"}

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not str(record.get("Name") or "").strip():
            raise ApiError("required_field", field="Name")
        if creating:
            used = tenant.settings.setdefault("used_customer_numbers", [])
            if record["CustomerNumber"] in used:
                raise ApiError("customer_number_taken", value=record["CustomerNumber"])
            used.append(record["CustomerNumber"])
            if record["CustomerNumber"].isdigit():
                counter = tenant.counters.get(self.name, 0)
                tenant.counters[self.name] = max(counter, int(record["CustomerNumber"]))

    def list_row(self, record: dict) -> dict:
        # Recorded: the list prints "" where the single record has null.
        row = super().list_row({**record, "Phone": record.get("Phone1") or ""})
        return {k: "" if v is None else v for k, v in row.items()}


customers = Customers()
bp = crud_routes(customers)
