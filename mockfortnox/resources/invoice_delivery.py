"""How an invoice leaves the company: e-mail, e-print (Fortnox prints and posts it),
e-invoice, a printed reminder, and the warehouse's go-ahead. Each marks the invoice the way
Fortnox does (sent, reminded, ready for the warehouse) and answers it."""

from __future__ import annotations

from flask import Blueprint, Response

from mockfortnox.errors import ApiError
from mockfortnox.pdf import text_pdf
from mockfortnox.resources.common import decimal, today
from mockfortnox.resources.customers import customers
from mockfortnox.resources.family import extra_action
from mockfortnox.resources.invoices import invoices
from mockfortnox.resources.orders import send_by_email
from mockfortnox.state import Tenant

bp = Blueprint("invoice_delivery", __name__)
bp.scope = "invoice"


def _sendable(record: dict) -> None:
    if record["Cancelled"]:
        raise ApiError("document_cancelled")


def email(tenant: Tenant, record: dict) -> dict:
    _sendable(record)
    send_by_email(tenant, record)
    return invoices.save(tenant, record)


def eprint(tenant: Tenant, record: dict) -> dict:
    """Posted by Fortnox's print service: the customer needs a postal address."""
    _sendable(record)
    if not (record.get("Address1") and record.get("ZipCode") and record.get("City")):
        raise ApiError("required_field", field="Address1/ZipCode/City")
    record["Sent"] = True
    return invoices.save(tenant, record)


def einvoice(tenant: Tenant, record: dict) -> dict:
    """Sent as an e-invoice: the customer must be reachable (an organisation number)."""
    _sendable(record)
    customer = tenant.table(customers.name).get(str(record["CustomerNumber"]), {})
    if not customer.get("OrganisationNumber"):
        raise ApiError("einvoice_missing")
    record["Sent"] = True
    return invoices.save(tenant, record)


def printreminder(tenant: Tenant, record: dict) -> Response:
    """A reminder for a booked invoice that is still unpaid; counts the reminder."""
    if not record["Booked"] or decimal(record["Balance"]) <= 0 or record["Cancelled"]:
        raise ApiError("not_remindable")
    record["Reminders"] = int(record.get("Reminders") or 0) + 1
    record["LastRemindDate"] = today().isoformat()
    invoices.save(tenant, record)
    lines = [
        tenant.company.get("CompanyName", ""),
        f"Påminnelse {record['Reminders']}: faktura {record['DocumentNumber']}",
        f"Förfallodatum {record['DueDate']}  Kvar att betala {record['Balance']} {record['Currency']}",
        f"OCR {record['OCR']}",
    ]
    return Response(
        text_pdf(lines),
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename=paminnelse-{record['DocumentNumber']}.pdf"},
    )


def warehouseready(tenant: Tenant, record: dict) -> dict:
    _sendable(record)
    record["WarehouseReady"] = True
    return invoices.save(tenant, record)


for _name, _run in (
    ("email", email),
    ("eprint", eprint),
    ("einvoice", einvoice),
    ("printreminder", printreminder),
):
    extra_action(bp, invoices, _name, _run)
extra_action(bp, invoices, "warehouseready", warehouseready, method="PUT")
