"""What the bridge knows about a company's registers, for checking documents before sending.

Fetched from Fortnox when it answers, kept in `.bridge/masterdata/<tenant>.json` so that
`check` and an offline bridge can still validate. Every part may be unknown (`None`): a
register the token has no scope for, or a company never reached. Unknown means "do not
judge", never "does not exist".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.util import atomic_write, dumps, loads

__all__ = ["FinancialYear", "MasterData", "fetch_master_data", "load_master_data", "save_master_data"]

log = logging.getLogger("bridge")


@dataclass(frozen=True)
class FinancialYear:
    id: int
    from_date: date
    to_date: date

    def contains(self, day: date) -> bool:
        return self.from_date <= day <= self.to_date


@dataclass(frozen=True)
class MasterData:
    fetched_at: str = ""
    organisation_number: str | None = None
    company_name: str | None = None
    financial_years: tuple[FinancialYear, ...] | None = None
    accounts: dict[int, dict[int, bool]] | None = None  # year id -> account number -> active
    voucher_series: dict[str, bool] | None = None  # code -> allows manual vouchers
    cost_centers: frozenset[str] | None = None
    projects: frozenset[str] | None = None
    locked_until: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def year_of(self, day: date) -> FinancialYear | None:
        return next((y for y in self.financial_years or () if y.contains(day)), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "fetched_at": self.fetched_at,
            "organisation_number": self.organisation_number,
            "company_name": self.company_name,
            "financial_years": None
            if self.financial_years is None
            else [[y.id, y.from_date.isoformat(), y.to_date.isoformat()] for y in self.financial_years],
            "accounts": None
            if self.accounts is None
            else {str(y): {str(n): a for n, a in accounts.items()} for y, accounts in self.accounts.items()},
            "voucher_series": self.voucher_series,
            "cost_centers": None if self.cost_centers is None else sorted(self.cost_centers),
            "projects": None if self.projects is None else sorted(self.projects),
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MasterData:
        years = data.get("financial_years")
        accounts = data.get("accounts")
        return cls(
            fetched_at=data.get("fetched_at", ""),
            organisation_number=data.get("organisation_number"),
            company_name=data.get("company_name"),
            financial_years=None
            if years is None
            else tuple(
                FinancialYear(int(i), date.fromisoformat(f), date.fromisoformat(t)) for i, f, t in years
            ),
            accounts=None
            if accounts is None
            else {int(y): {int(n): bool(a) for n, a in numbers.items()} for y, numbers in accounts.items()},
            voucher_series=data.get("voucher_series"),
            cost_centers=None if data.get("cost_centers") is None else frozenset(data["cost_centers"]),
            projects=None if data.get("projects") is None else frozenset(data["projects"]),
            locked_until=date.fromisoformat(data["locked_until"]) if data.get("locked_until") else None,
            extra=data.get("extra", {}),
        )


def _optional(fetch, what: str):
    """A register we may not be allowed to read: unknown rather than an error."""
    try:
        return fetch()
    except FortnoxError as error:
        if error.transient:
            raise
        log.info("master data: %s not available (%s)", what, error.message)
        return None


def fetch_master_data(client: FortnoxClient) -> MasterData:
    """Read the registers the planner checks against. Raises only when Fortnox is unreachable."""
    company = _optional(
        lambda: client.get("/3/companyinformation")["CompanyInformation"], "company information"
    )
    years = _optional(
        lambda: tuple(
            FinancialYear(int(y["Id"]), date.fromisoformat(y["FromDate"]), date.fromisoformat(y["ToDate"]))
            for y in client.iter_pages("/3/financialyears", "FinancialYears")
        ),
        "financial years",
    )
    accounts = None
    if years:
        accounts = _optional(
            lambda: {
                y.id: {
                    int(a["Number"]): bool(a.get("Active", True))
                    for a in client.iter_pages("/3/accounts", "Accounts", financialyear=y.id)
                }
                for y in years
            },
            "accounts",
        )
    series = _optional(
        lambda: {
            s["Code"]: bool(s.get("Manual", True))
            for s in client.iter_pages("/3/voucherseries", "VoucherSeriesCollection")
        },
        "voucher series",
    )
    cost_centers = _optional(
        lambda: frozenset(c["Code"] for c in client.iter_pages("/3/costcenters", "CostCenters")),
        "cost centres",
    )
    projects = _optional(
        lambda: frozenset(p["ProjectNumber"] for p in client.iter_pages("/3/projects", "Projects")),
        "projects",
    )
    locked = _optional(
        lambda: client.get("/3/settings/lockedperiod")["LockedPeriod"].get("EndDate"), "locked period"
    )
    return MasterData(
        fetched_at=datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        organisation_number=(company or {}).get("OrganizationNumber"),
        company_name=(company or {}).get("CompanyName"),
        financial_years=years,
        accounts=accounts,
        voucher_series=series,
        cost_centers=cost_centers,
        projects=projects,
        locked_until=date.fromisoformat(locked) if locked else None,
    )


def master_data_path(state_dir: Path, tenant: str) -> Path:
    return state_dir / "masterdata" / f"{tenant}.json"


def load_master_data(state_dir: Path, tenant: str) -> MasterData | None:
    path = master_data_path(state_dir, tenant)
    if not path.exists():
        return None
    return MasterData.from_json(loads(path.read_text(encoding="utf-8")))


def save_master_data(state_dir: Path, tenant: str, master: MasterData) -> None:
    atomic_write(master_data_path(state_dir, tenant), dumps(master.to_json(), indent=2))
