"""Supplier invoices in Fortnox matched to the purchase orders the bridge received, exactly once.

One run for a company (on its worker in `watch`, or `export matching`):

1. finish what an earlier run began: matches recorded in the ledger whose Fortnox side is not
   done yet (a crash between the two) — report files written again, then the match recorded;
2. read the supplier invoices Fortnox changed since the last run began (`lastmodified`, to the
   minute; the first run reads them all) and match each one not matched before against the
   orders — the `purchaseorder` documents that are through, less what earlier matches took;
3. the listing of orders and invoices.

A match goes into the ledger (one row per invoice, unique) with its report before anything is
written to Fortnox: after a crash it is never made twice, and what follows is done by looking
first. A full match is then recorded in Fortnox where the order is in the warehouse module
(the invoice's `YourReference` becomes the order number, by which Fortnox lists the invoice
among the order's matches) and booked when `supplierinvoices.bookkeep` is `definitive`; a
deviation is left to a person, with its report.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bridge.config import Settings, TenantSettings
from bridge.exporters.matching import listing_rows, write_listing, write_report
from bridge.fortnox import FortnoxClient
from bridge.pipeline.ledger import Ledger
from bridge.planner.matching import (
    InvoiceLine,
    InvoiceToMatch,
    OrderLine,
    OrderToMatch,
    Tolerances,
    match_invoice,
)

__all__ = ["MatchRun", "invoice_from_fortnox", "orders_of", "run_matching"]

log = logging.getLogger("bridge.matching")

LASTMODIFIED = "%Y-%m-%d %H:%M"
GENERATED_ROWS = frozenset({"TOT", "VAT", "ROV"})  # Fortnox's own payable, VAT and rounding rows
_ORDER_NOTE = re.compile(r"^Order:\s*(\S+)", re.M)


@dataclass(frozen=True)
class MatchRun:
    tenant: str
    matched: list[str]  # Fortnox numbers of the invoices matched in this run
    reports: list[Path]
    csv_path: Path
    json_path: Path


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


def invoice_from_fortnox(record: dict[str, Any]) -> InvoiceToMatch:
    """A supplier invoice as Fortnox has it: its cost rows (not the payable, VAT and rounding
    rows Fortnox adds); a row with no quantity counts as one of its amount. The order it names:
    `Order: …` in its comments (as the bridge writes it from an e-invoice), else `YourReference`."""
    lines: list[InvoiceLine] = []
    for row in record.get("SupplierInvoiceRows") or []:
        if row.get("Code") in GENERATED_ROWS:
            continue
        quantity, price = _decimal(row.get("Quantity")), _decimal(row.get("Price"))
        amount = _decimal(row.get("Total")) or _decimal(row.get("Debit")) - _decimal(row.get("Credit"))
        if quantity == 0 or price == 0:
            quantity, price = Decimal(1), amount
        lines.append(
            InvoiceLine(
                len(lines) + 1,
                quantity,
                price,
                str(row.get("ArticleNumber") or "") or None,
                str(row.get("ItemDescription") or "") or None,
            )
        )
    note = _ORDER_NOTE.search(str(record.get("Comments") or ""))
    reference = note[1] if note else str(record.get("YourReference") or "").strip() or None
    return InvoiceToMatch(
        key=str(record["GivenNumber"]),
        supplier_number=str(record.get("SupplierNumber") or ""),
        invoice_number=str(record.get("InvoiceNumber") or ""),
        lines=tuple(lines),
        supplier_name=str(record.get("SupplierName") or ""),
        order_reference=reference,
        total=_decimal(record.get("Total")),
        currency=str(record.get("Currency") or "SEK"),
        booked=_flag(record.get("Booked")),
        cancelled=_flag(record.get("Cancelled")),
    )


def _answered(result: list[dict[str, Any]], envelope: str, label: str = "") -> dict[str, Any]:
    for step in result:
        same = step.get("envelope") == envelope and (not label or step.get("label") == label)
        if same and step.get("outcome") not in ("skipped", "absent"):
            return dict(step.get("record") or {})
    return {}


def orders_of(ledger: Ledger, tenant: str) -> list[dict[str, Any]]:
    """The orders the bridge received (documents that are through), what is invoiced on each
    row, and their state: `open`, `partly invoiced`, `invoiced` or `cancelled`."""
    documents = ledger.finished_documents(tenant, "purchaseorder")
    cancelled = {d["document"]["order_number"] for d in documents if d["document"].get("cancelled")}
    taken: dict[tuple[str, int], Decimal] = {}
    for match in ledger.matches(tenant):
        for row, quantity in (match["invoiced"] or {}).items():
            key = (match["order_number"], int(row))
            taken[key] = taken.get(key, Decimal(0)) + _decimal(quantity)
    orders = []
    for d in documents:
        order = d["document"]
        if order.get("cancelled"):
            continue
        number = order["order_number"]
        created = _answered(d["result"], "", f"purchase order {number}")
        rows = [
            {
                "row": index,
                "article": row.get("article_number"),
                "description": row.get("description"),
                "ordered": _decimal(row["quantity"]),
                "invoiced": taken.get((number, index), Decimal(0)),
                "price": _decimal(row["price"]),
            }
            for index, row in enumerate(order["rows"], 1)
        ]
        invoiced = sum((r["invoiced"] for r in rows), Decimal(0))
        if number in cancelled:
            state = "cancelled"
        elif all(r["invoiced"] >= r["ordered"] for r in rows):
            state = "invoiced"
        else:
            state = "partly invoiced" if invoiced > 0 else "open"
        orders.append(
            {
                "order": number,
                "supplier_number": str(_answered(d["result"], "Supplier").get("SupplierNumber") or ""),
                "organisation_number": (order.get("supplier") or {}).get("organisation_number"),
                "currency": order.get("currency") or "SEK",
                "fortnox_id": str(created["id"]) if created.get("id") is not None else None,
                "state": state,
                "rows": rows,
            }
        )
    return orders


def _to_match(order: dict[str, Any]) -> OrderToMatch:
    return OrderToMatch(
        order_number=order["order"],
        supplier_number=order["supplier_number"] or None,
        organisation_number=order["organisation_number"],
        lines=tuple(
            OrderLine(r["row"], r["ordered"], r["price"], r["invoiced"], r["article"], r["description"])
            for r in order["rows"]
        ),
        cancelled=order["state"] == "cancelled",
        fortnox_id=order["fortnox_id"],
        currency=order["currency"],
    )


def tolerances_of(settings: TenantSettings) -> Tolerances:
    return Tolerances(
        Decimal(str(settings["matching.quantity_tolerance"])),
        Decimal(str(settings["matching.price_tolerance_percent"])),
    )


def run_matching(
    client: FortnoxClient,
    ledger: Ledger,
    settings: Settings,
    tenant: str,
    *,
    only_open: bool = False,
    poll: bool = True,
    now: datetime | None = None,
) -> MatchRun:
    tenant_settings = settings.tenant(tenant)
    reports: list[Path] = []
    for match in ledger.matches(tenant):  # a crash may have left these half done
        if match["state"] == "matched":
            reports += _record(client, ledger, settings, tenant, match)
    matched: list[str] = []
    if poll:
        started = (now or datetime.now()).strftime(LASTMODIFIED)
        since = ledger.match_cursor(tenant)
        params: dict[str, Any] = {"lastmodified": since} if since else {}
        known = {m["invoice"] for m in ledger.matches(tenant)}
        for row in client.iter_pages("/3/supplierinvoices", "SupplierInvoices", **params):
            given = str(row["GivenNumber"])
            if given in known or _flag(row.get("Cancelled")):
                continue
            invoice = invoice_from_fortnox(client.get(f"/3/supplierinvoices/{given}")["SupplierInvoice"])
            if invoice.total < 0:
                continue  # a credit note delivers nothing; the person who agreed to it knows its order

            def decide(invoice: InvoiceToMatch = invoice) -> tuple[str | None, str, Any, Any] | None:
                orders = tuple(_to_match(o) for o in orders_of(ledger, tenant))
                result = match_invoice(invoice, orders, tolerances_of(tenant_settings))
                if result is None:
                    return None
                invoiced = {str(row): quantity for row, quantity in result.invoiced.items()}
                return result.order_number, result.status, result.report(), invoiced

            if ledger.add_match(tenant, given, decide):
                matched.append(given)
                stored = next(m for m in ledger.matches(tenant) if m["invoice"] == given)
                log.info("%s: supplier invoice %s: %s", tenant, given, stored["status"])
                reports += _record(client, ledger, settings, tenant, stored)
        ledger.set_match_cursor(tenant, started)
    rows = listing_rows(tenant, orders_of(ledger, tenant), ledger.matches(tenant), only_open=only_open)
    csv_path, json_path = write_listing(settings.outbox, tenant, rows)
    return MatchRun(tenant, matched, reports, csv_path, json_path)


def _record(
    client: FortnoxClient, ledger: Ledger, settings: Settings, tenant: str, match: dict[str, Any]
) -> list[Path]:
    """Write the invoice's report, then (a full match) record it in Fortnox and book it as
    configured — each looked at before it is written, so that doing it again changes nothing."""
    report = match["report"]
    paths = list(write_report(settings.outbox, tenant, report))
    if match["status"] == "matched":
        path = f"/3/supplierinvoices/{match['invoice']}"
        current = client.get(path)["SupplierInvoice"]
        recorded = str(current.get("YourReference") or "") == match["order_number"]
        if report["fortnox_order"] and not _flag(current.get("Booked")) and not recorded:
            client.put(path, {"SupplierInvoice": {"YourReference": match["order_number"]}})
        definitive = settings.tenant(tenant)["supplierinvoices.bookkeep"] == "definitive"
        if definitive and not _flag(current.get("Booked")) and not _flag(current.get("Cancelled")):
            client.put(f"{path}/bookkeep")
    ledger.match_state(tenant, match["invoice"], "recorded")
    return paths
