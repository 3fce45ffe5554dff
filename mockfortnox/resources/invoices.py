"""`/3/invoices`: customer invoices. They are never deleted: only cancelled or credited."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Response

from mockfortnox.errors import ApiError
from mockfortnox.pdf import text_pdf
from mockfortnox.resources.articles import articles
from mockfortnox.resources.bookable import BookableDocument
from mockfortnox.resources.bookkeeping import chart_account
from mockfortnox.resources.common import action_route, check_rows, crud_routes, decimal, money, today
from mockfortnox.resources.customers import customers
from mockfortnox.state import Tenant

ORE = Decimal("0.01")
SALES_ACCOUNT_BY_VAT = {Decimal(25): 3001, Decimal(12): 3002, Decimal(6): 3003, Decimal(0): 3004}
OUTPUT_VAT_ACCOUNT = {Decimal(25): 2611, Decimal(12): 2621, Decimal(6): 2631}
RECEIVABLES_ACCOUNT = 1510
ROUNDING_ACCOUNT = 3740  # öres- och kronutjämning
# Housework types whose tax reduction has ended (recorded: COOKING answers 2003157).
RETIRED_HOUSEWORK_TYPES = frozenset({"COOKING"})

ROW_TEMPLATE: dict[str, Any] = {
    "AccountNumber": None,
    "ArticleNumber": "",
    "ContributionPercent": "0",
    "ContributionValue": "0",
    "Cost": 0,
    "CostCenter": "",
    "DeliveredQuantity": "0",
    "Description": "",
    "Discount": 0,
    "DiscountType": "PERCENT",
    "HouseWork": False,
    "HouseWorkHoursToReport": None,
    "HouseWorkType": None,
    "Price": None,
    "PriceExcludingVAT": 0,
    "Project": "",
    "RowId": 0,
    "StockPointCode": None,
    "Total": 0,
    "TotalExcludingVAT": 0,
    "Unit": "",
    "VAT": None,
}
# Accepted in a request but never shown: recorded rows carry no VATCode (the spec lists it).
ROW_WRITE_ONLY = frozenset({"VATCode"})
ROW_READ_ONLY = frozenset(
    {"ContributionPercent", "ContributionValue", "PriceExcludingVAT", "Total", "TotalExcludingVAT"}
)

READ_ONLY = frozenset(
    {
        "@urlTaxReductionList", "AdministrationFeeVAT", "Balance", "BasisTaxReduction", "Booked",
        "Cancelled", "ContractReference", "ContributionPercent", "ContributionValue", "Credit",
        "FinalPayDate", "FreightVAT", "Gross", "HouseWork", "InvoiceReference", "LastRemindDate",
        "Net", "NoxFinans", "OfferReference", "OrderReference", "Reminders", "RoundOff", "Sent",
        "TaxReduction", "TimeBasisReference", "Total", "TotalToPay", "TotalVAT", "VoucherNumber",
        "VoucherSeries", "VoucherYear", "WarehouseReady", "AccountingMethod",
    }
)  # fmt: skip


class Invoices(BookableDocument):
    name = "invoices"
    singular = "Invoice"
    plural = "Invoices"
    key = "DocumentNumber"
    scope = "invoice"
    not_found = "invoice_not_found"
    location = "invoices"
    read_only = READ_ONLY
    date_field = "InvoiceDate"
    series_function, reference_type, voucher_title = "INVOICE", "INVOICE", "Kundfaktura"
    party_field, credit_reference = "CustomerName", "CreditInvoiceReference"
    list_fields = (
        "Balance", "Booked", "Cancelled", "CostCenter", "Currency", "CurrencyRate", "CurrencyUnit",
        "CustomerName", "CustomerNumber", "DocumentNumber", "DueDate", "ExternalInvoiceReference1",
        "ExternalInvoiceReference2", "InvoiceDate", "InvoiceType", "NoxFinans", "OCR",
        "VoucherNumber", "VoucherSeries", "VoucherYear", "WayOfDelivery", "TermsOfPayment",
        "Project", "Sent", "Total", "FinalPayDate",
    )  # fmt: skip
    template = {
        "AdministrationFee": 0, "AdministrationFeeVAT": 0, "Address1": "", "Address2": "",
        "Balance": 0, "BasisTaxReduction": 0, "Booked": False, "Cancelled": False, "City": "",
        "Comments": "", "ContractReference": 0, "ContributionPercent": 0, "ContributionValue": 0,
        "Country": "", "CostCenter": "", "Credit": "false", "CreditInvoiceReference": "0",
        "Currency": "SEK", "CurrencyRate": 1, "CurrencyUnit": 1, "CustomerName": "",
        "CustomerNumber": "", "DeliveryAddress1": "", "DeliveryAddress2": "", "DeliveryCity": "",
        "DeliveryCountry": "", "DeliveryDate": None, "DeliveryName": "", "DeliveryZipCode": "",
        "DocumentNumber": "", "DueDate": None,
        "EDIInformation": {
            "EDIGlobalLocationNumber": None, "EDIGlobalLocationNumberDelivery": None,
            "EDIInvoiceExtra1": None, "EDIInvoiceExtra2": None, "EDIOurElectronicReference": None,
            "EDIYourElectronicReference": None, "EDIStatus": "",
        },
        "EmailInformation": {
            "EmailAddressFrom": None, "EmailAddressTo": "", "EmailAddressCC": None,
            "EmailAddressBCC": None, "EmailSubject": "Faktura {no} bifogas", "EmailBody": " ",
        },
        "EUQuarterlyReport": False, "ExternalInvoiceReference1": "", "ExternalInvoiceReference2": "",
        "Freight": 0, "FreightVAT": 0, "Gross": 0, "HouseWork": False, "InvoiceDate": None,
        "InvoicePeriodStart": "", "InvoicePeriodEnd": "", "InvoiceReference": "0", "InvoiceRows": [],
        "InvoiceType": "INVOICE", "Labels": [], "Language": "SV", "LastRemindDate": None, "Net": 0,
        "NotCompleted": False, "NoxFinans": False, "OCR": "", "OfferReference": "0",
        "OrderReference": "0", "OrganisationNumber": "", "OurReference": "", "PaymentWay": "",
        "Phone1": "", "Phone2": "", "PriceList": "A", "PrintTemplate": "st", "Project": "",
        "WarehouseReady": True, "OutboundDate": None, "Remarks": "", "Reminders": 0, "RoundOff": 0,
        "Sent": False, "TaxReduction": None, "TermsOfDelivery": "", "TermsOfPayment": "30",
        "TimeBasisReference": None, "Total": 0, "TotalToPay": 0, "TotalVAT": 0, "VATIncluded": False,
        "VoucherNumber": None, "VoucherSeries": None, "VoucherYear": None, "WayOfDelivery": "",
        "YourOrderNumber": "", "YourReference": "", "ZipCode": "", "AccountingMethod": "ACCRUAL",
        "FinalPayDate": None, "TaxReductionType": "none",
    }  # fmt: skip
    filters = {
        "cancelled": lambda r: r["Cancelled"],
        "fullypaid": lambda r: r["Booked"] and not r["Cancelled"] and Decimal(r["Balance"]) == 0,
        "unpaid": lambda r: r["Booked"] and not r["Cancelled"] and Decimal(r["Balance"]) != 0,
        "unpaidoverdue": lambda r: (
            r["Booked"]
            and not r["Cancelled"]
            and Decimal(r["Balance"]) != 0
            and r["DueDate"] < today().isoformat()
        ),
        "unbooked": lambda r: not r["Booked"] and not r["Cancelled"],
    }
    search = {
        name.lower(): name
        for name in (
            "CustomerName", "CustomerNumber", "DocumentNumber", "ExternalInvoiceReference1",
            "ExternalInvoiceReference2", "OCR", "YourReference", "OurReference", "Project",
            "CostCenter", "YourOrderNumber", "Sent", "Credit", "NotCompleted", "InvoiceType", "Currency",
        )
    }  # fmt: skip
    sort = {
        "customername": "CustomerName",
        "customernumber": "CustomerNumber",
        "documentnumber": "DocumentNumber",
        "invoicedate": "InvoiceDate",
        "ocr": "OCR",
        "total": "Total",
    }

    def decorate(self, record: dict, view: dict) -> dict:
        base = view["@url"].rsplit("/3/", 1)[0]
        number = record["DocumentNumber"]
        tax = f"{base}/3/taxreductions?filter=invoices&referencenumber={number}"
        return {"@url": view.pop("@url"), "@urlTaxReductionList": tax, **view}

    def list_row(self, record: dict) -> dict:
        row = super().list_row(record)
        row["CurrencyRate"] = str(row["CurrencyRate"])  # recorded: a string in list views only
        return row

    def check_fields(self, body: dict) -> None:
        super().check_fields(body)
        check_rows(body.get("InvoiceRows", []), ROW_TEMPLATE, ROW_READ_ONLY | ROW_WRITE_ONLY)

    def create(self, tenant: Tenant, body: dict) -> dict:
        body = dict(body)
        rows = body.pop("InvoiceRows", [])
        self.check_fields({**body, "InvoiceRows": rows})
        record = super().create(tenant, {**body, "InvoiceRows": self._rows(tenant, [], rows)})
        return record

    def update(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self.check_writable(record)  # before the rows are read
        body = dict(body)
        if "InvoiceRows" in body:
            self.check_fields({"InvoiceRows": body["InvoiceRows"]})
            body["InvoiceRows"] = self._rows(tenant, record["InvoiceRows"], body["InvoiceRows"])
        return super().update(tenant, record, body)

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        number = str(record.get("CustomerNumber") or "")
        if not number:
            raise ApiError("required_field", field="CustomerNumber")
        customer = tenant.table(customers.name).get(number)
        if customer is None:
            raise ApiError("invoice_customer_missing", value=number)
        if creating:
            _copy_customer(record, customer)
            record["InvoiceDate"] = record["InvoiceDate"] or today().isoformat()
            record["OutboundDate"] = record["OutboundDate"] or record["InvoiceDate"]
            record["OCR"] = record["OCR"] or ocr_for(record["DocumentNumber"])
            record["AccountingMethod"] = tenant.company.get("AccountingMethod", "ACCRUAL")
        self.fill_due_date(record, record["TermsOfPayment"])
        for field_name in ("ExternalInvoiceReference1", "ExternalInvoiceReference2"):
            if len(str(record[field_name] or "")) > 80:
                raise ApiError("forbidden_characters", value=record[field_name])
        _totals(record)

    # --- actions ------------------------------------------------------------------------

    def voucher_rows(self, tenant: Tenant, record: dict) -> list[dict]:
        return _voucher_rows(record)

    def is_credit(self, record: dict) -> bool:
        return record["Credit"] == "true"

    def credit(self, tenant: Tenant, record: dict, body: dict) -> dict:
        """Create a credit invoice for a booked invoice; both point at each other."""
        self.check_creditable(record)
        copied = {
            k: v
            for k, v in record.items()
            if k in self.template
            and k not in self.read_only
            and k not in ("DocumentNumber", "OCR", "InvoiceDate", "DueDate", "OutboundDate", "InvoiceRows")
        }
        rows = [
            {
                **{k: v for k, v in row.items() if k not in ROW_READ_ONLY and k != "RowId"},
                "DeliveredQuantity": str(-decimal(row["DeliveredQuantity"])),
            }
            for row in record["InvoiceRows"]
        ]
        credit = self.create(
            tenant, {**copied, "InvoiceRows": rows, "CreditInvoiceReference": record["DocumentNumber"]}
        )
        credit["Credit"] = "true"
        self.save(tenant, credit)
        record["CreditInvoiceReference"] = credit["DocumentNumber"]
        return self.save(tenant, record)

    def externalprint(self, tenant: Tenant, record: dict, body: dict) -> dict:
        record["Sent"] = True
        return self.save(tenant, record)

    def print(self, tenant: Tenant, record: dict, body: dict) -> Response:
        record["Sent"] = True  # print marks the invoice sent; preview does not
        self.save(tenant, record)
        return self.preview(tenant, record, body)

    def preview(self, tenant: Tenant, record: dict, body: dict) -> Response:
        lines = [
            tenant.company.get("CompanyName", ""),
            f"Faktura {record['DocumentNumber']}  Fakturadatum {record['InvoiceDate']}  Förfallodatum {record['DueDate']}",
            f"Kund {record['CustomerNumber']} {record['CustomerName']}",
            "",
            *(
                f"{row['Description'] or row['ArticleNumber']}  {row['DeliveredQuantity']} x {row['Price']}  = {row['Total']}"
                for row in record["InvoiceRows"]
            ),
            "",
            f"Moms {record['TotalVAT']}  Öresavrundning {record['RoundOff']}  Att betala {record['Total']} {record['Currency']}",
            f"OCR {record['OCR']}",
        ]
        name = f"faktura-{record['DocumentNumber']}.pdf"
        return Response(
            text_pdf(lines),
            mimetype="application/pdf",
            headers={"Content-Disposition": f"inline; filename={name}"},
        )

    def _rows(self, tenant: Tenant, existing: list[dict], sent: list[dict]) -> list[dict]:
        """Apply Fortnox's row-update rule and complete every row."""
        by_id = {row["RowId"]: row for row in existing}
        with_ids = any("RowId" in row for row in sent)
        result = []
        for position, row in enumerate(sent):
            if with_ids:
                base = by_id.get(row.get("RowId"), {})
            else:
                base = existing[position] if position < len(existing) else {}
            writable = {k: v for k, v in row.items() if k not in ROW_READ_ONLY | ROW_WRITE_ONLY}
            merged = {**ROW_TEMPLATE, **base, **writable}
            result.append(_complete_row(tenant, merged))
        for row_id, row in enumerate(result, start=1):
            row["RowId"] = row_id
        return result


def _copy_customer(record: dict, customer: dict) -> None:
    for field_name in (
        "Address1",
        "Address2",
        "City",
        "Country",
        "OrganisationNumber",
        "Phone1",
        "Phone2",
        "ZipCode",
    ):
        if not record.get(field_name):
            record[field_name] = customer.get(field_name) or ""
    record["CustomerName"] = record["CustomerName"] or customer["Name"]
    record["Currency"] = customer.get("Currency") or record["Currency"]
    record["TermsOfPayment"] = customer.get("TermsOfPayment") or record["TermsOfPayment"]
    record["YourReference"] = record["YourReference"] or customer.get("YourReference") or ""
    email = customer.get("EmailInvoice") or customer.get("Email") or ""
    record["EmailInformation"] = {**record["EmailInformation"], "EmailAddressTo": email}


def _voucher_rows(record: dict) -> list[dict]:
    """Receivable against sales and output VAT, in kronor; rounding to its own account."""
    rate = decimal(record["CurrencyRate"] or 1) / decimal(record["CurrencyUnit"] or 1)
    credits: dict[int, Decimal] = {}
    for row in record["InvoiceRows"]:
        total = decimal(row["Total"])
        credits[row["AccountNumber"]] = credits.get(row["AccountNumber"], Decimal(0)) + total
        vat = (total * decimal(row["VAT"]) / 100).quantize(ORE, ROUND_HALF_UP)
        vat_account = OUTPUT_VAT_ACCOUNT.get(decimal(row["VAT"]), 2611)
        if vat:
            credits[vat_account] = credits.get(vat_account, Decimal(0)) + vat
    credits[ROUNDING_ACCOUNT] = credits.get(ROUNDING_ACCOUNT, Decimal(0)) + decimal(record["RoundOff"])
    rows = [{"Account": RECEIVABLES_ACCOUNT, "Debit": (decimal(record["Total"]) * rate).quantize(ORE)}]
    rows += [
        {"Account": account, "Credit": (amount * rate).quantize(ORE)}
        for account, amount in credits.items()
        if amount
    ]
    return rows


def check_housework(row: dict) -> None:
    if not row.get("HouseWork"):
        return
    kind = str(row.get("HouseWorkType") or "")
    if kind == "OTHERCOSTS":
        raise ApiError("housework_other_costs")
    if kind in RETIRED_HOUSEWORK_TYPES:
        raise ApiError("housework_type_retired")


def _complete_row(tenant: Tenant, row: dict) -> dict:
    check_housework(row)
    article = None
    if row.get("ArticleNumber"):
        article = tenant.table(articles.name).get(str(row["ArticleNumber"]))
        if article is None:
            raise ApiError("article_not_found", status=400)
        row["Description"] = row["Description"] or article["Description"]
        row["Unit"] = row["Unit"] or article.get("Unit") or ""
        if row["Price"] is None:
            row["Price"] = article.get("SalesPrice") or 0
        if row["VAT"] is None:
            row["VAT"] = article.get("VAT")
    if row["VAT"] is None:
        row["VAT"] = 25
    vat = decimal(row["VAT"])
    if row["AccountNumber"] in (None, "", 0):
        # Only the standard rates have a default sales account; a custom rate needs the row's
        # (or its article's) account, so this is checked before any default is filled in.
        account = (article or {}).get("SalesAccount") or SALES_ACCOUNT_BY_VAT.get(vat)
        if account is None:
            raise ApiError("custom_vat_needs_account")
        row["AccountNumber"] = account
    if chart_account(tenant, row["AccountNumber"]) is None:
        raise ApiError("account_missing_in_body")
    quantity = Decimal(str(row["DeliveredQuantity"] or "0"))
    price = Decimal(str(row["Price"] or 0))
    discount = Decimal(str(row["Discount"] or 0))
    gross = price * quantity
    total = gross - discount if row["DiscountType"] == "AMOUNT" else gross * (1 - discount / 100)
    row.update(
        AccountNumber=int(row["AccountNumber"]),
        DeliveredQuantity=format(quantity.normalize(), "f"),
        Price=money(price),
        PriceExcludingVAT=money(price),
        Discount=money(discount),
        VAT=int(vat) if vat == vat.to_integral() else money(vat),
        Total=money(total.quantize(ORE, ROUND_HALF_UP)),
        TotalExcludingVAT=money(total.quantize(ORE, ROUND_HALF_UP)),
    )
    return row


def _totals(record: dict) -> None:
    net = sum((Decimal(str(r["Total"])) for r in record["InvoiceRows"]), Decimal(0))
    vat = sum(
        (Decimal(str(r["Total"])) * Decimal(str(r["VAT"])) / 100 for r in record["InvoiceRows"]),
        Decimal(0),
    ).quantize(ORE, ROUND_HALF_UP)
    gross = net + vat
    # Swedish invoices in kronor are rounded to whole kronor (öresavrundning).
    total = gross.quantize(Decimal(1), ROUND_HALF_UP) if record["Currency"] == "SEK" else gross
    record.update(
        Net=money(net),
        TotalVAT=money(vat),
        Gross=money(gross),
        Total=money(total),
        RoundOff=money(total - gross),
        TotalToPay=money(total),
        Balance=money(total),
    )


def ocr_for(document_number: str) -> str:
    """Fortnox's OCR: the number, a length digit, and a Luhn check digit (1 → 133, 20 → 2048)."""
    body = f"{document_number}{(len(document_number) + 2) % 10}"
    return body + luhn_digit(body)


def luhn_digit(digits: str) -> str:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


invoices = Invoices()
bp = crud_routes(invoices)
for _action in ("bookkeep", "cancel", "credit", "externalprint"):
    action_route(bp, invoices, _action)
for _action in ("print", "preview"):
    action_route(bp, invoices, _action, method="GET")
