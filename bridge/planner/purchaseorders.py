"""Purchase orders into Fortnox's warehouse module, or into the bridge's own book of expected
orders when the company has no such module.

The first step asks Fortnox whether the company has the warehouse licence (a `probe`: a
missing licence is an answer, not a wait). Either way the supplier is looked up (never
created: an order names a supplier the company already buys from), so that the order is known
by the supplier number its invoices will carry. With the module: the articles the rows name
(created from the row when missing), then the order once — our order number in
`internalReference`, our stamp in `note`, by which it is found again after an unclear outcome.
Without it nothing more is sent; the bridge keeps the order (the ledger's document) and
matches invoices against it all the same, and the receipt says so.

A cancelled order voids Fortnox's order (found by its stamp) unless goods have arrived on it,
which Fortnox refuses; an expected order is only marked cancelled.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from bridge.config import TenantSettings
from bridge.model import (
    DocumentKey,
    MasterData,
    Party,
    Problem,
    PurchaseOrder,
    Severity,
    content_hash,
    to_plain,
)
from bridge.planner.parties import ensure_supplier, party_text
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref, stamp_for

__all__ = ["PURCHASE_ORDERS", "order_lookup", "order_stamp", "plan_purchase_order"]

PURCHASE_ORDERS = "/api/warehouse/purchaseorders-v1"
WITH_MODULE = {"warehouse.available": True}
EXPECTED_NOTE = "kept by the bridge as an expected order when the company has no warehouse module"


def order_stamp(tenant: str, order_number: str) -> str:
    return stamp_for(DocumentKey(tenant, PurchaseOrder.kind, order_number))


def order_lookup(tenant: str, order_number: str) -> Lookup:
    """Fortnox's order by our stamp (`note`), among all states; `internalReference` narrows
    the list (Fortnox searches it by substring, the exact comparison is ours)."""
    return Lookup(
        path=PURCHASE_ORDERS,
        params={"internalReference": order_number, "state": "ALL"},
        match={"note": order_stamp(tenant, order_number), "internalReference": order_number},
    )


def _who(supplier: Party) -> str:
    return (
        party_text(supplier)
        if supplier.name
        else f"supplier {supplier.number or supplier.organisation_number}"
    )


def plan_purchase_order(
    order: PurchaseOrder, tenant: TenantSettings, master: MasterData | None = None
) -> DocumentPlan:
    key = DocumentKey(tenant.name, order.kind, order.source_key)
    steps = [_probe(), _supplier(order.supplier)]
    problems: list[Problem] = []
    if order.cancelled:
        steps += _void(tenant.name, order)
        summary = (
            f"cancel purchase order {order.order_number} from {_who(order.supplier)}: "
            "void it in Fortnox's warehouse module, or mark the expected order cancelled"
        )
    else:
        articles = [row for row in order.rows if row.article_number]
        for row in order.rows:
            if not row.article_number:
                problems.append(
                    Problem(
                        f"the row {row.description!r} names no article: Fortnox's purchase order holds articles "
                        "only, so this row is matched by the bridge but not sent to Fortnox",
                        line=row.line,
                        field="Artikelnummer",
                        hint="give the row an article number to have it in Fortnox's order",
                        severity=Severity.WARNING,
                        code="purchaseorder.row-without-article",
                    )
                )
        seen: set[str] = set()
        for row in articles:
            number = row.article_number or ""
            if number in seen:
                continue
            seen.add(number)
            steps.append(_article(number, row.description, row.price))
        if articles:
            steps.append(_create(tenant.name, order))
        summary = (
            f"purchase order {order.order_number} from {_who(order.supplier)}, {len(order.rows)} rows, "
            f"{order.total} {order.currency} excl. VAT: created in Fortnox's warehouse module, "
            f"or {EXPECTED_NOTE}"
        )
    return DocumentPlan(
        key=key,
        summary=summary,
        content_hash=content_hash(order),
        steps=tuple(steps),
        document=to_plain(order),
        problems=tuple(problems),
    )


def _probe() -> Step:
    return Step(
        kind="probe",
        label="the warehouse module",
        method="GET",
        path=PURCHASE_ORDERS,
        envelope="",
        save_as="warehouse",
    )


def _supplier(supplier: Party) -> Step:
    hint = (
        f"the supplier {party_text(supplier)} does not exist in Fortnox: add it there (or import an invoice "
        "from it), then run `fortnox-bridge retry` on this file"
    )
    if supplier.number:
        return Step(
            kind="ensure",
            label=f"supplier {supplier.number}",
            method="POST",
            path="/3/suppliers",
            envelope="Supplier",
            lookup=Lookup(path=f"/3/suppliers/{quote(supplier.number, safe='')}", single=True),
            save_as="supplier",
            create_if_missing=False,
            missing_hint=hint,
        )
    return replace(ensure_supplier(supplier, create=False, policy="never"), missing_hint=hint)


def _article(number: str, description: str | None, price: Any) -> Step:
    body = {"ArticleNumber": number, "Description": (description or number)[:200], "PurchasePrice": price}
    return Step(
        kind="ensure",
        label=f"article {number}",
        method="POST",
        path="/3/articles",
        envelope="Article",
        body={"Article": body},
        lookup=Lookup(path=f"/3/articles/{quote(number, safe='')}", single=True),
        when=WITH_MODULE,
    )


def _create(tenant: str, order: PurchaseOrder) -> Step:
    rows = []
    for row in order.rows:
        if not row.article_number:
            continue
        out: dict[str, Any] = {
            "itemId": row.article_number,
            "orderedQuantity": row.quantity,
            "price": row.price,
        }
        if row.description:
            out["itemDescription"] = row.description[:200]
        if row.project:
            out["projectId"] = row.project
        rows.append(out)
    body: dict[str, Any] = {
        "supplierNumber": ref("supplier", "SupplierNumber"),
        "internalReference": order.order_number,
        "note": order_stamp(tenant, order.order_number),
        "currencyCode": order.currency,
        "rows": rows,
    }
    if order.order_date:
        body["orderDate"] = order.order_date.isoformat()
    if order.delivery_date:
        body["deliveryDate"] = order.delivery_date.isoformat()
    return Step(
        kind="create",
        label=f"purchase order {order.order_number}",
        method="POST",
        path=PURCHASE_ORDERS,
        envelope="",
        body=body,
        lookup=order_lookup(tenant, order.order_number),
        save_as="order",
        when=WITH_MODULE,
    )


def _void(tenant: str, order: PurchaseOrder) -> list[Step]:
    return [
        Step(
            kind="ensure",
            label=f"purchase order {order.order_number} in Fortnox",
            method="GET",
            path=PURCHASE_ORDERS,
            envelope="",
            lookup=order_lookup(tenant, order.order_number),
            save_as="order",
            create_if_missing=False,
            missing_ok=True,
            when=WITH_MODULE,
        ),
        Step(
            kind="action",
            label=f"void purchase order {order.order_number}",
            method="PUT",
            path=PURCHASE_ORDERS + "/{order.id}/void",
            envelope="",
            done_when={"voided": True},
            check_path=PURCHASE_ORDERS + "/{order.id}",
            when={"order.voided": False},
            missing_hint="goods have arrived on the order in Fortnox; it cannot be voided",
        ),
    ]
