"""Purchase orders in: into Fortnox's warehouse module once, or kept as expected orders."""

from __future__ import annotations

import httpx

from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline.service import Bridge
from bridge.util import loads
from tests.unit.purchasing.conftest import FIXTURES, PAPER, TONER, drop, order_csv
from tests.unit.supplier.supplier_helpers import DropAnswer


def _orders(api) -> list[dict]:
    return api.get("/api/warehouse/purchaseorders-v1", state="ALL")


def test_a_csv_order_becomes_a_purchase_order_in_the_warehouse_module_stamped(make_bridge, api):
    bridge = make_bridge()
    drop(bridge, "order.csv", (FIXTURES / "inkopsorder-kontorsvaror.csv").read_text(encoding="utf-8"))
    (order,) = _orders(api)
    full = api.get(f"/api/warehouse/purchaseorders-v1/{order['id']}")
    assert (full["internalReference"], full["note"], full["supplierNumber"]) == (
        "IO-1001",
        "fnb:IO-1001",
        "1",
    )
    assert [(r["itemId"], r["orderedQuantity"], r["price"]) for r in full["rows"]] == [
        ("PAPP-A4", 10, 249),
        ("TONER-HP", 2, 1190),
    ]
    assert full["deliveryDate"] == "2026-11-16"


def test_the_same_order_dropped_again_is_not_sent_twice(make_bridge, api):
    bridge = make_bridge()
    drop(bridge, "first.csv", order_csv("IO-7", PAPER))
    drop(bridge, "again.csv", order_csv("IO-7", PAPER, TONER))  # another file, the same order number
    assert len(_orders(api)) == 1


def test_a_peppol_bis_order_becomes_a_purchase_order_for_the_supplier_by_organisation_number(
    make_bridge, api
):
    bridge = make_bridge()
    drop(bridge, "order.xml", (FIXTURES / "peppol-order-kontorsvaror.xml").read_text(encoding="utf-8"))
    (order,) = _orders(api)
    assert (order["supplierNumber"], order["internalReference"]) == ("1", "IO-1002")


def test_without_the_warehouse_licence_the_order_is_kept_as_an_expected_order(make_bridge, api, mock_http):
    licences = mock_http.patch("/mock/tenants/demo", json={}).json["licences"]
    mock_http.patch("/mock/tenants/demo", json={"licences": [x for x in licences if x != "warehouse"]})
    bridge = make_bridge()
    file_id = drop(bridge, "order.csv", order_csv("IO-8", PAPER))
    receipt = loads((bridge.settings.outbox / "receipts" / "order.csv.receipt.json").read_text())
    text = (bridge.settings.outbox / "receipts" / "order.csv.receipt.txt").read_text()
    assert "the company has none; the bridge keeps the order as an expected order" in text
    assert receipt["state"] == "done"
    assert bridge.ledger.file(file_id).state == "done"
    mock_http.patch("/mock/tenants/demo", json={"licences": licences})
    assert _orders(api) == []  # nothing went to Fortnox
    (kept,) = bridge.ledger.finished_documents("default", "purchaseorder")
    assert kept["document"]["order_number"] == "IO-8"


def test_an_order_cancelled_at_the_source_is_voided_in_fortnox(make_bridge, api):
    bridge = make_bridge()
    drop(bridge, "order.csv", order_csv("IO-9", PAPER))
    drop(bridge, "cancel.csv", order_csv("IO-9", PAPER, status="makulerad"))
    (order,) = _orders(api)
    assert (order["purchaseOrderState"], order.get("voided", True)) == ("VOIDED", True)


def test_a_row_without_quantity_is_an_error_naming_line_and_column(make_bridge):
    bridge = make_bridge()
    drop(bridge, "bad.csv", HEADER_BAD)
    report = (bridge.settings.outbox / "failed" / "bad.csv.error.txt").read_text()
    assert "line 3" in report and "Antal" in report


HEADER_BAD = (
    "Inköpsordernummer;Leverantörsnummer;Artikelnummer;Benämning;Antal;À-pris\n"
    "IO-1;1;PAPP-A4;Papper;1;10\n"
    "IO-1;1;TONER-HP;Toner;;10\n"
)


def test_an_order_whose_answer_was_lost_is_found_by_its_stamp_not_sent_again(
    tmp_path, mock_app, demo_token, api
):
    lossy = DropAnswer(httpx.WSGITransport(app=mock_app), "POST", "/api/warehouse/purchaseorders-v1")
    client = FortnoxClient("http://mock", StaticToken(demo_token), transport=lossy)
    bridge = Bridge(load_settings(tmp_path, environ={}), {"default": client})
    try:
        file_id = drop(bridge, "order.csv", order_csv("IO-LOST", PAPER))
        (document,) = bridge.documents(file_id)
    finally:
        bridge.close()
    assert lossy.calls == 1
    assert len(_orders(api)) == 1
    assert document.result[-1]["outcome"] == "reconciled"  # looked up by its stamp before resending
