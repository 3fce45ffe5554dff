"""A PDF on its own: upload it to a Fortnox inbox folder, or attach it to the voucher, supplier
invoice or customer invoice its name names (which must exist: nothing is created for it)."""

from __future__ import annotations

from bridge.config import TenantSettings
from bridge.model import DocumentKey, MasterData, PdfFile, Problem, content_hash, to_plain
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref
from bridge.planner.uploads import (
    attach_to_customer_invoice,
    attach_to_supplier_invoice,
    attach_to_voucher,
    supplier_invoice_files,
    upload_step,
    voucher_files,
)

__all__ = ["plan_file"]

UPLOAD_FOLDERS = {"voucher": "inbox_v", "supplierinvoice": "inbox_s", "invoice": "inbox_kf"}


def plan_file(document: PdfFile, tenant: TenantSettings, master: MasterData | None = None) -> DocumentPlan:
    key = DocumentKey(tenant.name, document.kind, document.source_key)
    problems: list[Problem] = []
    if document.target is None:
        folder = document.folder or tenant["files.default_folder"]
        steps = [upload_step(key, document.file, folder, save_as="file")]
        summary = f"{document.file.name} to the Fortnox inbox ({folder})"
    else:
        find, what, problems = _find_target(document, master)
        connected = {
            "voucher": voucher_files("voucher"),
            "supplierinvoice": supplier_invoice_files("invoice"),
        }
        upload = upload_step(
            key,
            document.file,
            UPLOAD_FOLDERS[document.target],
            save_as="file",
            connected=connected.get(document.target),
        )
        attach = {
            "voucher": lambda: attach_to_voucher("file", "voucher"),
            "supplierinvoice": lambda: attach_to_supplier_invoice("file", "invoice"),
            "invoice": lambda: attach_to_customer_invoice("file", "invoice", tenant["files.include_on_send"]),
        }[document.target]()
        steps = [*find, upload, attach]
        summary = f"{document.file.name} attached to {what}"
    return DocumentPlan(
        key=key,
        summary=summary,
        content_hash=content_hash(document),
        steps=tuple(steps),
        document=to_plain(document),
        problems=tuple(problems),
        files=(document.file,),
    )


def _must_exist(label: str, lookup: Lookup, save_as: str, hint: str) -> Step:
    return Step(
        kind="ensure",
        label=label,
        method="GET",
        path="",
        envelope="",
        lookup=lookup,
        save_as=save_as,
        create_if_missing=False,
        missing_hint=f"{label} does not exist in Fortnox: {hint}",
    )


def _find_target(document: PdfFile, master: MasterData | None) -> tuple[list[Step], str, list[Problem]]:
    hint = "check the file name (see README, PDFs), then drop the file again"
    reference = document.reference
    if document.target == "voucher":
        series, number, year = reference
        params, problems = {}, []
        if year:
            found = (
                [y for y in (master.financial_years or ()) if y.from_date.year == int(year)] if master else []
            )
            if found:
                params["financialyear"] = found[0].id
            else:
                problems.append(
                    Problem(
                        f"there is no financial year beginning in {year} in Fortnox",
                        field="file name",
                        hint=f"name the file {series}-{number}.pdf for the current financial year, or create the year",
                        code="pdf.no-financial-year",
                    )
                )
        what = f"voucher {series} {number}" + (f" of {year}" if year else "")
        lookup = Lookup(path=f"/3/vouchers/{series}/{number}", params=params, single=True)
        return [_must_exist(what, lookup, "voucher", hint)], what, problems
    if document.target == "invoice":
        (number,) = reference
        what = f"customer invoice {number}"
        return (
            [_must_exist(what, Lookup(path=f"/3/invoices/{number}", single=True), "invoice", hint)],
            what,
            [],
        )
    if len(reference) == 1:
        (number,) = reference
        what = f"supplier invoice {number}"
        lookup = Lookup(path=f"/3/supplierinvoices/{number}", single=True)
        return [_must_exist(what, lookup, "invoice", hint)], what, []
    supplier, invoice_number = reference
    what = f"invoice {invoice_number} of supplier {supplier}"
    steps = [
        _must_exist(
            f"supplier {supplier}", Lookup(path=f"/3/suppliers/{supplier}", single=True), "supplier", hint
        ),
        _must_exist(
            what,
            Lookup(
                path="/3/supplierinvoices",
                collection="SupplierInvoices",
                params={"suppliernumber": ref("supplier", "SupplierNumber"), "invoicenumber": invoice_number},
                match={"SupplierNumber": ref("supplier", "SupplierNumber"), "InvoiceNumber": invoice_number},
            ),
            "invoice",
            hint,
        ),
    ]
    return steps, what, []
