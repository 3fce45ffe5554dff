"""From documents to ordered Fortnox calls. Pure: no network, so `check` can show the plan."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bridge.config import TenantSettings
from bridge.planner.invoices import plan_invoice
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref, stamp_for

__all__ = ["PLANNERS", "DocumentPlan", "Lookup", "Step", "plan_documents", "ref", "stamp_for"]

PLANNERS: dict[str, Callable[[Any, TenantSettings], DocumentPlan]] = {
    "invoice": plan_invoice,
}


def plan_documents(documents: Iterable[Any], tenant: TenantSettings) -> list[DocumentPlan]:
    return [PLANNERS[document.kind](document, tenant) for document in documents]
