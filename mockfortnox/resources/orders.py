"""`/3/orders`: a minimal order register — create and read, with the housework rules that
orders share with invoices (both recorded on orders). Enough for clients that look orders up;
order-to-invoice conversion and the warehouse flow are not modelled."""

from __future__ import annotations

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import Resource, crud_routes, today
from mockfortnox.resources.customers import customers
from mockfortnox.resources.invoices import check_housework
from mockfortnox.state import Tenant

ROW_FIELDS = frozenset(
    {"ArticleNumber", "Description", "OrderedQuantity", "DeliveredQuantity", "Price", "VAT", "Unit",
     "HouseWork", "HouseWorkType", "HouseWorkHoursToReport", "AccountNumber", "Discount", "DiscountType",
     "CostCenter", "Project", "RowId"}
)  # fmt: skip


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
        "OrderDate": None,
        "OrderRows": [],
        "OurReference": "",
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


orders = Orders()
bp = crud_routes(orders)
