"""Purchase orders as a CSV from an ordering system: one row per order row, the order's own
values (number, supplier, dates) repeated on each of its rows.

Recognised by an order-number column (`Inköpsordernummer`, `Ordernummer`, `PurchaseOrderNumber`)
together with a supplier column (`Leverantörsnummer` or the supplier's `Organisationsnummer`)
in a file without a `Fakturanummer` (which makes it invoices). A `Status` of `makulerad`
(cancelled) on an order's rows cancels that order at the source: the bridge voids it.
The order number is the document's key, so an order dropped twice is sent once. A file with
any error goes nowhere.
"""

from __future__ import annotations

from typing import Any

from bridge.formats.csvtable import CsvError, read_table
from bridge.importers.base import Source
from bridge.importers.csv_columns import Column, ColumnSet, header_fields, missing_cell, normalise
from bridge.model import Extraction, Party, Problem, PurchaseOrder, PurchaseOrderRow
from bridge.util.i18n import N_

__all__ = ["COLUMNS", "PurchaseOrderCsvImporter"]

COLUMNS = ColumnSet(
    [
        Column(
            "order_number",
            (
                "Inköpsordernummer",
                "Inköpsorder",
                "Ordernummer",
                "PurchaseOrderNumber",
                "OrderNumber",
                "Beställningsnummer",
            ),
            level="order",
            required=True,
        ),
        Column("supplier_number", ("Leverantörsnummer", "SupplierNumber", "Levnr"), level="order"),
        Column("organisation_number", ("Organisationsnummer", "OrganisationNumber", "Orgnr"), level="order"),
        Column("supplier_name", ("Leverantör", "Leverantörsnamn", "SupplierName"), level="order"),
        Column("order_date", ("Orderdatum", "OrderDate", "Beställningsdatum"), level="order", kind="date"),
        Column(
            "delivery_date",
            ("Leveransdatum", "Förväntad leverans", "ExpectedDelivery", "DeliveryDate"),
            level="order",
            kind="date",
        ),
        Column("currency", ("Valuta", "Currency"), level="order"),
        Column("status", ("Status", "Orderstatus"), level="order"),
        Column("note", ("Kommentar", "Note", "Anteckning"), level="order"),
        Column("article_number", ("Artikelnummer", "ArticleNumber", "Artikelnr")),
        Column("description", ("Benämning", "Beskrivning", "Description")),
        Column("quantity", ("Antal", "Quantity", "Kvantitet"), kind="decimal", required=True),
        Column(
            "price", ("À-pris", "Pris", "Inköpspris", "UnitPrice", "Price"), kind="decimal", required=True
        ),
        Column("account", ("Konto", "Account"), kind="account"),
        Column("project", ("Projekt", "Project", "Projektnummer")),
    ]
)
INVOICE_ONLY = ColumnSet([Column("invoice_number", ("Fakturanummer", "InvoiceNumber", "Fakturanr"))])
STATUSES = {
    "": False, "ny": False, "new": False, "open": False, "oppen": False, "aktiv": False, "active": False,
    "makulerad": True, "annullerad": True, "cancelled": True, "canceled": True, "avbruten": True,
}  # fmt: skip
ORDER_FIELDS = tuple(c.field for c in COLUMNS.columns if c.level == "order")


class PurchaseOrderCsvImporter:
    name = "csv-purchaseorders"
    description = "purchase orders ('Inköpsordernummer' and 'Leverantörsnummer' or 'Organisationsnummer')"

    def identify(self, source: Source) -> bool:
        if not source.name.lower().endswith((".csv", ".txt")):
            return False
        fields = header_fields(source.head, COLUMNS) or set()
        if "order_number" not in fields or not {"supplier_number", "organisation_number"} & fields:
            return False
        return not header_fields(source.head, INVOICE_ONLY)

    def extract(self, source: Source) -> Extraction:
        try:
            table = read_table(source.path.read_bytes())
        except CsvError as exc:
            return Extraction(self.name, problems=(Problem(str(exc), line=1),))
        facts: dict[str, Any] = {
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "rows": len(table.rows),
        }
        mapping, problems = COLUMNS.map(table.columns)
        if not {"article_number", "description"} & mapping.keys():
            problems.append(
                Problem(
                    N_(
                        "there is neither an 'Artikelnummer' nor a 'Benämning' column: the rows say nothing"
                        " of what is ordered"
                    ),
                    line=1,
                    field="Artikelnummer",
                    hint=N_("add a column 'Artikelnummer' or 'Benämning'"),
                    code="csv.missing-column",
                )
            )
        if any(p.is_error for p in problems):
            return Extraction(self.name, problems=tuple(problems), facts=facts)
        groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for line, cells in table.rows:
            values, row_problems = COLUMNS.convert(line, cells, mapping)
            for field, what in (
                ("order_number", N_("order number")),
                ("quantity", N_("quantity")),
                ("price", N_("unit price")),
            ):
                if field not in values and not any(p.field == mapping[field] for p in row_problems):
                    row_problems.append(missing_cell(line, mapping[field], what))
            if not (values.get("article_number") or values.get("description")):
                header = mapping.get("article_number") or mapping["description"]
                row_problems.append(missing_cell(line, header, N_("article number or description")))
            if values.get("quantity") is not None and values["quantity"] <= 0:
                row_problems.append(
                    Problem(
                        N_("quantity %(quantity)s is not more than zero") % {"quantity": values["quantity"]},
                        line=line,
                        field=mapping["quantity"],
                        hint=N_("order a positive quantity; cancel an order with Status 'makulerad'"),
                        code="csv.bad-value",
                    )
                )
            problems += row_problems
            if "order_number" in values and not any(p.is_error for p in row_problems):
                groups.setdefault(values["order_number"], []).append((line, values))
        orders = []
        for number, rows in groups.items():
            order, order_problems = _build(number, rows, mapping)
            problems += order_problems
            if order is not None:
                orders.append(order)
        facts["orders"] = len(orders)
        if any(p.is_error for p in problems):
            orders = []  # a file goes through whole or not at all; the report says why
        return Extraction(self.name, tuple(orders), tuple(problems), facts)


def _build(
    number: str, rows: list[tuple[int, dict[str, Any]]], mapping: dict[str, str]
) -> tuple[PurchaseOrder | None, list[Problem]]:
    problems: list[Problem] = []
    first_line, first = rows[0]
    for line, values in rows[1:]:
        for field in ORDER_FIELDS:
            if field in mapping and values.get(field) != first.get(field):
                problems.append(
                    Problem(
                        N_("order %(number)s has %(field)s %(first)r on line %(line)s but %(here)r here")
                        % {
                            "number": number,
                            "field": field.replace("_", " "),
                            "first": first.get(field),
                            "line": first_line,
                            "here": values.get(field),
                        },
                        line=line,
                        field=mapping[field],
                        hint=N_("an order's own values must be the same on each of its rows"),
                        code="csv.order-values-differ",
                    )
                )
    if not (first.get("supplier_number") or first.get("organisation_number")):
        header = mapping.get("supplier_number") or mapping["organisation_number"]
        problems.append(missing_cell(first_line, header, N_("supplier (number or organisation number)")))
    status = normalise(first.get("status") or "")
    cancelled = STATUSES.get(status)
    if cancelled is None:
        problems.append(
            Problem(
                N_("%(status)r is not an order status the bridge knows") % {"status": first.get("status")},
                line=first_line,
                field=mapping.get("status"),
                hint=N_("leave it empty for an order, or write 'makulerad' to cancel it"),
                code="csv.bad-value",
            )
        )
    if problems:
        return None, problems
    supplier = Party(
        name=first.get("supplier_name") or "",
        number=first.get("supplier_number"),
        organisation_number=first.get("organisation_number"),
    )
    order_rows = tuple(
        PurchaseOrderRow(
            quantity=values["quantity"],
            price=values["price"],
            article_number=values.get("article_number"),
            description=values.get("description"),
            account=values.get("account"),
            project=values.get("project"),
            line=line,
        )
        for line, values in rows
    )
    return (
        PurchaseOrder(
            source_key=number + ("#cancelled" if cancelled else ""),
            order_number=number,
            supplier=supplier,
            rows=order_rows,
            order_date=first.get("order_date"),
            delivery_date=first.get("delivery_date"),
            currency=(first.get("currency") or "SEK").upper(),
            cancelled=bool(cancelled),
            note=first.get("note"),
            line=first_line,
        ),
        [],
    )
