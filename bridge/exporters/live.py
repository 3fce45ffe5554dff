"""Live changes into the exports: what an event from Fortnox's topics means for each export,
and the `lastmodified` sweep that fills a gap the events cannot.

An event only says what changed (`invoices`, `invoicepayment-bookkeep-v1`, payment 17); the
record is fetched over the API and the matching export written exactly as the scheduled one
would write it:

- `payments`: the invoice (found through its payment for a payment event) as a line of the
  payment status export (`payments.write_payments`: this batch's file, and the company's
  current file updated);
- `masterdata`: the register the topic names, read again (`lastmodified`, then only the
  changed records), its files and a changes file written when it changed;
- `documents`: the files of the financial year the voucher or invoice belongs to (the mirror
  fetches only what is new);
- `sie`: the year's SIE 4 file again, for a voucher — only when asked for, as it is the
  heaviest of all (`live.exports` includes `sie`).

Several events for one record (a payment's and its invoice's) cost one fetch: the work is done
per batch, after deduplication.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from bridge.exporters import payments
from bridge.exporters.documents import export_year_documents
from bridge.exporters.masterdata import export_masterdata
from bridge.exporters.sie import choose_years, export_sie
from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.fortnox.masterdata import fetch_financial_years
from bridge.fortnox.topics import TopicEvent
from bridge.model import FinancialYear

__all__ = ["EXPORTS", "SCOPES", "LiveOutcome", "apply_events", "sweep", "topics_for"]

log = logging.getLogger("bridge.live")

# Which topics each export listens to.
EXPORTS: dict[str, tuple[str, ...]] = {
    "payments": ("invoices", "supplier-invoices"),
    "masterdata": (
        "financial-years", "cost-centers", "projects", "currencies", "termsofpayments", "suppliers",
        "customers", "articles",
    ),
    "documents": ("vouchers", "supplier-invoices", "invoices"),
    "sie": ("vouchers",),
}  # fmt: skip
# The scope a company's connection needs to hear a topic (Fortnox's scope for the same records).
SCOPES = {
    "invoices": "invoice", "supplier-invoices": "supplierinvoice", "customers": "customer",
    "suppliers": "supplier", "articles": "article", "projects": "project", "cost-centers": "costcenter",
    "currencies": "currency", "financial-years": "bookkeeping", "vouchers": "bookkeeping",
    "termsofpayments": "settings",
}  # fmt: skip
_REGISTERS = {
    "financial-years": "financialyears", "cost-centers": "costcenters", "projects": "projects",
    "currencies": "currencies", "termsofpayments": "termsofpayments", "suppliers": "suppliers",
    "customers": "customers", "articles": "articles",
}  # fmt: skip


def topics_for(exports: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for name in exports for t in EXPORTS[name]))


@dataclass
class LiveOutcome:
    written: list[str] = field(default_factory=list)  # what each export wrote, for the log
    sweep: list[str] = field(default_factory=list)  # exports that need a sweep to be right


def apply_events(
    client: FortnoxClient,
    tenant: str,
    outbox: Path,
    state_dir: Path,
    exports: Sequence[str],
    events: Sequence[TopicEvent],
    *,
    now: datetime | None = None,
) -> LiveOutcome:
    """Fetch what `events` name and write the exports they change. Raises `FortnoxError` when
    Fortnox cannot answer (the events are then tried again); a record gone since is no error."""
    now = now or datetime.now().astimezone()
    outcome = LiveOutcome()
    if "payments" in exports:
        _payments(client, tenant, outbox, events, now, outcome)
    if "masterdata" in exports:
        registers = list(dict.fromkeys(_REGISTERS[e.topic] for e in events if e.topic in _REGISTERS))
        if registers:
            result = export_masterdata(client, tenant, outbox, state_dir, registers=registers, now=now)
            changed = sorted(name for name, c in result.changes.items() if c)
            outcome.written.append(f"master data {', '.join(changed) or 'unchanged'}")
    if "documents" in exports or "sie" in exports:
        years = _years_of(client, [e for e in events if e.topic in EXPORTS["documents"]])
        for year in years if "documents" in exports else ():
            export_year_documents(client, tenant, outbox, year)
            outcome.written.append(f"documents {year.from_date.year}")
        voucher_years = _years_of(client, [e for e in events if e.topic == "vouchers"])
        for year in voucher_years if "sie" in exports else ():
            export_sie(client, outbox / "exports", year=year.from_date.year, today=year.from_date)
            outcome.written.append(f"SIE {year.from_date.year}")
    return outcome


def _payments(
    client: FortnoxClient,
    tenant: str,
    outbox: Path,
    events: Sequence[TopicEvent],
    now: datetime,
    outcome: LiveOutcome,
) -> None:
    customer: dict[str, None] = {}
    supplier: dict[str, None] = {}
    for event in events:
        if event.topic == "supplier-invoices":
            supplier[event.entity_id] = None
        elif event.topic == "invoices" and event.type.startswith("invoicepayment-"):
            payment = _get(client, f"/3/invoicepayments/{quote(event.entity_id, safe='')}")
            if payment is None:  # a payment deleted since: its invoice is found by a sweep
                outcome.sweep.append("payments")
                continue
            customer[str(payment["InvoicePayment"]["InvoiceNumber"])] = None
        elif event.topic == "invoices":
            customer[event.entity_id] = None
    rows = []
    for number in supplier:
        record = _get(client, f"/3/supplierinvoices/{quote(number, safe='')}")
        if record is not None:
            rows.append(payments.supplier_row(record["SupplierInvoice"], now.date()))
    for number in customer:
        record = _get(client, f"/3/invoices/{quote(number, safe='')}")
        if record is not None:
            rows.append(payments.customer_row(record["Invoice"], now.date()))
    if rows:
        result = payments.write_payments(tenant, outbox, rows, now=now, since=None)
        outcome.written.append(f"payment status of {len(rows)} invoice(s) → {result.csv_path.name}")


def _get(client: FortnoxClient, path: str) -> dict | None:
    try:
        return client.get(path)
    except FortnoxError as error:
        if error.status == 404:
            return None
        raise


def _years_of(client: FortnoxClient, events: Sequence[TopicEvent]) -> list[FinancialYear]:
    """The financial years the events' documents belong to."""
    if not events:
        return []
    years = fetch_financial_years(client)
    found: dict[int, FinancialYear] = {}
    for event in events:
        day = _document_date(client, event)
        year_id = event.extra.get("year") if event.topic == "vouchers" else None
        for year in years:
            if year.id == year_id or (day is not None and year.contains(day)):
                found[year.id] = year
    return sorted(found.values(), key=lambda y: y.from_date)


def _document_date(client: FortnoxClient, event: TopicEvent) -> date | None:
    if event.topic == "vouchers":
        return None  # the event names its year
    if event.topic == "invoices" and event.type.startswith("invoicepayment-"):
        return None  # a payment changes no document's file
    path, envelope = (
        ("/3/invoices", "Invoice")
        if event.topic == "invoices"
        else ("/3/supplierinvoices", "SupplierInvoice")
    )
    record = _get(client, f"{path}/{quote(event.entity_id, safe='')}")
    day = (record or {}).get(envelope, {}).get("InvoiceDate")
    return date.fromisoformat(day) if day else None


def sweep(
    client: FortnoxClient,
    tenant: str,
    outbox: Path,
    state_dir: Path,
    exports: Sequence[str],
    *,
    today: date | None = None,
) -> list[str]:
    """What the events may have missed, read with `lastmodified` since each export last ran (the
    documents and SIE of the latest year); answers what was written, for the log."""
    today = today or date.today()
    written = []
    if "payments" in exports:
        result = payments.export_payments(client, tenant, outbox, state_dir)
        written.append(f"payment status of {len(result.rows)} invoice(s)")
    if "masterdata" in exports:
        masterdata = export_masterdata(client, tenant, outbox, state_dir)
        written.append(
            f"master data ({sum(1 for c in masterdata.changes.values() if c)} register(s) changed)"
        )
    if "documents" in exports or "sie" in exports:
        latest = choose_years(fetch_financial_years(client), None, 1, today)
        for year in latest if "documents" in exports else ():
            export_year_documents(client, tenant, outbox, year)
            written.append(f"documents {year.from_date.year}")
        if "sie" in exports and latest:
            export_sie(client, outbox / "exports", year=latest[0].from_date.year, today=today)
            written.append(f"SIE {latest[0].from_date.year}")
    return written
