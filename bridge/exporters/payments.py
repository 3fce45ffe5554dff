"""Payment status back: supplier and customer invoices as Fortnox sees them now — booked,
paid, balance, final pay date — written to `outbox/exports/` as CSV and JSON.

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

__all__ = ["COLUMNS", "PaymentExport", "export_payments", "payment_rows", "render_csv"]

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
    rows = []
    for r in client.iter_pages("/3/supplierinvoices", "SupplierInvoices", **params):
        booked, cancelled = _flag(r.get("Booked")), _flag(r.get("Cancel", r.get("Cancelled")))
        balance = _amount(r.get("Balance"))
        rows.append(
            {
                "type": "supplier",
                "number": str(r["GivenNumber"]),
                "party_number": str(r.get("SupplierNumber") or ""),
                "party_name": r.get("SupplierName") or "",
                "invoice_number": r.get("InvoiceNumber") or "",
                **_common(r, booked, cancelled, balance, today),
                "reference": "",
            }
        )
    for r in client.iter_pages("/3/invoices", "Invoices", **params):
        booked, cancelled = _flag(r.get("Booked")), _flag(r.get("Cancelled"))
        balance = _amount(r.get("Balance"))
        rows.append(
            {
                "type": "customer",
                "number": str(r["DocumentNumber"]),
                "party_number": str(r.get("CustomerNumber") or ""),
                "party_name": r.get("CustomerName") or "",
                "invoice_number": str(r["DocumentNumber"]),
                **_common(r, booked, cancelled, balance, today),
                "reference": r.get("ExternalInvoiceReference1") or "",
            }
        )
    return rows


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
    stamp = now.strftime("%Y%m%d-%H%M%S")
    folder = outbox / "exports"
    csv_path = folder / f"payments-{tenant}-{stamp}.csv"
    json_path = folder / f"payments-{tenant}-{stamp}.json"
    document = {
        "tenant": tenant,
        "exported_at": now.isoformat(timespec="seconds"),
        "changed_since": since,
        "invoices": rows,
    }
    atomic_write(json_path, dumps(document, indent=2) + "\n")
    atomic_write(csv_path, render_csv(rows))
    # Remembered only once both files are there: a crash before means the next run repeats this one.
    atomic_write(state_path, dumps({"last_run": now.strftime(LASTMODIFIED)}) + "\n")
    return PaymentExport(tenant, rows, since, csv_path, json_path)
