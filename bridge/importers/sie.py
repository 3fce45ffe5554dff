"""SIE files (types 1–4, any of .se .si .sie or no extension): vouchers and master data.

Each #VER of a type 4 file (4E export or 4I import file) becomes one `Voucher`, its rows as
booked (an #RTRANS in place of its twin, #BTRANS left out; a voucher whose rows were all
removed gets them back with their reversal: it nets to zero but keeps its number). Types 1–3
hold no vouchers, only master data and balances: extraction returns no documents but a
warning saying so. Whatever the type, `declarations` carry what the planner judges the file
by (accounts, dimensions, objects, financial years, balances, company, program, currency),
and `facts` report what the file is, for people.

Identity of a voucher (`source_key`): series, number and date (`A 12 20250131`); for a voucher
without a number (common in 4I files), its content hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from bridge import sie
from bridge.importers.base import Source
from bridge.importers.seen import SeenKeys
from bridge.model import (
    Account,
    DeclaredCompany,
    DeclaredYear,
    Dimension,
    DimensionObject,
    Extraction,
    LedgerBalance,
    Problem,
    Severity,
    SieDeclarations,
    Voucher,
    VoucherRow,
    content_hash,
)
from bridge.util.i18n import N_

__all__ = ["SieImporter", "looks_like_sie"]

SUFFIXES = (".se", ".si", ".sie")
_FIRST_RECORD = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*#(?:FLAGGA|KSUMMA|PROGRAM|FORMAT|GEN|SIETYP|PROSA|FNR|FNAMN|ORGNR|ADRESS|RAR|KONTO|VER)\b"
)
_TITLE = re.compile(rb"<title>\s*([^<]{1,80})", re.IGNORECASE)
_COST_CENTRE, _PROJECT = 1, 6


def looks_like_sie(head: bytes) -> bool:
    """Does the file start with a SIE record? (Cheap: looks at the first bytes only.)"""
    return _FIRST_RECORD.match(head) is not None


class SieImporter:
    name = "sie"

    def identify(self, source: Source) -> bool:
        # A file named like SIE is ours even when it is not SIE inside (an HTML error page
        # saved as .se): then `extract` says clearly what it is instead of "unknown kind".
        return looks_like_sie(source.head) or source.name.lower().endswith(SUFFIXES)

    def extract(self, source: Source) -> Extraction:
        stream = self.stream(source)
        vouchers = tuple(stream)
        extraction = stream.extraction
        if extraction.errors:
            return extraction  # a file goes through whole or not at all; the report says why
        return replace(extraction, documents=vouchers)

    def stream(self, source: Source) -> SieVouchers:
        """The file's vouchers as they are read, for files of any size (see `SieVouchers`)."""
        return SieVouchers(self.name, source)


class SieVouchers:
    """The vouchers of one SIE file, read as they are iterated (the file is read again on each
    iteration, so nothing of it is held). Once an iteration is through, `extraction` holds
    the file's problems, facts and declarations — everything but the vouchers."""

    def __init__(self, importer: str, source: Source) -> None:
        self.importer = importer
        self.source = source
        self.extraction = Extraction(importer)

    def __iter__(self) -> Iterator[Voucher]:
        source = self.source
        if not looks_like_sie(source.head):
            self.extraction = Extraction(self.importer, problems=(_not_sie(source),))
            return
        stream = sie.DocumentStream(source.path)
        problems: list[Problem] = []
        seen = SeenKeys()  # millions of vouchers: 16 bytes each, not a string each
        for record in stream:
            voucher = _voucher(record, problems, seen)
            if voucher is not None:
                yield voucher
        document = stream.document
        problems[:0] = document.problems
        sie_type = _judged_type(document)
        if not stream.vouchers and sie_type in ("1", "2", "3"):
            problems.append(_not_booked(document, sie_type))
        if stream.vouchers and (document.balances or document.period_balances or document.object_balances):
            problems.append(
                Problem(
                    "the file's balances (#IB, #UB, #RES, #PSALDO …) are not imported: Fortnox computes "
                    "balances from the vouchers it holds",
                    severity=Severity.WARNING,
                    code="sie.balances-not-imported",
                )
            )
        self.extraction = Extraction(
            self.importer,
            (),
            tuple(problems),
            _facts(document, sie_type, stream),
            _declarations(document, sie_type),
        )


def _not_sie(source: Source) -> Problem:
    head = source.head.lstrip()
    if head[:1] == b"<":
        title = _TITLE.search(head)
        what = (
            f"an HTML page ({title.group(1).decode('ascii', 'replace').strip()})" if title else "an HTML page"
        )
        hint = "a download probably failed and saved its error page; fetch the SIE file again"
    else:
        what = "not a SIE file: SIE files begin with a #FLAGGA record"
        hint = "export the file again as SIE (type 4 for vouchers) from the accounting program"
    return Problem(
        f"{source.name} is {what}",
        line=1,
        hint=hint,
        code="sie.not-sie",
    )


def _judged_type(document: sie.SieDocument) -> str | None:
    """'1', '2', '3', '4E' or '4I': type 4 files are exports (4E) when they carry balances."""
    if document.sie_type != 4:
        return None if document.sie_type is None else str(document.sie_type)
    balances = document.balances or document.period_balances or document.object_balances
    return "4E" if balances or document.balances_until else "4I"


def _not_booked(document: sie.SieDocument, sie_type: str) -> Problem:
    return Problem(
        f"a SIE type {sie_type} file holds balances and master data, not vouchers: nothing is booked. "
        f"It declares {len(document.accounts)} accounts and {len(document.objects)} objects, which can be "
        "created in Fortnox; its balances are not imported",
        severity=Severity.WARNING,
        hint=N_("for vouchers, export SIE type 4 from the accounting program"),
        code="sie.no-vouchers",
    )


def _voucher(record: sie.Voucher, problems: list[Problem], seen: SeenKeys) -> Voucher | None:
    """The voucher as Fortnox will book it, with its key (`seen` counts the keys so far)."""
    if record.date is None:  # the reader reported the bad date
        return None
    booked = record.booked_rows or _removed_and_reversed(record, problems)
    rows = tuple(
        _row(row, problems)
        for row in booked
        if row.account and row.account.isdigit() and row.amount is not None  # else reported
    )
    voucher = Voucher(
        source_key=f"{record.series or '-'} {record.number} {record.date:%Y%m%d}" if record.number else "",
        transaction_date=record.date,
        description=record.text,
        rows=rows,
        series=record.series or None,
        source_number=record.number or None,
        registration_date=record.registration_date,
        line=record.line,
    )
    key = voucher.source_key or f"{record.series or '-'} {record.date:%Y%m%d} {content_hash(voucher)[:20]}"
    times = seen.add(key)
    if times > 1:
        if record.number:
            problems.append(
                Problem(
                    N_("voucher %(key)s appears more than once in the file") % {"key": key},
                    line=record.line,
                    hint=N_("each voucher number may be used once per series"),
                    code="sie.duplicate-voucher",
                )
            )
        key = f"{key}/{times}"  # the same unnumbered voucher twice: both are meant
    return voucher if key == voucher.source_key else replace(voucher, source_key=key)


def _removed_and_reversed(record: sie.Voucher, problems: list[Problem]) -> tuple[sie.Transaction, ...]:
    """A voucher whose rows were all removed (only #BTRANS left) books nothing, but it still holds
    its number. Fortnox cannot hold a voucher without rows, so it gets the removed rows and
    their reversal: it nets to zero on every account and keeps its place in the series."""
    removed = tuple(row for row in record.rows if row.label == "#BTRANS" and row.amount is not None)
    if not removed:
        return ()
    problems.append(
        Problem(
            f"voucher {record.key}: all its rows were removed (#BTRANS); it is sent with the removed "
            "rows and their reversal, which nets to zero, so that it keeps its number in the series",
            line=record.line,
            severity=Severity.WARNING,
            code="sie.all-rows-removed",
        )
    )
    return tuple(
        row._replace(label="#TRANS", amount=sign * row.amount) for sign in (1, -1) for row in removed
    )


def _row(row: sie.Transaction, problems: list[Problem]) -> VoucherRow:
    if len(row.account) != 4:
        problems.append(
            Problem(
                N_("account %(number)s does not have four digits; Fortnox accounts are 1000–9999")
                % {"number": row.account},
                line=row.line,
                field="account",
                severity=Severity.WARNING,
                code="sie.account-digits",
            )
        )
    if row.amount.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.append(
            Problem(
                N_("amount %(amount)s has more than two decimals; Fortnox books whole öre")
                % {"amount": row.amount},
                line=row.line,
                field="amount",
                code="sie.amount-decimals",
            )
        )
    cost_center = project = None
    objects: tuple[tuple[str, str], ...] = ()
    if row.objects:
        objects = tuple((str(dimension), number) for dimension, number in row.objects)
        cost_center, project = _object(row.objects, _COST_CENTRE), _object(row.objects, _PROJECT)
    return VoucherRow(
        int(row.account),
        row.amount,
        row.text or None,
        cost_center,
        project,
        row.quantity,
        row.line,
        objects,
        row.date,
    )


def _object(objects: sie.ObjectList, dimension: int) -> str | None:
    return next((number for dim, number in objects if dim == dimension), None)


def _facts(document: sie.SieDocument, sie_type: str | None, stream: sie.DocumentStream) -> dict[str, Any]:
    """What the file is and its counts — plain values, ready for JSON."""
    address = document.address
    company = {
        "name": document.company_name,
        "org_number": document.org_number.number if document.org_number else None,
        "company_id": document.company_id,
        "company_type": document.company_type,
        "address": None if address is None else {k: v for k, v in address._asdict().items() if k != "line"},
    }
    checksum = document.checksum
    return {
        "sie_type": sie_type,
        "encoding": document.encoding,
        "format": document.format,
        "program": _program(document),
        "generated": document.generated.date if document.generated else None,
        "checksum": {
            "status": str(checksum.status),
            "stated": checksum.stated,
            "computed": checksum.computed,
        },
        "company": company,
        "currency": document.currency or "SEK",
        "chart_type": document.chart_type,
        "balances_until": document.balances_until,
        "counts": {
            "accounts": len(document.accounts),
            "dimensions": len(document.dimensions),
            "objects": len(document.objects),
            "vouchers": stream.vouchers,
            "rows": stream.rows,
            "balances": len(document.balances)
            + len(document.object_balances)
            + len(document.period_balances),
            "unknown_records": len(document.unknown),
        },
    }


def _program(document: sie.SieDocument) -> str | None:
    if document.program is None:
        return None
    return f"{document.program.name} {document.program.version}".strip()


def _declarations(document: sie.SieDocument, sie_type: str | None) -> SieDeclarations:
    accounts = [
        Account(int(a.number), a.name, a.type, a.unit, a.sru)
        for a in document.accounts
        if a.number and a.number.isdigit()
    ]
    years = [DeclaredYear(y.year, y.start, y.end) for y in document.financial_years if y.start and y.end]
    balances = [
        LedgerBalance(
            kind=b.label.lstrip("#"),
            year_index=b.year,
            account=int(b.account),
            amount=b.amount,
            quantity=b.quantity,
            period=getattr(b, "period", None),
            objects=tuple((str(dim), number) for dim, number in getattr(b, "objects", ())),
        )
        for b in document.every_balance
        if b.account and b.account.isdigit() and b.amount is not None and b.year is not None
    ]
    return SieDeclarations(
        sie_type=sie_type,
        company=DeclaredCompany(
            document.company_name,
            document.org_number.number if document.org_number else None,
            document.company_id,
            document.company_type,
        ),
        program=_program(document) or "",
        currency=document.currency or "SEK",
        accounts=tuple(accounts),
        dimensions=tuple(
            Dimension(d.number, d.name, d.parent) for d in document.dimensions if d.number is not None
        ),
        objects=tuple(
            DimensionObject(o.dimension, o.number, o.name)
            for o in document.objects
            if o.dimension is not None
        ),
        years=tuple(years),
        balances=tuple(balances),
    )
