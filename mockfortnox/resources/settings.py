"""The company's small registers and settings: labels, terms and ways of delivery, price lists
and prices, account charts, print templates, trusted e-mail senders,
customer references, tax reductions and the EU VAT limit."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from flask import Blueprint, Response, g, request

from mockfortnox.errors import ApiError
from mockfortnox.resources.articles import articles
from mockfortnox.resources.common import (
    Resource,
    crud_routes,
    current_state,
    decimal,
    json_response,
    list_response,
    lower_args,
    read_body,
    today,
)
from mockfortnox.resources.customers import customers
from mockfortnox.resources.family import Family, list_only_route
from mockfortnox.state import Tenant


class Labels(Family):
    """Labels for documents; a description is unique (case-insensitive)."""

    name, singular, plural = "labels", "Label", "Labels"
    key = "Id"
    scope = "settings"
    not_found = "label_not_found"
    deletable = True
    fields = "Description !Id:i"
    required = ("Description",)
    unique = ("Description",)

    def url(self, record: dict) -> str:  # labels carry no @url (spec)
        return ""

    def single(self, record: dict) -> dict:
        return {"Description": record["Description"], "Id": record["Id"]}


class DeliveryTerms(Family):
    key = "Code"
    scope = "settings"
    required: ClassVar[tuple[str, ...]] = ("Code",)
    fields = "Code Description DescriptionEnglish"

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("required_field", field="Code")


class TermsOfDeliveries(DeliveryTerms):
    name, singular, plural = "termsofdeliveries", "TermsOfDelivery", "TermsOfDeliveries"
    not_found = "termsofdelivery_not_found"
    required = ("Code", "Description")  # ways of delivery need no description


class WayOfDeliveries(DeliveryTerms):
    name, singular, plural = "wayofdeliveries", "WayOfDelivery", "WayOfDeliveries"
    not_found = "wayofdelivery_not_found"
    deletable = True


class PriceLists(Family):
    name, singular, plural = "pricelists", "PriceList", "PriceLists"
    key = "Code"
    scope = "price"
    not_found = "pricelist_not_found"
    fields = "Code Comments Description PreSelected:b"
    required = ("Code", "Description")

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("required_field", field="Code")

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if record["PreSelected"]:  # one price list is preselected at a time
            for other in tenant.table(self.name).values():
                if other["Code"] != record["Code"] and other["PreSelected"]:
                    other["PreSelected"] = False
                    self.save(tenant, other)


class Prices(Family):
    """An article's price in a price list from a quantity on; keyed by all three. Each price
    list holds a price from quantity 0 for every article (Fortnox answers them without one
    being created); a percent price is relative to that base price."""

    name, singular, plural = "prices", "Price", "Prices"
    key = "_key"
    scope = "price"
    not_found = "price_not_found"
    fields = "ArticleNumber !Date FromQuantity:n Percent:n Price:n PriceList"
    required = ("ArticleNumber", "PriceList")
    references = {"ArticleNumber": articles.name, "PriceList": "pricelists"}

    def url(self, record: dict) -> str:
        return f"{super().url(record).rsplit('/', 1)[0]}/{record['PriceList']}/{record['ArticleNumber']}/{record['FromQuantity']}"

    @staticmethod
    def key_of(price_list: str, article: str, quantity: object) -> str:
        return f"{price_list}|{article}|{decimal(quantity).normalize()}"

    def new_key(self, tenant: Tenant, body: dict) -> str:
        return self.key_of(
            str(body.get("PriceList")), str(body.get("ArticleNumber")), body.get("FromQuantity")
        )

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if record["FromQuantity"] < 0:
            raise ApiError("invalid_value", field="FromQuantity", value=record["FromQuantity"])
        if creating and record["_key"] in tenant.table(self.name):
            raise ApiError("code_taken", value=record["_key"].replace("|", "/"))
        record["Date"] = current_state().clock.now().astimezone().isoformat(timespec="seconds")

    def single(self, record: dict) -> dict:
        view = super().single(record)
        view.pop("_key", None)
        return view

    def find(self, tenant: Tenant, price_list: str, article: str, quantity: object = 0) -> dict:
        record = tenant.table(self.name).get(self.key_of(price_list, article, quantity))
        if record is not None:
            return record
        if Decimal(str(quantity or 0)) == 0 and price_list in tenant.table("pricelists"):
            item = tenant.table(articles.name).get(article)
            if item is not None:  # the base price every article has in every list
                return {"ArticleNumber": article, "Date": None, "FromQuantity": 0, "Percent": 0,
                        "Price": item.get("SalesPrice") or 0, "PriceList": price_list, "_key": ""}  # fmt: skip
        raise ApiError("price_not_found")


prices_bp = Blueprint("prices", __name__)
prices_bp.scope = "price"


def _price_answer(record: dict, status: int = 200) -> Response:
    return json_response(
        {"Price": prices.single(record)}, status, {"Location": "prices"} if status == 201 else None
    )


@prices_bp.get("/3/prices")
def price_list_all():
    """The spec answers one price here: the base price (or the one `fromquantity` names) of
    the preselected price list; we answer the first price stored."""
    records = prices.query(g.tenant, lower_args())
    if not records:
        raise ApiError("price_not_found")
    return _price_answer(records[0])


@prices_bp.post("/3/prices")
def price_create():
    return _price_answer(prices.create(g.tenant, read_body("Price")), 201)


@prices_bp.get("/3/prices/sublist/<price_list>/<article>")
def price_sublist(price_list: str, article: str):
    rows = [
        r
        for r in g.tenant.table(prices.name).values()
        if r["PriceList"] == price_list and r["ArticleNumber"] == article
    ]
    if "fromquantity" in lower_args():
        rows = [r for r in rows if decimal(r["FromQuantity"]) >= decimal(lower_args()["fromquantity"])]
    return list_response(prices, sorted(rows, key=lambda r: decimal(r["FromQuantity"])))


@prices_bp.route("/3/prices/<price_list>/<article>", methods=["GET", "PUT"])
@prices_bp.route("/3/prices/<price_list>/<article>/<quantity>", methods=["GET", "PUT", "DELETE"])
def price_one(price_list: str, article: str, quantity: str | None = None):
    quantity = quantity if quantity is not None else lower_args().get("fromquantity", "0")
    record = prices.find(g.tenant, price_list, article, quantity)
    if request.method == "GET":
        return _price_answer(record)
    if request.method == "DELETE":
        if not record["_key"]:
            raise ApiError("invalid_value", field="FromQuantity", value="0")  # the base price stays
        prices.delete(g.tenant, record)
        return Response(status=204)
    body = read_body("Price")
    if not record["_key"]:  # the implicit base price becomes a stored one
        return _price_answer(prices.create(g.tenant, {**_writable(record), **body, "FromQuantity": 0}))
    return _price_answer(
        prices.update(g.tenant, record, {k: v for k, v in body.items() if k != "FromQuantity"})
    )


def _writable(record: dict) -> dict:
    return {k: record[k] for k in ("ArticleNumber", "PriceList", "Price", "Percent")}


class ReadOnlyList(Family):
    """A fixed list Fortnox keeps (charts, templates): answered, never written."""

    key = "Name"
    scope = "settings"
    not_found = "no_data"
    rows: tuple[dict, ...] = ()

    def url(self, record: dict) -> str:
        return ""

    def single(self, record: dict) -> dict:
        return dict(record)


class AccountCharts(ReadOnlyList):
    name, singular, plural = "accountcharts", "AccountChart", "AccountCharts"
    scope = "bookkeeping"
    fields = "Name"
    rows = tuple({"Name": n} for n in ("BAS 2024", "BAS 2023", "BAS 2022", "K1 Mini 2024", "Förening 2024"))


class PrintTemplates(ReadOnlyList):
    name, singular, plural = "printtemplates", "PrintTemplate", "PrintTemplates"
    scope = "print"
    fields = "Name Template"
    rows = tuple(
        {"Name": name, "Template": template, "_type": kind}
        for kind, template, name in (
            ("invoice", "st", "Standard"), ("invoice", "fl", "Faktura leveransadress"),
            ("order", "oc", "Orderbekräftelse"), ("order", "fs", "Följesedel"),
            ("offer", "of", "Offert"), ("cashinvoice", "kv", "Kontantfaktura"),
            ("reminder", "rm", "Påminnelse"),
        )
    )  # fmt: skip

    def single(self, record: dict) -> dict:
        return {"Name": record["Name"], "Template": record["Template"]}


def _print_templates(tenant: Tenant) -> list[dict]:
    kind = lower_args().get("type")
    return [r for r in printtemplates.rows if kind in (None, r["_type"])]


class CustomerReferences(Family):
    """Contact persons at a customer: rows of (customer, reference), answered one at a time
    wrapped in `CustomerReference.CustomerReferenceRows`."""

    name, singular, plural = "customerreferences", "CustomerReference", "CustomerReferences"
    body_envelope = "CustomerReferenceRow"
    key = "Id"
    scope = "customer"
    not_found = "customerreference_not_found"
    deletable = True
    fields = "CustomerNumber !Id:i Reference"
    required = ("CustomerNumber", "Reference")
    references = {"CustomerNumber": customers.name}

    def single(self, record: dict) -> dict:
        return {"CustomerReferenceRows": [{k: record[k] for k in ("CustomerNumber", "Id", "Reference")}]}


customerreferences_bp = Blueprint("customerreferences_all", __name__)
customerreferences_bp.scope = "customer"


@customerreferences_bp.get("/3/customerreferences")
def customer_references():
    """All references (of `?customer=`) in one `CustomerReference` (spec)."""
    wanted = lower_args().get("customer")
    rows = [
        {k: r[k] for k in ("CustomerNumber", "Id", "Reference")}
        for r in customerreferences.query(g.tenant, {})
        if wanted in (None, r["CustomerNumber"])
    ]
    return json_response({"CustomerReference": {"CustomerReferenceRows": rows}})


class TaxReductions(Family):
    """A ROT/RUT/green claim for a customer's document; the document must exist and the
    asked amount is what the claim starts from."""

    name, singular, plural = "taxreductions", "TaxReduction", "TaxReductions"
    key = "Id"
    scope = "invoice"
    not_found = "taxreduction_not_found"
    deletable = True
    fields = """
        ApprovedAmount:n AskedAmount:n BilledAmount:n CustomerName !Id:i PropertyDesignation
        ReferenceDocumentType ReferenceNumber RequestSent:b ResidenceAssociationOrganisationNumber
        SocialSecurityNumber TaxReductionAmounts:[] !TypeOfReduction VoucherNumber:i VoucherSeries
        VoucherYear:i !WorkType
    """
    required = (
        "AskedAmount",
        "CustomerName",
        "ReferenceDocumentType",
        "ReferenceNumber",
        "SocialSecurityNumber",
    )
    choices = {"ReferenceDocumentType": ("OFFER", "ORDER", "INVOICE")}
    filters = {
        "invoices": lambda r: r["ReferenceDocumentType"] == "INVOICE",
        "orders": lambda r: r["ReferenceDocumentType"] == "ORDER",
        "offers": lambda r: r["ReferenceDocumentType"] == "OFFER",
    }
    tables = {"OFFER": "offers", "ORDER": "orders", "INVOICE": "invoices"}
    list_strings = ("VoucherNumber", "VoucherYear")  # the list types these as text (spec)

    def list_row(self, record: dict) -> dict:
        row = super().list_row(record)
        row["ReferenceNumber"] = (
            int(row["ReferenceNumber"]) if str(row["ReferenceNumber"]).isdigit() else None
        )
        return row

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        table = self.tables[record["ReferenceDocumentType"]]
        document = tenant.table(table).get(str(record["ReferenceNumber"]))
        if document is None:
            raise ApiError("reference_missing", field="ReferenceNumber", value=record["ReferenceNumber"])
        number = "".join(c for c in str(record["SocialSecurityNumber"]) if c.isdigit())
        if len(number) not in (10, 12):
            raise ApiError(
                "invalid_value", field="SocialSecurityNumber", value=record["SocialSecurityNumber"]
            )
        if record["AskedAmount"] < 0:
            raise ApiError("invalid_value", field="AskedAmount", value=record["AskedAmount"])
        record["ReferenceNumber"] = str(record["ReferenceNumber"])
        record["TypeOfReduction"] = str(document.get("TaxReductionType") or "rot")
        record["WorkType"] = record.get("WorkType") or ""

    def delete(self, tenant: Tenant, record: dict) -> None:
        if record["RequestSent"]:  # a claim sent to Skatteverket stays
            raise ApiError("document_booked")
        super().delete(tenant, record)


class EmailSenders(Family):
    name, singular, plural = "emailsenders", "TrustedSender", "EmailSenders"
    key = "Id"
    scope = "settings"
    not_found = "emailsender_not_found"
    fields = "Email !Id:i"
    required = ("Email",)
    unique = ("Email",)

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        local, at, domain = str(record["Email"]).partition("@")
        if not (local and at and "." in domain):
            raise ApiError("invalid_value", field="Email", value=record["Email"])

    def single(self, record: dict) -> dict:
        return {"Email": record["Email"], "Id": record["Id"]}


emailsenders_bp = Blueprint("emailsenders", __name__)
emailsenders_bp.scope = "settings"


@emailsenders_bp.get("/3/emailsenders")
def email_senders():
    trusted = [emailsenders.single(r) for r in emailsenders.query(g.tenant, {})]
    return json_response({"EmailSenders": {"TrustedSenders": trusted, "RejectedSenders": []}})


@emailsenders_bp.post("/3/emailsenders/trusted")
def trust_sender():
    record = emailsenders.create(g.tenant, read_body("TrustedSender"))
    return json_response({"TrustedSender": emailsenders.single(record)}, 201)


@emailsenders_bp.delete("/3/emailsenders/trusted/<key>")
def distrust_sender(key: str):
    emailsenders.delete(g.tenant, emailsenders.get(g.tenant, key))
    return Response(status=204)


euvat_bp = Blueprint("euvatlimitregulation", __name__)
euvat_bp.scope = "invoice"
EU_VAT_LIMIT = 99680  # SEK a calendar year (Skatteverket, distance sales within the EU)


@euvat_bp.get("/3/euvatlimitregulation")
def eu_vat_limit():
    """Sales to EU consumers this year (or `?year=`), from the company's booked invoices."""
    year = lower_args().get("year") or str(today().year)
    total = Decimal(0)
    for invoice in g.tenant.table("invoices").values():
        customer = g.tenant.table(customers.name).get(str(invoice["CustomerNumber"]), {})
        if (
            str(invoice.get("InvoiceDate") or "").startswith(year)
            and customer.get("VATType") == "EUVAT"
            and not invoice["Cancelled"]
        ):
            total += decimal(invoice.get("Net"))
    return json_response(
        {
            "EUVatLimitRegulation": {
                "IsOverLimit": total > EU_VAT_LIMIT,
                "Limit": EU_VAT_LIMIT,
                "TotalExclVat": total,
                "Year": year,
            }
        }
    )


labels = Labels()
termsofdeliveries = TermsOfDeliveries()
wayofdeliveries = WayOfDeliveries()
pricelists = PriceLists()
prices = Prices()
accountcharts = AccountCharts()
printtemplates = PrintTemplates()
customerreferences = CustomerReferences()
taxreductions = TaxReductions()
emailsenders = EmailSenders()
FAMILIES: tuple[Resource, ...] = (
    labels, termsofdeliveries, wayofdeliveries, pricelists, prices, customerreferences, taxreductions,
    emailsenders,
)  # fmt: skip


BLUEPRINTS = (
    crud_routes(labels),
    crud_routes(termsofdeliveries),
    crud_routes(wayofdeliveries),
    crud_routes(pricelists),
    prices_bp,
    list_only_route(accountcharts, lambda tenant: list(accountcharts.rows)),
    list_only_route(printtemplates, _print_templates),
    customerreferences_bp,
    crud_routes(customerreferences),
    crud_routes(taxreductions),
    emailsenders_bp,
    euvat_bp,
)
