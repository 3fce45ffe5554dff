"""From documents to ordered Fortnox calls. Pure: no network, so `check` can show the plan.

Each kind of document has a planner `(document, tenant settings, master data) -> DocumentPlan`.
Master data may be `None` (never fetched, or offline); planners then check what they can and
leave the rest to Fortnox. A plan with error problems is not sent: the document fails before
any call, with the problems as its report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bridge.config import TenantSettings
from bridge.masterdata import MasterData
from bridge.planner.cancel import plan_cancel
from bridge.planner.files import plan_file
from bridge.planner.invoices import plan_invoice
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref, stamp_for
from bridge.planner.supplierinvoices import plan_supplier_invoice

__all__ = [
    "NEEDS_MASTER_DATA",
    "PLANNERS",
    "DocumentPlan",
    "Lookup",
    "Step",
    "plan_documents",
    "ref",
    "stamp_for",
]

Planner = Callable[[Any, TenantSettings, MasterData | None], DocumentPlan]

PLANNERS: dict[str, Planner] = {
    "invoice": plan_invoice,
    "supplierinvoice": plan_supplier_invoice,
    "file": plan_file,
    "cancel": plan_cancel,
}

# Kinds whose planning judges against the company's registers; the bridge fetches master data
# before planning them when it has none yet.
NEEDS_MASTER_DATA: frozenset[str] = frozenset({"supplierinvoice", "file"})


def plan_documents(
    documents: Iterable[Any], tenant: TenantSettings, master: MasterData | None = None
) -> list[DocumentPlan]:
    return [PLANNERS[document.kind](document, tenant, master) for document in documents]
