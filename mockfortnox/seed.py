"""Seeds: JSON describing OAuth clients and companies, loaded through the same rules as the API.

A tenant spec has `name`, `id`, `company`, `licences`, `settings` (e.g. `LockedPeriodEnd`),
`api_licence` (false: every call answers 2001103), `user` (what `/3/me` shows), and one list
per register (`financialyears`, `accounts`, `voucherseries`, `customers`, `suppliers`,
`invoices`, …, and `vouchers`), in the same shape as the API's bodies. Two more for
bookkeeping: `openingbalances` (`{"FinancialYearDate", "Account", "Balance"}`: an account's
opening balance in the year holding that date) and, on a voucher, `RegistrationDate` (what a
SIE export shows as its registration date). A SIE file (`.se`, `.si`, `.sie`) is a seed too:
see `mockfortnox.sie_seed`.
"""

from __future__ import annotations

from importlib import resources as package_files
from pathlib import Path
from typing import Any

from bridge.util import loads
from mockfortnox.errors import ApiError
from mockfortnox.resources import RESOURCES
from mockfortnox.resources.bookkeeping import DEFAULT_PREDEFINED_SERIES, accounts_resource, year_for_date
from mockfortnox.resources.services import READ_ONLY_TABLES
from mockfortnox.resources.vouchers import vouchers
from mockfortnox.sie_seed import looks_like_sie_seed, tenant_name_for, tenant_spec_from_sie
from mockfortnox.state import Client, MockState, Tenant, User

__all__ = ["DEMO_SEED", "add_user", "apply_seed", "company_user", "load_seed", "seed_tenant"]

DEMO_SEED = "demo"
DEFAULT_PASSWORD = "fortnox"  # of a company's own user (its `user`) on the consent page
# Seed keys that are not registers of records.
TENANT_KEYS = frozenset({"name", "id", "company", "licences", "settings", "api_licence", "user"})
BOOKKEEPING_KEYS = frozenset({"openingbalances", "vouchers"})


def load_seed(source: str | Path) -> dict[str, Any]:
    """A seed by name (`demo`), from a JSON file, or from a SIE file (one company named after
    the file, with the demo company's OAuth client)."""
    if str(source) == DEMO_SEED:
        text = package_files.files("mockfortnox").joinpath("seeds/demo-company.json").read_text("utf-8")
        return loads(text)
    if looks_like_sie_seed(source):
        spec = tenant_spec_from_sie(Path(source), name=tenant_name_for(str(source)))
        return {"clients": load_seed(DEMO_SEED)["clients"], "tenants": [spec]}
    return loads(Path(source).read_text(encoding="utf-8"))


def apply_seed(state: MockState, seed: dict[str, Any]) -> list[Tenant]:
    """Add the seed's clients and tenants to `state` (inside an app context). Every client that
    may use service accounts gets the administrator's consent for every seeded company, so a
    `client_credentials` grant works at once."""
    for item in seed.get("clients", []):
        state.add_client(Client(**item))
    tenants = [seed_tenant(state, spec) for spec in seed.get("tenants", [])]
    for tenant in tenants:
        consent_all_service_clients(state, tenant)
    for item in seed.get("users", []):
        add_user(state, item)
    return tenants


def add_user(state: MockState, item: dict[str, Any]) -> User:
    """A login for the consent page: `{"username", "password", "name", "sysadmin", "tenants":
    [names or ids]}`; ValueError naming what is wrong."""
    unknown = set(item) - {"username", "password", "name", "sysadmin", "tenants"}
    if unknown:
        raise ValueError(f"unknown user keys: {', '.join(sorted(unknown))}")
    if not isinstance(item.get("username"), str) or not isinstance(item.get("password"), str):
        raise ValueError("a user needs a username and a password (strings)")
    if not isinstance(item.get("tenants", []), list):
        raise ValueError("a user's tenants must be a list of company names or ids")
    ids = []
    for ref in item.get("tenants", []):
        tenant = state.tenant(ref)
        if tenant is None:
            raise ValueError(f"no tenant {ref!r} for user {item['username']}")
        ids.append(tenant.id)
    return state.add_user(
        User(item["username"], item["password"], str(item.get("name") or ""), bool(item.get("sysadmin")), ids)
    )


def company_user(state: MockState, tenant: Tenant) -> None:
    """The company's own user (its `user`, what `/3/me` shows) can log in on the consent page
    with the e-mail address and the password `fortnox`."""
    me = tenant.settings.get("user") or {}
    if me.get("Email"):
        state.add_user(
            User(me["Email"], DEFAULT_PASSWORD, me.get("Name", ""), bool(me.get("SysAdmin")), [tenant.id])
        )


def consent_all_service_clients(state: MockState, tenant: Tenant) -> None:
    for client in list(state.clients.values()):
        if client.service_accounts:
            state.consent_service(client.client_id, tenant.id)


def seed_tenant(
    state: MockState, spec: dict[str, Any], *, name: str | None = None, tenant_id: int | None = None
) -> Tenant:
    """A new company from a tenant spec: its registers go through the same rules as the API."""
    unknown = set(spec) - TENANT_KEYS - set(RESOURCES) - BOOKKEEPING_KEYS - set(READ_ONLY_TABLES)
    if unknown:
        raise ValueError(f"unknown seed keys: {', '.join(sorted(unknown))}")
    settings = dict(spec.get("settings", {}))
    if "user" in spec:
        settings["user"] = spec["user"]
    settings.setdefault("api_licence", spec.get("api_licence", True))
    tenant = Tenant(
        id=int(tenant_id or spec.get("id") or state.new_tenant_id()),
        name=name or spec.get("name") or "",
        company=dict(spec.get("company", {})),
        licences=list(spec.get("licences", [])),
        settings=settings,
    )
    tenant.name = tenant.name or f"tenant{tenant.id}"
    if state.tenant(tenant.id) is not None or state.tenant(tenant.name) is not None:
        raise ValueError(f"a tenant with id {tenant.id} or name {tenant.name!r} already exists")
    state.add_tenant(tenant)
    try:
        with tenant.lock:
            _fill(tenant, spec)
    except Exception:
        state.remove_tenant(tenant.id)  # a seed is applied whole or not at all
        raise
    company_user(state, tenant)
    return tenant


def _fill(tenant: Tenant, spec: dict[str, Any]) -> None:
    for table, resource in RESOURCES.items():
        records = spec.get(table)
        if table == "predefinedvoucherseries" and records is None:
            series = tenant.table("voucherseries")
            records = [
                {"Name": n, "VoucherSeries": s} for n, s in DEFAULT_PREDEFINED_SERIES.items() if s in series
            ]
        for record in records or []:
            if table == "accounts":  # one chart per financial year
                for year in tenant.table("financialyears").values():
                    resource.create(tenant, dict(record), year_id=year["Id"])
            else:
                resource.create(tenant, dict(record))
    for opening in spec.get("openingbalances", []):
        year = year_for_date(tenant, str(opening["FinancialYearDate"]))
        if year is None:
            raise ApiError("financialyear_missing", date=opening["FinancialYearDate"])
        account = accounts_resource.get(tenant, str(opening["Account"]), {"financialyear": str(year["Id"])})
        accounts_resource.update(tenant, account, {"BalanceBroughtForward": opening["Balance"]})
    for table in READ_ONLY_TABLES:  # rows Fortnox's own apps make; the API only reads them
        for number, row in enumerate(spec.get(table, []), start=1):
            tenant.put(table, str(row.get("id", row.get("ratingId", number))), dict(row))
    for voucher in spec.get("vouchers", []):
        record = vouchers.post(
            tenant,
            series=voucher["VoucherSeries"],
            transaction_date=voucher["TransactionDate"],
            description=voucher.get("Description", ""),
            rows=voucher.get("VoucherRows", []),
            comments=voucher.get("Comments", ""),
        )
        if voucher.get("RegistrationDate"):
            record["_registered"] = voucher["RegistrationDate"]
