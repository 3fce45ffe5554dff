"""A bridge on the in-process mock's demo company, with purchase orders and matching."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from bridge.fortnox import FortnoxClient
from bridge.pipeline.matching import MatchRun, run_matching
from bridge.pipeline.service import Bridge


def drop(bridge: Bridge, name: str, text: str) -> int:
    """A file with `text` dropped as `name`, claimed, read and sent."""
    work = bridge.settings.workdir / "drop"
    work.mkdir(exist_ok=True)
    path = work / name
    path.write_text(text, encoding="utf-8")
    (file,) = bridge.process([path], "default", until_blocked=False)
    return file.id


def match(bridge: Bridge, *, only_open: bool = False) -> MatchRun:
    return run_matching(
        bridge.clients["default"], bridge.ledger, bridge.settings, "default", only_open=only_open
    )


HEADER = "Inköpsordernummer;Leverantörsnummer;Orderdatum;Leveransdatum;Artikelnummer;Benämning;Antal;À-pris\n"


def order_csv(number: str, *rows: tuple[str, str, str, str], status: str = "") -> str:
    """An order from supplier 1 (Kontorsvaror i Norden AB): rows of (article, text, quantity, price)."""
    header = HEADER.rstrip("\n") + (";Status\n" if status else "\n")
    lines = [
        f"{number};1;2026-11-02;2026-11-16;{a};{t};{q};{p}" + (f";{status}" if status else "")
        for a, t, q, p in rows
    ]
    return header + "\n".join(lines) + "\n"


PAPER = ("PAPP-A4", "Kopieringspapper A4, 5 x 500 ark", "10", "249,00")
TONER = ("TONER-HP", "Toner HP 305A svart", "2", "1190,00")


def supplier_invoice(
    api: FortnoxClient, number: str, *rows: tuple[str, str, str], reference: str = ""
) -> str:
    """A supplier invoice entered in Fortnox (by a person, or an interpreting service) from
    supplier 1: rows of (article, quantity, unit price); 25 % VAT. Answers its GivenNumber."""
    body_rows = [
        {
            "ArticleNumber": a,
            "Quantity": q,
            "Price": p,
            "Account": 4000,
            "Total": str(Decimal(q) * Decimal(p)),
        }
        for a, q, p in rows
    ]
    net = sum((Decimal(q) * Decimal(p) for _, q, p in rows), Decimal(0))
    vat = (net / 4).quantize(Decimal("0.01"))
    body = {
        "SupplierNumber": "1",
        "InvoiceNumber": number,
        "InvoiceDate": "2026-11-20",
        "DueDate": "2026-12-20",
        "Total": str(net + vat),
        "VAT": str(vat),
        "SupplierInvoiceRows": body_rows,
    }
    if reference:
        body["YourReference"] = reference
    return str(api.post("/3/supplierinvoices", {"SupplierInvoice": body})["SupplierInvoice"]["GivenNumber"])


Fixture = Callable[..., Bridge]
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "purchaseorders"
