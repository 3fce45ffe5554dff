"""`/3/invoicepayments` and `/3/supplierinvoicepayments`: payments of booked invoices.

A payment is registered, then booked (`PUT …/{Number}/bookkeep`): booking makes the voucher
(series C for customer payments, E for supplier payments unless changed) and reduces the
invoice's `Balance`; the payment that clears it sets the invoice's `FinalPayDate`. Booked
payments cannot be changed or deleted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from mockfortnox.errors import ApiError
from mockfortnox.resources.bookkeeping import series_for
from mockfortnox.resources.common import Resource, action_route, crud_routes, decimal, money, today
from mockfortnox.resources.invoices import RECEIVABLES_ACCOUNT, invoices
from mockfortnox.resources.registers import modesofpayments
from mockfortnox.resources.supplierinvoices import PAYABLES_ACCOUNT, supplierinvoices
from mockfortnox.resources.vouchers import vouchers
from mockfortnox.state import Tenant

BANK_ACCOUNT = 1930
WRITE_OFF_TEMPLATE = {
    "AccountNumber": 0,
    "Amount": 0,
    "CostCenter": "",
    "Currency": "SEK",
    "Description": "",
    "Project": "",
    "TransactionInformation": "",
}
COMMON = {
    "Amount": 0,
    "AmountCurrency": 0,
    "Booked": False,
    "Currency": "SEK",
    "CurrencyRate": 1,
    "CurrencyUnit": 1,
    "InvoiceDueDate": None,
    "InvoiceNumber": "",
    "InvoiceOCR": "",
    "InvoiceTotal": "0",
    "ModeOfPayment": "",
    "Number": "",
    "PaymentDate": None,
    "Source": "manual",
    "VoucherNumber": None,
    "VoucherSeries": None,
    "VoucherYear": None,
    "WriteOffs": [],
}


class Payments(Resource):
    scope = "payment"
    not_found = "payment_not_found"
    key = "Number"
    deletable = True
    invoice_resource: ClassVar[Resource]
    series_function: ClassVar[str]
    reference_type: ClassVar[str]
    read_only = frozenset(
        {
            "Booked",
            "InvoiceDueDate",
            "InvoiceOCR",
            "InvoiceTotal",
            "VoucherNumber",
            "VoucherSeries",
            "VoucherYear",
        }
    )
    sort = {"paymentdate": "PaymentDate"}

    def copy_invoice(self, record: dict, invoice: dict) -> None:
        record.update(
            InvoiceDueDate=invoice["DueDate"], InvoiceOCR=invoice["OCR"], InvoiceTotal=str(invoice["Total"])
        )

    def counter_rows(self, tenant: Tenant, record: dict, amount: Decimal) -> list[dict]:
        """The bank and invoice-account rows of the payment's voucher."""
        raise NotImplementedError

    def mode_account(self, tenant: Tenant, record: dict) -> int:
        """The account money moves through: the mode of payment's, else the bank account."""
        mode = tenant.table(modesofpayments.name).get(str(record["ModeOfPayment"] or ""))
        if record["ModeOfPayment"] and mode is None:
            raise ApiError("modeofpayment_not_found", status=400)
        return int(mode["AccountNumber"]) if mode else BANK_ACCOUNT

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if record["Booked"]:
            raise ApiError("document_booked")
        if not str(record.get("InvoiceNumber") or ""):
            raise ApiError("required_field", field="InvoiceNumber")
        invoice = tenant.table(self.invoice_resource.name).get(str(record["InvoiceNumber"]))
        if invoice is None:
            raise ApiError(self.invoice_resource.not_found, status=400)
        if invoice["Cancelled"]:
            raise ApiError("document_cancelled")
        if not invoice["Booked"]:
            raise ApiError("not_booked")
        record["PaymentDate"] = record["PaymentDate"] or today().isoformat()
        if record["PaymentDate"] < invoice["InvoiceDate"]:
            raise ApiError("payment_before_invoice")
        for write_off in record["WriteOffs"]:
            for field_name in write_off:
                if field_name not in WRITE_OFF_TEMPLATE:
                    raise ApiError("unknown_field", field=field_name)
        record["WriteOffs"] = [
            {**WRITE_OFF_TEMPLATE, **w, "Amount": money(decimal(w.get("Amount")))}
            for w in record["WriteOffs"]
        ]
        record["Amount"] = money(decimal(record["Amount"]))
        record["AmountCurrency"] = money(decimal(record["AmountCurrency"]) or record["Amount"])
        record["Currency"] = invoice["Currency"]
        self.mode_account(tenant, record)
        self.copy_invoice(record, invoice)

    def update(self, tenant: Tenant, record: dict, body: dict) -> dict:
        if record["Booked"]:
            raise ApiError("document_booked")
        return super().update(tenant, record, body)

    def delete(self, tenant: Tenant, record: dict) -> None:
        if record["Booked"]:
            raise ApiError("document_booked")
        super().delete(tenant, record)

    def bookkeep(self, tenant: Tenant, record: dict, body: dict) -> dict:
        if body:
            self.update(tenant, record, body)
        if record["Booked"]:
            raise ApiError("already_booked")
        invoice = self.invoice_resource.get(tenant, str(record["InvoiceNumber"]))
        amount = decimal(record["Amount"])
        write_offs = sum((decimal(w["Amount"]) for w in record["WriteOffs"]), Decimal(0))
        write_off_rows = [
            {
                "Account": w["AccountNumber"],
                "Debit": w["Amount"],
                "CostCenter": w["CostCenter"],
                "Project": w["Project"],
                "TransactionInformation": w["TransactionInformation"],
            }
            for w in record["WriteOffs"]
        ]
        voucher = vouchers.post(
            tenant,
            series=series_for(tenant, self.series_function),
            transaction_date=record["PaymentDate"],
            description=f"{self.singular} {record['Number']}, faktura {record['InvoiceNumber']}",
            rows=self.counter_rows(tenant, record, amount + write_offs) + write_off_rows,
            reference_type=self.reference_type,
            reference_number=str(record["InvoiceNumber"]),
        )
        record.update(
            Booked=True,
            VoucherNumber=voucher["VoucherNumber"],
            VoucherSeries=voucher["VoucherSeries"],
            VoucherYear=voucher["Year"],
        )
        balance = decimal(invoice["Balance"]) - amount - write_offs
        invoice["Balance"] = (
            money(balance) if isinstance(invoice["Balance"], (int, Decimal)) else str(money(balance))
        )
        if balance <= 0:
            invoice["FinalPayDate"] = record["PaymentDate"]
        self.invoice_resource.save(tenant, invoice)
        tenant.mark(self.name, str(record[self.key]), "bookkeep")
        return self.save(tenant, record)


class InvoicePayments(Payments):
    name, singular, plural = "invoicepayments", "InvoicePayment", "InvoicePayments"
    location = "invoicepayments"
    invoice_resource = invoices
    series_function = "PAYMENT"
    reference_type = "INVOICEPAYMENT"
    read_only = Payments.read_only | {"InvoiceCustomerName", "InvoiceCustomerNumber"}
    template = {
        **COMMON,
        "ExternalInvoiceReference1": "",
        "ExternalInvoiceReference2": "",
        "InvoiceCustomerName": "",
        "InvoiceCustomerNumber": "",
        "InvoiceNumber": 0,
        "ModeOfPaymentAccount": 0,
    }
    list_fields = (*(k for k in template if k != "WriteOffs"), "WriteOffExist")
    search = {"invoicenumber": "InvoiceNumber"}

    def copy_invoice(self, record: dict, invoice: dict) -> None:
        super().copy_invoice(record, invoice)
        record["InvoiceNumber"] = int(record["InvoiceNumber"])
        record.update(
            InvoiceCustomerName=invoice["CustomerName"],
            InvoiceCustomerNumber=invoice["CustomerNumber"],
            ExternalInvoiceReference1=invoice["ExternalInvoiceReference1"],
            ExternalInvoiceReference2=invoice["ExternalInvoiceReference2"],
        )

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        super().complete(tenant, record, creating=creating)
        record["ModeOfPaymentAccount"] = int(
            record["ModeOfPaymentAccount"] or self.mode_account(tenant, record)
        )

    def counter_rows(self, tenant: Tenant, record: dict, amount: Decimal) -> list[dict]:
        return [
            {"Account": record["ModeOfPaymentAccount"], "Debit": decimal(record["Amount"])},
            {"Account": RECEIVABLES_ACCOUNT, "Credit": amount},
        ]

    def list_row(self, record: dict) -> dict:
        row = super().list_row({**record, "WriteOffExist": bool(record["WriteOffs"])})
        row["InvoiceTotal"] = money(decimal(row["InvoiceTotal"]))  # a number in list rows (spec)
        row["ModeOfPaymentAccount"] = str(row["ModeOfPaymentAccount"])
        return row


class SupplierInvoicePayments(Payments):
    name, singular, plural = "supplierinvoicepayments", "SupplierInvoicePayment", "SupplierInvoicePayments"
    location = "supplierinvoicepayments"
    invoice_resource = supplierinvoices
    series_function = "SUPPLIERPAYMENT"
    reference_type = "SUPPLIERPAYMENT"
    read_only = Payments.read_only | {"InvoiceSupplierName", "InvoiceSupplierNumber"}
    template = {
        **COMMON,
        "Information": "",
        "InvoiceSupplierName": "",
        "InvoiceSupplierNumber": "",
        "Number": 0,
    }
    list_fields = (*(k for k in template if k != "WriteOffs"), "WriteOffExist")
    search = {"invoicenumber": "InvoiceNumber"}

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        super().complete(tenant, record, creating=creating)
        record["Number"] = int(record["Number"])
        record["InvoiceNumber"] = str(record["InvoiceNumber"])
        if record["Source"] not in ("manual", "direct"):
            raise ApiError("invalid_value", field="Source", value=record["Source"])

    def copy_invoice(self, record: dict, invoice: dict) -> None:
        super().copy_invoice(record, invoice)
        record.update(
            InvoiceSupplierName=invoice["SupplierName"], InvoiceSupplierNumber=invoice["SupplierNumber"]
        )

    def counter_rows(self, tenant: Tenant, record: dict, amount: Decimal) -> list[dict]:
        return [
            {"Account": PAYABLES_ACCOUNT, "Debit": amount},
            {"Account": self.mode_account(tenant, record), "Credit": decimal(record["Amount"])},
        ]

    def list_row(self, record: dict) -> dict:
        row = super().list_row({**record, "WriteOffExist": bool(record["WriteOffs"])})
        row["InvoiceTotal"] = money(decimal(row["InvoiceTotal"]))
        return row


invoicepayments = InvoicePayments()
supplierinvoicepayments = SupplierInvoicePayments()
BLUEPRINTS = []
for _resource in (invoicepayments, supplierinvoicepayments):
    _bp = crud_routes(_resource)
    action_route(_bp, _resource, "bookkeep")
    BLUEPRINTS.append(_bp)
