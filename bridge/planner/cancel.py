"""Cancelling a preliminary supplier invoice: find it, refuse if it is booked, cancel it once."""

from __future__ import annotations

from bridge.config import TenantSettings
from bridge.formats.einvoice.identifiers import normalise_org_number
from bridge.model import Cancellation, DocumentKey, MasterData, content_hash, to_plain
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref

__all__ = ["plan_cancel"]


def plan_cancel(
    cancel: Cancellation, tenant: TenantSettings, master: MasterData | None = None
) -> DocumentPlan:
    key = DocumentKey(tenant.name, cancel.kind, cancel.source_key)
    steps: list[Step] = []
    if cancel.supplier is None:
        what = f"supplier invoice {cancel.number}"
        lookup = Lookup(path=f"/3/supplierinvoices/{cancel.number}", single=True)
    else:
        what = f"invoice {cancel.number} of supplier {cancel.supplier}"
        steps.append(_find_supplier(cancel.supplier))
        lookup = Lookup(
            path="/3/supplierinvoices",
            collection="SupplierInvoices",
            params={"suppliernumber": ref("supplier", "SupplierNumber"), "invoicenumber": cancel.number},
            match={"SupplierNumber": ref("supplier", "SupplierNumber"), "InvoiceNumber": cancel.number},
        )
    steps += [
        Step(
            kind="ensure",
            label=what,
            method="GET",
            path="",
            envelope="SupplierInvoice",
            lookup=lookup,
            save_as="invoice",
            create_if_missing=False,
            missing_hint=f"{what} does not exist in Fortnox: check the number",
        ),
        Step(
            kind="action",
            label=f"cancel {what}",
            method="PUT",
            path="/3/supplierinvoices/{invoice.GivenNumber}/cancel",
            envelope="SupplierInvoice",
            check_path="/3/supplierinvoices/{invoice.GivenNumber}",
            done_when={"Cancelled": True},
            refuse_when={"Booked": True},
            missing_hint=f"{what} is booked (definitive) and cannot be cancelled: credit it in Fortnox instead",
        ),
    ]
    return DocumentPlan(
        key=key,
        summary=f"cancel {what} (preliminary only)",
        content_hash=content_hash(cancel),
        steps=tuple(steps),
        document=to_plain(cancel),
    )


def _find_supplier(supplier: str) -> Step:
    org = normalise_org_number(supplier)
    if org:
        lookup = Lookup(
            path="/3/suppliers",
            collection="Suppliers",
            params={"organisationnumber": org[-4:]},
            match={"OrganisationNumber": org},
            normalise=True,
        )
    else:
        lookup = Lookup(path=f"/3/suppliers/{supplier}", single=True)
    return Step(
        kind="ensure",
        label=f"supplier {supplier}",
        method="GET",
        path="",
        envelope="Supplier",
        lookup=lookup,
        save_as="supplier",
        create_if_missing=False,
        missing_hint=f"supplier {supplier} does not exist in Fortnox: give its supplier or organisation number",
    )
