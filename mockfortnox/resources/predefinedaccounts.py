"""`/3/predefinedaccounts`: the accounts Fortnox books to by function (bank giro, supplier
debt, sales at 25 %, rounding …), named as the C# SDK lists them; no POST and no DELETE (spec).

A new company starts with the defaults below, a BAS chart's usual accounts: Fortnox does not
publish a new company's defaults, so these numbers are the mock's. A PUT changes one; the
account must exist in the preselected year's chart and be active (code 2001265, spec).
"""

from __future__ import annotations

from flask import Blueprint, g

from mockfortnox.errors import ApiError
from mockfortnox.resources.bookkeeping import accounts_resource
from mockfortnox.resources.common import Resource, json_response, list_response, lower_args, read_body
from mockfortnox.state import Tenant

DEFAULTS = {
    "BG": 1930, "PG": 1920, "CASH": 1910, "CASHBYCARD": 1930, "AG": 1930,
    "PURCASE": 4000, "SUPDEBT": 2440, "SUPADMFEE": 6570, "SUPFREIGHT": 5710, "CASHDISCOUNTIN": 4731,
    "SALES": 3001, "SALES2": 3041, "SALES_MP2": 3002, "SALES_MP3": 3003, "SALESEXPORT": 3105,
    "SALESEUVAT": 3106, "SALESEUREV": 3108, "CUSTCLAIM": 1510, "ADMFEE": 3541, "FREIGHT": 3521,
    "CASHDISCOUNTOUT": 3731, "DEMAND": 3930, "INTEREST": 8313, "ROUNDOFF": 3740,
    "OUTVAT_MP1": 2611, "OUTVAT_MP2": 2621, "OUTVAT_MP3": 2631, "INVAT": 2640,
    "ACCRSINVOICE": 1790, "ACCRINVOICE": 2990, "CURRENCYWIN": 3960, "CURRENCYLOSS": 7960,
}  # fmt: skip


class PreDefinedAccounts(Resource):
    name, singular, plural = "predefinedaccounts", "PreDefinedAccount", "PreDefinedAccounts"
    key = "Name"
    scope = "settings"
    not_found = "predefinedaccount_not_found"
    location = "predefinedaccounts"
    template = {"Account": 0, "Name": ""}
    list_fields = ("Account", "Name")
    read_only = frozenset({"Name"})

    def records(self, tenant: Tenant) -> list[dict]:
        """Every predefined account: the company's own choices over the defaults."""
        chosen = tenant.table(self.name)
        return [chosen.get(name) or {"Account": account, "Name": name} for name, account in DEFAULTS.items()]

    def get(self, tenant: Tenant, key: str) -> dict:
        found = next((r for r in self.records(tenant) if r["Name"] == key.upper()), None)
        if found is None:
            raise ApiError(self.not_found)
        return found

    def choose(self, tenant: Tenant, name: str, body: dict) -> dict:
        record = dict(self.get(tenant, name))
        self.check_fields(body)
        account = str(body.get("Account") or "")
        if not (account.isdigit() and len(account) == 4):
            raise ApiError("predefinedaccount_account_invalid", account=account)
        try:
            chart = accounts_resource.get(tenant, account, lower_args())
        except ApiError:
            raise ApiError("predefinedaccount_account_invalid", account=account) from None
        if not chart["Active"]:
            raise ApiError("predefinedaccount_account_invalid", account=account)
        record["Account"] = int(account)
        return self.save(tenant, tenant.put(self.name, record["Name"], record))


predefinedaccounts = PreDefinedAccounts()
bp = Blueprint("predefinedaccounts", __name__)
bp.scope = predefinedaccounts.scope


@bp.get("/3/predefinedaccounts", strict_slashes=False)
def list_predefined_accounts():
    return list_response(predefinedaccounts, predefinedaccounts.records(g.tenant))


@bp.get("/3/predefinedaccounts/<name>", strict_slashes=False)
def get_predefined_account(name: str):
    record = predefinedaccounts.get(g.tenant, name)
    return json_response({"PreDefinedAccount": predefinedaccounts.single(record)})


@bp.put("/3/predefinedaccounts/<name>", strict_slashes=False)
def put_predefined_account(name: str):
    record = predefinedaccounts.choose(g.tenant, name, read_body("PreDefinedAccount"))
    return json_response({"PreDefinedAccount": predefinedaccounts.single(record)})
