"""`/3/supplierinvoices`: invoices from suppliers. Never deleted: cancelled or credited.

When a client sends only cost rows plus `Total` and `VAT`, the payable (TOT) and input-VAT
rows are built the way Fortnox does it; a difference under one krona goes to a rounding row.

To find one again by the supplier's own invoice number: `GET /3/supplierinvoices?
suppliernumber=<n>&invoicenumber=<no>` — both are "contains" searches, so compare
`SupplierNumber` and `InvoiceNumber` in the list rows exactly.
"""

from __future__ import annotations

from decimal import Decimal

from mockfortnox.errors import ApiError
from mockfortnox.resources.bookable import BookableDocument
from mockfortnox.resources.bookkeeping import chart_account
from mockfortnox.resources.common import action_route, check_rows, crud_routes, decimal, money, today
from mockfortnox.resources.suppliers import suppliers
from mockfortnox.state import Tenant

PAYABLES_ACCOUNT = 2440
INPUT_VAT_ACCOUNT = 2641
REVERSE_VAT_ACCOUNTS = (2645, 2614)  # calculated input VAT on purchases abroad / its output side
ROUNDING_ACCOUNT = 3740
DEFAULT_COST_ACCOUNT = 4000
ROW_CODES = ("TOT", "VAT", "FRT", "AFE", "ROV", "CND", "CNC", "PRD", "PRC", "SRD", "SRC", "PRE", "GWB", "ACC")
ROW_TEMPLATE = {
    "Account": 0,
    "AccountDescription": "",
    "ArticleNumber": "",
    "Code": "PRE",
    "CostCenter": "",
    "Credit": 0,
    "CreditCurrency": 0,
    "Debit": 0,
    "DebitCurrency": 0,
    "ItemDescription": "",
    "Price": 0,
    "Project": "",
    "Quantity": 0,
    "StockLocationCode": None,
    "StockPointCode": None,
    "Total": 0,
    "TransactionInformation": "",
    "Unit": "",
}
# Amounts the spec types as strings on the single record.
STRING_AMOUNTS = ("AdministrationFee", "Balance", "CurrencyRate", "Freight", "RoundOffValue", "Total", "VAT")


def _paid_state(r: dict) -> tuple[bool, Decimal]:
    return r["Booked"] and not r["Cancelled"], decimal(r["Balance"])


class SupplierInvoices(BookableDocument):
    name, singular, plural = "supplierinvoices", "SupplierInvoice", "SupplierInvoices"
    key = "GivenNumber"
    scope = "supplierinvoice"
    not_found = "supplierinvoice_not_found"
    location = "supplierinvoices"
    date_field = "InvoiceDate"
    series_function, reference_type, voucher_title = (
        "SUPPLIERINVOICE",
        "SUPPLIERINVOICE",
        "Leverantörsfaktura",
    )
    party_field, credit_reference = "SupplierName", "CreditReference"
    read_only = frozenset(
        {
            "AccountingMethod", "Balance", "Booked", "Cancelled", "Credit", "CreditReference",
            "FinalPayDate", "SupplierName", "VoucherNumber", "VoucherSeries", "VoucherYear", "Vouchers",
        }
    )  # fmt: skip
    template = {
        "AccountingMethod": "ACCRUAL", "AdministrationFee": "0", "Balance": "0", "Booked": False,
        "Cancelled": False, "Comments": "", "CostCenter": "", "Credit": False, "CreditReference": 0,
        "Currency": "SEK", "CurrencyRate": "1", "CurrencyUnit": 1, "DisablePaymentFile": False,
        "DueDate": None, "ExternalInvoiceNumber": "", "ExternalInvoiceSeries": "", "FinalPayDate": None,
        "Freight": "0", "GivenNumber": "", "InvoiceDate": None, "InvoiceNumber": "", "OCR": "",
        "OurReference": "", "PaymentPending": False, "Project": "", "RoundOffValue": "0",
        "SalesType": "STOCK", "SupplierInvoiceRows": [], "SupplierName": "", "SupplierNumber": "",
        "Total": "0", "VAT": "0", "VATType": "NORMAL", "VoucherNumber": None, "VoucherSeries": None,
        "VoucherYear": None, "Vouchers": [], "YourReference": "",
    }  # fmt: skip
    # List rows: the spec's list schema, which types some amounts as numbers and spells the
    # cancelled flag `Cancel`; it also carries the approver's name. InvoiceNumber is there.
    list_fields = (
        "AdministrationFee", "AuthorizerName", "Balance", "Booked", "Cancel", "Comments", "CostCenter",
        "Credit", "CreditReference", "Currency", "CurrencyRate", "CurrencyUnit", "DisablePaymentFile",
        "DueDate", "ExternalInvoiceNumber", "ExternalInvoiceSeries", "FinalPayDate", "GivenNumber",
        "InvoiceDate", "InvoiceNumber", "OCR", "PaymentPending", "Project", "SupplierName",
        "SupplierNumber", "Total", "VAT", "VoucherNumber", "VoucherSeries", "VoucherYear",
    )  # fmt: skip
    filters = {
        "cancelled": lambda r: r["Cancelled"],
        "fullypaid": lambda r: _paid_state(r)[0] and _paid_state(r)[1] == 0,
        "unpaid": lambda r: _paid_state(r)[0] and _paid_state(r)[1] != 0,
        "unpaidoverdue": lambda r: (
            _paid_state(r)[0] and _paid_state(r)[1] != 0 and str(r["DueDate"]) < today().isoformat()
        ),
        "unbooked": lambda r: not r["Booked"] and not r["Cancelled"],
        "pendingpayment": lambda r: r["Booked"] and r["PaymentPending"],
        "authorizepending": lambda r: not r["Cancelled"] and not r.get("_approved_payment"),
    }
    search = {
        name.lower(): name
        for name in (
            "SupplierNumber", "SupplierName", "OCR", "InvoiceNumber", "CostCenter", "Project",
            "OurReference", "YourReference",
        )
    }  # fmt: skip
    search["serialnumber"] = "GivenNumber"
    sort = {"givennumber": "GivenNumber", "invoicedate": "InvoiceDate", "suppliernumber": "SupplierNumber"}

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        found = super().query(tenant, args)
        if "fromfinalpaydate" in args:
            found = [r for r in found if str(r["FinalPayDate"] or "") >= args["fromfinalpaydate"]]
        if "tofinalpaydate" in args:
            found = [r for r in found if r["FinalPayDate"] and r["FinalPayDate"] <= args["tofinalpaydate"]]
        return found

    def list_row(self, record: dict) -> dict:
        row = super().list_row(
            {**record, "Cancel": record["Cancelled"], "AuthorizerName": record.get("_approver", "")}
        )
        for field_name in ("AdministrationFee", "VAT"):
            row[field_name] = money(decimal(row[field_name]))
        row["CreditReference"] = str(row["CreditReference"])
        if row["VoucherYear"] is not None:
            row["VoucherYear"] = str(row["VoucherYear"])
        return row

    def check_fields(self, body: dict) -> None:
        super().check_fields(body)
        check_rows(body.get("SupplierInvoiceRows", []), ROW_TEMPLATE)

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        number = str(record.get("SupplierNumber") or "")
        if not number:
            raise ApiError("required_field", field="SupplierNumber")
        supplier = tenant.table(suppliers.name).get(number)
        if supplier is None:
            raise ApiError("supplier_missing", value=number)
        record["SupplierNumber"] = number
        record["SupplierName"] = supplier["Name"]
        if creating:
            record["InvoiceDate"] = record["InvoiceDate"] or today().isoformat()
            record["Currency"] = record["Currency"] or supplier["Currency"]
            record["DisablePaymentFile"] = record["DisablePaymentFile"] or supplier["DisablePaymentFile"]
            record["AccountingMethod"] = tenant.company.get("AccountingMethod", "ACCRUAL")
        self.fill_due_date(record, supplier.get("TermsOfPayment"))
        if len(str(record["InvoiceNumber"])) > 64:
            raise ApiError("invalid_value", field="InvoiceNumber", value=record["InvoiceNumber"])
        if record["VATType"] not in ("NORMAL", "EUINTERNAL", "REVERSE"):
            raise ApiError("invalid_value", field="VATType", value=record["VATType"])
        if record["SalesType"] not in ("STOCK", "SERVICE"):
            raise ApiError("invalid_value", field="SalesType", value=record["SalesType"])
        record["SupplierInvoiceRows"] = self._rows(tenant, record, supplier)
        for field_name in STRING_AMOUNTS:
            record[field_name] = str(money(decimal(record[field_name] or 0)))
        if not record["Booked"]:
            record["Balance"] = record["Total"]

    def _rows(self, tenant: Tenant, record: dict, supplier: dict) -> list[dict]:
        total, vat = decimal(record["Total"]), decimal(record["VAT"])
        sent = [
            {**ROW_TEMPLATE, **{k: v for k, v in row.items() if v is not None}}
            for row in record["SupplierInvoiceRows"]
        ]
        for row in sent:
            if row["Code"] not in ROW_CODES:
                raise ApiError("invalid_value", field="Code", value=row["Code"])
            if not decimal(row["Debit"]) and not decimal(row["Credit"]) and decimal(row["Total"]):
                side = "Debit" if decimal(row["Total"]) > 0 else "Credit"
                row[side] = abs(decimal(row["Total"]))
        if not sent and total:
            account = supplier.get("PreDefinedAccount") or DEFAULT_COST_ACCOUNT
            net = total - vat if record["VATType"] == "NORMAL" else total
            sent = [{**ROW_TEMPLATE, "Account": account, "Debit": net}]
        codes = {row["Code"] for row in sent}
        if sent and "TOT" not in codes:
            sent.append({**ROW_TEMPLATE, "Code": "TOT", "Account": PAYABLES_ACCOUNT, "Credit": total})
        if sent and vat and "VAT" not in codes:
            if record["VATType"] == "NORMAL":
                sent.append({**ROW_TEMPLATE, "Code": "VAT", "Account": INPUT_VAT_ACCOUNT, "Debit": vat})
            else:  # reverse charge: the VAT is both owed and deductible
                sent.append({**ROW_TEMPLATE, "Code": "VAT", "Account": REVERSE_VAT_ACCOUNTS[0], "Debit": vat})
                sent.append(
                    {**ROW_TEMPLATE, "Code": "VAT", "Account": REVERSE_VAT_ACCOUNTS[1], "Credit": vat}
                )
        difference = sum(decimal(r["Debit"]) - decimal(r["Credit"]) for r in sent)
        if difference and abs(difference) < 1 and "ROV" not in codes:
            side = "Credit" if difference > 0 else "Debit"
            sent.append({**ROW_TEMPLATE, "Code": "ROV", "Account": ROUNDING_ACCOUNT, side: abs(difference)})
            record["RoundOffValue"] = -difference
        elif difference:
            debit = sum(decimal(r["Debit"]) for r in sent)
            raise ApiError("unbalanced", debit=money(debit), credit=money(debit - difference))
        for row in sent:
            account = chart_account(tenant, row["Account"])
            if account is None:
                raise ApiError("account_missing_in_body")
            debit, credit = decimal(row["Debit"]), decimal(row["Credit"])
            row.update(
                Account=int(row["Account"]),
                AccountDescription=account["Description"],
                Debit=money(debit),
                Credit=money(credit),
                DebitCurrency=money(debit),
                CreditCurrency=money(credit),
                Total=money(debit - credit),
            )
        return sent

    # --- actions ------------------------------------------------------------------------

    def voucher_rows(self, tenant: Tenant, record: dict) -> list[dict]:
        fields = ("Account", "Debit", "Credit", "CostCenter", "Project", "TransactionInformation")
        return [{k: row[k] for k in fields} for row in record["SupplierInvoiceRows"]]

    def is_credit(self, record: dict) -> bool:
        return bool(record["Credit"])

    def amount(self, value: Decimal) -> str:
        return str(money(value))  # the spec types a supplier invoice's amounts as strings

    def booked(self, record: dict, voucher: dict) -> None:
        record["Vouchers"] = [
            {
                "Number": voucher["VoucherNumber"],
                "Series": voucher["VoucherSeries"],
                "Year": voucher["Year"],
                "ReferenceType": self.reference_type,
            }
        ]

    def credit(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self.check_creditable(record)
        negated = {"Total": -decimal(record["Total"]), "VAT": -decimal(record["VAT"])}
        rows = [
            {
                **{k: row[k] for k in ROW_TEMPLATE if k in row},
                "Debit": row["Credit"],
                "Credit": row["Debit"],
                "Total": 0,
            }
            for row in record["SupplierInvoiceRows"]
        ]
        copied = {k: v for k, v in record.items() if k in self.template and k not in self.read_only}
        credit = self.create(
            tenant,
            {
                **copied,
                **negated,
                "GivenNumber": "",
                "SupplierInvoiceRows": rows,
                "InvoiceDate": today().isoformat(),
                "DueDate": None,
            },
        )
        credit.update(Credit=True, CreditReference=int(record["GivenNumber"]))
        self.save(tenant, credit)
        record["CreditReference"] = int(credit["GivenNumber"])
        return self.save(tenant, record)

    def approvalbookkeep(self, tenant: Tenant, record: dict, body: dict) -> dict:
        """Approve for booking (attest): the invoice is booked at once."""
        if record.get("_approved_bookkeep"):
            raise ApiError("already_approved")
        record["_approved_bookkeep"] = True
        record["_approver"] = _approver(tenant)
        return self.bookkeep(tenant, record, body)

    def approvalpayment(self, tenant: Tenant, record: dict, body: dict) -> dict:
        """Approve for payment: it leaves `filter=authorizepending`."""
        if record["Cancelled"]:
            raise ApiError("document_cancelled")
        if record.get("_approved_payment"):
            raise ApiError("already_approved")
        if body:
            self.update(tenant, record, body)
        record["_approved_payment"] = True
        record["_approver"] = _approver(tenant)
        return self.save(tenant, record)


def _approver(tenant: Tenant) -> str:
    return (tenant.settings.get("user") or {}).get("Name", "Administratör")


supplierinvoices = SupplierInvoices()
bp = crud_routes(supplierinvoices)
for _action in ("bookkeep", "cancel", "credit", "approvalbookkeep", "approvalpayment"):
    action_route(bp, supplierinvoices, _action)
