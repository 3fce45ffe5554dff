"""Fortnox Finans (`/3/noxfinansinvoices`): a customer invoice handed to Fortnox's finance
service for collection. The invoice must be booked and unpaid; the service then follows it
(pause, unpause, stop, reported payments, fees taken by the company)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import decimal, json_response, money, read_body, read_optional_body, today
from mockfortnox.resources.family import Family
from mockfortnox.resources.invoices import invoices
from mockfortnox.state import Tenant

SERVICES = {"REMINDER": "Påminnelse", "INVOICING": "Fakturaservice", "LEDGER": "Reskontra"}


class NoxFinansInvoices(Family):
    name, singular, plural = "noxfinansinvoices", "NoxFinansInvoice", "NoxFinansInvoices"
    key = "InvoiceNumber"
    scope = "noxfinansinvoice"
    not_found = "noxfinansinvoice_not_found"
    created_status = 200  # spec
    fields = """
        !BalanceIncludeFees:n !BalanceIncludeFeesCurrency:n !CurrentCapitalBalance:n
        !CurrentCapitalBalanceCurrency:n !InvoiceDocumentURL InvoiceNumber:i !NextEvent !NextEventDate
        !OCRNumber SendMethod=EMAIL Service !ServiceName !Status
    """
    required = ("InvoiceNumber", "Service")
    choices = {"Service": tuple(SERVICES), "SendMethod": ("EMAIL", "LETTER", "EINVOICE")}

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("required_field", field="InvoiceNumber")

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not creating:
            return
        invoice = tenant.table(invoices.name).get(str(record["InvoiceNumber"]))
        if invoice is None:
            raise ApiError("reference_missing", field="InvoiceNumber", value=record["InvoiceNumber"])
        if not invoice["Booked"] or decimal(invoice["Balance"]) <= 0 or invoice["Cancelled"]:
            raise ApiError("not_remindable")
        balance = money(invoice["Balance"])
        record.update(
            BalanceIncludeFees=balance, BalanceIncludeFeesCurrency=balance, CurrentCapitalBalance=balance,
            CurrentCapitalBalanceCurrency=balance, OCRNumber=invoice["OCR"], ServiceName=SERVICES[record["Service"]],
            Status="ONGOING", NextEvent="REMINDER",
            NextEventDate=(today() + timedelta(days=10)).isoformat(),
            InvoiceDocumentURL=f"https://finans.mockfortnox.invalid/{tenant.id}/{record['InvoiceNumber']}.pdf",
        )  # fmt: skip
        invoice["NoxFinans"] = True
        invoices.save(tenant, invoice)

    def change(self, tenant: Tenant, record: dict, action: str, body: dict) -> dict:
        if record["Status"] in ("STOPPED", "PAID"):
            raise ApiError("noxfinans_state", value=record["Status"])
        if action == "pause":
            if not body.get("PausedUntilDate"):
                raise ApiError("required_field", field="PausedUntilDate")
            record.update(Status="PAUSED", NextEventDate=str(body["PausedUntilDate"]))
        elif action == "unpause":
            if record["Status"] != "PAUSED":
                raise ApiError("noxfinans_state", value=record["Status"])
            record.update(Status="ONGOING", NextEventDate=today().isoformat())
        elif action == "stop":
            record.update(Status="STOPPED", NextEvent="", NextEventDate=None)
        elif action == "take-fees":
            record["BalanceIncludeFees"] = record["CurrentCapitalBalance"]
        elif action == "report-payment":
            paid = decimal(body.get("PaymentAmount"))
            if paid <= 0:
                raise ApiError("invalid_value", field="PaymentAmount", value=body.get("PaymentAmount"))
            left = money(max(decimal(record["CurrentCapitalBalance"]) - paid, 0))
            record.update(CurrentCapitalBalance=left, CurrentCapitalBalanceCurrency=left,
                          BalanceIncludeFees=left, BalanceIncludeFeesCurrency=left)  # fmt: skip
            if left == 0:
                record.update(Status="PAID", NextEvent="", NextEventDate=None)
        return self.save(tenant, record)


noxfinansinvoices = NoxFinansInvoices()
FAMILIES = (noxfinansinvoices,)
bp = Blueprint("noxfinansinvoices", __name__)
bp.scope = "noxfinansinvoice"


def _answer(record: dict):
    return json_response({"NoxFinansInvoice": noxfinansinvoices.single(record)})


@bp.post("/3/noxfinansinvoices")
def send_to_finans():
    return _answer(noxfinansinvoices.create(g.tenant, read_body("NoxFinansInvoice")))


@bp.get("/3/noxfinansinvoices/<key>")
def finans_invoice(key: str):
    return _answer(noxfinansinvoices.get(g.tenant, key))


def _action(action: str) -> None:
    def handler(key: str):
        record = noxfinansinvoices.get(g.tenant, key)
        return _answer(
            noxfinansinvoices.change(g.tenant, record, action, read_optional_body("NoxFinansInvoice"))
        )

    bp.add_url_rule(f"/3/noxfinansinvoices/<key>/{action}", f"finans_{action}", handler, methods=["PUT"])


for _name in ("pause", "unpause", "stop", "take-fees", "report-payment"):
    _action(_name)
BLUEPRINTS = (bp,)
