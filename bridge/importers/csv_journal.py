"""Journal CSVs: bookkeeping rows from inventory, payroll or till systems, as vouchers.

Recognised by a voucher-id column, an account column and amounts (`Debet`/`Kredit`, or one
signed `Belopp`, debit positive). Rows with the same voucher id and date form one voucher;
that pair is the voucher's identity, so a voucher sent once is never sent again. Whether a
voucher balances, and the rounding row that may make it, is the planner's business: it
knows the company's tolerance and rounding account.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bridge.formats.csvtable import CsvError, read_table
from bridge.importers.base import Source
from bridge.importers.csv_columns import Column, ColumnSet, header_fields, missing_cell, table_problem
from bridge.model import Extraction, JournalDeclarations, Problem, Voucher, VoucherRow
from bridge.util.i18n import N_

__all__ = ["JOURNAL_COLUMNS", "JournalImporter"]

JOURNAL_COLUMNS = ColumnSet(
    [
        Column(
            "date",
            (
                "Datum",
                "Bokföringsdatum",
                "Verifikationsdatum",
                "Transaktionsdatum",
                "Date",
                "TransactionDate",
            ),
            kind="date",
            required=True,
        ),
        Column(
            "voucher",
            (
                "Verifikation",
                "Verifikationsnummer",
                "Verifikationsnr",
                "Vernr",
                "Ver",
                "Ver nr",
                "VoucherId",
                "Voucher",
                "VoucherNumber",
            ),
            required=True,
        ),
        Column(
            "account", ("Konto", "Account", "Kontonummer", "AccountNumber"), kind="account", required=True
        ),
        Column("debit", ("Debet", "Debit"), kind="decimal"),
        Column("credit", ("Kredit", "Credit"), kind="decimal"),
        Column("amount", ("Belopp", "Amount", "Summa"), kind="decimal"),
        Column(
            "text",
            ("Text", "Radtext", "Transaktionstext", "Beskrivning", "Description", "TransactionInformation"),
        ),
        Column("voucher_text", ("Verifikationstext", "VoucherText", "VoucherDescription", "Rubrik")),
        Column("cost_center", ("Kostnadsställe", "KS", "CostCenter", "Resultatenhet")),
        Column("project", ("Projekt", "Project", "Projektnummer")),
        Column("quantity", ("Antal", "Kvantitet", "Quantity"), kind="decimal"),
    ]
)


class JournalImporter:
    name = "csv-journal"
    description = "a journal ('Verifikation', 'Konto' and 'Debet'/'Kredit' or 'Belopp')"

    def identify(self, source: Source) -> bool:
        if not source.name.lower().endswith((".csv", ".txt")):
            return False
        fields = header_fields(source.head, JOURNAL_COLUMNS) or set()
        return {"voucher", "account"} <= fields and bool({"debit", "credit", "amount"} & fields)

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
        mapping, problems = JOURNAL_COLUMNS.map(table.columns)
        signed = "amount" in mapping
        if signed and {"debit", "credit"} & mapping.keys():
            problems.append(
                Problem(
                    N_("the file has both a signed amount ('Belopp') and 'Debet'/'Kredit' columns"),
                    line=1,
                    field=mapping["amount"],
                    hint=N_("keep either 'Belopp' (debit positive, credit negative) or 'Debet' and 'Kredit'"),
                    code="csv.journal-amount-columns",
                )
            )
        if any(p.is_error for p in problems):
            return Extraction(self.name, problems=tuple(problems), facts=facts)

        groups: dict[tuple[str, date], list[tuple[int, dict[str, Any]]]] = {}
        for line, cells in table.rows:
            values, row_problems = JOURNAL_COLUMNS.convert(line, cells, mapping)
            for field in ("date", "voucher", "account"):
                if field not in values and not any(p.field == mapping[field] for p in row_problems):
                    row_problems.append(missing_cell(line, mapping[field], field))
            amount = _amount(line, values, mapping, signed, row_problems)
            problems += row_problems
            if row_problems or amount is None:
                continue
            values["amount"] = amount
            groups.setdefault((values["voucher"], values["date"]), []).append((line, values))

        vouchers = [_voucher(number, day, rows) for (number, day), rows in groups.items()]
        facts["vouchers"] = len(vouchers)
        if any(p.is_error for p in problems):
            vouchers = []  # a file goes through whole or not at all; the report says why
        return Extraction(self.name, tuple(vouchers), tuple(problems), facts, JournalDeclarations())


def _amount(
    line: int, values: dict[str, Any], mapping: dict[str, str], signed: bool, problems: list[Problem]
) -> Decimal | None:
    """The row's amount, debit positive; None (and a problem) when the row has none or both."""
    if signed:
        if "amount" not in values and not problems:
            problems.append(missing_cell(line, mapping["amount"], N_("amount")))
        return values.get("amount")
    debit, credit = values.get("debit"), values.get("credit")
    if debit and credit:
        problems.append(
            Problem(
                f"the row has both a debit ({debit}) and a credit ({credit})",
                line=line,
                field=mapping["debit"],
                hint=N_("write each amount on a row of its own"),
                code="csv.journal-debit-and-credit",
            )
        )
        return None
    if debit is None and credit is None:
        if not problems:
            problems.append(
                missing_cell(line, mapping.get("debit") or mapping["credit"], N_("debit or credit"))
            )
        return None
    return (debit or Decimal(0)) - (credit or Decimal(0))


def _voucher(number: str, day: date, rows: list[tuple[int, dict[str, Any]]]) -> Voucher:
    first_line, first = rows[0]
    text = next((v["voucher_text"] for _, v in rows if v.get("voucher_text")), None)
    text = text or first.get("text") or f"Verifikation {number}"
    return Voucher(
        source_key=f"{number} {day:%Y%m%d}",
        transaction_date=day,
        description=text,
        rows=tuple(
            VoucherRow(
                account=values["account"],
                amount=values["amount"],
                text=values.get("text"),
                cost_center=values.get("cost_center"),
                project=values.get("project"),
                quantity=values.get("quantity"),
                line=line,
            )
            for line, values in rows
        ),
        source_number=number,
        line=first_line,
    )
