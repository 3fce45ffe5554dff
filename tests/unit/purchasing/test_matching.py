"""Supplier invoices matched to purchase orders, through the real pipeline: orders dropped as
files and sent to the mock's warehouse module, invoices entered in Fortnox (or arriving as
e-invoices), then one matching run. The reports a person reads are golden files."""

from __future__ import annotations

from decimal import Decimal

from bridge.util import loads
from tests.unit.purchasing.conftest import FIXTURES, PAPER, TONER, drop, match, order_csv, supplier_invoice

GOLDEN = FIXTURES / "matching"
BOOKING = {"supplierinvoices_bookkeep": "definitive", "matching_enabled": "true"}


def _report(bridge, given: str) -> tuple[dict, str]:
    base = bridge.settings.outbox / "exports" / "matching" / f"default-invoice-{given}"
    return loads(base.with_suffix(".json").read_text()), base.with_suffix(".txt").read_text()


def _listing(bridge) -> list[dict]:
    return loads((bridge.settings.outbox / "exports" / "matching" / "matching-default.json").read_text())[
        "rows"
    ]


def test_an_invoice_that_matches_its_order_exactly_is_booked_and_recorded_on_the_order(
    make_bridge, api, golden
):
    bridge = make_bridge(**BOOKING)
    drop(bridge, "order.csv", order_csv("IO-1", PAPER, TONER))
    given = supplier_invoice(
        api, "F-100", ("PAPP-A4", "10", "249.00"), ("TONER-HP", "2", "1190.00"), reference="IO-1"
    )

    run = match(bridge)

    report, text = _report(bridge, given)
    golden(GOLDEN / "exact-match.txt", text)
    assert run.matched == [given]
    assert (report["status"], report["matched_by"], report["deviations"]) == (
        "matched",
        "order reference",
        [],
    )
    invoice = api.get(f"/3/supplierinvoices/{given}")["SupplierInvoice"]
    assert invoice["Booked"] is True and invoice["YourReference"] == "IO-1"
    (order,) = api.get("/api/warehouse/purchaseorders-v1", state="ALL")
    matches = api.get(f"/api/warehouse/purchaseorders-v1/{order['id']}/matches")
    assert {"id": given, "type": "SUPPLIER_INVOICE"} in matches
    assert {row["state"] for row in _listing(bridge) if row["type"] == "order"} == {"invoiced"}


def test_two_partial_deliveries_invoiced_separately(make_bridge, api, golden):
    bridge = make_bridge(**BOOKING)
    drop(bridge, "order.csv", order_csv("IO-2", PAPER, TONER))
    first = supplier_invoice(api, "F-201", ("PAPP-A4", "6", "249.00"), reference="IO-2")
    match(bridge)
    report, text = _report(bridge, first)
    golden(GOLDEN / "partial-delivery.txt", text)
    assert [(d["kind"], d["amount"]) for d in report["deviations"]] == [
        ("partial-delivery", Decimal("996.00")),  # 4 sheets of paper still open at 249
        ("partial-delivery", Decimal("2380.00")),  # both toners still open
    ]
    assert api.get(f"/3/supplierinvoices/{first}")["SupplierInvoice"]["Booked"] is False  # a person decides
    orders = [row for row in _listing(bridge) if row["type"] == "order"]
    assert [(r["state"], r["open"]) for r in orders] == [("partly invoiced", 4), ("partly invoiced", 2)]

    second = supplier_invoice(
        api, "F-202", ("PAPP-A4", "4", "249.00"), ("TONER-HP", "2", "1190.00"), reference="IO-2"
    )
    match(bridge)
    report, _ = _report(bridge, second)
    assert (report["status"], report["deviations"]) == ("matched", [])  # the rest, exactly
    assert api.get(f"/3/supplierinvoices/{second}")["SupplierInvoice"]["Booked"] is True
    assert {row["state"] for row in _listing(bridge) if row["type"] == "order"} == {"invoiced"}


def test_a_price_three_percent_over_the_order_is_a_deviation_with_its_amount(make_bridge, api, golden):
    bridge = make_bridge(**BOOKING, matching_price_tolerance_percent="2")
    drop(bridge, "order.csv", order_csv("IO-3", PAPER))
    given = supplier_invoice(api, "F-300", ("PAPP-A4", "10", "256.47"), reference="IO-3")  # 249 + 3 %
    match(bridge)
    report, text = _report(bridge, given)
    golden(GOLDEN / "price-deviation.txt", text)
    (deviation,) = report["deviations"]
    assert (deviation["kind"], deviation["amount"]) == ("price", Decimal("74.70"))
    assert api.get(f"/3/supplierinvoices/{given}")["SupplierInvoice"]["Booked"] is False


def test_a_price_within_the_tolerance_matches(make_bridge, api):
    bridge = make_bridge(**BOOKING, matching_price_tolerance_percent="2")
    drop(bridge, "order.csv", order_csv("IO-4", PAPER))
    given = supplier_invoice(api, "F-400", ("PAPP-A4", "10", "252.73"), reference="IO-4")  # 249 + 1.5 %
    match(bridge)
    assert _report(bridge, given)[0]["status"] == "matched"


def test_an_invoice_naming_an_order_the_bridge_never_received_waits_for_a_person(make_bridge, api, golden):
    bridge = make_bridge(**BOOKING)
    drop(bridge, "order.csv", order_csv("IO-5", PAPER))
    given = supplier_invoice(api, "F-500", ("PAPP-A4", "1", "249.00"), reference="IO-404")
    match(bridge)
    report, text = _report(bridge, given)
    golden(GOLDEN / "no-order.txt", text)
    assert report["status"] == "no-order"
    waiting = [row for row in _listing(bridge) if row["type"] == "invoice"]
    assert [(r["invoice"], r["state"]) for r in waiting] == [("F-500", "awaiting decision")]


def test_an_invoice_for_an_order_cancelled_at_the_source_is_a_deviation(make_bridge, api, golden):
    bridge = make_bridge(**BOOKING)
    drop(bridge, "order.csv", order_csv("IO-6", PAPER))
    drop(bridge, "cancel.csv", order_csv("IO-6", PAPER, status="makulerad"))
    given = supplier_invoice(api, "F-600", ("PAPP-A4", "10", "249.00"), reference="IO-6")
    match(bridge)
    report, text = _report(bridge, given)
    golden(GOLDEN / "order-cancelled.txt", text)
    assert [d["kind"] for d in report["deviations"]] == ["order-cancelled"]
    assert api.get(f"/3/supplierinvoices/{given}")["SupplierInvoice"]["Booked"] is False


def test_an_invoice_without_a_reference_is_matched_by_supplier_and_amount(make_bridge, api):
    bridge = make_bridge(**BOOKING)
    drop(bridge, "order.csv", order_csv("IO-7", PAPER, TONER))
    given = supplier_invoice(api, "F-700", ("PAPP-A4", "10", "249.00"), ("TONER-HP", "2", "1190.00"))
    match(bridge)
    report, _ = _report(bridge, given)
    assert (report["status"], report["order"], report["matched_by"]) == (
        "matched",
        "IO-7",
        "supplier and amount",
    )


def test_an_invoice_from_a_supplier_with_no_orders_is_not_a_purchase_and_gets_no_report(make_bridge, api):
    bridge = make_bridge(**BOOKING)
    given = supplier_invoice(api, "F-800", ("", "1", "500.00"))
    assert match(bridge).matched == []
    assert not (bridge.settings.outbox / "exports" / "matching" / f"default-invoice-{given}.json").exists()


def test_a_second_run_reads_only_what_changed_and_matches_nothing_twice(make_bridge, api):
    bridge = make_bridge(**BOOKING)
    drop(bridge, "order.csv", order_csv("IO-9", PAPER))
    supplier_invoice(api, "F-900", ("PAPP-A4", "5", "249.00"), reference="IO-9")
    assert len(match(bridge).matched) == 1
    assert match(bridge).matched == []
    assert len(bridge.ledger.matches("default")) == 1


def test_an_e_invoice_naming_its_order_is_booked_only_by_its_match(make_bridge, api):
    bridge = make_bridge(**BOOKING)
    drop(
        bridge,
        "order.csv",
        "Ordernummer;Organisationsnummer;Benämning;Antal;À-pris\n"
        "PO-7781;556677-8899;Kopieringspapper A4;12;8,30\n"
        "PO-7781;556677-8899;Fackbok: Bokföring för nybörjare;2;25,00\n",
    )
    einvoice = (FIXTURES.parent / "samples" / "leverantorsfaktura-kontorsvaror.xml").read_text(
        encoding="utf-8"
    )
    drop(bridge, "faktura.xml", einvoice)
    (row,) = api.get("/3/supplierinvoices")["SupplierInvoices"]
    assert row["Booked"] is False  # the import left the booking to the match
    match(bridge)
    report, _ = _report(bridge, str(row["GivenNumber"]))
    assert (report["status"], report["order"], report["fortnox_order"]) == ("matched", "PO-7781", None)
    assert api.get(f"/3/supplierinvoices/{row['GivenNumber']}")["SupplierInvoice"]["Booked"] is True


def test_export_open_lists_only_open_orders_and_invoices_awaiting_a_decision(make_bridge, api):
    bridge = make_bridge(**BOOKING)
    drop(bridge, "a.csv", order_csv("IO-10", PAPER))
    drop(bridge, "b.csv", order_csv("IO-11", TONER))
    supplier_invoice(api, "F-10", ("PAPP-A4", "10", "249.00"), reference="IO-10")
    match(bridge, only_open=True)
    rows = _listing(bridge)
    assert [(r["type"], r["order"], r["state"]) for r in rows] == [("order", "IO-11", "open")]
    csv_text = (bridge.settings.outbox / "exports" / "matching" / "matching-default.csv").read_text(
        encoding="utf-8-sig"
    )
    assert csv_text.splitlines()[0].startswith("type;tenant;order")


def test_a_credit_note_from_the_supplier_takes_nothing_off_the_order(make_bridge, api):
    bridge = make_bridge(**BOOKING)
    drop(bridge, "order.csv", order_csv("IO-12", PAPER))
    supplier_invoice(api, "K-12", ("PAPP-A4", "-2", "249.00"), reference="IO-12")
    assert match(bridge).matched == []
    assert [(r["state"], r["open"]) for r in _listing(bridge) if r["type"] == "order"] == [("open", 10)]
