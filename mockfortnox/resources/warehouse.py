"""The warehouse module's purchasing (`/api/warehouse/purchaseorders-v1`, `incominggoods-v1`)
and the stock they move (`status-v1/stockbalance`).

A purchase order is made for a supplier (who must exist) with rows of articles (which must
exist). It is `NOT_SENT` until sent, then `SENT`; the supplier's answer is its
`responseState`. Goods arrive as *incoming goods*: rows that name the purchase order row they
deliver; releasing them puts the quantity in stock and counts it as received on the order.
An order whose every row is received (or that is completed by hand) is `RECEIVED`; an order
with nothing received can be voided. `DELAYED`, `SENT_NOT_REJECTED`, `CURRENT` and `ALL` are
views for the list's `state` filter, never stored.

An order's matches are the released incoming goods that delivered it and the supplier
invoices that name it (`YourReference` = the order's id or internal reference, same supplier;
see `errors.INVENTED_BEHAVIOUR`).
"""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

from flask import Blueprint, Response, g, request

from mockfortnox.errors import ApiError
from mockfortnox.resources.articles import articles
from mockfortnox.resources.common import decimal, json_response, lower_args, money, today
from mockfortnox.resources.family import Service, read_json, service_action, service_routes
from mockfortnox.resources.suppliers import suppliers
from mockfortnox.state import Tenant

STOCK = "warehouse/stock"
DEFAULT_STOCK_POINT = "LAGER"
RESPONSE_TEXT = {
    "NOT_SENT": "Ej skickad", "SENT": "Skickad", "ACCEPTED_WITH_REQ_DLV_DATE": "Accepterad",
    "ACCEPTED_WITH_CHANGED_DLV_DATE": "Accepterad med ändrat leveransdatum",
    "PARTLY_ACCEPTED_WITH_REQ_DLV_DATE": "Delvis accepterad",
    "PARTLY_ACCEPTED_WITH_CHANGED_DLV_DATE": "Delvis accepterad med ändrat leveransdatum", "REJECTED": "Avvisad",
}  # fmt: skip


def move_stock(tenant: Tenant, item: str, stock_point: str, quantity: Decimal) -> None:
    """Add (or with a negative quantity, take) `quantity` of `item` at `stock_point`; the
    article's own QuantityInStock follows the sum over stock points."""
    key = f"{item}|{stock_point or DEFAULT_STOCK_POINT}"
    row = tenant.table(STOCK).get(key) or {"itemId": item, "stockPointCode": stock_point or DEFAULT_STOCK_POINT,
                                            "inStock": Decimal(0), "availableStock": Decimal(0)}  # fmt: skip
    row["inStock"] = row["availableStock"] = money(decimal(row["inStock"]) + quantity)
    tenant.put(STOCK, key, row)
    article = tenant.table(articles.name).get(item)
    if article is not None:
        total = sum(
            (decimal(r["inStock"]) for r in tenant.table(STOCK).values() if r["itemId"] == item), Decimal(0)
        )
        article["QuantityInStock"] = money(total)
        article["DisposableQuantity"] = money(total - decimal(article.get("ReservedQuantity")))
        articles.save(tenant, article)


def stock_of(tenant: Tenant, item: str, stock_point: str) -> Decimal:
    row = tenant.table(STOCK).get(f"{item}|{stock_point or DEFAULT_STOCK_POINT}")
    return decimal(row["inStock"]) if row else Decimal(0)


def _article(tenant: Tenant, item: object) -> dict:
    article = tenant.table(articles.name).get(str(item or ""))
    if article is None:
        raise ApiError("service_invalid", field="itemId", value=item)
    return article


class PurchaseOrders(Service):
    name = "warehouse/purchaseorders"
    scope = "warehouse"
    fields = """
        confirmationEmail costCenterCode currencyCode currencyRate:n currencyUnit:i customerId
        customerName customerNumber deliveryAddress deliveryAddress2 deliveryCity
        deliveryCountryCode deliveryDate:d deliveryName deliveryZipCode !dropship:b !id:i
        internalReference languageCode=SV !manuallyCompleted:b messageToSupplier note orderDate:d
        !orderValue:n !orderValueInSEK:n ourReference outboundDocumentReference:{} paymentTermsCode
        projectId !purchaseOrderState=NOT_SENT purchaseType=WAREHOUSE !responseState=NOT_SENT rows:[]
        stockPointCode stockPointId !supplier supplierAddress supplierAddress2 supplierCity
        supplierCountryCode supplierEmail supplierName supplierNumber supplierPostCode
        !totalReceivedQuantity:n !translatedResponseState !voided:b yourReference
    """
    required = ("supplierNumber",)
    choices = {"purchaseType": ("WAREHOUSE", "DROPSHIP")}
    row_fields = frozenset({
        "backOrderQuantity", "costCenterCode", "currencyCode", "id", "isStockItem", "itemDescription", "itemId",
        "itemUnit", "notes", "orderedQuantity", "price", "projectId", "purchaseOrderId", "receivedQuantity",
        "remainingOrderedQuantity", "rowNum", "stockLocationCode", "stockLocationId", "stockLocationName",
        "stockPointCode", "stockPointId", "stockPointName",
    })  # fmt: skip

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        supplier = tenant.table(suppliers.name).get(str(record["supplierNumber"]))
        if supplier is None:
            raise ApiError("service_invalid", field="supplierNumber", value=record["supplierNumber"])
        if not creating and record["voided"]:
            raise ApiError("service_state", value="VOIDED")
        if record.get("purchaseType") not in ("WAREHOUSE", "DROPSHIP"):
            raise ApiError("service_invalid", field="purchaseType", value=record.get("purchaseType"))
        company = tenant.company
        defaults = {
            "supplierName": supplier["Name"], "supplierAddress": supplier.get("Address1", ""),
            "supplierAddress2": supplier.get("Address2", ""), "supplierCity": supplier.get("City", ""),
            "supplierPostCode": supplier.get("ZipCode", ""), "supplierCountryCode": supplier.get("CountryCode") or "SE",
            "supplierEmail": supplier.get("Email", ""), "currencyCode": supplier.get("Currency") or "SEK",
            "paymentTermsCode": supplier.get("TermsOfPayment") or "30",
            "deliveryName": company.get("CompanyName", ""), "deliveryAddress": company.get("Address", ""),
            "deliveryZipCode": company.get("ZipCode", ""), "deliveryCity": company.get("City", ""),
            "deliveryCountryCode": company.get("CountryCode") or "SE", "stockPointCode": DEFAULT_STOCK_POINT,
            "orderDate": today().isoformat(),
        }  # fmt: skip
        for name, value in defaults.items():
            if record.get(name) in (None, ""):
                record[name] = value
        record["supplier"] = record["supplierName"]
        record["supplierNumber"] = str(record["supplierNumber"])
        record["currencyRate"] = money(record.get("currencyRate") or 1)
        record["currencyUnit"] = int(record.get("currencyUnit") or 1)
        if record["currencyRate"] <= 0:
            raise ApiError("service_invalid", field="currencyRate", value=record["currencyRate"])
        record["dropship"] = record["purchaseType"] == "DROPSHIP"
        record["rows"] = self._rows(tenant, record)
        self.totals(record)

    def _rows(self, tenant: Tenant, record: dict) -> list[dict]:
        rows = record["rows"]
        if not isinstance(rows, list) or not rows:
            raise ApiError("service_required", field="rows")
        done = []
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise ApiError("service_bad_body")
            row = {k: v for k, v in row.items() if k in self.row_fields}
            article = _article(tenant, row.get("itemId"))
            ordered = decimal(row.get("orderedQuantity"))
            received = decimal(row.get("receivedQuantity"))
            if ordered <= 0:
                raise ApiError("service_invalid", field="orderedQuantity", value=row.get("orderedQuantity"))
            if ordered < received:  # what has arrived cannot be un-ordered
                raise ApiError("service_invalid", field="orderedQuantity", value=ordered)
            price = row.get("price")
            row.update(
                id=row.get("id") or str(uuid.uuid4()), rowNum=number, purchaseOrderId=int(record["id"]),
                itemId=article["ArticleNumber"], itemDescription=row.get("itemDescription") or article["Description"],
                itemUnit=row.get("itemUnit") or article.get("Unit") or "", currencyCode=record["currencyCode"],
                isStockItem=bool(article.get("StockGoods")), orderedQuantity=money(ordered),
                receivedQuantity=money(received),
                price=money(price if price not in (None, "") else article.get("PurchasePrice") or 0),
                stockPointCode=row.get("stockPointCode") or record["stockPointCode"], notes=row.get("notes") or [],
            )  # fmt: skip
            self._remaining(row, record)
            done.append(row)
        return done

    @staticmethod
    def _remaining(row: dict, record: dict) -> None:
        left = max(decimal(row["orderedQuantity"]) - decimal(row["receivedQuantity"]), Decimal(0))
        row["remainingOrderedQuantity"] = money(left)
        row["backOrderQuantity"] = money(0 if record.get("manuallyCompleted") else left)

    def totals(self, record: dict) -> None:
        value = sum((decimal(r["price"]) * decimal(r["orderedQuantity"]) for r in record["rows"]), Decimal(0))
        record["orderValue"] = money(value.quantize(Decimal("0.01")))
        record["orderValueInSEK"] = money(
            (value * decimal(record["currencyRate"]) / (record["currencyUnit"] or 1)).quantize(
                Decimal("0.01")
            )
        )
        record["totalReceivedQuantity"] = money(
            sum((decimal(r["receivedQuantity"]) for r in record["rows"]), Decimal(0))
        )
        if (
            not record["voided"]
            and record["rows"]
            and (
                record["manuallyCompleted"]
                or all(decimal(r["remainingOrderedQuantity"]) == 0 for r in record["rows"])
            )
        ):
            record["purchaseOrderState"] = "RECEIVED"
        record["translatedResponseState"] = RESPONSE_TEXT.get(
            record["responseState"], record["responseState"]
        )

    # --- the list's views -----------------------------------------------------------------

    def state_of(self, record: dict) -> set[str]:
        stored = record["purchaseOrderState"]
        views = {stored, "ALL"}
        if stored not in ("RECEIVED", "VOIDED"):
            views.add("CURRENT")
            if stored == "SENT" and record["responseState"] != "REJECTED":
                views.add("SENT_NOT_REJECTED")
            if stored == "SENT" and record["deliveryDate"] and record["deliveryDate"] < today().isoformat():
                views.add("DELAYED")
        return views

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        rows = super().query(tenant, {})
        wanted = args.get("state", "CURRENT").upper()
        rows = [r for r in rows if wanted in self.state_of(r)]
        if "suppliernumber" in args:
            rows = [r for r in rows if r["supplierNumber"] == args["suppliernumber"]]
        if "itemid" in args:
            rows = [r for r in rows if any(row["itemId"] == args["itemid"] for row in r["rows"])]
        if "purchasetype" in args:
            rows = [r for r in rows if r["purchaseType"] == args["purchasetype"].upper()]
        for param, name in (("internalreference", "internalReference"), ("note", "note")):
            if param in args:
                rows = [r for r in rows if args[param].casefold() in str(r.get(name) or "").casefold()]
        if "q" in args:
            needle = args["q"].casefold()
            rows = [
                r for r in rows if needle in f"{r['id']} {r['supplierName']} {r['supplierNumber']}".casefold()
            ]
        return rows

    # --- actions ----------------------------------------------------------------------------

    def _open(self, record: dict) -> None:
        if record["voided"] or record["purchaseOrderState"] == "RECEIVED":
            raise ApiError("service_state", value=record["purchaseOrderState"])

    def send(self, tenant: Tenant, record: dict) -> None:
        self._open(record)
        if record["purchaseOrderState"] == "NOT_SENT":
            record["purchaseOrderState"] = "SENT"
        if record["responseState"] == "NOT_SENT":
            record["responseState"] = "SENT"
        self.totals(record)
        self.save(tenant, record)

    def respond(self, tenant: Tenant, record: dict, state: str) -> dict:
        if state not in RESPONSE_TEXT:
            raise ApiError("service_invalid", field="responseState", value=state)
        if record["voided"]:
            raise ApiError("service_state", value="VOIDED")
        if record["purchaseOrderState"] == "NOT_SENT" and state != "NOT_SENT":
            record["purchaseOrderState"] = "SENT"  # an answer means it was sent some other way
        record["responseState"] = state
        self.totals(record)
        return self.save(tenant, record)

    def void(self, tenant: Tenant, record: dict) -> None:
        if record["voided"]:
            raise ApiError("service_state", value="VOIDED")
        if decimal(record["totalReceivedQuantity"]) > 0:  # goods have arrived on it
            raise ApiError(
                "service_state",
                value=f"{record['purchaseOrderState']} (received {record['totalReceivedQuantity']})",
            )
        record.update(voided=True, purchaseOrderState="VOIDED")
        self.save(tenant, record)

    def complete_manually(self, tenant: Tenant, record: dict) -> None:
        """Nothing more will arrive: the rest is no longer backordered."""
        self._open(record)
        record["manuallyCompleted"] = True
        for row in record["rows"]:
            self._remaining(row, record)
        self.totals(record)
        self.save(tenant, record)

    def dropship_complete(self, tenant: Tenant, record: dict) -> dict:
        if record["purchaseType"] != "DROPSHIP":
            raise ApiError("service_invalid", field="purchaseType", value=record["purchaseType"])
        self._open(record)
        for row in record["rows"]:
            row["receivedQuantity"] = row["orderedQuantity"]
            self._remaining(row, record)
        self.totals(record)
        self.save(tenant, record)
        return {"releasedParentOrder": bool(record.get("outboundDocumentReference"))}

    def receive(self, tenant: Tenant, order_id: object, row_id: str, quantity: Decimal) -> dict:
        """Count `quantity` as received on a row (negative when a release is voided)."""
        record = self.get(tenant, str(order_id))
        row = next((r for r in record["rows"] if r["id"] == row_id), None)
        if row is None:
            raise ApiError("service_invalid", field="purchaseOrderRowId", value=row_id)
        row["receivedQuantity"] = money(max(decimal(row["receivedQuantity"]) + quantity, Decimal(0)))
        self._remaining(row, record)
        if record["purchaseOrderState"] == "RECEIVED" and quantity < 0 and not record["manuallyCompleted"]:
            record["purchaseOrderState"] = "SENT" if record["responseState"] != "NOT_SENT" else "NOT_SENT"
        self.totals(record)
        return self.save(tenant, record)

    def matches(self, tenant: Tenant, record: dict) -> list[dict]:
        found = [
            {"id": str(goods["id"]), "type": "INCOMING_GOODS"}
            for goods in incominggoods.query(tenant, {})
            if goods["released"] and not goods["voided"]
            and any(str(r.get("purchaseOrderId")) == str(record["id"]) for r in goods["rows"])
        ]  # fmt: skip
        names = {str(record["id"]), str(record.get("internalReference") or "") or str(record["id"])}
        for invoice in tenant.table("supplierinvoices").values():
            if (
                str(invoice.get("SupplierNumber")) == record["supplierNumber"]
                and str(invoice.get("YourReference") or "").strip() in names
                and not invoice.get("Cancelled")
            ):
                found.append({"id": str(invoice["GivenNumber"]), "type": "SUPPLIER_INVOICE"})
        return found


class IncomingGoods(Service):
    name = "warehouse/incominggoods"
    scope = "warehouse"
    fields = """
        !completed:b costCenterCode date:d deliveryNoteId hasDeliveryNote:b !id:i note projectId
        !released:b rows:[] stockPointCode stockPointId stockPointName supplierName supplierNumber
        !voided:b
    """
    required = ("deliveryNoteId",)
    list_filters = ("released", "completed", "voided")

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not creating and (record["released"] or record["voided"]):
            raise ApiError("service_state", value="released" if record["released"] else "voided")
        record["date"] = record["date"] or today().isoformat()
        record["stockPointCode"] = record["stockPointCode"] or DEFAULT_STOCK_POINT
        record["hasDeliveryNote"] = bool(record["deliveryNoteId"])
        if record.get("supplierNumber"):
            supplier = tenant.table(suppliers.name).get(str(record["supplierNumber"]))
            if supplier is None:
                raise ApiError("service_invalid", field="supplierNumber", value=record["supplierNumber"])
            record["supplierName"] = record["supplierName"] or supplier["Name"]
        if not isinstance(record["rows"], list) or not record["rows"]:
            raise ApiError("service_required", field="rows")
        record["rows"] = [self._row(tenant, record, n, row) for n, row in enumerate(record["rows"], start=1)]

    def _row(self, tenant: Tenant, record: dict, number: int, row: object) -> dict:
        if not isinstance(row, dict):
            raise ApiError("service_bad_body")
        article = _article(tenant, row.get("itemId"))
        received = decimal(row.get("receivedQuantity"))
        if received < 0:
            raise ApiError("service_invalid", field="receivedQuantity", value=received)
        done = {
            "id": row.get("id") or str(uuid.uuid4()), "rowOrder": number, "itemId": article["ArticleNumber"],
            "itemDescription": row.get("itemDescription") or article["Description"],
            "itemUnit": row.get("itemUnit") or article.get("Unit") or "", "isStockItem": bool(article.get("StockGoods")),
            "receivedQuantity": money(received), "takenQuantity": money(decimal(row.get("takenQuantity"))),
            "invoicedQuantity": money(decimal(row.get("invoicedQuantity"))), "orderedQuantity": money(0),
            "backOrderQuantity": money(0), "remainingOrderedQuantity": money(0),
            "directCost": money(decimal(row.get("directCost") or article.get("PurchasePrice"))),
            "stockPointCode": row.get("stockPointCode") or record["stockPointCode"],
        }  # fmt: skip
        for name in ("batch", "costCenterCode", "projectId", "stockLocationCode", "stockLocationId"):
            if row.get(name):
                done[name] = row[name]
        if row.get("purchaseOrderId") not in (None, ""):
            order = purchaseorders.get(tenant, str(row["purchaseOrderId"]))
            if order["voided"]:
                raise ApiError("service_state", value="VOIDED")
            if record.get("supplierNumber") and str(record["supplierNumber"]) != order["supplierNumber"]:
                raise ApiError("service_invalid", field="supplierNumber", value=record["supplierNumber"])
            record["supplierNumber"] = order["supplierNumber"]
            record["supplierName"] = record.get("supplierName") or order["supplierName"]
            wanted = row.get("purchaseOrderRowId")
            line = next(
                (
                    r
                    for r in order["rows"]
                    if r["id"] == wanted or (not wanted and r["itemId"] == done["itemId"])
                ),
                None,
            )
            if line is None:
                raise ApiError("service_invalid", field="purchaseOrderRowId", value=wanted)
            if line["itemId"] != done["itemId"]:
                raise ApiError("service_invalid", field="itemId", value=done["itemId"])
            done.update(
                purchaseOrderId=int(order["id"]), purchaseOrderRowId=line["id"], orderedQuantity=line["orderedQuantity"],
                remainingOrderedQuantity=line["remainingOrderedQuantity"],
                backOrderQuantity=money(max(decimal(line["remainingOrderedQuantity"]) - received, Decimal(0))),
                directCost=money(decimal(row.get("directCost") or line["price"])),
            )  # fmt: skip
        return done

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        rows = super().query(tenant, {})
        for name in self.list_filters:
            if name in args:
                rows = [r for r in rows if r[name] == (args[name].lower() == "true")]
        if "suppliernumber" in args:
            rows = [r for r in rows if str(r.get("supplierNumber")) == args["suppliernumber"]]
        if "itemid" in args:
            rows = [r for r in rows if any(x["itemId"] == args["itemid"] for x in r["rows"])]
        return rows

    def list_row(self, record: dict) -> dict:
        row = {k: record.get(k) for k in ("completed", "date", "deliveryNoteId", "hasDeliveryNote", "id", "note",
                                          "released", "stockPointId", "supplierName", "supplierNumber", "voided")}  # fmt: skip
        value = sum(
            (decimal(r["receivedQuantity"]) * decimal(r["directCost"]) for r in record["rows"]), Decimal(0)
        )
        row["unmatchedValue"] = money(0 if record.get("_matched") else value)
        return {k: v for k, v in row.items() if v is not None}

    def release(self, tenant: Tenant, record: dict) -> None:
        if record["released"] or record["voided"]:
            raise ApiError("service_state", value="released" if record["released"] else "voided")
        for row in record["rows"]:
            move_stock(tenant, row["itemId"], row["stockPointCode"], decimal(row["receivedQuantity"]))
            if row.get("purchaseOrderId") is not None:
                purchaseorders.receive(tenant, row["purchaseOrderId"], row["purchaseOrderRowId"],
                                       decimal(row["receivedQuantity"]))  # fmt: skip
        record["released"] = True
        self.save(tenant, record)

    def mark_completed(self, tenant: Tenant, record: dict) -> None:
        """The deliveries of its orders are complete: their rest is no longer expected."""
        if not record["released"] or record["voided"]:
            raise ApiError("service_state", value="not released")
        for order_id in {
            r["purchaseOrderId"] for r in record["rows"] if r.get("purchaseOrderId") is not None
        }:
            order = purchaseorders.get(tenant, str(order_id))
            if order["purchaseOrderState"] != "RECEIVED":
                purchaseorders.complete_manually(tenant, order)
        record["completed"] = True
        self.save(tenant, record)

    def void(self, tenant: Tenant, record: dict) -> None:
        """A released delivery is taken back out of stock and off its orders."""
        if record["voided"]:
            raise ApiError("service_state", value="voided")
        if record["released"]:
            for row in record["rows"]:
                move_stock(tenant, row["itemId"], row["stockPointCode"], -decimal(row["receivedQuantity"]))
                if row.get("purchaseOrderId") is not None:
                    purchaseorders.receive(tenant, row["purchaseOrderId"], row["purchaseOrderRowId"],
                                           -decimal(row["receivedQuantity"]))  # fmt: skip
        record["voided"] = True
        self.save(tenant, record)


purchaseorders = PurchaseOrders()
incominggoods = IncomingGoods()
FAMILIES = (purchaseorders, incominggoods)

PO = "/api/warehouse/purchaseorders-v1"
po_bp = service_routes(purchaseorders, PO)


@po_bp.get(f"{PO}/csv")
def purchase_orders_csv():
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    show_type = lower_args().get("showpurchasetypecolumn", "false").lower() == "true"
    writer.writerow(["Id", "Leverantörsnr", "Leverantör", "Orderdatum", "Leveransdatum", "Status", "Ordervärde",
                     *(["Typ"] if show_type else [])])  # fmt: skip
    for r in purchaseorders.query(g.tenant, lower_args()):
        writer.writerow([r["id"], r["supplierNumber"], r["supplierName"], r["orderDate"], r["deliveryDate"] or "",
                         r["purchaseOrderState"], r["orderValue"], *([r["purchaseType"]] if show_type else [])])  # fmt: skip
    return Response(out.getvalue(), mimetype="text/csv")


@po_bp.put(f"{PO}/response")
def purchase_orders_respond():
    ids = [i for part in request.args.getlist("ids") for i in part.split(",") if i.strip()]
    state = str(read_json().get("responseState") or "")
    if not ids:
        raise ApiError("service_required", field="ids")
    answered = [purchaseorders.single(purchaseorders.respond(g.tenant, purchaseorders.get(g.tenant, i), state))
                for i in ids]  # fmt: skip
    return json_response(answered)


@po_bp.post(f"{PO}/sendpurchaseorders")
def purchase_orders_send():
    ids = read_json(list)
    for order_id in ids:
        purchaseorders.send(g.tenant, purchaseorders.get(g.tenant, str(order_id)))
    return Response(status=204)


def _mail_and_send(tenant: Tenant, record: dict) -> None:
    mail = read_json()
    for name in ("body", "receiver", "replyTo", "subject"):
        if not mail.get(name):
            raise ApiError("service_required", field=name)
    purchaseorders.send(tenant, record)


def _partial(tenant: Tenant, record: dict) -> dict:
    if record["voided"]:
        raise ApiError("service_state", value="VOIDED")
    fields = ("deliveryDate", "internalReference", "messageToSupplier", "note", "supplierName")
    body = read_json()
    for name in fields:
        if name in body:
            record[name] = body[name]
    purchaseorders.save(tenant, record)
    return {k: record[k] for k in fields if record.get(k) is not None}


service_action(
    po_bp, purchaseorders, f"{PO}/<key>/complete", lambda t, r: purchaseorders.complete_manually(t, r)
)
service_action(po_bp, purchaseorders, f"{PO}/<key>/dropshipcomplete", purchaseorders.dropship_complete)
service_action(po_bp, purchaseorders, f"{PO}/<key>/matches", purchaseorders.matches, method="GET")
service_action(po_bp, purchaseorders, f"{PO}/<key>/notes", lambda t, r: [n for row in r["rows"] for n in row["notes"]], method="GET")  # fmt: skip
service_action(po_bp, purchaseorders, f"{PO}/<key>/partial", _partial, method="PATCH")
service_action(po_bp, purchaseorders, f"{PO}/<key>/response",
               lambda t, r: purchaseorders.respond(t, r, str(read_json().get("responseState") or "")))  # fmt: skip
service_action(po_bp, purchaseorders, f"{PO}/<key>/send", _mail_and_send, method="POST")
service_action(po_bp, purchaseorders, f"{PO}/<key>/void", purchaseorders.void)

IG = "/api/warehouse/incominggoods-v1"
ig_bp = service_routes(incominggoods, IG, patch=True)
service_action(ig_bp, incominggoods, f"{IG}/<key>/release", incominggoods.release)
service_action(ig_bp, incominggoods, f"{IG}/<key>/completed", incominggoods.mark_completed)
service_action(ig_bp, incominggoods, f"{IG}/<key>/void", incominggoods.void)

stock_bp = Blueprint("warehouse_stock", __name__)
stock_bp.scope = "warehouse"


@stock_bp.get("/api/warehouse/status-v1/stockbalance")
def stock_balance():
    def listed(name: str) -> set[str] | None:
        values = {v for part in request.args.getlist(name) for v in part.split(",") if v}
        return values or None

    items, points = listed("itemIds"), listed("stockPointCodes")
    rows = [r for r in g.tenant.table(STOCK).values()
            if (items is None or r["itemId"] in items) and (points is None or r["stockPointCode"] in points)]  # fmt: skip
    return json_response(sorted(rows, key=lambda r: (r["itemId"], r["stockPointCode"])))


BLUEPRINTS = (po_bp, ig_bp, stock_bp)
