"""`/3/orders`: the order register, with the housework rules that orders share with invoices
(both recorded on orders), and its actions: cancel, turn into an invoice (through the
invoices' own rules), print, preview, external print and e-mail."""

from __future__ import annotations

from flask import Response

from mockfortnox.errors import ApiError
from mockfortnox.pdf import text_pdf
from mockfortnox.resources.common import Resource, action_route, crud_routes, today
from mockfortnox.resources.customers import customers
from mockfortnox.resources.invoices import check_housework, invoices
from mockfortnox.state import Tenant

ROW_FIELDS = frozenset(
    {"ArticleNumber", "Description", "OrderedQuantity", "DeliveredQuantity", "Price", "VAT", "Unit",
     "HouseWork", "HouseWorkType", "HouseWorkHoursToReport", "AccountNumber", "Discount", "DiscountType",
     "CostCenter", "Project", "RowId"}
)  # fmt: skip


def send_by_email(tenant: Tenant, record: dict) -> None:
    """Fortnox e-mails the document to `EmailInformation.EmailAddressTo`, else to the customer."""
    info = record.get("EmailInformation") or {}
    customer = tenant.table(customers.name).get(str(record.get("CustomerNumber")), {})
    if not (info.get("EmailAddressTo") or customer.get("EmailInvoice") or customer.get("Email")):
        raise ApiError("no_email_address")
    record["Sent"] = True


class Orders(Resource):
    name, singular, plural = "orders", "Order", "Orders"
    key = "DocumentNumber"
    scope = "order"
    not_found = "order_not_found"
    location = "orders"
    date_field = "OrderDate"
    template = {
        "Cancelled": False,
        "Comments": "",
        "CustomerName": "",
        "CustomerNumber": "",
        "DeliveryDate": None,
        "DocumentNumber": "",
        "EmailInformation": dict.fromkeys(
            (
                "EmailAddressBCC",
                "EmailAddressCC",
                "EmailAddressFrom",
                "EmailAddressTo",
                "EmailBody",
                "EmailSubject",
            )
        ),
        "InvoiceReference": "0",
        "OfferReference": "0",
        "OrderDate": None,
        "OrderRows": [],
        "OurReference": "",
        "Sent": False,
        "TaxReductionType": "none",
        "YourReference": "",
    }
    list_fields = (
        "Cancelled",
        "CustomerName",
        "CustomerNumber",
        "DeliveryDate",
        "DocumentNumber",
        "OrderDate",
    )
    read_only = frozenset({"Cancelled", "InvoiceReference", "OfferReference", "Sent"})
    search = {"customernumber": "CustomerNumber", "customername": "CustomerName"}

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        number = str(record.get("CustomerNumber") or "")
        customer = tenant.table(customers.name).get(number)
        if customer is None:
            raise ApiError("invoice_customer_missing", value=number)
        record["CustomerName"] = record["CustomerName"] or customer["Name"]
        record["OrderDate"] = record["OrderDate"] or today().isoformat()
        for row in record["OrderRows"]:
            unknown = set(row) - ROW_FIELDS
            if unknown:
                raise ApiError("unknown_field", field=sorted(unknown)[0])
            check_housework(row)

    def update(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self._open(record)
        return super().update(tenant, record, body)

    def _open(self, record: dict) -> None:
        if record["Cancelled"]:
            raise ApiError("document_cancelled")
        if record["InvoiceReference"] not in ("", "0"):
            raise ApiError("already_converted", value=record["InvoiceReference"])

    # --- actions ------------------------------------------------------------------------

    def cancel(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self._open(record)
        record["Cancelled"] = True
        return self.save(tenant, record)

    def createinvoice(self, tenant: Tenant, record: dict, body: dict) -> dict:
        """The delivered quantities become an invoice; the order points at it and is closed."""
        self._open(record)
        rows = [
            {
                k: row[k]
                for k in ("ArticleNumber", "Description", "Price", "VAT", "Unit", "AccountNumber")
                if row.get(k)
            }
            | {"DeliveredQuantity": str(row.get("DeliveredQuantity") or row.get("OrderedQuantity") or 0)}
            for row in record["OrderRows"]
        ]
        body = {"CustomerNumber": record["CustomerNumber"], "InvoiceRows": rows}
        for name in ("OurReference", "YourReference"):
            if record.get(name):
                body[name] = record[name]
        invoice = invoices.create(tenant, body)
        invoice["OrderReference"] = record["DocumentNumber"]
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
        return self.preview(tenant, record, body)

    def preview(self, tenant: Tenant, record: dict, body: dict) -> Response:
        lines = [
            tenant.company.get("CompanyName", ""),
            f"Order {record['DocumentNumber']}  Orderdatum {record['OrderDate']}",
            f"Kund {record['CustomerNumber']} {record['CustomerName']}",
            "",
            *(
                f"{r.get('Description') or r.get('ArticleNumber')}  {r.get('OrderedQuantity')}"
                for r in record["OrderRows"]
            ),
        ]
        return Response(
            text_pdf(lines),
            mimetype="application/pdf",
            headers={"Content-Disposition": f"inline; filename=order-{record['DocumentNumber']}.pdf"},
        )


orders = Orders()
bp = crud_routes(orders)
for _action in ("cancel", "createinvoice", "externalprint"):
    action_route(bp, orders, _action)
for _action in ("email", "print", "preview"):
    action_route(bp, orders, _action, method="GET")
