"""The company's registers, kept: in memory, and in `.bridge/masterdata/<tenant>.json` so that
`check` and an offline bridge can still judge documents. Fetched (`bridge.fortnox.masterdata`)
only on the company's sending worker or when a person retries, never while a file is read."""

from __future__ import annotations

import logging
import time
from datetime import date
from pathlib import Path
from typing import Any

from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.fortnox.masterdata import fetch_master_data
from bridge.model import FinancialYear, MasterData
from bridge.util import atomic_write, dumps, loads

__all__ = ["MasterDataCache", "load_master_data", "save_master_data"]

log = logging.getLogger("bridge")

FRESH_SECONDS = 60.0  # registers fetched this recently are not fetched again to judge a doubt


class MasterDataCache:
    """Each company's registers as last fetched, and whether they are fresh."""

    def __init__(self, state_dir: Path, clients: dict[str, FortnoxClient]) -> None:
        self.state_dir = state_dir
        self.clients = clients
        self._known: dict[str, MasterData | None] = {}
        self._fetched: dict[str, float] = {}

    def cached(self, tenant: str) -> MasterData | None:
        """What is known without asking Fortnox (None: never fetched)."""
        if self._known.get(tenant) is None:
            self._known[tenant] = load_master_data(self.state_dir, tenant)
        return self._known[tenant]

    def can_fetch(self, tenant: str) -> bool:
        return tenant in self.clients

    def is_fresh(self, tenant: str) -> bool:
        return time.monotonic() - self._fetched.get(tenant, -1e9) <= FRESH_SECONDS

    def forget_freshness(self, tenant: str) -> None:
        """A person says something changed in Fortnox: look again before judging."""
        self._fetched.pop(tenant, None)

    def refresh(self, tenant: str) -> MasterData | None:
        """Fetch the registers now (network); when Fortnox cannot answer, what was known."""
        if tenant not in self.clients:
            return self.cached(tenant)
        try:
            fresh = fetch_master_data(self.clients[tenant])
        except FortnoxError as error:
            log.info("master data of %s not refreshed: %s", tenant, error)
            return self.cached(tenant)
        save_master_data(self.state_dir, tenant, fresh)
        self._known[tenant] = fresh
        self._fetched[tenant] = time.monotonic()
        return fresh


def master_data_path(state_dir: Path, tenant: str) -> Path:
    return state_dir / "masterdata" / f"{tenant}.json"


def load_master_data(state_dir: Path, tenant: str) -> MasterData | None:
    path = master_data_path(state_dir, tenant)
    if not path.exists():
        return None
    return _from_json(loads(path.read_text(encoding="utf-8")))


def save_master_data(state_dir: Path, tenant: str, master: MasterData) -> None:
    atomic_write(master_data_path(state_dir, tenant), dumps(_to_json(master), indent=2))


def _to_json(master: MasterData) -> dict[str, Any]:
    return {
        "fetched_at": master.fetched_at,
        "organisation_number": master.organisation_number,
        "company_name": master.company_name,
        "financial_years": None
        if master.financial_years is None
        else [[y.id, y.from_date.isoformat(), y.to_date.isoformat()] for y in master.financial_years],
        "accounts": None
        if master.accounts is None
        else {str(y): {str(n): a for n, a in accounts.items()} for y, accounts in master.accounts.items()},
        "voucher_series": master.voucher_series,
        "cost_centers": None if master.cost_centers is None else sorted(master.cost_centers),
        "projects": None if master.projects is None else sorted(master.projects),
        "locked_until": master.locked_until.isoformat() if master.locked_until else None,
        "extra": master.extra,
    }


def _from_json(data: dict[str, Any]) -> MasterData:
    years = data.get("financial_years")
    accounts = data.get("accounts")
    return MasterData(
        fetched_at=data.get("fetched_at", ""),
        organisation_number=data.get("organisation_number"),
        company_name=data.get("company_name"),
        financial_years=None
        if years is None
        else tuple(FinancialYear(int(i), date.fromisoformat(f), date.fromisoformat(t)) for i, f, t in years),
        accounts=None
        if accounts is None
        else {int(y): {int(n): bool(a) for n, a in numbers.items()} for y, numbers in accounts.items()},
        voucher_series=data.get("voucher_series"),
        cost_centers=None if data.get("cost_centers") is None else frozenset(data["cost_centers"]),
        projects=None if data.get("projects") is None else frozenset(data["projects"]),
        locked_until=date.fromisoformat(data["locked_until"]) if data.get("locked_until") else None,
        extra=data.get("extra", {}),
    )
