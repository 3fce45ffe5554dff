"""Fixed assets (anläggningsregister) and their types: acquisition, straight-line
depreciation booked as vouchers, write-downs and write-ups, sale and scrapping.

An asset's book value is its acquisition value (or a changed opening balance) less what has
been depreciated and written down, plus what has been written up; every event lands in its
`History`. Depreciation runs to a date, month by month, over the months from
`AcquisitionStart` to `DepreciationFinal`, down to `DepreciateToResidualValue`.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, Response, g

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import crud_routes, decimal, json_response, read_body, today
from mockfortnox.resources.family import Family
from mockfortnox.resources.vouchers import vouchers
from mockfortnox.state import Tenant

ACTIVE, SOLD, SCRAPPED = ("1", "Aktiv"), ("3", "Såld"), ("4", "Utrangerad")


class AssetTypes(Family):
    name, singular, plural = "assets/types", "Type", "Types"
    body_envelope = "AssetType"
    key = "Id"
    scope = "assets"
    not_found = "assettype_not_found"
    location = "assets/types"
    created_status = deleted_status = 200  # spec
    deletable = True
    fields = """
        !AccountAsset:i AccountAssetId:i=1220 !AccountDepreciation:i AccountDepreciationId:i=7831
        !AccountOffsetSale AccountOffsetSaleId !AccountRevaluation:i AccountRevaluationId:i
        !AccountSaleLoss:i AccountSaleLossId:i !AccountSaleWin:i AccountSaleWinId:i
        !AccountValueLoss:i AccountValueLossId:i=1229 !AccountWriteDown:i !AccountWriteDownAck:i
        AccountWriteDownAckId:i AccountWriteDownId:i Description !Id:i !InUse:b Notes Number Type:i=1
    """
    required = ("Number", "Description")
    unique = ("Number",)

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        for name in list(record):
            if name.startswith("Account") and name.endswith("Id"):
                value = record[name]
                if value and not any(k.partition(":")[2] == str(value) for k in tenant.table("accounts")):
                    raise ApiError("reference_missing", field=name, value=value)
                record[name[:-2]] = value  # the account number, beside its id (spec shows both)
        record["InUse"] = any(str(a["TypeId"]) == str(record["Id"]) for a in tenant.table("assets").values())

    def delete(self, tenant: Tenant, record: dict) -> None:
        if any(str(a["TypeId"]) == str(record["Id"]) for a in tenant.table("assets").values()):
            raise ApiError("asset_state", value="typen används")
        super().delete(tenant, record)


class Assets(Family):
    name, singular, plural = "assets", "Assets", "Assets"
    body_envelope = "Asset"
    key = "Id"
    scope = "assets"
    not_found = "asset_not_found"
    created_status = deleted_status = 200  # spec
    deletable = True
    date_field = "AcquisitionDate"
    fields = """
        AcquisitionDate:d AcquisitionStart:d AcquisitionValue:n Brand CostCenter Department
        DepreciateToResidualValue:n !DepreciatedTo DepreciationFinal:d DepreciationMethod:i
        Description Group !History:[] !Id:i InsuredNumber InsuredWith !ManualOb:n Notes Number
        Placement Project Reference Room !Status !StatusId !Type TypeId:i !BookValue:n
    """
    required = ("Number", "Description", "TypeId", "AcquisitionValue")
    references = {"TypeId": "assets/types"}
    unique = ("Number",)
    search = {"number": "Number", "description": "Description", "type": "Type"}
    list_strings = ("ManualOb", "DepreciationMethod")  # the list types them as text (spec)

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        record["AcquisitionDate"] = record["AcquisitionDate"] or today().isoformat()
        record["AcquisitionStart"] = record["AcquisitionStart"] or record["AcquisitionDate"]
        if not record["DepreciationFinal"]:
            start = date.fromisoformat(record["AcquisitionStart"])
            record["DepreciationFinal"] = start.replace(year=start.year + 5).isoformat()
        if record["DepreciationFinal"] <= record["AcquisitionStart"]:
            raise ApiError("invalid_value", field="DepreciationFinal", value=record["DepreciationFinal"])
        if (
            record["AcquisitionValue"] <= 0
            or record["DepreciateToResidualValue"] >= record["AcquisitionValue"]
        ):
            raise ApiError("invalid_value", field="AcquisitionValue", value=record["AcquisitionValue"])
        record["Type"] = tenant.table("assets/types")[str(record["TypeId"])]["Description"]
        if creating:
            record.update(StatusId=ACTIVE[0], Status=ACTIVE[1], DepreciatedTo=record["AcquisitionStart"],
                          ManualOb=record["AcquisitionValue"], BookValue=record["AcquisitionValue"])  # fmt: skip
            record["History"] = [
                _event(record, 1, record["AcquisitionValue"], "Anskaffning", record["AcquisitionDate"])
            ]
        elif len(record["History"]) > 1:
            raise ApiError("asset_state", value="händelser finns")

    def delete(self, tenant: Tenant, record: dict) -> None:
        if len(record["History"]) > 1:  # booked events stay
            raise ApiError("asset_state", value="händelser finns")
        super().delete(tenant, record)

    # --- events ---------------------------------------------------------------------------

    def _active(self, record: dict) -> None:
        if record["StatusId"] != ACTIVE[0]:
            raise ApiError("asset_state", value=record["Status"])

    def depreciation_due(self, record: dict, until: str) -> Decimal:
        """Straight line: the months from DepreciatedTo to `until`, of those left to the end."""
        if record["StatusId"] != ACTIVE[0] or until <= record["DepreciatedTo"]:
            return Decimal(0)
        done, end = (
            date.fromisoformat(record["DepreciatedTo"]),
            date.fromisoformat(record["DepreciationFinal"]),
        )
        stop = min(date.fromisoformat(until), end)
        months_left = max(_months(done, end), 1)
        months = max(_months(done, stop), 0)
        left = decimal(record["BookValue"]) - decimal(record["DepreciateToResidualValue"])
        return (left * months / months_left).quantize(Decimal(1), ROUND_HALF_UP) if left > 0 else Decimal(0)

    def depreciate(self, tenant: Tenant, record: dict, until: str) -> dict | None:
        amount = self.depreciation_due(record, until)
        if not amount:
            return None
        kind = tenant.table("assets/types")[str(record["TypeId"])]
        voucher = vouchers.post(
            tenant,
            series=_series(tenant),
            transaction_date=until,
            description=f"Avskrivning {record['Number']} {record['Description']}"[:200],
            rows=[
                {"Account": kind["AccountDepreciationId"], "Debit": amount},
                {"Account": kind["AccountValueLossId"] or 1229, "Credit": amount},
            ],
        )
        record["BookValue"] = decimal(record["BookValue"]) - amount
        record["DepreciatedTo"] = until
        record["History"].append(_event(record, 2, -amount, "Avskrivning", until, voucher))
        self.save(tenant, record)
        return {"FinancialYear": voucher["Year"], "VoucherNumber": voucher["VoucherNumber"],
                "VoucherSeries": voucher["VoucherSeries"]}  # fmt: skip

    def adjust(self, tenant: Tenant, record: dict, body: dict, sign: int, text: str) -> dict:
        self._active(record)
        amount = decimal(body.get("Amount"))
        if amount <= 0:
            raise ApiError("invalid_value", field="Amount", value=body.get("Amount"))
        if sign < 0 and amount > decimal(record["BookValue"]):
            raise ApiError("invalid_value", field="Amount", value=amount)
        record["BookValue"] = decimal(record["BookValue"]) + sign * amount
        record["History"].append(_event(record, 3 if sign < 0 else 4, sign * amount, body.get("Comment") or text,
                                        body.get("Date") or today().isoformat()))  # fmt: skip
        return self.save(tenant, record)

    def change_opening_balance(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self._active(record)
        amount = decimal(body.get("Amount"))
        record["BookValue"] = decimal(record["BookValue"]) + amount - decimal(record["ManualOb"])
        record["ManualOb"] = amount
        record["History"].append(
            _event(record, 5, amount, body.get("Comment") or "Ändrat IB", today().isoformat())
        )
        return self.save(tenant, record)

    def sell(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self._active(record)
        percentage = decimal(body.get("Percentage") or 100)
        if not 0 < percentage <= 100:
            raise ApiError("invalid_value", field="Percentage", value=percentage)
        sold = (decimal(record["BookValue"]) * percentage / 100).quantize(Decimal(1), ROUND_HALF_UP)
        record["BookValue"] = decimal(record["BookValue"]) - sold
        when = body.get("Date") or today().isoformat()
        record["History"].append(_event(record, 6, -sold, f"Försäljning {body.get('Price') or 0}", when))
        if percentage == 100:
            record.update(StatusId=SOLD[0], Status=SOLD[1])
        return self.save(tenant, record)

    def scrap(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self._active(record)
        when = body.get("Date") or today().isoformat()
        record["History"].append(
            _event(record, 7, -decimal(record["BookValue"]), body.get("Comment") or "Utrangering", when)
        )
        record.update(BookValue=0, StatusId=SCRAPPED[0], Status=SCRAPPED[1])
        return self.save(tenant, record)


def _months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _series(tenant: Tenant) -> str:
    series = tenant.table("voucherseries")
    return "I" if "I" in series else next((k for k, s in series.items() if s.get("Manual")), "A")


def _event(
    record: dict, event: int, amount: Decimal, notes: str, when: str, voucher: dict | None = None
) -> dict:
    return {
        "Amount": str(amount), "Date": when, "EventId": event, "Id": len(record.get("History") or []) + 1,
        "Notes": notes, "SupplierInvoice": 0, "UserId": 1, "UserName": "API",
        "VoucherNumber": voucher["VoucherNumber"] if voucher else 0,
        "VoucherSeries": voucher["VoucherSeries"] if voucher else "",
        "VoucherYear": voucher["Year"] if voucher else 0,
    }  # fmt: skip


assettypes = AssetTypes()
assets = Assets()
FAMILIES = (assettypes, assets)

actions_bp = Blueprint("asset_actions", __name__)
actions_bp.scope = "assets"


def _answer(record: dict) -> Response:
    return json_response({"Assets": assets.single(record)})


@actions_bp.post("/3/assets/depreciate")
def depreciate():
    body = read_body("Asset")
    until = str(body.get("DepreciateUntil") or today().isoformat())
    ids = body.get("AssetIds") or list(g.tenant.table(assets.name))
    records = [assets.get(g.tenant, str(i)) for i in ids]
    made = [v for v in (assets.depreciate(g.tenant, r, until) for r in records) if v]
    return json_response({"AssetsDepreciation": made})


@actions_bp.get("/3/assets/depreciations/<to_date>")
def depreciations_due(to_date: str):
    due = [r for r in assets.query(g.tenant, {}) if assets.depreciation_due(r, to_date)]
    return json_response({"Assets": [assets.list_row(r) for r in due],
                          "MetaInformation": {"@TotalResources": len(due), "@TotalPages": 1, "@CurrentPage": 1}})  # fmt: skip


def _event_route(rule: str, run) -> None:
    def handler(key: str):
        record = assets.get(g.tenant, key)
        return _answer(run(g.tenant, record, read_body("Asset")))

    actions_bp.add_url_rule(rule, rule.split("/")[3], handler, methods=["PUT"])


_event_route("/3/assets/changeob/<key>", assets.change_opening_balance)
_event_route("/3/assets/sell/<key>", assets.sell)
_event_route("/3/assets/scrap/<key>", assets.scrap)
_event_route("/3/assets/writedown/<key>", lambda t, r, b: assets.adjust(t, r, b, -1, "Nedskrivning"))
_event_route("/3/assets/writeup/<key>", lambda t, r, b: assets.adjust(t, r, b, 1, "Uppskrivning"))

BLUEPRINTS = (actions_bp, crud_routes(assettypes), crud_routes(assets))
