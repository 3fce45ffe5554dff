"""What each flow of the bridge needs from Fortnox: scopes in the consent, licences in the company.

Fortnox gives an integration access through two gates (its page "Scopes"): the consent must
include the scope of a resource, and the company must own the licence (the module) behind it.
A missing scope answers 2000663, a missing licence 2001101. The bridge names what it needs per
flow, asks for all of it when connecting, and checks it before any file is sent, so that a
missing module is one sentence to a business owner instead of a failed file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "FLOWS",
    "MODULES",
    "PROBES",
    "Flow",
    "flow_of_kind",
    "flows_named",
    "scope_of_path",
    "scopes_for",
]


@dataclass(frozen=True)
class Flow:
    name: str
    label: str  # for people: "customer invoices"
    kinds: tuple[str, ...]  # the ledger's document kinds this flow sends
    scopes: tuple[str, ...]  # without these the flow cannot run
    extra_scopes: tuple[str, ...] = ()  # asked for too; used only when a file needs them


FLOWS: tuple[Flow, ...] = (
    Flow(
        "invoices",
        "customer invoices",
        ("invoice",),
        ("invoice", "customer", "article", "companyinformation"),
    ),
    Flow(
        "supplierinvoices",
        "supplier invoices",
        ("supplierinvoice", "cancel"),
        ("supplierinvoice", "supplier", "inbox", "connectfile"),
        ("bookkeeping",),
    ),
    Flow(
        "vouchers",
        "vouchers and SIE files",
        ("voucher", "registers"),
        ("bookkeeping", "settings"),
        ("costcenter", "project"),
    ),
    # Without the warehouse module a purchase order is kept by the bridge as an expected order,
    # so the module is asked for, never required (the plan's probe step finds out).
    Flow(
        "purchaseorders",
        "purchase orders",
        ("purchaseorder",),
        ("supplier",),
        ("warehouse", "article"),
    ),
    Flow("files", "documents (PDF) for Fortnox's inbox", ("file",), ("inbox", "connectfile"), ("archive",)),
    Flow("exports", "exports", (), ("archive", "bookkeeping", "companyinformation"), ("payment",)),
)

_BY_NAME = {flow.name: flow for flow in FLOWS}
_BY_KIND = {kind: flow for flow in FLOWS for kind in flow.kinds}

# The module (licence) behind each scope, named as a business owner knows it in Fortnox.
MODULES = {
    "article": "Fakturering (invoicing: articles)",
    "archive": "Arkivplats (file archive)",
    "bookkeeping": "Bokföring (bookkeeping)",
    "companyinformation": "company information",
    "connectfile": "Arkivplats (attaching files)",
    "costcenter": "Bokföring (cost centres)",
    "currency": "currencies",
    "customer": "Fakturering (invoicing: customers)",
    "inbox": "Arkivplats (the inbox for documents)",
    "invoice": "Fakturering (invoicing)",
    "order": "Order (orders)",
    "payment": "payments",
    "price": "price lists",
    "print": "print templates",
    "profile": "user profile",
    "project": "Projekt (projects)",
    "settings": "company settings",
    "supplier": "Leverantörsfakturor (suppliers)",
    "supplierinvoice": "Leverantörsfakturor (supplier invoices)",
    "warehouse": "Lager (warehouse: purchase orders, incoming goods)",
}

# One cheap read per scope: Fortnox answers 2001101 when the company lacks the licence.
PROBES = {
    "article": "/3/articles?limit=1",
    "archive": "/3/archive",
    "bookkeeping": "/3/financialyears?limit=1",
    "companyinformation": "/3/companyinformation",
    "connectfile": "/3/voucherfileconnections?limit=1",
    "costcenter": "/3/costcenters?limit=1",
    "currency": "/3/currencies?limit=1",
    "customer": "/3/customers?limit=1",
    "inbox": "/3/inbox",
    "invoice": "/3/invoices?limit=1",
    "payment": "/3/invoicepayments?limit=1",
    "project": "/3/projects?limit=1",
    "settings": "/3/settings/lockedperiod",
    "supplier": "/3/suppliers?limit=1",
    "supplierinvoice": "/3/supplierinvoices?limit=1",
    "warehouse": "/api/warehouse/purchaseorders-v1?limit=1",
}

# Path prefixes of the resources the bridge uses, after Fortnox's table of scopes.
_PATH_SCOPES = (
    ("/3/invoicepayments", "payment"),
    ("/3/supplierinvoicepayments", "payment"),
    ("/3/supplierinvoicefileconnections", "connectfile"),
    ("/3/voucherfileconnections", "connectfile"),
    ("/3/articlefileconnections", "connectfile"),
    ("/3/supplierinvoiceaccruals", "supplierinvoice"),
    ("/3/supplierinvoices", "supplierinvoice"),
    ("/3/suppliers", "supplier"),
    ("/3/invoiceaccruals", "invoice"),
    ("/3/invoices", "invoice"),
    ("/api/fileattachments", "invoice"),
    ("/3/customers", "customer"),
    ("/3/articles", "article"),
    ("/3/companyinformation", "companyinformation"),
    ("/3/predefinedvoucherseries", "settings"),
    ("/3/predefinedaccounts", "settings"),
    ("/3/settings", "settings"),
    ("/3/accounts", "bookkeeping"),
    ("/3/financialyears", "bookkeeping"),
    ("/3/vouchers", "bookkeeping"),
    ("/3/voucherseries", "bookkeeping"),
    ("/3/sie", "bookkeeping"),
    ("/3/costcenters", "costcenter"),
    ("/3/projects", "project"),
    ("/3/currencies", "currency"),
    ("/3/archive", "archive"),
    ("/3/inbox", "inbox"),
    ("/3/me", "profile"),
    ("/api/warehouse", "warehouse"),
)
_FLOW_NAMES = re.compile(r"[\s,]+")


def flows_named(text: str) -> tuple[Flow, ...]:
    """`"invoices, vouchers"` → those flows; `"all"` or empty → every flow. Unknown names raise
    ValueError naming the known ones."""
    names = [n for n in _FLOW_NAMES.split(text.strip().lower()) if n]
    if not names or names == ["all"]:
        return FLOWS
    unknown = [n for n in names if n not in _BY_NAME]
    if unknown:
        raise ValueError(f"unknown flow {', '.join(unknown)}; known: all, {', '.join(_BY_NAME)}")
    return tuple(_BY_NAME[n] for n in dict.fromkeys(names))


def scopes_for(flows: tuple[Flow, ...]) -> tuple[str, ...]:
    """Every scope the flows need or may use, sorted (the order Fortnox's consent page lists)."""
    return tuple(sorted({s for flow in flows for s in (*flow.scopes, *flow.extra_scopes)}))


def flow_of_kind(kind: str) -> Flow | None:
    return _BY_KIND.get(kind)


def scope_of_path(path: str) -> str:
    """The scope a request path needs, or "" when the bridge does not know it."""
    path = path.split("?", 1)[0]
    return next((scope for prefix, scope in _PATH_SCOPES if path.startswith(prefix)), "")
