"""Reading a company's registers from Fortnox: what the planner checks documents against.

A register the token may not read (no scope, no licence) is unknown (`None`), not an error;
only an unreachable Fortnox raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from bridge.fortnox.client import FortnoxClient
from bridge.fortnox.errors import FortnoxError
from bridge.model import FinancialYear, MasterData

__all__ = ["fetch_financial_years", "fetch_master_data"]

log = logging.getLogger("bridge")

T = TypeVar("T")


def _optional(fetch: Callable[[], T], what: str) -> T | None:
    """A register we may not be allowed to read: unknown rather than an error."""
    try:
        return fetch()
    except FortnoxError as error:
        if error.transient:
            raise
        log.info("master data: %s not available (%s)", what, error.message)
        return None


def fetch_financial_years(client: FortnoxClient) -> tuple[FinancialYear, ...]:
    return tuple(
        FinancialYear(int(y["Id"]), date.fromisoformat(y["FromDate"]), date.fromisoformat(y["ToDate"]))
        for y in client.iter_pages("/3/financialyears", "FinancialYears")
    )


def fetch_master_data(client: FortnoxClient) -> MasterData:
    """Read the registers the planner checks against. Raises only when Fortnox is unreachable."""
    company: dict[str, Any] | None = _optional(
        lambda: client.get("/3/companyinformation")["CompanyInformation"], "company information"
    )
    years = _optional(lambda: fetch_financial_years(client), "financial years")
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
    locked: str | None = _optional(
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
