"""Offers, contracts, contract templates and contract accruals: the sales documents that turn
into orders and invoices. Each is a family of rules; conversion goes through the orders' and
invoices' own rules, so a converted document is checked like one created directly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, request

from mockfortnox.errors import ApiError
from mockfortnox.pdf import text_pdf
from mockfortnox.resources.articles import articles
from mockfortnox.resources.common import action_route, crud_routes, decimal, money, today
from mockfortnox.resources.customers import customers
from mockfortnox.resources.family import Family
from mockfortnox.resources.invoices import check_housework, invoices
from mockfortnox.resources.orders import orders, send_by_email
from mockfortnox.state import Tenant

ROW_FIELDS = {
    "AccountNumber", "ArticleNumber", "ContributionPercent", "ContributionValue", "CostCenter",
    "Description", "Discount", "DiscountType", "HouseWork", "HouseWorkHoursToReport", "HouseWorkType",
    "Price", "Project", "Quantity", "DeliveredQuantity", "RowId", "Total", "Unit", "VAT", "VATCode",
}  # fmt: skip
# Copied from the customer when the document leaves them blank (Fortnox fills them the same way).
FROM_CUSTOMER = (
    "Address1",
    "Address2",
    "City",
    "Country",
    "ZipCode",
    "Phone1",
    "Phone2",
    "OrganisationNumber",
)


def complete_rows(tenant: Tenant, rows: list, quantity_field: str) -> list[dict]:
    """Rows with the article's description, price and VAT filled in and their totals."""
    if not isinstance(rows, list):
        raise ApiError("no_data")
    done = []
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ApiError("no_data")
        unknown = set(row) - ROW_FIELDS
        if unknown:
            raise ApiError("unknown_field", field=sorted(unknown)[0])
        row = dict(row)
        article = tenant.table(articles.name).get(str(row.get("ArticleNumber") or ""))
        if row.get("ArticleNumber") and article is None:
            raise ApiError("reference_missing", field="ArticleNumber", value=row["ArticleNumber"])
        if article is not None:
            row.setdefault("Description", article["Description"])
            row.setdefault("Price", article.get("SalesPrice") or 0)
            row.setdefault("Unit", article.get("Unit") or "")
            row.setdefault("VAT", article.get("VAT", 25))
        quantity = decimal(row.get(quantity_field))
        price = decimal(row.get("Price"))
        discount = decimal(row.get("Discount"))
        gross = quantity * price
        net = gross - (discount if row.get("DiscountType") == "AMOUNT" else gross * discount / 100)
        row.update(
            RowId=position,
            Price=money(price),
            VAT=int(decimal(row.get("VAT", 25))),
            Discount=money(discount),
            Total=money(net.quantize(Decimal("0.01"))),
        )
        row[quantity_field] = str(money(quantity))  # quantities are text in rows (recorded on invoices)
        check_housework(row)
        row.setdefault("DiscountType", "PERCENT")
        done.append(row)
    return done


EMAIL_INFORMATION = dict.fromkeys(
    ("EmailAddressBCC", "EmailAddressCC", "EmailAddressFrom", "EmailAddressTo", "EmailBody", "EmailSubject")
)  # as on invoices: an object whose unset fields are null


def document_totals(record: dict, rows: list[dict]) -> None:
    net = sum((decimal(r["Total"]) for r in rows), Decimal(0))
    vat = sum((decimal(r["Total"]) * decimal(r["VAT"]) / 100 for r in rows), Decimal(0))
    extra = decimal(record.get("Freight")) + decimal(record.get("AdministrationFee"))
    total = net + extra + vat
    rounded = total.quantize(Decimal(1))
    record.update(
        Net=money(net),
        Gross=money(net + extra),
        TotalVAT=money(vat.quantize(Decimal("0.01"))),
        RoundOff=money((rounded - total).quantize(Decimal("0.01"))),
        Total=money(rounded),
    )
    if "TotalToPay" in record:
        record["TotalToPay"] = money(rounded)


class CustomerDocument(Family):
    """A document for a customer: the customer must exist; blanks are filled from them."""

    rows_field = ""
    quantity_field = "DeliveredQuantity"
    references = {"CustomerNumber": customers.name}
    choices = {"TaxReductionType": ("none", "rot", "rut", "green")}

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        record["EmailInformation"] = {**EMAIL_INFORMATION, **(record.get("EmailInformation") or {})}
        customer = tenant.table(customers.name)[str(record["CustomerNumber"])]
        record["CustomerName"] = record.get("CustomerName") or customer["Name"]
        for name in FROM_CUSTOMER:
            if name in record and not record[name]:
                record[name] = customer.get(name) or ""
        if "Currency" in record:
            record["Currency"] = record["Currency"] or customer.get("Currency") or "SEK"
        record[self.rows_field] = complete_rows(tenant, record[self.rows_field], self.quantity_field)
        document_totals(record, record[self.rows_field])

    def invoice_body(self, record: dict) -> dict[str, Any]:
        """The invoice this document becomes (its own rules check it)."""
        rows = [
            {
                "ArticleNumber": r.get("ArticleNumber") or "",
                "Description": r.get("Description") or "",
                "DeliveredQuantity": str(r.get(self.quantity_field) or 0),
                "Price": r.get("Price"),
                "VAT": r.get("VAT"),
                **({"AccountNumber": r["AccountNumber"]} if r.get("AccountNumber") else {}),
            }
            for r in record[self.rows_field]
        ]
        body = {"CustomerNumber": str(record["CustomerNumber"]), "InvoiceRows": rows}
        for name in ("OurReference", "YourReference", "CostCenter", "Project", "TermsOfPayment", "Remarks"):
            if record.get(name):
                body[name] = record[name]
        return body

    def pdf(self, tenant: Tenant, record: dict, title: str) -> Response:
        lines = [
            tenant.company.get("CompanyName", ""),
            f"{title} {record[self.key]}",
            f"Kund {record['CustomerNumber']} {record['CustomerName']}",
            "",
            *(
                f"{r.get('Description') or r.get('ArticleNumber')}  {r[self.quantity_field]} x {r['Price']} = {r['Total']}"
                for r in record[self.rows_field]
            ),
            "",
            f"Moms {record.get('TotalVAT', 0)}  Totalt {record.get('Total', 0)}",
        ]
        return Response(
            text_pdf(lines),
            mimetype="application/pdf",
            headers={"Content-Disposition": f"inline; filename={self.name}-{record[self.key]}.pdf"},
        )


class Offers(CustomerDocument):
    name, singular, plural = "offers", "Offer", "Offers"
    key = "DocumentNumber"
    scope = "offer"
    not_found = "offer_not_found"
    rows_field, quantity_field = "OfferRows", "Quantity"
    date_field = "OfferDate"
    fields = """
        Address1 Address2 AdministrationFee:n !AdministrationFeeVAT:n !BasisTaxReduction:n
        !Cancelled:b City Comments !ContributionPercent:n !ContributionValue:n CopyRemarks:b
        CostCenter Country Currency CurrencyRate:n CurrencyUnit:i CustomerName CustomerNumber
        DeliveryAddress1 DeliveryAddress2 DeliveryCity DeliveryCountry DeliveryDate:d DeliveryName
        DeliveryZipCode DocumentNumber EmailInformation:{} ExpireDate:d Freight:n !FreightVAT:n
        !Gross:n !HouseWork:b !InvoiceReference Labels:[] Language !Net:n NotCompleted:b OfferDate:d
        OfferRows:[] !OrderReference OrganisationNumber OurReference Phone1 Phone2 PriceList
        PrintTemplate Project Remarks !RoundOff:n !Sent:b !TaxReduction:i TaxReductionType=none
        TermsOfDelivery TermsOfPayment !Total:n !TotalToPay:n !TotalVAT:n VATIncluded:b
        WayOfDelivery YourReference YourReferenceNumber ZipCode
    """
    list_fields = (
        "Cancelled", "Currency", "CustomerName", "CustomerNumber", "DocumentNumber", "OfferDate",
        "Project", "Sent", "Total",
    )  # fmt: skip
    filters = {
        "cancelled": lambda r: r["Cancelled"],
        "expired": lambda r: bool(r["ExpireDate"]) and r["ExpireDate"] < today().isoformat(),
        "completed": lambda r: bool(r["OrderReference"] or r["InvoiceReference"]),
        "notcompleted": lambda r: not (r["OrderReference"] or r["InvoiceReference"] or r["Cancelled"]),
    }
    search = {"customernumber": "CustomerNumber", "customername": "CustomerName", "project": "Project"}
    sort = {
        "customername": "CustomerName",
        "customernumber": "CustomerNumber",
        "documentnumber": "DocumentNumber",
    }

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not creating and record["Cancelled"]:
            raise ApiError("document_cancelled")
        super().rules(tenant, record, creating=creating)
        record["OfferDate"] = record["OfferDate"] or today().isoformat()

    def _open(self, record: dict) -> None:
        if record["Cancelled"]:
            raise ApiError("document_cancelled")
        if record["OrderReference"] or record["InvoiceReference"]:
            raise ApiError("already_converted", value=record["OrderReference"] or record["InvoiceReference"])

    def cancel(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self._open(record)
        record["Cancelled"] = True
        return self.save(tenant, record)

    def createorder(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self._open(record)
        rows = [
            {k: v for k, v in r.items() if k in ("ArticleNumber", "Description", "Price", "VAT", "Unit")}
            | {"OrderedQuantity": str(r["Quantity"]), "DeliveredQuantity": str(r["Quantity"])}
            for r in record["OfferRows"]
        ]
        order = orders.create(tenant, {"CustomerNumber": str(record["CustomerNumber"]), "OrderRows": rows})
        record["OrderReference"] = order["DocumentNumber"]
        return self.save(tenant, record)

    def createinvoice(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self._open(record)
        invoice = invoices.create(tenant, self.invoice_body(record))
        invoice["OfferReference"] = record["DocumentNumber"]
        invoices.save(tenant, invoice)
        record["InvoiceReference"] = invoice["DocumentNumber"]
        return self.save(tenant, record)

    def externalprint(self, tenant: Tenant, record: dict, body: dict) -> dict:
        record["Sent"] = True
        return self.save(tenant, record)

    def email(self, tenant: Tenant, record: dict, body: dict) -> dict:
        send_by_email(tenant, record)
        return self.save(tenant, record)

    def print(self, tenant: Tenant, record: dict, body: dict) -> Response:
        record["Sent"] = True
        self.save(tenant, record)
        return self.pdf(tenant, record, "Offert")

    def preview(self, tenant: Tenant, record: dict, body: dict) -> Response:
        return self.pdf(tenant, record, "Offert")


class ContractTemplates(Family):
    name, singular, plural = "contracttemplates", "ContractTemplate", "ContractTemplates"
    key = "TemplateNumber"
    scope = "invoice"
    not_found = "contracttemplate_not_found"
    fields = """
        AdministrationFee:n Continuous:b ContractLength:i Freight:n InvoiceInterval:i InvoiceRows:[]
        OurReference PrintTemplate Remarks TemplateName TemplateNumber:i TermsOfDelivery
        TermsOfPayment WayOfDelivery
    """
    required = ("TemplateName",)
    list_fields = ("TemplateName", "TemplateNumber")

    def list_row(self, record: dict) -> dict:
        return {**super().list_row(record), "ContractTemplate": record["TemplateNumber"],
                "ContractTemplateName": record["TemplateName"]}  # fmt: skip

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        rows = complete_rows(tenant, record["InvoiceRows"], "DeliveredQuantity")
        keep = (
            "AccountNumber",
            "ArticleNumber",
            "CostCenter",
            "DeliveredQuantity",
            "Description",
            "Discount",
            "DiscountType",
            "Price",
            "Project",
            "RowId",
            "Unit",
        )  # a template's rows carry no totals (spec)
        record["InvoiceRows"] = [
            {k: str(r[k]) if k == "RowId" else r[k] for k in keep if k in r} for r in rows
        ]
        _check_interval(record)


def _check_interval(record: dict) -> None:
    interval, length = record["InvoiceInterval"] or 1, record["ContractLength"] or 0
    record["InvoiceInterval"] = interval
    if interval < 1 or length < 0:
        raise ApiError("invalid_value", field="InvoiceInterval", value=interval)
    if not record["Continuous"] and length and length % interval:
        raise ApiError("invalid_value", field="ContractLength", value=length)


class Contracts(CustomerDocument):
    """An agreement to invoice a customer every `InvoiceInterval` months for `ContractLength`
    months (or until finished, when `Continuous`)."""

    name, singular, plural = "contracts", "Contract", "Contracts"
    key = "DocumentNumber"
    scope = "invoice"
    not_found = "contract_not_found"
    rows_field = "InvoiceRows"
    date_field = "ContractDate"
    fields = """
        Active:B AdministrationFee:n !BasisTaxReduction:n Comments Continuous:b ContractDate:d
        ContractLength:i !ContributionPercent:n !ContributionValue:n CostCenter Currency
        !CustomerName CustomerNumber DocumentNumber:i EmailInformation:{} ExternalInvoiceReference1
        ExternalInvoiceReference2 Freight:n !Gross:n HouseWork:b InvoiceDiscount:n InvoiceInterval:i
        InvoiceRows:[] !InvoicesRemaining Language=SV !LastInvoiceDate !Net:n OurReference PeriodEnd:d
        PeriodStart:d PriceList PrintTemplate Project Remarks !RoundOff:n !TaxReduction:n
        TaxReductionType=none !TemplateName TemplateNumber:i TermsOfDelivery TermsOfPayment !Total:n
        !TotalToPay:n !TotalVAT:n VATIncluded:b WayOfDelivery YourOrderNumber YourReference !Status=ACTIVE
    """
    required = ("CustomerNumber", "InvoiceRows")
    references = {"CustomerNumber": customers.name, "TemplateNumber": "contracttemplates"}
    choices = {**CustomerDocument.choices, "Language": ("SV", "EN")}
    list_fields = (
        "Active", "ContractDate", "Continuous", "CustomerName", "CustomerNumber", "DocumentNumber",
        "InvoicesRemaining", "LastInvoiceDate", "PeriodEnd", "PeriodStart", "Status", "TemplateName",
        "TemplateNumber", "Total",
    )  # fmt: skip
    list_strings = ("DocumentNumber",)

    def list_row(self, record: dict) -> dict:
        row = super().list_row(record)  # the list counts the invoices left as a number (spec)
        row["InvoicesRemaining"] = (
            int(row["InvoicesRemaining"]) if str(row["InvoicesRemaining"]).isdigit() else None
        )
        return row

    filters = {
        "active": lambda r: r["Status"] == "ACTIVE",
        "inactive": lambda r: r["Status"] == "INACTIVE",
        "finished": lambda r: r["Status"] == "FINISHED",
    }
    search = {"customernumber": "CustomerNumber", "templatenumber": "TemplateNumber"}

    def create(self, tenant: Tenant, body: dict) -> dict:
        template = tenant.table("contracttemplates").get(str(body.get("TemplateNumber") or ""))
        if template is not None:  # a template gives what the body leaves out
            inherited = {k: template[k] for k in ("AdministrationFee", "Continuous", "ContractLength", "Freight",
                         "InvoiceInterval", "OurReference", "PrintTemplate", "Remarks", "TermsOfDelivery",
                         "TermsOfPayment", "WayOfDelivery") if template[k] not in ("", 0, None)}  # fmt: skip
            if not body.get("InvoiceRows"):
                inherited["InvoiceRows"] = template["InvoiceRows"]
            body = {**inherited, **body}
        return super().create(tenant, body)

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not creating and record["Status"] == "FINISHED":
            raise ApiError("contract_finished")
        super().rules(tenant, record, creating=creating)
        _check_interval(record)
        record["ContractDate"] = record["ContractDate"] or today().isoformat()
        record["PeriodStart"] = record["PeriodStart"] or record["ContractDate"]
        if record["TemplateNumber"]:
            record["TemplateName"] = tenant.table("contracttemplates")[str(record["TemplateNumber"])][
                "TemplateName"
            ]
        if creating:
            count = (record["ContractLength"] or 0) // record["InvoiceInterval"]
            record["InvoicesRemaining"] = "" if record["Continuous"] else str(count)
        if not record["PeriodEnd"]:
            record["PeriodEnd"] = _add_months(
                date.fromisoformat(record["PeriodStart"]), record["InvoiceInterval"]
            )
        record["Status"] = "ACTIVE" if record["Active"] else "INACTIVE"

    def _count_one(self, record: dict, invoice_date: str) -> None:
        if record["Status"] == "FINISHED":
            raise ApiError("contract_finished")
        if record["InvoicesRemaining"] not in ("", None):
            remaining = int(record["InvoicesRemaining"]) - 1
            if remaining < 0:
                raise ApiError("contract_finished")
            record["InvoicesRemaining"] = str(remaining)
            if remaining == 0:
                record.update(Status="FINISHED", Active=False)
        start = date.fromisoformat(record["PeriodEnd"])
        record.update(
            LastInvoiceDate=invoice_date,
            PeriodStart=start.isoformat(),
            PeriodEnd=_add_months(start, record["InvoiceInterval"]),
        )

    def createinvoice(self, tenant: Tenant, record: dict, body: dict) -> dict:
        if body:
            self.update(tenant, record, body)
        invoice_date = request.args.get("invoicedate") or today().isoformat()
        self._count_one(record, invoice_date)
        invoice = invoices.create(tenant, {**self.invoice_body(record), "InvoiceDate": invoice_date})
        invoice["ContractReference"] = record["DocumentNumber"]
        invoices.save(tenant, invoice)
        return self.save(tenant, record)

    def increaseinvoicecount(self, tenant: Tenant, record: dict, body: dict) -> dict:
        """Count an invoice as made without making it (one made by hand, say)."""
        if body:
            self.update(tenant, record, body)
        self._count_one(record, today().isoformat())
        return self.save(tenant, record)

    def finish(self, tenant: Tenant, record: dict, body: dict) -> dict:
        if body:
            self.update(tenant, record, body)
        record.update(Status="FINISHED", Active=False)
        return self.save(tenant, record)


def _add_months(start: date, months: int) -> str:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return date(year, month, day).isoformat()


class ContractAccruals(Family):
    """A contract's revenue spread over periods; one per contract, rows must balance."""

    name, singular, plural = "contractaccruals", "ContractAccrual", "ContractAccruals"
    key = "DocumentNumber"
    scope = "invoice"
    not_found = "contractaccrual_not_found"
    deletable = True
    fields = """
        AccrualAccount:i AccrualRows:[] CostAccount:i Description DocumentNumber:i Period=MONTHLY Times:i
        Total:n VATIncluded:b
    """
    required = ("AccrualAccount", "CostAccount", "Description", "Total", "AccrualRows")
    references = {"DocumentNumber": "contracts"}
    choices = {"Period": ("MONTHLY", "BIMONTHLY", "QUARTERLY", "SEMIANNUALLY", "ANNUALLY")}
    list_fields = ("Description", "DocumentNumber", "Period", "Times", "Total")

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("required_field", field="DocumentNumber")

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        debit = credit = Decimal(0)
        for row in record["AccrualRows"]:
            if not isinstance(row, dict) or not row.get("Account"):
                raise ApiError("required_field", field="AccrualRows.Account")
            debit += decimal(row.get("Debit"))
            credit += decimal(row.get("Credit"))
        if debit != credit:
            raise ApiError("unbalanced", debit=debit, credit=credit)
        record["Times"] = record["Times"] or 1


offers = Offers()
contracttemplates = ContractTemplates()
contracts = Contracts()
contractaccruals = ContractAccruals()
FAMILIES = (offers, contracttemplates, contracts, contractaccruals)

offers_bp = crud_routes(offers)
for _action in ("cancel", "createinvoice", "createorder", "externalprint"):
    action_route(offers_bp, offers, _action)
for _action in ("email", "print", "preview"):
    action_route(offers_bp, offers, _action, method="GET")
contracts_bp = crud_routes(contracts)
for _action in ("createinvoice", "finish", "increaseinvoicecount"):
    action_route(contracts_bp, contracts, _action)
BLUEPRINTS = (offers_bp, crud_routes(contracttemplates), contracts_bp, crud_routes(contractaccruals))
