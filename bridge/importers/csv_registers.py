"""Register CSVs: customers, projects and articles, one per row, created or updated by number.

Each kind is recognised by its number column and its name column (`Kundnummer` + `Namn`,
`Projektnummer` + `Projektnamn`, `Artikelnummer` + `Benämning`) in a file without a
`Fakturanummer` or an `Antal` (which make it invoice rows). A register states how things are, so a
record is applied again whenever a file names it; its document key is its number and the
file's digest. Empty cells leave Fortnox's value alone. A file with any error goes nowhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bridge.formats.csvtable import CsvError, read_table
from bridge.importers.base import Source
from bridge.importers.csv_columns import (
    Column,
    ColumnSet,
    header_fields,
    missing_cell,
    normalise,
    table_problem,
)
from bridge.model import Article, Customer, Extraction, Problem, Project
from bridge.util.i18n import N_

__all__ = ["ArticleRegisterImporter", "CustomerRegisterImporter", "ProjectRegisterImporter"]

VAT_RATES = (Decimal(0), Decimal(6), Decimal(12), Decimal(25))

PROJECT_STATUSES = {
    "ejpaborjad": "NOTSTARTED",
    "ejstartad": "NOTSTARTED",
    "notstarted": "NOTSTARTED",
    "planerad": "NOTSTARTED",
    "pagaende": "ONGOING",
    "aktiv": "ONGOING",
    "ongoing": "ONGOING",
    "active": "ONGOING",
    "avslutad": "COMPLETED",
    "klar": "COMPLETED",
    "completed": "COMPLETED",
    "finished": "COMPLETED",
}
ARTICLE_TYPES = {"lagervara": "STOCK", "stock": "STOCK", "tjanst": "SERVICE", "service": "SERVICE"}
CUSTOMER_TYPES = {"privat": True, "private": True, "privatperson": True, "foretag": False, "company": False}

# A file with any of these is invoice rows (perhaps without their invoice number), never a register.
INVOICE_ONLY = ColumnSet(
    [
        Column("invoice_number", ("Fakturanummer", "InvoiceNumber", "Fakturanr")),
        Column("quantity", ("Antal", "Quantity", "Kvantitet")),
    ]
)

CUSTOMER_COLUMNS = ColumnSet(
    [
        Column("number", ("Kundnummer", "CustomerNumber", "Kundnr"), required=True),
        Column("name", ("Namn", "Kundnamn", "Name", "CustomerName", "Företagsnamn"), required=True),
        Column("organisation_number", ("Organisationsnummer", "OrganisationNumber", "Orgnr", "Personnummer")),
        Column("vat_number", ("Momsregistreringsnummer", "VATNumber", "Momsnr", "VAT-nummer")),
        Column("type", ("Kundtyp", "CustomerType", "Typ")),
        Column("address", ("Adress", "Address", "Address1", "Gatuadress", "Adress 1")),
        Column("address2", ("Adress 2", "Address2", "Co-adress", "c/o")),
        Column("zip_code", ("Postnummer", "ZipCode", "Postnr")),
        Column("city", ("Ort", "City", "Postort")),
        Column("country_code", ("Landskod", "CountryCode", "Land")),
        Column("email", ("E-post", "Email", "Epost", "Mail")),
        Column("email_invoice", ("E-post faktura", "EmailInvoice", "Fakturamejl", "Faktura e-post")),
        Column("phone", ("Telefon", "Phone", "Phone1", "Telefonnummer")),
        Column("terms_of_payment", ("Betalningsvillkor", "TermsOfPayment", "Villkor")),
        Column("currency", ("Valuta", "Currency")),
        Column("your_reference", ("Er referens", "YourReference")),
        Column("our_reference", ("Vår referens", "OurReference")),
    ]
)

PROJECT_COLUMNS = ColumnSet(
    [
        Column("number", ("Projektnummer", "ProjectNumber", "Projektnr"), required=True),
        Column("name", ("Projektnamn", "ProjectName", "Projektbeskrivning", "Description"), required=True),
        Column("start_date", ("Startdatum", "StartDate", "Start"), kind="date"),
        Column("end_date", ("Slutdatum", "EndDate", "Slut"), kind="date"),
        Column("leader", ("Projektledare", "ProjectLeader")),
        Column("status", ("Status", "Projektstatus")),
        Column("contact_person", ("Kontaktperson", "ContactPerson")),
        Column("comments", ("Kommentar", "Comments", "Anteckning")),
    ]
)

ARTICLE_COLUMNS = ColumnSet(
    [
        Column("number", ("Artikelnummer", "ArticleNumber", "Artikelnr", "Varunummer"), required=True),
        Column("description", ("Benämning", "Description", "Beskrivning", "Artikelnamn"), required=True),
        Column("unit", ("Enhet", "Unit")),
        Column("vat", ("Moms", "VAT", "Momssats", "Moms %"), kind="percent"),
        Column("sales_price", ("Försäljningspris", "SalesPrice", "Pris", "À-pris"), kind="decimal"),
        Column("purchase_price", ("Inköpspris", "PurchasePrice"), kind="decimal"),
        Column(
            "sales_account", ("Försäljningskonto", "SalesAccount", "Konto", "Intäktskonto"), kind="account"
        ),
        Column("type", ("Artikeltyp", "Typ", "Type")),
        Column("ean", ("EAN", "Streckkod", "EAN-kod")),
    ]
)


@dataclass(frozen=True)
class _Register:
    """What differs between the three registers: their columns and how a row becomes a record."""

    word: str  # "customer", in messages
    columns: ColumnSet
    name_field: str


class _RegisterImporter:
    name = ""
    description = ""
    register: _Register

    def identify(self, source: Source) -> bool:
        if not source.name.lower().endswith((".csv", ".txt")):
            return False
        fields = header_fields(source.head, self.register.columns) or set()
        if not {"number", self.register.name_field} <= fields:
            return False
        return not header_fields(source.head, INVOICE_ONLY)

    def extract(self, source: Source) -> Extraction:
        try:
            table = read_table(source.path, max_rows=source.limits.csv_rows)
        except CsvError as exc:
            return Extraction(self.name, problems=(table_problem(exc),))
        with source.path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()[:8]
        facts: dict[str, Any] = {
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "rows": len(table.rows),
        }
        columns = self.register.columns
        mapping, problems = columns.map(table.columns)
        if any(p.is_error for p in problems):
            return Extraction(self.name, problems=tuple(problems), facts=facts)
        records: list[Any] = []
        first_line: dict[str, int] = {}
        for line, cells in table.rows:
            values, row_problems = columns.convert(line, cells, mapping)
            for field in ("number", self.register.name_field):
                if field not in values and not row_problems:
                    row_problems.append(missing_cell(line, mapping[field], f"{self.register.word} {field}"))
            number = str(values.get("number", ""))
            if number in first_line:
                row_problems.append(
                    Problem(
                        f"{self.register.word} {number} is on line {first_line[number]} already",
                        line=line,
                        field=mapping["number"],
                        hint=N_("keep one row per number"),
                        code="csv.register-number-twice",
                    )
                )
            if row_problems:
                problems += row_problems
                continue
            first_line[number] = line
            record, record_problems = self.build(f"{number}@{digest}", line, values, mapping)
            problems += record_problems
            if record is not None:
                records.append(record)
        facts[f"{self.register.word}s"] = len(records)
        if any(p.is_error for p in problems):
            records = []  # a file goes through whole or not at all; the report says why
        return Extraction(self.name, tuple(records), tuple(problems), facts)

    def build(
        self, key: str, line: int, values: dict[str, Any], mapping: dict[str, str]
    ) -> tuple[Any, list[Problem]]:
        raise NotImplementedError


def _word(
    values: dict[str, Any], field: str, words: dict[str, Any], line: int, mapping: dict[str, str]
) -> tuple[Any, list[Problem]]:
    """A cell that must be one of a few words; answers (value or None, problems)."""
    text = values.get(field)
    if text is None:
        return None, []
    found = words.get(normalise(text))
    if found is None:
        choices = ", ".join(sorted({k for k in words if k.isascii()}))
        return None, [
            Problem(
                f"{text!r} is not a {field.replace('_', ' ')} the bridge knows",
                line=line,
                field=mapping[field],
                hint=f"write one of: {choices}",
                code="csv.bad-value",
            )
        ]
    return found, []


class CustomerRegisterImporter(_RegisterImporter):
    name = "csv-customers"
    description = "a customer register ('Kundnummer' and 'Namn')"
    register = _Register("customer", CUSTOMER_COLUMNS, "name")

    def build(
        self, key: str, line: int, values: dict[str, Any], mapping: dict[str, str]
    ) -> tuple[Any, list[Problem]]:
        private, problems = _word(values, "type", CUSTOMER_TYPES, line, mapping)
        customer = Customer(
            source_key=key,
            number=values["number"],
            name=values["name"],
            organisation_number=values.get("organisation_number"),
            vat_number=values.get("vat_number"),
            is_private=private,
            address=values.get("address"),
            address2=values.get("address2"),
            zip_code=values.get("zip_code"),
            city=values.get("city"),
            country_code=values.get("country_code"),
            email=values.get("email"),
            email_invoice=values.get("email_invoice"),
            phone=values.get("phone"),
            terms_of_payment=values.get("terms_of_payment"),
            currency=values.get("currency"),
            your_reference=values.get("your_reference"),
            our_reference=values.get("our_reference"),
            line=line,
        )
        return (None if problems else customer), problems


class ProjectRegisterImporter(_RegisterImporter):
    name = "csv-projects"
    description = "a project register ('Projektnummer' and 'Projektnamn')"
    register = _Register("project", PROJECT_COLUMNS, "name")

    def build(
        self, key: str, line: int, values: dict[str, Any], mapping: dict[str, str]
    ) -> tuple[Any, list[Problem]]:
        status, problems = _word(values, "status", PROJECT_STATUSES, line, mapping)
        start, end = values.get("start_date"), values.get("end_date")
        if start and end and end < start:
            problems.append(
                Problem(
                    f"project {values['number']} ends ({end}) before it starts ({start})",
                    line=line,
                    field=mapping["end_date"],
                    hint=N_("correct the dates"),
                    code="csv.project-dates",
                )
            )
        project = Project(
            source_key=key,
            number=values["number"],
            name=values["name"],
            start_date=start,
            end_date=end,
            leader=values.get("leader"),
            status=status,
            contact_person=values.get("contact_person"),
            comments=values.get("comments"),
            line=line,
        )
        return (None if problems else project), problems


class ArticleRegisterImporter(_RegisterImporter):
    name = "csv-articles"
    description = "an article register ('Artikelnummer' and 'Benämning')"
    register = _Register("article", ARTICLE_COLUMNS, "description")

    def build(
        self, key: str, line: int, values: dict[str, Any], mapping: dict[str, str]
    ) -> tuple[Any, list[Problem]]:
        kind, problems = _word(values, "type", ARTICLE_TYPES, line, mapping)
        vat = values.get("vat")
        if vat is not None and vat not in VAT_RATES:
            problems.append(
                Problem(
                    f"VAT {vat} % is not a Swedish rate",
                    line=line,
                    field=mapping["vat"],
                    hint=N_("use 25, 12, 6 or 0"),
                    code="csv.bad-vat",
                )
            )
        article = Article(
            source_key=key,
            number=values["number"],
            description=values["description"],
            unit=values.get("unit"),
            vat=vat,
            sales_price=values.get("sales_price"),
            purchase_price=values.get("purchase_price"),
            sales_account=values.get("sales_account"),
            type=kind,
            ean=values.get("ean"),
            line=line,
        )
        return (None if problems else article), problems
