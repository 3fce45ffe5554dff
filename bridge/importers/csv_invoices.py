"""CSV invoice exports: one row per invoice line, rows grouped into invoices by invoice number.

Column names are matched without regard to case, spaces, dashes or accents, in English or
Swedish (`Fakturanummer`, `Kundnummer`, `Antal`, `À-pris`, `Moms` …); README lists them all.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bridge.formats.csvtable import CsvError, decode_text, read_table, sniff_delimiter
from bridge.formats.numbers import parse_date, parse_decimal
from bridge.importers.base import Source
from bridge.model import Extraction, Invoice, InvoiceRow, Party, Problem, Severity

__all__ = ["COLUMNS", "CsvInvoiceImporter"]

VAT_RATES = (Decimal(0), Decimal(6), Decimal(12), Decimal(25))


@dataclass(frozen=True)
class Column:
    field: str
    names: tuple[str, ...]  # the first is the Swedish name used in messages
    level: str  # "invoice": the same on every row of an invoice; "row": per invoice line
    kind: str = "text"  # text | decimal | percent | date | account
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "invoice_number",
        ("Fakturanummer", "InvoiceNumber", "Fakturanr", "Faktura nr"),
        "invoice",
        required=True,
    ),
    Column("invoice_date", ("Fakturadatum", "InvoiceDate", "Datum"), "invoice", "date"),
    Column("due_date", ("Förfallodatum", "DueDate", "Förfallodag"), "invoice", "date"),
    Column("customer_number", ("Kundnummer", "CustomerNumber", "Kundnr"), "invoice"),
    Column("customer_name", ("Kundnamn", "CustomerName", "Kund", "Namn"), "invoice"),
    Column("customer_type", ("Kundtyp", "CustomerType"), "invoice"),
    Column(
        "organisation_number",
        ("Organisationsnummer", "OrganisationNumber", "OrganizationNumber", "Orgnr", "Personnummer"),
        "invoice",
    ),
    Column("vat_number", ("Momsregistreringsnummer", "VATNumber", "Momsnr", "VAT-nummer"), "invoice"),
    Column("email", ("E-post", "Email", "Epost", "Mail"), "invoice"),
    Column("phone", ("Telefon", "Phone"), "invoice"),
    Column("address", ("Adress", "Address", "Gatuadress"), "invoice"),
    Column("zip_code", ("Postnummer", "ZipCode", "Postnr"), "invoice"),
    Column("city", ("Ort", "City", "Postort"), "invoice"),
    Column("country_code", ("Landskod", "CountryCode", "Land"), "invoice"),
    Column("currency", ("Valuta", "Currency"), "invoice"),
    Column("your_reference", ("Er referens", "YourReference"), "invoice"),
    Column("our_reference", ("Vår referens", "OurReference"), "invoice"),
    Column("comments", ("Kommentar", "Comments", "Meddelande"), "invoice"),
    Column("credit_of", ("Krediterar", "CreditOf", "Kreditfaktura för"), "invoice"),
    Column("article_number", ("Artikelnummer", "ArticleNumber", "Artikelnr", "Artikel"), "row"),
    Column("description", ("Beskrivning", "Description", "Benämning", "Text", "Radtext"), "row"),
    Column("quantity", ("Antal", "Quantity", "Kvantitet"), "row", "decimal", required=True),
    Column("unit", ("Enhet", "Unit"), "row"),
    Column(
        "price",
        ("À-pris", "Price", "UnitPrice", "A-pris", "Á-pris", "Pris", "Styckpris"),
        "row",
        "decimal",
        required=True,
    ),
    Column("discount", ("Rabatt", "Discount"), "row", "percent"),
    Column("vat", ("Moms", "VAT", "Moms %", "Momssats", "Momsprocent"), "row", "percent"),
    Column(
        "account", ("Konto", "Account", "AccountNumber", "Bokföringskonto", "Intäktskonto"), "row", "account"
    ),
    Column("cost_center", ("Kostnadsställe", "CostCenter", "KS"), "row"),
    Column("project", ("Projekt", "Project"), "row"),
)

_HINT_NUMBER = "write a number such as 2, 1,5 or 1 234,50"


def _normalise(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in folded if c.isalnum())


_BY_NAME: dict[str, Column] = {_normalise(n): col for col in COLUMNS for n in col.names}


class CsvInvoiceImporter:
    name = "csv-invoices"

    def identify(self, source: Source) -> bool:
        if not source.name.lower().endswith((".csv", ".txt")):
            return False
        try:
            header = decode_text(source.head)[0].splitlines()[0]
            delimiter = sniff_delimiter(header)
        except (CsvError, IndexError):
            return False
        names = {_normalise(cell.strip().strip('"')) for cell in header.split(delimiter)}
        return any(_BY_NAME[n].field == "invoice_number" for n in names if n in _BY_NAME)

    def extract(self, source: Source) -> Extraction:
        try:
            table = read_table(source.path.read_bytes())
        except CsvError as exc:
            return Extraction(self.name, problems=(Problem(str(exc), line=1),))
        facts = {"encoding": table.encoding, "delimiter": table.delimiter, "rows": len(table.rows)}
        mapping, problems = _map_columns(table.columns)
        if any(p.is_error for p in problems):
            return Extraction(self.name, problems=tuple(problems), facts=facts)

        groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for line, cells in table.rows:
            values, row_problems = _convert(line, cells, mapping)
            problems.extend(row_problems)
            if not values.get("invoice_number"):
                if not row_problems:
                    problems.append(_missing(line, mapping["invoice_number"], "invoice number"))
                continue
            groups.setdefault(values["invoice_number"], []).append((line, values))

        invoices = []
        for number, rows in groups.items():
            invoice, invoice_problems = _build_invoice(number, rows, mapping)
            problems.extend(invoice_problems)
            if invoice is not None:
                invoices.append(invoice)
        facts["invoices"] = len(invoices)
        if any(p.is_error for p in problems):
            invoices = []  # a file goes through whole or not at all; the report says why
        return Extraction(self.name, tuple(invoices), tuple(problems), facts)


def _map_columns(columns: tuple[str, ...]) -> tuple[dict[str, str], list[Problem]]:
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for name in columns:
        column = _BY_NAME.get(_normalise(name))
        if column is None:
            problems.append(
                Problem(
                    f"column {name!r} is not one the bridge knows; it is ignored",
                    line=1,
                    field=name,
                    severity=Severity.WARNING,
                    code="csv.unknown-column",
                )
            )
        elif column.field in mapping:
            problems.append(
                Problem(
                    f"columns {mapping[column.field]!r} and {name!r} both mean {column.field}",
                    line=1,
                    field=name,
                    hint="keep one of them",
                    code="csv.duplicate-column",
                )
            )
        else:
            mapping[column.field] = name
    for column in COLUMNS:
        if column.required and column.field not in mapping:
            problems.append(
                Problem(
                    f"the required column {column.names[0]!r} is missing",
                    line=1,
                    field=column.names[0],
                    hint="add a column named " + " or ".join(repr(n) for n in column.names[:3]),
                    code="csv.missing-column",
                )
            )
    if not {"customer_number", "customer_name"} & mapping.keys():
        problems.append(
            Problem(
                "there is neither a 'Kundnummer' nor a 'Kundnamn' column: the customer is unknown",
                line=1,
                field="CustomerNumber",
                hint="add a column 'Kundnummer' (or 'Kundnamn' for customers created by name)",
                code="csv.missing-column",
            )
        )
    if not {"description", "article_number"} & mapping.keys():
        problems.append(
            Problem(
                "there is neither a 'Beskrivning' nor an 'Artikelnummer' column: rows have no text",
                line=1,
                field="Description",
                hint="add a column 'Beskrivning' or 'Artikelnummer'",
                code="csv.missing-column",
            )
        )
    return mapping, problems


def _parse_account(text: str) -> int:
    if not (text.isdigit() and len(text) == 4):
        raise ValueError(f"{text!r} is not an account number; accounts have four digits (1000–9999)")
    return int(text)


def _parse_percent(text: str) -> Decimal:
    return parse_decimal(text, allow_percent=True)


_CONVERTERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "decimal": (parse_decimal, _HINT_NUMBER),
    "percent": (_parse_percent, "write a percentage such as 25 or 12,5"),
    "date": (parse_date, "write the date as YYYY-MM-DD"),
    "account": (_parse_account, "write a four-digit BAS account such as 3001"),
}


def _convert(
    line: int, cells: dict[str, str], mapping: dict[str, str]
) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for column in COLUMNS:
        header = mapping.get(column.field)
        text = cells.get(header, "") if header else ""
        if not text:
            continue
        if column.kind == "text":
            values[column.field] = text
            continue
        convert, hint = _CONVERTERS[column.kind]
        try:
            values[column.field] = convert(text)
        except ValueError as exc:
            problems.append(Problem(str(exc), line=line, field=header, hint=hint, code="csv.bad-value"))
    for field in ("quantity", "price"):
        if field not in values and not any(p.field == mapping[field] for p in problems):
            problems.append(_missing(line, mapping[field], field))
    vat = values.get("vat")
    if vat is not None and vat not in VAT_RATES:
        problems.append(
            Problem(
                f"VAT {vat} % is not a Swedish rate",
                line=line,
                field=mapping["vat"],
                hint="use 25, 12, 6 or 0",
                code="csv.bad-vat",
            )
        )
    return values, problems


def _missing(line: int, header: str, what: str) -> Problem:
    return Problem(
        f"the {what} is empty", line=line, field=header, hint=f"fill in the {what}", code="csv.empty-cell"
    )


def _build_invoice(
    number: str, rows: list[tuple[int, dict[str, Any]]], mapping: dict[str, str]
) -> tuple[Invoice | None, list[Problem]]:
    problems: list[Problem] = []
    first_line = rows[0][0]
    head: dict[str, Any] = {}
    for column in COLUMNS:
        if column.level != "invoice":
            continue
        for line, values in rows:
            value = values.get(column.field)
            if value is None:
                continue
            if column.field in head and head[column.field] != value:
                problems.append(
                    Problem(
                        f"invoice {number}: {mapping[column.field]} is {head[column.field]!r} on an earlier "
                        f"row but {value!r} here",
                        line=line,
                        field=mapping[column.field],
                        hint="every row of one invoice must carry the same invoice-level values",
                        code="csv.inconsistent-invoice",
                    )
                )
            head.setdefault(column.field, value)
    if not head.get("customer_number") and not head.get("customer_name"):
        problems.append(
            Problem(
                f"invoice {number} names no customer",
                line=first_line,
                field=mapping.get("customer_number") or mapping.get("customer_name"),
                hint="fill in the customer number (or the customer name)",
                code="csv.no-customer",
            )
        )
    invoice_rows = []
    for line, values in rows:
        if not values.get("description") and not values.get("article_number"):
            problems.append(
                _missing(line, mapping.get("description") or mapping["article_number"], "row text")
            )
        invoice_rows.append(
            InvoiceRow(
                description=values.get("description", ""),
                quantity=values.get("quantity", Decimal(0)),
                price=values.get("price", Decimal(0)),
                vat=values.get("vat"),
                account=values.get("account"),
                article_number=values.get("article_number"),
                unit=values.get("unit"),
                discount=values.get("discount"),
                cost_center=values.get("cost_center"),
                project=values.get("project"),
                line=line,
            )
        )
    if problems:
        return None, problems
    customer_type = (head.get("customer_type") or "").casefold()
    customer = Party(
        name=head.get("customer_name") or "",
        number=head.get("customer_number"),
        organisation_number=head.get("organisation_number"),
        vat_number=head.get("vat_number"),
        email=head.get("email"),
        phone=head.get("phone"),
        address=head.get("address"),
        zip_code=head.get("zip_code"),
        city=head.get("city"),
        country_code=head.get("country_code"),
        is_private=customer_type in ("private", "privat", "privatperson"),
    )
    invoice = Invoice(
        source_key=number,
        customer=customer,
        rows=tuple(invoice_rows),
        invoice_date=head.get("invoice_date"),
        due_date=head.get("due_date"),
        currency=head.get("currency"),
        your_reference=head.get("your_reference"),
        our_reference=head.get("our_reference"),
        comments=head.get("comments"),
        credit_of=head.get("credit_of"),
        line=first_line,
    )
    return invoice, problems
