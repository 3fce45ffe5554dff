"""Matching results as files, in `outbox/exports/matching/`:

- `<tenant>-invoice-<GivenNumber>.json` and `.txt`: per supplier invoice, what matched which
  order row and every deviation with its amount — the text is what a person reads;
- `matching-<tenant>.csv` and `.json`: the orders (open, partly invoiced, invoiced, cancelled)
  and the invoices (matched, or waiting for a decision), for the ordering system to read
  back; with `only_open` just what is still open or waiting.

Written through `atomic_write` (a reader never sees half a file) from plain data: the report
dicts of `bridge.planner.matching.MatchResult.report` and the order rows the pipeline adds up.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from bridge.util import atomic_write, csvsafe, dumps
from bridge.util.i18n import N_, _, translate_message

__all__ = ["COLUMNS", "listing_rows", "render_report", "report_paths", "write_listing", "write_report"]

COLUMNS = (
    "type", "tenant", "order", "invoice", "supplier_number", "state", "row", "article", "description",
    "ordered", "invoiced", "open", "price", "amount", "deviations",
)  # fmt: skip


def folder_of(outbox: Path) -> Path:
    return outbox / "exports" / "matching"


def report_paths(outbox: Path, tenant: str, invoice: str) -> tuple[Path, Path]:
    base = folder_of(outbox) / f"{tenant}-invoice-{invoice}"
    return base.with_suffix(".json"), base.with_suffix(".txt")


def write_report(outbox: Path, tenant: str, report: dict[str, Any]) -> tuple[Path, Path]:
    """The invoice's report, JSON and text; the same report writes the same bytes."""
    json_path, text_path = report_paths(outbox, tenant, str(report["invoice"]["given_number"]))
    atomic_write(json_path, dumps(report, indent=2) + "\n")
    atomic_write(text_path, render_report(report))
    return json_path, text_path


_VERDICT = {
    "matched": N_("MATCHED — every line agrees with the order within the tolerances"),
    "deviation": N_("DEVIATION — a person decides (book, ask the supplier, or credit)"),
    "no-order": N_("NO ORDER — the invoice matches no purchase order; a person decides"),
}


def render_report(report: dict[str, Any]) -> str:
    """The report as a person reads it, in the language of the moment (the JSON stays English)."""
    invoice = report["invoice"]
    title = _("Supplier invoice %(number)s from %(supplier)s") % {
        "number": invoice["invoice_number"],
        "supplier": invoice["supplier_name"] or invoice["supplier_number"],
    }
    lines = [title, "=" * len(title), ""]
    lines.append(
        _(
            "Fortnox number %(given)s, supplier %(supplier)s, net %(net)s %(currency)s,"
            " total %(total)s %(currency2)s"
        )
        % {
            "given": invoice["given_number"],
            "supplier": invoice["supplier_number"],
            "net": invoice["net"],
            "currency": invoice["currency"],
            "total": invoice["total"],
            "currency2": invoice["currency"],
        }
    )
    if report["order"]:
        values = {
            "order": report["order"],
            "fortnox": report["fortnox_order"],
            "how": translate_message(report["matched_by"]),
        }
        lines.append(
            (
                _("Order %(order)s (Fortnox purchase order %(fortnox)s), found by %(how)s")
                if report["fortnox_order"]
                else _("Order %(order)s, found by %(how)s")
            )
            % values
        )
    verdict = _VERDICT.get(report["status"])
    lines += ["", _(verdict) if verdict else report["status"], ""]
    if report["lines"]:
        lines.append(_("Matched lines:"))
        for m in report["lines"]:
            lines.append(
                "  "
                + _(
                    "order row %(row)s ↔ invoice line %(line)s: %(what)s, %(quantity)s × %(price)s = %(amount)s"
                    " (order price %(ordered)s)"
                )
                % {
                    "row": m["order_row"],
                    "line": m["invoice_line"],
                    "what": m["article"] or m["description"],
                    "quantity": m["quantity"],
                    "price": m["price"],
                    "amount": m["amount"],
                    "ordered": m["order_price"],
                }
            )
        lines.append("")
    if report["deviations"]:
        lines.append(
            _("Deviations (together %(amount)s %(currency)s):")
            % {"amount": report["deviation_amount"], "currency": invoice["currency"]}
        )
        for d in report["deviations"]:
            lines.append(
                f"  - {d['kind']}: {translate_message(d['message'])} — {d['amount']} {invoice['currency']}"
            )
        lines.append("")
    return "\n".join(lines)


def listing_rows(
    tenant: str, orders: list[dict[str, Any]], matches: list[dict[str, Any]], *, only_open: bool = False
) -> list[dict[str, Any]]:
    """One row per order row, then one per invoice. `orders`: `{order, supplier_number, state,
    rows: [{row, article, description, ordered, invoiced, price}]}` with state `open`,
    `partly invoiced`, `invoiced` or `cancelled`."""
    out: list[dict[str, Any]] = []
    for order in orders:
        if only_open and order["state"] not in ("open", "partly invoiced"):
            continue
        for row in order["rows"]:
            left = max(row["ordered"] - row["invoiced"], Decimal(0))
            out.append(
                {
                    "type": "order",
                    "tenant": tenant,
                    "order": order["order"],
                    "invoice": "",
                    "supplier_number": order["supplier_number"],
                    "state": order["state"],
                    "row": row["row"],
                    "article": row["article"] or "",
                    "description": row["description"] or "",
                    "ordered": row["ordered"],
                    "invoiced": row["invoiced"],
                    "open": left,
                    "price": row["price"],
                    "amount": (left * row["price"]).quantize(Decimal("0.01")),
                    "deviations": "",
                }
            )
    for match in matches:
        report = match["report"]
        waiting = match["status"] != "matched" and not match.get("decision")
        if only_open and not waiting:
            continue
        out.append(
            {
                "type": "invoice",
                "tenant": tenant,
                "order": match["order_number"] or "",
                "invoice": report["invoice"]["invoice_number"],
                "supplier_number": report["invoice"]["supplier_number"],
                "state": "awaiting decision" if waiting else match["status"],
                "row": "",
                "article": "",
                "description": f"Fortnox supplier invoice {match['invoice']}",
                "ordered": "",
                "invoiced": "",
                "open": "",
                "price": "",
                "amount": report["invoice"]["net"],
                "deviations": "; ".join(f"{d['kind']} {d['amount']}" for d in report["deviations"]),
            }
        )
    return out


def write_listing(outbox: Path, tenant: str, rows: list[dict[str, Any]]) -> tuple[Path, Path]:
    folder = folder_of(outbox)
    csv_path, json_path = folder / f"matching-{tenant}.csv", folder / f"matching-{tenant}.json"
    atomic_write(csv_path, csvsafe.render_csv(COLUMNS, ([row[c] for c in COLUMNS] for row in rows)))
    atomic_write(json_path, dumps({"tenant": tenant, "rows": rows}, indent=2) + "\n")
    return csv_path, json_path
