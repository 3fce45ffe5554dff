"""From documents to ordered Fortnox calls. Pure: no network, so `check` can show the plan.

Each type of document has a planner `(document, tenant settings, master data) -> DocumentPlan`
(`PLANNERS`). Master data may be `None` (never fetched, or offline); planners then check what
they can and leave the rest to Fortnox. A plan with error problems is not sent: the document
fails before any call, with the problems as its report.

Some files are judged as a whole: an extraction that carries declarations of a type in
`FILE_PLANNERS` is planned at once `(extraction, tenant, master) -> (problems, plans)`; an
error among those problems refuses the whole file before any call (SIE: one "registers"
document, then the vouchers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from bridge.config import TenantSettings
from bridge.model import (
    Cancellation,
    Extraction,
    Invoice,
    MasterData,
    PdfFile,
    Problem,
    SieDeclarations,
    SupplierInvoice,
    Voucher,
)
from bridge.planner.cancel import plan_cancel
from bridge.planner.files import plan_file
from bridge.planner.invoices import plan_invoice
from bridge.planner.sie import plan_sie_file
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref, stamp_for
from bridge.planner.supplierinvoices import plan_supplier_invoice
from bridge.planner.vouchers import plan_voucher

__all__ = [
    "FILE_PLANNERS",
    "NEEDS_MASTER_DATA",
    "PLANNERS",
    "DocumentPlan",
    "Lookup",
    "Step",
    "needs_master_data",
    "plan_documents",
    "plan_extraction",
    "ref",
    "stamp_for",
]

Planner = Callable[[Any, TenantSettings, MasterData | None], DocumentPlan]

FilePlanner = Callable[
    [Extraction, TenantSettings, MasterData | None], tuple[list[Problem], list[DocumentPlan]]
]

PLANNERS: dict[type, Planner] = {
    Invoice: plan_invoice,
    SupplierInvoice: plan_supplier_invoice,
    PdfFile: plan_file,
    Cancellation: plan_cancel,
    Voucher: plan_voucher,
}

# Declarations whose files are planned as a whole (they always judge against master data).
FILE_PLANNERS: dict[type, FilePlanner] = {
    SieDeclarations: plan_sie_file,
}

# Document types whose planning judges against the company's registers; the bridge fetches
# master data before planning them when it has none yet.
NEEDS_MASTER_DATA: frozenset[type] = frozenset({SupplierInvoice, PdfFile, Voucher})


def plan_documents(
    documents: Iterable[Any], tenant: TenantSettings, master: MasterData | None = None
) -> list[DocumentPlan]:
    return [PLANNERS[type(document)](document, tenant, master) for document in documents]


def needs_master_data(extraction: Extraction) -> bool:
    return type(extraction.declarations) in FILE_PLANNERS or any(
        type(d) in NEEDS_MASTER_DATA for d in extraction.documents
    )


def plan_extraction(
    extraction: Extraction, tenant: TenantSettings, master: MasterData | None = None
) -> tuple[Extraction, list[DocumentPlan]]:
    """Plan what a file holds; the problems a file planner finds join the extraction's (an
    error among them means: no plans, the file is refused as a whole)."""
    file_planner = FILE_PLANNERS.get(type(extraction.declarations))
    if file_planner is None:
        return extraction, plan_documents(extraction.documents, tenant, master)
    problems, plans = file_planner(extraction, tenant, master)
    return replace(extraction, problems=(*extraction.problems, *problems)), plans
