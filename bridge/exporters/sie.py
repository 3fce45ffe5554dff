"""Fortnox's own SIE export of each financial year, checked before anyone can read it.

For every chosen year: `GET /3/sie/{type}?financialyear=ID` (Fortnox answers the file itself,
CP437), written under a temporary name beside its final place, read back with the bridge's
SIE reader and published — renamed to `<orgnr>_<year>_SIE<type>.se` — only when it passes:
it is a SIE file of the type asked for, about that financial year (#RAR 0), without errors
(every voucher balances), its vouchers dated inside the year, and its #KSUMMA right when it
has one. A file that fails is not published; the reasons are the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bridge import sie
from bridge.fortnox import FortnoxClient
from bridge.fortnox.masterdata import fetch_financial_years
from bridge.model import FinancialYear
from bridge.util import AtomicFile

__all__ = [
    "ExportRequestError",
    "YearExport",
    "choose_years",
    "export_name",
    "export_sie",
    "verify_export",
    "year_label",
]

SIE_SUFFIXES = (".se", ".si", ".sie")
PROGRESS_EVERY = 5000  # vouchers between progress messages while a file is checked
SHOWN_PROBLEMS = 5

Progress = Callable[[str], None]


class ExportRequestError(ValueError):
    """What was asked for cannot be exported (no such year, a file name for several years)."""


@dataclass
class YearExport:
    """One financial year's export: where it was published, or why not."""

    year: FinancialYear
    name: str
    path: Path | None = None
    vouchers: int = 0
    rows: int = 0
    size: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.path is not None

    def to_json(self) -> dict:
        return {
            "financial_year": {
                "id": self.year.id,
                "from": self.year.from_date.isoformat(),
                "to": self.year.to_date.isoformat(),
            },
            "file": str(self.path) if self.path else None,
            "name": self.name,
            "ok": self.ok,
            "vouchers": self.vouchers,
            "rows": self.rows,
            "bytes": self.size,
            "problems": self.problems,
            "warnings": self.warnings,
        }


def export_sie(
    client: FortnoxClient,
    folder: Path,
    *,
    year: int | None = None,
    years: int = 1,
    sie_type: int = 4,
    file_name: str | None = None,
    today: date | None = None,
    progress: Progress = lambda _: None,
) -> list[YearExport]:
    """Export `years` financial years (the one beginning in `year` and those before it, or the
    latest ones begun by `today`) into `folder`; `file_name` names the file of a single year."""
    if file_name and years != 1:
        raise ExportRequestError("a file name can only be given for one year; name a folder instead")
    company = client.get("/3/companyinformation").get("CompanyInformation", {})
    organisation = company.get("OrganizationNumber") or ""
    owner = (
        "".join(ch for ch in organisation if ch.isdigit()) or f"company{company.get('DatabaseNumber', '')}"
    )
    chosen = choose_years(fetch_financial_years(client), year, years, today or date.today())
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _export_year(
            client,
            chosen_year,
            sie_type,
            folder,
            file_name or export_name(owner, chosen_year, sie_type),
            progress,
        )
        for chosen_year in chosen
    ]


def choose_years(
    available: Sequence[FinancialYear], year: int | None, count: int, today: date
) -> list[FinancialYear]:
    """The year beginning in `year` (or the latest begun by `today`) and the `count - 1` before it,
    oldest first."""
    ordered = sorted(available, key=lambda y: y.from_date)
    if year is None:
        begun = [y for y in ordered if y.from_date <= today] or ordered
        if not begun:
            raise ExportRequestError("the company has no financial year in Fortnox")
        last = len(begun) - 1
    else:
        matches = [i for i, y in enumerate(ordered) if y.from_date.year == year]
        if not matches:
            known = ", ".join(f"{y.from_date} – {y.to_date}" for y in ordered) or "none"
            raise ExportRequestError(f"no financial year begins in {year}; the company has: {known}")
        last = matches[-1]
    return ordered[max(0, last - count + 1) : last + 1]


def export_name(owner: str, year: FinancialYear, sie_type: int) -> str:
    """`5564401452_2025_SIE4.se`; a year that is not a calendar year is named by its dates."""
    return f"{owner}_{year_label(year)}_SIE{sie_type}.se"


def year_label(year: FinancialYear) -> str:
    """`2025` for a calendar year, `20240701-20250630` for any other."""
    calendar = (year.from_date.month, year.from_date.day, year.to_date.month, year.to_date.day) == (
        1,
        1,
        12,
        31,
    )
    return str(year.from_date.year) if calendar else f"{year.from_date:%Y%m%d}-{year.to_date:%Y%m%d}"


def _export_year(
    client: FortnoxClient, year: FinancialYear, sie_type: int, folder: Path, name: str, progress: Progress
) -> YearExport:
    label = f"{year.from_date} – {year.to_date}"
    result = YearExport(year, name)
    progress(f"{label}: asking Fortnox for SIE {sie_type} …")
    data = client.get(f"/3/sie/{sie_type}", financialyear=year.id)
    if not isinstance(data, bytes):
        result.problems.append("Fortnox did not answer with a file")
        return result
    result.size = len(data)
    with AtomicFile(folder / name) as pending:
        pending.handle.write(data)
        pending.flush()
        progress(f"{label}: checking {len(data):,} bytes …")
        result.problems, result.warnings, result.vouchers, result.rows = verify_export(
            pending.temporary, sie_type, year, lambda n: progress(f"{label}: {n:,} vouchers checked …")
        )
        if result.problems:
            return result  # not published: the temporary file is removed
        pending.commit()
    result.path = pending.path
    progress(f"{label}: {result.vouchers:,} vouchers, {result.rows:,} rows → {result.path}")
    return result


def verify_export(
    path: Path, sie_type: int, year: FinancialYear, on_progress: Callable[[int], None] = lambda _: None
) -> tuple[list[str], list[str], int, int]:
    """Problems that forbid publishing the file, warnings, and its voucher and row counts."""
    with path.open("rb") as handle:
        if handle.read(1) != b"#":
            return ["the answer is not a SIE file (it does not begin with a #label)"], [], 0, 0
    reader = sie.SieReader(path)
    current: sie.Year | None = None
    outside: list[str] = []
    for record in reader:
        if isinstance(record, sie.Year) and record.year == 0:
            current = record
        elif isinstance(record, sie.Voucher):
            if record.date and not year.from_date <= record.date <= year.to_date:
                outside.append(
                    f"line {record.line}: voucher {record.key} is dated outside the financial year"
                )
            if reader.vouchers % PROGRESS_EVERY == 0:
                on_progress(reader.vouchers)
    problems = [
        f"{p.where()}: {p.message}" if p.where() else p.message for p in reader.problems if p.is_error
    ]
    problems = problems[:SHOWN_PROBLEMS] + outside[:SHOWN_PROBLEMS]
    if reader.sie_type != sie_type:
        problems.append(f"the file says #SIETYP {reader.sie_type}, not the type {sie_type} asked for")
    if current is None or (current.start, current.end) != (year.from_date, year.to_date):
        found = f"{current.start} – {current.end}" if current else "nothing"
        problems.append(f"#RAR 0 says {found}, not the financial year {year.from_date} – {year.to_date}")
    checksum = reader.checksum.status
    if checksum not in (sie.ChecksumStatus.ABSENT, sie.ChecksumStatus.VALID):
        problems.append(f"#KSUMMA is {checksum}: the file is not as Fortnox wrote it")
    warnings = [p.message for p in reader.problems if not p.is_error][:SHOWN_PROBLEMS]
    return problems, warnings, reader.vouchers, reader.rows
