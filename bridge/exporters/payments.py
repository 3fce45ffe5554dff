"""Payment status back: supplier and customer invoices as Fortnox sees them now — booked,
paid, balance, final pay date — written to `outbox/exports/` as CSV and JSON.

Each run writes what it found to `payments-<tenant>-<time>.csv`/`.json` and merges it into
`payments-<tenant>.csv`/`.json`, which always holds every invoice seen so far as last seen: the
file a person opens. Live changes (`bridge.exporters.live`) write through the same two.

Incremental by Fortnox's `lastmodified`: each run remembers when it started (to the minute,
in `.bridge/exports/payments-<tenant>.json`) and the next run asks only for what changed since
that minute began, so a change is never missed (an invoice changed in that same minute may
appear twice). `full` exports everything. Files are written under a temporary name, synced
and renamed: a program that waits for them never reads half a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bridge.fortnox import FortnoxClient
from bridge.util import atomic_write, csvsafe, dumps, loads

__all__ = [
    "COLUMNS",
    "PaymentExport",
    "customer_row",
    "export_payments",
    "payment_rows",
    "render_csv",
    "supplier_row",
    "write_payments",
]

COLUMNS = (
    "type", "number", "party_number", "party_name", "invoice_number", "invoice_date", "due_date",
    "currency", "total", "balance", "booked", "cancelled", "status", "final_pay_date", "ocr", "reference",
)  # fmt: skip
LASTMODIFIED = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class PaymentExport:
    tenant: str
    rows: list[dict[str, Any]]
    since: str | None
    csv_path: Path
    json_path: Path


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


def _status(booked: bool, cancelled: bool, balance: Decimal, due: str, today: date) -> str:
    if cancelled:
        return "cancelled"
    if not booked:
        return "preliminary"
    if balance == 0:
        return "paid"
    return "overdue" if due and due < today.isoformat() else "unpaid"


def payment_rows(client: FortnoxClient, since: str | None, today: date) -> list[dict[str, Any]]:
    """Every supplier and customer invoice changed after `since` (all when None)."""
    params: dict[str, Any] = {"lastmodified": since} if since else {}
    rows = [
        supplier_row(r, today) for r in client.iter_pages("/3/supplierinvoices", "SupplierInvoices", **params)
    ]
    rows += [customer_row(r, today) for r in client.iter_pages("/3/invoices", "Invoices", **params)]
    return rows


def supplier_row(r: dict[str, Any], today: date) -> dict[str, Any]:
    """A supplier invoice (a list row or the whole record) as a line of the export."""
    booked, cancelled = _flag(r.get("Booked")), _flag(r.get("Cancel", r.get("Cancelled")))
    return {
        "type": "supplier",
        "number": str(r["GivenNumber"]),
        "party_number": str(r.get("SupplierNumber") or ""),
        "party_name": r.get("SupplierName") or "",
        "invoice_number": r.get("InvoiceNumber") or "",
        **_common(r, booked, cancelled, _amount(r.get("Balance")), today),
        "reference": "",
    }


def customer_row(r: dict[str, Any], today: date) -> dict[str, Any]:
    """A customer invoice (a list row or the whole record) as a line of the export."""
    booked, cancelled = _flag(r.get("Booked")), _flag(r.get("Cancelled"))
    return {
        "type": "customer",
        "number": str(r["DocumentNumber"]),
        "party_number": str(r.get("CustomerNumber") or ""),
        "party_name": r.get("CustomerName") or "",
        "invoice_number": str(r["DocumentNumber"]),
        **_common(r, booked, cancelled, _amount(r.get("Balance")), today),
        "reference": r.get("ExternalInvoiceReference1") or "",
    }


def _common(r: dict, booked: bool, cancelled: bool, balance: Decimal, today: date) -> dict[str, Any]:
    due = r.get("DueDate") or ""
    return {
        "invoice_date": r.get("InvoiceDate") or "",
        "due_date": due,
        "currency": r.get("Currency") or "SEK",
        "total": _amount(r.get("Total")),
        "balance": balance,
        "booked": booked,
        "cancelled": cancelled,
        "status": _status(booked, cancelled, balance, due, today),
        "final_pay_date": r.get("FinalPayDate") or "",
        "ocr": r.get("OCR") or "",
    }


def render_csv(rows: list[dict[str, Any]]) -> str:
    """`;`-separated with a header, UTF-8 with BOM, decimal point, formulas defused."""
    return csvsafe.render_csv(COLUMNS, ([row[c] for c in COLUMNS] for row in rows))


def _state_path(state_dir: Path, tenant: str) -> Path:
    return state_dir / "exports" / f"payments-{tenant}.json"


def export_payments(
    client: FortnoxClient,
    tenant: str,
    outbox: Path,
    state_dir: Path,
    *,
    full: bool = False,
    now: datetime | None = None,
) -> PaymentExport:
    now = now or datetime.now().astimezone()
    state_path = _state_path(state_dir, tenant)
    since = None
    if not full and state_path.exists():
        since = loads(state_path.read_text(encoding="utf-8")).get("last_run")
    rows = payment_rows(client, since, now.date())
    result = write_payments(tenant, outbox, rows, now=now, since=since)
    # Remembered only once the files are there: a crash before means the next run repeats this one.
    atomic_write(state_path, dumps({"last_run": now.strftime(LASTMODIFIED)}) + "\n")
    return result


def write_payments(
    tenant: str, outbox: Path, rows: list[dict[str, Any]], *, now: datetime, since: str | None
) -> PaymentExport:
    """`rows` as this run's pair of files, and merged into the company's current pair."""
    folder = outbox / "exports"
    stamp = now.strftime("%Y%m%d-%H%M%S")
    csv_path, json_path, n = (
        folder / f"payments-{tenant}-{stamp}.csv",
        folder / f"payments-{tenant}-{stamp}.json",
        1,
    )
    while json_path.exists():  # two runs in one second (live changes): neither file is overwritten
        n += 1
        csv_path, json_path = (folder / f"payments-{tenant}-{stamp}-{n}{ext}" for ext in (".csv", ".json"))
    exported_at = now.isoformat(timespec="seconds")
    document = {"tenant": tenant, "exported_at": exported_at, "changed_since": since, "invoices": rows}
    atomic_write(json_path, dumps(document, indent=2) + "\n")
    atomic_write(csv_path, render_csv(rows))
    current_json = folder / f"payments-{tenant}.json"
    known: dict[tuple[str, str], dict[str, Any]] = {}
    if current_json.exists():
        known = {
            (r["type"], r["number"]): r for r in loads(current_json.read_text(encoding="utf-8"))["invoices"]
        }
    known.update({(r["type"], r["number"]): r for r in rows})
    merged = [known[k] for k in sorted(known, key=lambda k: (k[0], int(k[1]) if k[1].isdigit() else 0, k[1]))]
    atomic_write(folder / f"payments-{tenant}.csv", render_csv(merged))
    atomic_write(
        current_json,
        dumps({"tenant": tenant, "updated_at": exported_at, "invoices": merged}, indent=2) + "\n",
    )
    return PaymentExport(tenant, rows, since, csv_path, json_path)
