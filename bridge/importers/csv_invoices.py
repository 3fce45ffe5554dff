"""CSV invoice exports: one row per invoice line, rows grouped into invoices by invoice number.

Recognised by a `Fakturanummer` column. Column names are matched without regard to case,
spaces, dashes or accents, in English or Swedish (`Kundnummer`, `Antal`, `À-pris`, `Moms` …);
README lists them all. Two rules of the sources are kept here, where the whole file is seen:
a customer is a private person when `Kundtyp` says so or, with no `Kundtyp`, when its number
is a personnummer; and one article number given two different descriptions in one file is
ignored on those rows, which go as text rows (SmartDok's rule for duplicate article numbers).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bridge.formats.csvtable import CsvError, read_table
from bridge.formats.einvoice.identifiers import is_personal_number
from bridge.importers.base import Source
from bridge.importers.csv_columns import Column, ColumnSet, header_fields, missing_cell, table_problem
from bridge.model import Extraction, Invoice, InvoiceRow, Party, Problem, Severity
from bridge.util.i18n import N_
from bridge.util.text import excerpt

__all__ = ["COLUMNS", "CsvInvoiceImporter"]

VAT_RATES = (Decimal(0), Decimal(6), Decimal(12), Decimal(25))
PRIVATE_WORDS = ("private", "privat", "privatperson", "person")
COMPANY_WORDS = ("company", "företag", "foretag", "organisation", "juridisk person")

# `max_length`: the longest text Fortnox takes in the field a column fills (invoice, invoice row
# and customer in ref/fortnox/openapi.json); a longer cell is refused naming its line and column.
COLUMNS: tuple[Column, ...] = (
    Column(
        "invoice_number",
        ("Fakturanummer", "InvoiceNumber", "Fakturanr", "Faktura nr"),
        "invoice",
        required=True,
    ),
    Column("invoice_date", ("Fakturadatum", "InvoiceDate", "Datum"), "invoice", "date"),
    Column("due_date", ("Förfallodatum", "DueDate", "Förfallodag"), "invoice", "date"),
    Column("customer_number", ("Kundnummer", "CustomerNumber", "Kundnr"), "invoice", max_length=1024),
    Column("customer_name", ("Kundnamn", "CustomerName", "Kund", "Namn"), "invoice", max_length=1024),
    Column("customer_type", ("Kundtyp", "CustomerType"), "invoice"),
    Column(
        "organisation_number",
        ("Organisationsnummer", "OrganisationNumber", "OrganizationNumber", "Orgnr"),
        "invoice",
    ),
    Column("personal_number", ("Personnummer", "PersonalNumber", "Personnr"), "invoice"),
    Column("vat_number", ("Momsregistreringsnummer", "VATNumber", "Momsnr", "VAT-nummer"), "invoice"),
    Column("email", ("E-post", "Email", "Epost", "Mail"), "invoice", max_length=1024),
    Column("phone", ("Telefon", "Phone"), "invoice", max_length=1024),
    Column("address", ("Adress", "Address", "Gatuadress"), "invoice", max_length=1024),
    Column("zip_code", ("Postnummer", "ZipCode", "Postnr"), "invoice", max_length=10),
    Column("city", ("Ort", "City", "Postort"), "invoice", max_length=1024),
    Column("country_code", ("Landskod", "CountryCode", "Land"), "invoice"),
    Column("currency", ("Valuta", "Currency"), "invoice"),
    Column("your_reference", ("Er referens", "YourReference"), "invoice", max_length=50),
    Column("our_reference", ("Vår referens", "OurReference"), "invoice", max_length=50),
    Column("comments", ("Kommentar", "Comments", "Meddelande"), "invoice", max_length=1024),
    Column("credit_of", ("Krediterar", "CreditOf", "Kreditfaktura för"), "invoice"),
    Column(
        "article_number", ("Artikelnummer", "ArticleNumber", "Artikelnr", "Artikel"), "row", max_length=50
    ),
    Column(
        "description",
        ("Beskrivning", "Description", "Benämning", "Text", "Radtext"),
        "row",
        max_length=255,
    ),
    Column("quantity", ("Antal", "Quantity", "Kvantitet"), "row", "decimal", required=True),
    Column("unit", ("Enhet", "Unit"), "row", max_length=20),
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

_COLUMNS = ColumnSet(COLUMNS)


class CsvInvoiceImporter:
    name = "csv-invoices"
    description = "customer invoices (a 'Fakturanummer' column)"

    def identify(self, source: Source) -> bool:
        if not source.name.lower().endswith((".csv", ".txt")):
            return False
        return "invoice_number" in (header_fields(source.head, _COLUMNS) or ())

    def extract(self, source: Source) -> Extraction:
        try:
            table = read_table(source.path, max_rows=source.limits.csv_rows)
        except CsvError as exc:
            return Extraction(self.name, problems=(table_problem(exc),))
        facts: dict[str, Any] = {
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "rows": len(table.rows),
        }
        mapping, problems = _map_columns(table.columns)
        if any(p.is_error for p in problems):
            return Extraction(self.name, problems=tuple(problems), facts=facts)

        groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for line, cells in table.rows:
            values, row_problems = _convert(line, cells, mapping)
            problems.extend(row_problems)
            if not values.get("invoice_number"):
                if not row_problems:
                    problems.append(missing_cell(line, mapping["invoice_number"], N_("invoice number")))
                continue
            groups.setdefault(values["invoice_number"], []).append((line, values))
        problems.extend(_ignore_ambiguous_article_numbers(groups, mapping))

        invoices = []
        for number, rows in groups.items():
            invoice, invoice_problems = _build_invoice(number, rows, mapping, source.limits.invoice_rows)
            problems.extend(invoice_problems)
            if invoice is not None:
                invoices.append(invoice)
        # An invoice and its credit may share a file: the credit goes after what it credits.
        invoices.sort(key=lambda invoice: invoice.credit_of is not None)
        facts["invoices"] = len(invoices)
        if any(p.is_error for p in problems):
            invoices = []  # a file goes through whole or not at all; the report says why
        return Extraction(self.name, tuple(invoices), tuple(problems), facts)


def _map_columns(columns: tuple[str, ...]) -> tuple[dict[str, str], list[Problem]]:
    mapping, problems = _COLUMNS.map(columns)
    if not {"customer_number", "customer_name"} & mapping.keys():
        problems.append(
            Problem(
                N_("there is neither a 'Kundnummer' nor a 'Kundnamn' column: the customer is unknown"),
                line=1,
                field="CustomerNumber",
                hint=N_("add a column 'Kundnummer' (or 'Kundnamn' for customers created by name)"),
                code="csv.missing-column",
            )
        )
    if not {"description", "article_number"} & mapping.keys():
        problems.append(
            Problem(
                N_("there is neither a 'Beskrivning' nor an 'Artikelnummer' column: rows have no text"),
                line=1,
                field="Description",
                hint=N_("add a column 'Beskrivning' or 'Artikelnummer'"),
                code="csv.missing-column",
            )
        )
    return mapping, problems


def _convert(
    line: int, cells: dict[str, str], mapping: dict[str, str]
) -> tuple[dict[str, Any], list[Problem]]:
    values, problems = _COLUMNS.convert(line, cells, mapping)
    for field in ("quantity", "price"):
        if field not in values and not any(p.field == mapping[field] for p in problems):
            problems.append(missing_cell(line, mapping[field], field))
    vat = values.get("vat")
    if vat is not None and vat not in VAT_RATES:
        problems.append(
            Problem(
                N_("VAT %(rate)s %% is not a Swedish rate") % {"rate": vat},
                line=line,
                field=mapping["vat"],
                hint=N_("use 25, 12, 6 or 0"),
                code="csv.bad-vat",
            )
        )
    return values, problems


def _ignore_ambiguous_article_numbers(
    groups: dict[str, list[tuple[int, dict[str, Any]]]], mapping: dict[str, str]
) -> list[Problem]:
    """An article number with two different descriptions in one file names no single article:
    it is dropped from those rows, which go as text rows, and a warning names both lines."""
    first_seen: dict[str, tuple[str, int]] = {}  # article number → (description, line)
    conflicts: dict[str, tuple[tuple[str, int], tuple[str, int]]] = {}
    for rows in groups.values():
        for line, values in rows:
            number, text = values.get("article_number"), values.get("description")
            if not number or not text:
                continue
            seen = first_seen.setdefault(number, (text, line))
            if seen[0] != text and number not in conflicts:
                conflicts[number] = (seen, (text, line))
    for rows in groups.values():
        for _, values in rows:
            if values.get("article_number") in conflicts:
                del values["article_number"]
    return [
        Problem(
            f"article number {excerpt(number, quote=False)} is given two descriptions, {excerpt(a)} (line {a_line}) "
            f"and {excerpt(b)} "
            f"(line {b_line}): the number is ignored on every row that names it, which are sent as "
            "text rows",
            line=b_line,
            field=mapping["article_number"],
            hint=N_("give each article its own number in the program that wrote the file"),
            severity=Severity.WARNING,
            code="csv.article-number-ambiguous",
        )
        for number, ((a, a_line), (b, b_line)) in conflicts.items()
    ]


def _build_invoice(
    number: str, rows: list[tuple[int, dict[str, Any]]], mapping: dict[str, str], max_rows: int
) -> tuple[Invoice | None, list[Problem]]:
    first_line = rows[0][0]
    if len(rows) > max_rows:  # said once, at the first row too many: the rest is not looked at
        return None, [
            Problem(
                f"invoice {excerpt(number, quote=False)} has {len(rows):,} rows; an invoice takes at most {max_rows:,}",
                line=rows[max_rows][0],
                field=mapping["invoice_number"],
                hint="split it into several invoices, or check that the invoice number column is "
                "filled in per invoice (limits.invoice_rows)",
                code="csv.too-many-invoice-rows",
            )
        ]
    problems: list[Problem] = []
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
                        f"invoice {excerpt(number, quote=False)}: {mapping[column.field]} is "
                        f"{excerpt(str(head[column.field]))} on an earlier row but {excerpt(str(value))} here",
                        line=line,
                        field=mapping[column.field],
                        hint=N_("every row of one invoice must carry the same invoice-level values"),
                        code="csv.inconsistent-invoice",
                    )
                )
            head.setdefault(column.field, value)
    if not head.get("customer_number") and not head.get("customer_name"):
        problems.append(
            Problem(
                N_("invoice %(number)s names no customer") % {"number": excerpt(number, quote=False)},
                line=first_line,
                field=mapping.get("customer_number") or mapping.get("customer_name"),
                hint=N_("fill in the customer number (or the customer name)"),
                code="csv.no-customer",
            )
        )
    if head.get("credit_of") == number:
        problems.append(
            Problem(
                f"invoice {excerpt(number, quote=False)} says it credits itself",
                line=first_line,
                field=mapping.get("credit_of"),
                hint=N_("write the number of the invoice it credits in 'Krediterar'"),
                code="csv.credits-itself",
            )
        )
    invoice_rows = []
    for line, values in rows:
        if not values.get("description") and not values.get("article_number"):
            problems.append(
                missing_cell(line, mapping.get("description") or mapping["article_number"], N_("row text"))
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
    invoice = Invoice(
        source_key=number,
        customer=_customer(head),
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


def _customer(head: dict[str, Any]) -> Party:
    """A private person when `Kundtyp` says so, or when, with no `Kundtyp`, the number is a
    personnummer (also from a 'Personnummer' column); a company otherwise."""
    customer_type = (head.get("customer_type") or "").casefold()
    personal = head.get("personal_number")
    number = personal or head.get("organisation_number")
    if customer_type in PRIVATE_WORDS:
        private = True
    elif customer_type in COMPANY_WORDS:
        private = False
    else:
        private = bool(personal) or bool(number and is_personal_number(number))
    return Party(
        name=head.get("customer_name") or "",
        number=head.get("customer_number"),
        organisation_number=number,
        vat_number=head.get("vat_number"),
        email=head.get("email"),
        phone=head.get("phone"),
        address=head.get("address"),
        zip_code=head.get("zip_code"),
        city=head.get("city"),
        country_code=head.get("country_code"),
        is_private=private,
    )
