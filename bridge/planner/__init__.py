"""From documents to ordered Fortnox calls. Pure: no network, so `check` can show the plan.

Each type of document has a planner `(document, tenant settings, master data) -> DocumentPlan`
(`PLANNERS`). Master data may be `None` (never fetched, or offline); planners then check what
they can and leave the rest to Fortnox. A plan with error problems is not sent: the document
fails before any call, with the problems as its report.

Some files are judged as a whole: an extraction that carries declarations of a type in
`FILE_PLANNERS` is planned at once `(extraction, tenant, master) -> (problems, plans)`; an
error among those problems refuses the whole file before any call (SIE: one "registers"
document, then the vouchers; a journal CSV: its vouchers, into one series).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from bridge.config import TenantSettings
from bridge.model import (
    Article,
    Cancellation,
    Customer,
    Extraction,
    Invoice,
    JournalDeclarations,
    MasterData,
    PdfFile,
    Problem,
    Project,
    PurchaseOrder,
    Reversal,
    SieDeclarations,
    SupplierInvoice,
    UndoRequest,
    Voucher,
)
from bridge.planner.cancel import plan_cancel
from bridge.planner.files import plan_file
from bridge.planner.invoices import plan_invoice
from bridge.planner.journal import plan_journal_file
from bridge.planner.purchaseorders import plan_purchase_order
from bridge.planner.sie import VoucherStream, plan_sie_file, plan_sie_stream
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref, stamp_for
from bridge.planner.supplierinvoices import plan_supplier_invoice
from bridge.planner.undo import plan_reversal, plan_undo_request
from bridge.planner.upserts import plan_article, plan_customer, plan_project
from bridge.planner.vouchers import plan_voucher

__all__ = [
    "FILE_PLANNERS",
    "NEEDS_MASTER_DATA",
    "PLANNERS",
    "DocumentPlan",
    "Lookup",
    "Step",
    "VoucherStream",
    "needs_master_data",
    "plan_documents",
    "plan_extraction",
    "plan_stream",
    "planned_projects",
    "ref",
    "stamp_for",
]

Planner = Callable[..., DocumentPlan]  # (document, tenant, master[, projects])

FilePlanner = Callable[
    [Extraction, TenantSettings, MasterData | None], tuple[list[Problem], list[DocumentPlan]]
]

PLANNERS: dict[type, Planner] = {
    Invoice: plan_invoice,
    SupplierInvoice: plan_supplier_invoice,
    PdfFile: plan_file,
    Cancellation: plan_cancel,
    Voucher: plan_voucher,
    Customer: plan_customer,
    Project: plan_project,
    Article: plan_article,
    Reversal: plan_reversal,
    UndoRequest: plan_undo_request,
    PurchaseOrder: plan_purchase_order,
}

# Declarations whose files are planned as a whole (they always judge against master data).
FILE_PLANNERS: dict[type, FilePlanner] = {
    SieDeclarations: plan_sie_file,
    JournalDeclarations: plan_journal_file,
}

# Document types whose planning judges against the company's registers; the bridge fetches
# master data before planning them when it has none yet.
NEEDS_MASTER_DATA: frozenset[type] = frozenset({SupplierInvoice, PdfFile, Voucher, Reversal})


def plan_documents(
    documents: Iterable[Any],
    tenant: TenantSettings,
    master: MasterData | None = None,
    projects: Mapping[str, Project] | None = None,
) -> list[DocumentPlan]:
    """`projects`: what the project registers the bridge has read say of the projects that
    invoices name (an invoice creates such a project when Fortnox lacks it)."""
    plans = []
    for document in documents:
        planner = PLANNERS[type(document)]
        if projects and isinstance(document, Invoice):
            plans.append(planner(document, tenant, master, projects))
        else:
            plans.append(planner(document, tenant, master))
    return plans


def planned_projects(extraction: Extraction) -> set[str]:
    """The projects the invoices of a file name (to look them up in what the bridge has read)."""
    return {
        number
        for document in extraction.documents
        if isinstance(document, Invoice)
        for number in (document.project, *(row.project for row in document.rows))
        if number
    }


def needs_master_data(extraction: Extraction) -> bool:
    return type(extraction.declarations) in FILE_PLANNERS or any(
        type(d) in NEEDS_MASTER_DATA for d in extraction.documents
    )


def plan_extraction(
    extraction: Extraction,
    tenant: TenantSettings,
    master: MasterData | None = None,
    projects: Mapping[str, Project] | None = None,
) -> tuple[Extraction, list[DocumentPlan]]:
    """Plan what a file holds; the problems a file planner finds join the extraction's (an
    error among them means: no plans, the file is refused as a whole)."""
    file_planner = FILE_PLANNERS.get(type(extraction.declarations))
    if file_planner is None:
        return extraction, plan_documents(extraction.documents, tenant, master, projects)
    problems, plans = file_planner(extraction, tenant, master)
    return replace(extraction, problems=(*extraction.problems, *problems)), plans


def plan_stream(
    stream: VoucherStream,
    tenant: TenantSettings,
    master: MasterData | None,
    sink: Callable[[DocumentPlan], object],
) -> tuple[Extraction, list[DocumentPlan]]:
    """Plan a file read as a stream (a SIE file of any size): each voucher's plan goes to
    `sink` as it is made; answers the extraction with the file's judgement joined to it and the
    plans that run before the others (none when the file is refused: then forget what `sink`
    took)."""
    return plan_sie_stream(stream, tenant, master, sink)
