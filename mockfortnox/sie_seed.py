"""A mock company from a SIE file: the whole realistic company a tester needs, in one step.

`tenant_spec_from_sie` turns a SIE file into a tenant spec — the same JSON a seed file holds —
so everything goes through the API's own rules: company name, organisation number and address;
financial years (#RAR); the chart (#KONTO, #SRU, #ENHET) in every year; cost centres (#DIM 1)
and projects (#DIM 6) from #OBJEKT; #IB as each year's opening balances; the vouchers, in file
order (so that a series numbered 1, 2, 3 … in the file is numbered the same in the mock), with
their registration dates. Voucher series A–E are Fortnox's usual ones (A manual, B–E for
invoices and payments); any other series a voucher uses is added, open for manual vouchers.

Not carried (Fortnox could not hold them either): other dimensions' objects, row dates,
signatures, #PSALDO/#PBUDGET (Fortnox computes period balances from the vouchers), #UB and #RES
(likewise) — so the previous year's closing balances are its opening balances, since its
vouchers are not in the file.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from bridge import sie

__all__ = ["SIE_SUFFIXES", "looks_like_sie_seed", "tenant_name_for", "tenant_spec_from_sie"]

SIE_SUFFIXES = (".se", ".si", ".sie")
STANDARD_SERIES = (
    ("A", "Redovisningsunderlag", True),
    ("B", "Kundfakturor", False),
    ("C", "Kundinbetalningar", False),
    ("D", "Leverantörsfakturor", False),
    ("E", "Leverantörsutbetalningar", False),
)
LICENCES = (
    "article", "bookkeeping", "archive", "companyinformation", "connectfile", "costcenter", "currency",
    "customer", "inbox", "invoice", "order", "payment", "price", "print", "profile", "project",
    "settings", "supplier", "supplierinvoice",
)  # fmt: skip
_POSTAL = re.compile(r"^(\d{3} ?\d{2})\s+(.+)$")


def looks_like_sie_seed(source: str | Path) -> bool:
    return Path(str(source)).suffix.lower() in SIE_SUFFIXES


def tenant_name_for(file_name: str | None) -> str | None:
    """A tenant name from a SIE file's name: `Bygg AB 2025.se` → `bygg-ab-2025`."""
    if not file_name:
        return None
    return re.sub(r"[^a-z0-9]+", "-", Path(file_name).stem.lower()).strip("-") or None


def tenant_spec_from_sie(source: bytes | Path, *, name: str | None = None) -> dict[str, Any]:
    """A tenant spec (see `mockfortnox.seed`) from a SIE file; raises ValueError when the file
    has errors (a voucher that does not balance, a date that is not a date …)."""
    document = sie.read(source)
    errors = [p for p in document.problems if p.is_error]
    if errors:
        first = errors[0]
        where = f"line {first.line}: " if first.line else ""
        raise ValueError(f"the SIE file cannot seed a company: {where}{first.message}")
    if not document.financial_years:
        raise ValueError("the SIE file has no financial year (#RAR)")
    years = {y.year: y for y in document.financial_years if y.start and y.end}
    vouchers = [_voucher(v) for v in document.vouchers]
    spec: dict[str, Any] = {
        "company": _company(document),
        "licences": list(LICENCES),
        "financialyears": [
            {"FromDate": y.start.isoformat(), "ToDate": y.end.isoformat()}
            for y in sorted(years.values(), key=lambda y: y.start)
        ],
        "accounts": _accounts(document, vouchers),
        "voucherseries": _series(document),
        "costcenters": [
            {"Code": o.number, "Description": o.name or o.number}
            for o in document.objects
            if o.dimension == 1
        ],
        "projects": [
            {"ProjectNumber": o.number, "Description": (o.name or o.number)[:50]}
            for o in document.objects
            if o.dimension == 6
        ],
        "openingbalances": [
            {
                "FinancialYearDate": years[b.year].start.isoformat(),
                "Account": int(b.account),
                "Balance": b.amount,
            }
            for b in document.balances
            if b.label == "#IB" and b.year in years and b.account.isdigit()
        ],
        "vouchers": vouchers,
    }
    if name:
        spec["name"] = name
    if document.company_id and document.company_id.isdigit() and len(document.company_id) <= 9:
        spec["id"] = int(document.company_id)  # #FNR is the company's database number in Fortnox
    return spec


def _company(document: sie.SieDocument) -> dict[str, Any]:
    company: dict[str, Any] = {"CompanyName": document.company_name or "Företaget från SIE"}
    if document.org_number:
        company["OrganizationNumber"] = document.org_number.number
    address = document.address
    if address:
        first, _, last = address.contact.partition(" ")
        postal = _POSTAL.match(address.postal)
        company.update(
            ContactFirstName=first,
            ContactLastName=last,
            Address=address.street,
            ZipCode=postal[1] if postal else "",
            City=postal[2] if postal else address.postal,
            Phone1=address.phone,
        )
    return company


def _accounts(document: sie.SieDocument, vouchers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    declared = {a.number: a for a in document.accounts if a.number.isdigit()}
    used = {str(row["Account"]) for v in vouchers for row in v["VoucherRows"]}
    used |= {b.account for b in document.balances if b.label == "#IB"}  # opening balances need them
    numbers = sorted({*declared, *(n for n in used if n.isdigit())}, key=int)
    out = []
    for number in numbers:
        account = declared.get(number)
        record: dict[str, Any] = {
            "Number": int(number),
            "Description": (account and account.name) or f"Konto {number}",
        }
        if account and account.sru and account.sru[0].isdigit():
            record["SRU"] = int(account.sru[0])
        if account and account.unit:
            record["QuantityUnit"] = account.unit
        out.append(record)
    return out


def _series(document: sie.SieDocument) -> list[dict[str, Any]]:
    series = [{"Code": code, "Description": text, "Manual": manual} for code, text, manual in STANDARD_SERIES]
    known = {code for code, _, _ in STANDARD_SERIES}
    for voucher in document.vouchers:
        code = (voucher.series or "A").upper()
        if code not in known:
            known.add(code)
            series.append(
                {
                    "Code": code,
                    "Description": f"Från {document.program.name if document.program else 'SIE'}",
                    "Manual": True,
                }
            )
    return series


def _voucher(voucher: sie.Voucher) -> dict[str, Any]:
    rows = voucher.booked_rows
    if not rows:  # every row removed: it still holds its number (see bridge.importers.sie)
        removed = [r for r in voucher.rows if r.label == "#BTRANS"]
        rows = (*removed, *(r._replace(amount=-r.amount) for r in removed))
    return {
        "VoucherSeries": (voucher.series or "A").upper(),
        "TransactionDate": voucher.date.isoformat() if voucher.date else "",
        "Description": (voucher.text or f"Verifikation {voucher.series} {voucher.number}".strip())[:200],
        "RegistrationDate": voucher.registration_date.isoformat() if voucher.registration_date else None,
        "VoucherRows": [_row(row) for row in rows],
    }


def _row(row: sie.Transaction) -> dict[str, Any]:
    amount: Decimal = row.amount
    out: dict[str, Any] = {"Account": int(row.account)}
    out["Debit" if amount >= 0 else "Credit"] = abs(amount)
    objects = dict(row.objects)
    if objects.get(1):
        out["CostCenter"] = objects[1]
    if objects.get(6):
        out["Project"] = objects[6]
    if row.text:
        out["TransactionInformation"] = row.text[:100]
    if row.quantity is not None:
        out["Quantity"] = row.quantity
    return out
