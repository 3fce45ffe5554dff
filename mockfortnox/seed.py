"""Seeds: JSON describing OAuth clients and companies, loaded through the same rules as the API.

Records of registers the mock does not model yet are stored as given, keyed by their
identifying field, so a seed written today keeps working as the mock grows.
"""

from __future__ import annotations

from importlib import resources as package_files
from pathlib import Path
from typing import Any

from bridge.jsonnum import loads
from mockfortnox.resources import RESOURCES
from mockfortnox.state import Client, MockState, Tenant

__all__ = ["DEMO_SEED", "apply_seed", "load_seed", "seed_tenant"]

DEMO_SEED = "demo"

# Registers come before the documents that refer to them.
ORDER = (
    "financialyears", "accounts", "voucherseries", "costcenters", "projects", "currencies",
    "termsofpayments", "units", "customers", "articles", "suppliers", "invoices", "vouchers",
    "supplierinvoices",
)  # fmt: skip
RAW_KEYS = {"accounts": "Number", "financialyears": "Id", "voucherseries": "Code", "costcenters": "Code",
            "projects": "ProjectNumber", "currencies": "Code", "termsofpayments": "Code", "units": "Code"}  # fmt: skip


def load_seed(source: str | Path) -> dict[str, Any]:
    """A seed by name (`demo`) or from a JSON file."""
    if str(source) == DEMO_SEED:
        text = package_files.files("mockfortnox").joinpath("seeds/demo-company.json").read_text("utf-8")
        return loads(text)
    return loads(Path(source).read_text(encoding="utf-8"))


def apply_seed(state: MockState, seed: dict[str, Any]) -> list[Tenant]:
    """Add the seed's clients and tenants to `state` (inside an app context)."""
    for item in seed.get("clients", []):
        state.clients[item["client_id"]] = Client(**item)
    return [seed_tenant(state, spec) for spec in seed.get("tenants", [])]


def seed_tenant(
    state: MockState, spec: dict[str, Any], *, name: str | None = None, tenant_id: int | None = None
) -> Tenant:
    tenant = Tenant(
        id=tenant_id or spec.get("id") or state.new_tenant_id(),
        name=name or spec.get("name") or "",
        company=dict(spec.get("company", {})),
        licences=list(spec.get("licences", [])),
        settings=dict(spec.get("settings", {})),
    )
    tenant.name = tenant.name or f"tenant{tenant.id}"
    if state.tenant(tenant.id) is not None or state.tenant(tenant.name) is not None:
        raise ValueError(f"a tenant with id {tenant.id} or name {tenant.name!r} already exists")
    state.add_tenant(tenant)
    with tenant.lock:
        for table in ORDER:
            for record in spec.get(table, []):
                _insert(tenant, table, record)
    return tenant


def _insert(tenant: Tenant, table: str, record: dict[str, Any]) -> None:
    resource = RESOURCES.get(table)
    if resource is not None:
        resource.create(tenant, dict(record))
        return
    key_field = RAW_KEYS[table]
    record = dict(record)
    if key_field not in record:
        record[key_field] = tenant.next_number(table)
    tenant.table(table)[str(record[key_field])] = record
