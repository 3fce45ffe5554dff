"""The rest of the warehouse module: stock points and their locations, manual inbound and
outbound deliveries, custom document types and their documents, stock transfers, production
orders and stock taking.

Every document that moves stock follows one life cycle (`StockDocument`): registered, then
released (its movements change the stock balance), or voided (a released one moves back).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import ClassVar

from flask import Blueprint, Response, g, request

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import decimal, json_response, lower_args, money, today
from mockfortnox.resources.family import Service, read_json, service_action, service_routes
from mockfortnox.resources.warehouse import DEFAULT_STOCK_POINT, _article, move_stock, stock_of
from mockfortnox.state import Tenant

W = "/api/warehouse"


class StockPoints(Service):
    name = "warehouse/stockpoints"
    scope = "warehouse"
    key = "id"
    fields = """
        active:B code deliveryAddress deliveryAddress2 deliveryCity deliveryCountryCode deliveryName
        deliveryPhone deliveryZipCode !id name !stockLocations:[] usingCompanyAddress:b
    """
    required = ("code", "name")
    unique = ("code",)

    def new_key(self, tenant: Tenant, body: dict) -> str:
        return str(uuid.uuid4())

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        rows = sorted(tenant.table(self.name).values(), key=lambda r: r["code"])
        state = args.get("state", "all").lower()
        if state in ("active", "inactive"):
            rows = [r for r in rows if r["active"] == (state == "active")]
        if "q" in args:
            rows = [r for r in rows if args["q"].casefold() in f"{r['code']} {r['name']}".casefold()]
        if "ids" in args:
            wanted = set(args["ids"].split(","))
            rows = [r for r in rows if r["id"] in wanted]
        return rows

    def delete(self, tenant: Tenant, record: dict) -> None:
        if any(
            r["stockPointCode"] == record["code"] and decimal(r["inStock"])
            for r in tenant.table("warehouse/stock").values()
        ):
            raise ApiError("service_state", value="stock on hand")
        super().delete(tenant, record)

    def add_location(self, tenant: Tenant, record: dict) -> dict:
        body = read_json()
        if not body.get("code"):
            raise ApiError("service_required", field="code")
        if any(loc["code"] == body["code"] for loc in record["stockLocations"]):
            raise ApiError("service_invalid", field="code", value=body["code"])
        location = {"code": str(body["code"]), "id": str(uuid.uuid4()), "name": str(body.get("name") or ""),
                    "stockPointId": record["id"]}  # fmt: skip
        record["stockLocations"].append(location)
        self.save(tenant, record)
        return location


def stock_point(tenant: Tenant, row: dict, fallback: str = DEFAULT_STOCK_POINT) -> dict:
    """A row's stock point by id or code; the default one (made on first use) when it names none."""
    points = tenant.table(stockpoints.name)
    if row.get("stockPointId"):
        point = points.get(str(row["stockPointId"]))
        if point is None:
            raise ApiError("service_invalid", field="stockPointId", value=row["stockPointId"])
        return point
    code = str(row.get("stockPointCode") or fallback)
    point = next((p for p in points.values() if p["code"] == code), None)
    if point is None:
        if code != DEFAULT_STOCK_POINT:
            raise ApiError("service_invalid", field="stockPointCode", value=code)
        point = stockpoints.create(tenant, {"code": code, "name": "Lager", "usingCompanyAddress": True})
    return point


def stock_point_code(tenant: Tenant, row: dict, fallback: str = DEFAULT_STOCK_POINT) -> str:
    """Fill a row's stock point id and code from either; answers the code."""
    point = stock_point(tenant, row, fallback)
    row["stockPointId"], row["stockPointCode"] = point["id"], point["code"]
    return point["code"]


class StockDocument(Service):
    """A document whose release moves stock; voiding a released one moves it back."""

    scope = "warehouse"
    kind: ClassVar[str] = ""
    sign: ClassVar[int] = 1
    quantity_field: ClassVar[str] = "quantity"
    released_field: ClassVar[str] = "released"
    numbered_rows: ClassVar[bool] = True  # rows carry a rowId (spec)

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not creating and (record.get(self.released_field) is True or record.get("voided")):
            raise ApiError("service_state", value="voided" if record.get("voided") else "released")
        if not isinstance(record.get("rows"), list) or not record["rows"]:
            raise ApiError("service_required", field="rows")
        rows = []
        for number, row in enumerate(record["rows"], start=1):
            if not isinstance(row, dict):
                raise ApiError("service_bad_body")
            article = _article(tenant, row.get("itemId"))
            quantity = decimal(row.get(self.quantity_field))
            if quantity <= 0:
                raise ApiError(
                    "service_invalid", field=self.quantity_field, value=row.get(self.quantity_field)
                )
            row = {**row, self.quantity_field: money(quantity), "itemDescription": row.get("itemDescription") or article["Description"],
                   "itemUnit": row.get("itemUnit") or article.get("Unit") or ""}  # fmt: skip
            if self.numbered_rows:
                row["rowId"] = number
            rows.append(self.complete_row(tenant, record, row))
        record["rows"] = rows
        if "date" in record:
            record["date"] = record["date"] or today().isoformat()

    def complete_row(self, tenant: Tenant, record: dict, row: dict) -> dict:
        row["stockPointCode"] = stock_point_code(
            tenant, row, record.get("stockPointCode") or DEFAULT_STOCK_POINT
        )
        return row

    def movements(self, record: dict) -> list[tuple[str, str, Decimal]]:
        return [
            (r["itemId"], r["stockPointCode"], self.sign * decimal(r[self.quantity_field]))
            for r in record["rows"]
        ]

    def release(self, tenant: Tenant, record: dict) -> None:
        if record.get(self.released_field) is True or record.get("voided"):
            raise ApiError("service_state", value="voided" if record.get("voided") else "released")
        moves = self.movements(record)
        for item, point, quantity in moves:
            if (
                quantity < 0
                and stock_of(tenant, item, point) + quantity < 0
                and not request.args.get("force")
            ):
                raise ApiError("service_state", value=f"{item}: too little in stock at {point}")
        for item, point, quantity in moves:
            move_stock(tenant, item, point, quantity)
        record[self.released_field] = True
        self.save(tenant, record)

    def void(self, tenant: Tenant, record: dict) -> None:
        if record.get("voided"):
            raise ApiError("service_state", value="voided")
        if record.get(self.released_field) is True:
            for item, point, quantity in self.movements(record):
                move_stock(tenant, item, point, -quantity)
        record["voided"] = True
        self.save(tenant, record)

    def patch_note(self, tenant: Tenant, record: dict) -> None:
        body = read_json()
        if "note" in body:
            record["note"] = str(body["note"] or "")
        self.save(tenant, record)


class InboundDeliveries(StockDocument):
    name = "warehouse/inbounddeliveries"
    kind = "Inbound"
    fields = """
        currency=SEK currencyRate:n currencyUnit:i date:d !id:i note !released:b rows:[] stockPointCode
        stockPointId stockPointName !voided:b
    """

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        super().rules(tenant, record, creating=creating)
        record["currencyRate"] = record["currencyRate"] or money(1)
        record["currencyUnit"] = record["currencyUnit"] or 1


class OutboundDeliveries(StockDocument):
    name = "warehouse/outbounddeliveries"
    kind = "Outbound"
    sign = -1
    numbered_rows = False
    fields = "date:d !id:i note !released:b rows:[] stockPointCode stockPointId stockPointName !voided:b"


class StockTransfers(StockDocument):
    """Goods moved from one stock point to another: out of one, into the other, on release."""

    name = "warehouse/stocktransfers"
    kind = "StockTransfer"
    quantity_field = "requestedQuantity"
    numbered_rows = False
    fields = "!id:i note !released:b rows:[] transferDate:d !version:i !voided:b"

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        super().rules(tenant, record, creating=creating)
        record["transferDate"] = record["transferDate"] or today().isoformat()
        record["version"] = int(record.get("version") or 0) + 1

    def complete_row(self, tenant: Tenant, record: dict, row: dict) -> dict:
        for side in ("from", "to"):
            named = {
                "stockPointId": row.get(f"{side}StockPointId"),
                "stockPointCode": row.get(f"{side}StockPointCode"),
            }
            if not (named["stockPointId"] or named["stockPointCode"]):
                raise ApiError("service_required", field=f"{side}StockPointId")
            point = stock_point(tenant, named)
            row[f"{side}StockPointId"], row[f"{side}StockPointCode"] = point["id"], point["code"]
            row[f"{side}StockPointName"] = point["name"]
        if row["fromStockPointCode"] == row["toStockPointCode"]:
            raise ApiError("service_invalid", field="toStockPointId", value=row["toStockPointCode"])
        row["quantity"] = row["requestedQuantity"]
        return row

    def movements(self, record: dict) -> list[tuple[str, str, Decimal]]:
        out = []
        for row in record["rows"]:
            quantity = decimal(row["requestedQuantity"])
            out += [
                (row["itemId"], row["fromStockPointCode"], -quantity),
                (row["itemId"], row["toStockPointCode"], quantity),
            ]
        return out


class CustomDocumentTypes(Service):
    name = "warehouse/customdocumenttypes"
    scope = "warehouse"
    key = "referenceType"
    fields = "category referenceType"
    required = ("category", "referenceType")
    choices = {"category": ("INBOUND", "OUTBOUND")}

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("service_required", field="referenceType")


class CustomDocuments(StockDocument):
    """A document of a type the integration defined: created by PUT at its own id."""

    released_field = "warehouseReady"

    def key_of(self, kind: str, doc_id: str) -> str:
        return f"{kind}|{doc_id}"

    def put(self, tenant: Tenant, kind: str, doc_id: str) -> dict:
        kinds = tenant.table(customdocumenttypes.name)
        if kind not in kinds or kinds[kind]["category"] != self.category:
            raise ApiError("service_invalid", field="type", value=kind)
        body = read_json()
        self.check_fields(body)
        existing = tenant.table(self.name).get(self.key_of(kind, doc_id))
        if existing is not None:
            return self.update(tenant, existing, body)
        return self.create(tenant, {**body, "_key": self.key_of(kind, doc_id), "id": doc_id, "type": kind})

    category = ""
    key = "_key"


class CustomInbound(CustomDocuments):
    name = "warehouse/custominbound"
    category = "INBOUND"
    fields = "currency:{} date:d id note rows:[] type voided:b warehouseReady:b _key"


class CustomOutbound(CustomDocuments):
    name = "warehouse/customoutbound"
    category = "OUTBOUND"
    sign = -1
    fields = """
        averageCosts:[] date:d deliveryState=delivery forcedDelivery:b id note referenceType rows:[]
        voided:b warehouseReady:b _key
    """
    choices = {"deliveryState": ("registration", "reservation", "delivery")}


class ProductionOrders(StockDocument):
    """Makes `quantity` of an article from its package items: on release the items leave the
    outbound stock point and the product enters the inbound one."""

    name = "warehouse/productionorders"
    released_field = "_released"
    fields = """
        batch costCenterCode !documentState !id:i inboundStockLocationId inboundStockPointId
        itemDescription itemId itemUnit note outboundStockPointId packageItems:[] productionDate:d
        productionState=registered projectId quantity:n startDate:d
    """
    choices = {"productionState": ("registered", "reserved", "ongoing")}

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not creating and record.get("documentState"):
            raise ApiError("service_state", value=record["documentState"])
        article = _article(tenant, record.get("itemId"))
        if record["quantity"] <= 0:
            raise ApiError("service_invalid", field="quantity", value=record["quantity"])
        record["itemDescription"] = record["itemDescription"] or article["Description"]
        record["startDate"] = record["startDate"] or today().isoformat()
        items = []
        for item in record["packageItems"]:
            part = _article(tenant, item.get("itemId") if isinstance(item, dict) else None)
            per_unit = decimal(item.get("quantityRequired") or 1)
            items.append({"itemId": part["ArticleNumber"], "itemDescription": part["Description"],
                          "itemUnit": part.get("Unit") or "", "quantityRequired": money(per_unit),
                          "quantityReserved": money(0), "totalQuantityRequired": money(per_unit * record["quantity"])})  # fmt: skip
        record["packageItems"] = items

    def movements(self, record: dict) -> list[tuple[str, str, Decimal]]:
        out_point = record.get("outboundStockPointId") or DEFAULT_STOCK_POINT
        in_point = record.get("inboundStockPointId") or DEFAULT_STOCK_POINT
        moves = [
            (i["itemId"], out_point, -decimal(i["totalQuantityRequired"])) for i in record["packageItems"]
        ]
        return [*moves, (record["itemId"], in_point, decimal(record["quantity"]))]

    def release(self, tenant: Tenant, record: dict) -> dict:  # type: ignore[override]
        super().release(tenant, record)
        record.update(documentState="completed", productionDate=today().isoformat())
        return self.save(tenant, record)

    def void(self, tenant: Tenant, record: dict) -> None:
        super().void(tenant, record)
        record["documentState"] = "voided"

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        rows = super().query(tenant, {})
        if "itemid" in args:
            rows = [r for r in rows if r["itemId"] == args["itemid"]]
        if "state" in args:
            rows = [
                r
                for r in rows
                if args["state"].lower() in (r.get("documentState") or "", r["productionState"])
            ]
        return rows


class StockTakings(Service):
    """A count of the stock: rows of items with what was counted; release sets the stock to
    the counted quantities."""

    name = "warehouse/stocktakings"
    scope = "warehouse"
    fields = """
        costCenterCode date:d !id:i name projectId responsible !rows:[] sortParams:{} sortingId:i
        !state=planning usingStockPoints:b
    """
    required = ("name", "responsible")

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not creating and record["state"] != "planning":
            raise ApiError("service_state", value=record["state"])
        record["date"] = record["date"] or today().isoformat()

    def candidates(self, tenant: Tenant, record: dict) -> list[dict]:
        wanted = {v for part in request.args.getlist("itemIds") for v in part.split(",") if v}
        rows = []
        for stock in sorted(
            tenant.table("warehouse/stock").values(), key=lambda r: (r["itemId"], r["stockPointCode"])
        ):
            if wanted and stock["itemId"] not in wanted:
                continue
            if request.args.get("excludeZeroBalanceItems") == "true" and not decimal(stock["inStock"]):
                continue
            point = stock_point(tenant, {"stockPointCode": stock["stockPointCode"]})
            rows.append({"itemId": stock["itemId"], "stockPointId": point["id"],
                         "totalQuantityInStock": stock["inStock"], "stockTakingId": int(record["id"])})  # fmt: skip
        return rows

    def add_rows(self, tenant: Tenant, record: dict) -> int:
        self._planned(record)
        known = {(r["itemId"], r["stockPointId"]) for r in record["rows"]}
        added = [r for r in self.candidates(tenant, record) if (r["itemId"], r["stockPointId"]) not in known]
        for row in added:
            row.update(id=str(uuid.uuid4()), stockTakingRowId=str(uuid.uuid4()), currentRowNo=len(record["rows"]) + 1,
                       hasPostReleaseStockChanges=False)  # fmt: skip
            record["rows"].append(row)
        self.save(tenant, record)
        return len(added)

    def count(self, tenant: Tenant, record: dict) -> None:
        """Counted quantities for rows (by id, or by item and stock point)."""
        self._planned(record)
        for sent in read_json(list):
            row = next((r for r in record["rows"] if r["id"] == sent.get("id")
                        or (r["itemId"], r["stockPointId"]) == (sent.get("itemId"), sent.get("stockPointId"))), None)  # fmt: skip
            if row is None:
                raise ApiError("service_invalid", field="id", value=sent.get("id"))
            row["stockTakenQuantity"] = money(decimal(sent.get("stockTakenQuantity")))
            row["countedBy"] = str(sent.get("countedBy") or "")
        self.save(tenant, record)

    def remove_rows(self, tenant: Tenant, record: dict, row_id: str | None = None) -> int:
        self._planned(record)
        before = len(record["rows"])
        record["rows"] = [r for r in record["rows"] if row_id is not None and r["id"] != row_id]
        self.save(tenant, record)
        return before - len(record["rows"])

    def release(self, tenant: Tenant, record: dict) -> None:
        self._planned(record)
        for row in record["rows"]:
            if row.get("stockTakenQuantity") is not None:
                code = stock_point(tenant, {"stockPointId": row["stockPointId"]})["code"]
                change = decimal(row["stockTakenQuantity"]) - stock_of(tenant, row["itemId"], code)
                move_stock(tenant, row["itemId"], code, change)
        record["state"] = "completed"
        self.save(tenant, record)

    def void(self, tenant: Tenant, record: dict) -> None:
        self._planned(record)
        record["state"] = "voided"
        self.save(tenant, record)

    @staticmethod
    def _planned(record: dict) -> None:
        if record["state"] != "planning":
            raise ApiError("service_state", value=record["state"])


stockpoints = StockPoints()
inbounddeliveries = InboundDeliveries()
outbounddeliveries = OutboundDeliveries()
stocktransfers = StockTransfers()
customdocumenttypes = CustomDocumentTypes()
custominbound = CustomInbound()
customoutbound = CustomOutbound()
productionorders = ProductionOrders()
stocktakings = StockTakings()
FAMILIES = (stockpoints, inbounddeliveries, outbounddeliveries, stocktransfers, customdocumenttypes,
            custominbound, customoutbound, productionorders, stocktakings)  # fmt: skip


def _stock_points_bp() -> Blueprint:
    bp = service_routes(stockpoints, f"{W}/stockpoints-v1")

    def delete(key: str):  # answers the deleted record (spec)
        record = stockpoints.get(g.tenant, key)
        stockpoints.delete(g.tenant, record)
        return json_response(stockpoints.single(record))

    bp.add_url_rule(f"{W}/stockpoints-v1/<key>", "stockpoints_delete", delete, methods=["DELETE"])

    def multi():
        return json_response([stockpoints.single(r) for r in stockpoints.query(g.tenant, lower_args())])

    bp.add_url_rule(f"{W}/stockpoints-v1/multi", "stockpoints_multi", multi, methods=["GET"])
    service_action(
        bp, stockpoints, f"{W}/stockpoints-v1/<key>", _created(stockpoints.add_location), method="POST"
    )
    service_action(bp, stockpoints, f"{W}/stockpoints-v1/<key>/stocklocations",
                   lambda t, r: [loc for loc in r["stockLocations"] if lower_args().get("q", "").casefold()
                                 in f"{loc['code']} {loc['name']}".casefold()], method="GET")  # fmt: skip
    return bp


def _created(run):
    def wrapped(tenant: Tenant, record: dict) -> Response:
        return json_response(run(tenant, record), 201)

    return wrapped


def _stock_document_bp(
    resource: StockDocument, base: str, *, patch_note: bool, listing: bool = False
) -> Blueprint:
    bp = service_routes(resource, base, listing=listing)
    if patch_note:
        service_action(bp, resource, f"{base}/<key>", resource.patch_note, method="PATCH")
    service_action(bp, resource, f"{base}/<key>/release", resource.release)
    service_action(bp, resource, f"{base}/<key>/void", resource.void)
    return bp


deliveries_bp = Blueprint("warehouse_deliveries", __name__)
deliveries_bp.scope = "warehouse"


@deliveries_bp.get(f"{W}/deliveries-v1")
def deliveries():
    """Manual inbound and outbound deliveries and stock transfers in one list."""
    args = lower_args()
    rows = []
    for resource in (inbounddeliveries, outbounddeliveries, stocktransfers):
        for r in resource.query(g.tenant, {}):
            if "itemid" in args and not any(x["itemId"] == args["itemid"] for x in r["rows"]):
                continue
            state = "voided" if r["voided"] else "released" if r["released"] else "registered"
            if args.get("state") and args["state"].lower() != state:
                continue
            if args.get("type") and args["type"].lower() != resource.kind.lower():
                continue
            row = {"date": r.get("date") or r.get("transferDate"), "deliveryId": r["id"], "note": r.get("note"),
                   "released": r["released"], "type": resource.kind, "voided": r["voided"]}  # fmt: skip
            rows.append({k: v for k, v in row.items() if v is not None})
    return json_response(rows)


custom_bp = Blueprint("warehouse_custom", __name__)
custom_bp.scope = "warehouse"
CUSTOM = f"{W}/documentdeliveries/custom"


@custom_bp.get(f"{CUSTOM}/documenttypes-v1")
def custom_types():
    return json_response([customdocumenttypes.single(r) for r in customdocumenttypes.query(g.tenant, {})])


@custom_bp.post(f"{CUSTOM}/documenttypes-v1")
def custom_type_create():
    customdocumenttypes.create(g.tenant, read_json())
    return json_response(len(g.tenant.table(customdocumenttypes.name)), 201)


@custom_bp.get(f"{CUSTOM}/documenttypes-v1/<key>")
def custom_type(key: str):
    return json_response(customdocumenttypes.single(customdocumenttypes.get(g.tenant, key)))


def _custom_routes(resource: CustomDocuments, part: str) -> None:
    base = f"{CUSTOM}/{part}/<kind>/<doc_id>"

    def one(kind: str, doc_id: str):
        if request.method == "PUT":
            return json_response(resource.single(resource.put(g.tenant, kind, doc_id)))
        return json_response(resource.single(resource.get(g.tenant, resource.key_of(kind, doc_id))))

    def act(action: str):
        def handler(kind: str, doc_id: str):
            getattr(resource, action)(g.tenant, resource.get(g.tenant, resource.key_of(kind, doc_id)))
            return Response(status=204)

        return handler

    custom_bp.add_url_rule(base, f"{part}_one", one, methods=["GET", "PUT"])
    custom_bp.add_url_rule(f"{base}/release", f"{part}_release", act("release"), methods=["PUT"])
    custom_bp.add_url_rule(f"{base}/void", f"{part}_void", act("void"), methods=["PUT"])


_custom_routes(custominbound, "inbound-v1")
_custom_routes(customoutbound, "outbound-v1")


production_bp = service_routes(productionorders, f"{W}/productionorders-v1")
service_action(production_bp, productionorders, f"{W}/productionorders-v1/<key>",
               lambda t, r: productionorders.update(t, r, {"note": read_json().get("note", r["note"])}), method="PATCH")  # fmt: skip
service_action(
    production_bp, productionorders, f"{W}/productionorders-v1/release/<key>", productionorders.release
)
service_action(production_bp, productionorders, f"{W}/productionorders-v1/void/<key>", productionorders.void)


@production_bp.get(f"{W}/productionorders-v1/billofmaterials/<item_id>")
def bill_of_materials(item_id: str):
    """The package items of the latest production order of the article, scaled to `quantity`."""
    _article(g.tenant, item_id)
    quantity = decimal(request.args.get("quantity") or 1)
    latest = [r for r in productionorders.query(g.tenant, {}) if r["itemId"] == item_id]
    items = latest[-1]["packageItems"] if latest else []
    return json_response(
        [{**i, "totalQuantityRequired": money(decimal(i["quantityRequired"]) * quantity)} for i in items]
    )


ST = f"{W}/stocktaking-v1"
stocktaking_bp = service_routes(stocktakings, ST, delete=True)
service_action(
    stocktaking_bp, stocktakings, f"{ST}/<key>/addrows", _created(stocktakings.add_rows), method="POST"
)
service_action(stocktaking_bp, stocktakings, f"{ST}/<key>/candidates", stocktakings.candidates, method="GET")
service_action(stocktaking_bp, stocktakings, f"{ST}/<key>/release", stocktakings.release)
service_action(stocktaking_bp, stocktakings, f"{ST}/<key>/void", stocktakings.void)
service_action(stocktaking_bp, stocktakings, f"{ST}/<key>/rows", lambda t, r: r["rows"], method="GET")
service_action(stocktaking_bp, stocktakings, f"{ST}/<key>/rows", stocktakings.count, method="POST")
service_action(stocktaking_bp, stocktakings, f"{ST}/<key>/rows", lambda t, r: json_response(stocktakings.remove_rows(t, r)), method="DELETE")  # fmt: skip


@stocktaking_bp.delete(f"{ST}/<key>/rows/<row_id>")
def stocktaking_row_delete(key: str, row_id: str):
    return json_response(stocktakings.remove_rows(g.tenant, stocktakings.get(g.tenant, key), row_id))


tenant_bp = Blueprint("warehouse_tenant", __name__)
tenant_bp.scope = "warehouse"


@tenant_bp.get(f"{W}/tenants-v4")
def warehouse_tenant():
    return json_response({"activated": True, "tenantId": g.tenant.id})


BLUEPRINTS = (
    _stock_points_bp(),
    _stock_document_bp(inbounddeliveries, f"{W}/deliveries-v1/inbounddeliveries", patch_note=True),
    _stock_document_bp(outbounddeliveries, f"{W}/deliveries-v1/outbounddeliveries", patch_note=True),
    _stock_document_bp(stocktransfers, f"{W}/stocktransfer-v1", patch_note=False),
    deliveries_bp,
    custom_bp,
    production_bp,
    stocktaking_bp,
    tenant_bp,
)
