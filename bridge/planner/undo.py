"""Undoing a file: what it created in Fortnox, and for each record the reversal Fortnox allows.

Fortnox deletes almost nothing. `reversals_of` reads what a file's documents did (each step's
outcome and the record Fortnox answered, as the ledger kept them) and answers:

- a voucher → a reversing voucher in the same series, its rows mirrored, its text naming the
  original, dated as the original or today (`undo.voucher_date`);
- a customer invoice → cancelled when not booked, credited (Fortnox's credit) when booked;
  a credit invoice the file made → cancelled when not booked;
- a supplier invoice → cancelled when preliminary, credited when booked; its accrual removed;
- a file uploaded and left in a Fortnox inbox → removed from the inbox; a file the file
  connected to an existing voucher, supplier invoice or customer invoice → disconnected;
- what cannot or should not be reversed — master data (customers, suppliers, articles,
  projects, accounts, series, years, cost centres: other documents may use them), images
  connected to the file's own documents (they are the documents' underlag), a cancellation
  (Fortnox cannot undo one) — as warnings that list it and say why.

`plan_reversal` turns each into steps whose conditions are read on Fortnox's record just
before sending: what changed there since (an invoice paid, a voucher's rows struck, a voucher
removed, an invoice already cancelled or credited) is reported and not touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from bridge.config import TenantSettings
from bridge.model import (
    DocumentKey,
    MasterData,
    Problem,
    Reversal,
    Severity,
    UndoRequest,
    content_hash,
    to_plain,
)
from bridge.planner.steps import DocumentPlan, Lookup, Step, stamp_for
from bridge.util.i18n import N_

__all__ = [
    "SentDocument",
    "SentStep",
    "mirrored_rows",
    "plan_reversal",
    "plan_undo_request",
    "reversals_of",
]

CREATED = ("created", "reconciled")
DESCRIPTION_LIMIT = 200
REGISTERS = {
    "Customer": "customer",
    "Supplier": "supplier",
    "Article": "article",
    "Project": "project",
    "Account": "account",
    "VoucherSeries": "voucher series",
    "FinancialYear": "financial year",
    "CostCenter": "cost centre",
}
REGISTER_NUMBERS = (
    "CustomerNumber", "SupplierNumber", "ArticleNumber", "ProjectNumber", "Number", "Code", "Id",
)  # fmt: skip
MIRROR_ORIGINAL = {"$mirror": "original.VoucherRows"}
CONNECTIONS = {
    "VoucherFileConnection": ("voucher-file", "/3/voucherfileconnections"),
    "SupplierInvoiceFileConnection": ("supplierinvoice-file", "/3/supplierinvoicefileconnections"),
}
ATTACHMENTS = "/api/fileattachments/attachments-v1"


@dataclass(frozen=True)
class SentStep:
    """A step of a document as the ledger kept it: the plan's step, its outcome and record."""

    step: Step
    outcome: str
    record: Mapping[str, Any]


@dataclass(frozen=True)
class SentDocument:
    kind: str
    source_key: str
    steps: tuple[SentStep, ...]

    @property
    def name(self) -> str:
        return f"{self.kind} {self.source_key}"


def reversals_of(
    file: str, documents: Sequence[SentDocument], voucher_date: date | None = None
) -> tuple[list[Reversal], list[Problem]]:
    """What `file`'s documents created, newest first, as reversals; and as warnings what stays."""
    reversals: dict[str, Reversal] = {}
    kept: dict[str, Problem] = {}
    for document in reversed(documents):
        connected = {
            str(s.record.get("FileId") or s.record.get("fileId") or "")
            for s in document.steps
            if s.outcome in CREATED
        }
        for sent in reversed(document.steps):
            found = _reversal(file, document, sent, connected, voucher_date)
            if isinstance(found, Reversal):
                reversals.setdefault(found.source_key, found)
            elif found is not None:
                kept.setdefault(found.message, found)
    return list(reversals.values()), list(kept.values())


def _reversal(
    file: str, document: SentDocument, sent: SentStep, connected: set[str], voucher_date: date | None
) -> Reversal | Problem | None:
    step, record = sent.step, sent.record

    def reversal(target: str, identity: str, fields: Mapping[str, Any], day: date | None = None) -> Reversal:
        return Reversal(f"{target} {identity}", target, dict(fields), document.name, file, day)

    if step.kind == "action":
        return _action(document, sent, reversal)
    if sent.outcome not in CREATED and not (step.kind == "upsert" and sent.outcome == "updated"):
        return None
    envelope = step.envelope
    if envelope == "Voucher":
        number = f"{record['VoucherSeries']} {record['VoucherNumber']}"
        return reversal("voucher", f"{number} of year {record['Year']}", record, voucher_date)
    if envelope == "Invoice":
        credit = str(record.get("CreditInvoiceReference") or "0") != "0"
        return reversal("credit-invoice" if credit else "invoice", str(record["DocumentNumber"]), record)
    if envelope == "SupplierInvoice":
        target = "supplierinvoice-credit" if record.get("Credit") is True else "supplierinvoice"
        return reversal(target, str(record["GivenNumber"]), record)
    if envelope == "SupplierInvoiceAccrual":
        return reversal("supplierinvoice-accrual", str(record["SupplierInvoiceNumber"]), record)
    attached_alone = document.kind == "file"  # a PDF attached to a document that was there before
    if envelope in CONNECTIONS:
        target, _ = CONNECTIONS[envelope]
        return reversal(target, str(record["FileId"]), record) if attached_alone else None
    if step.path.startswith(ATTACHMENTS):
        return reversal("invoice-attachment", str(record["id"]), record) if attached_alone else None
    if step.kind == "upload":
        name = record.get("Name", "")
        if not {str(record.get("Id")), str(record.get("ArchiveFileId"))} & connected:
            folder = step.path.partition("folderId=")[2] or "root"
            return reversal("inbox-file", str(record["Id"]), {**record, "Folder": folder})
        if attached_alone:
            return _kept(
                N_("the file %(name)s stays in Fortnox's archive once disconnected") % {"name": name},
                "undo.file-kept",
            )
        return _kept(
            N_(
                "the file %(name)s stays connected to what %(file)s made: it is that document's"
                " underlag (räkenskapsinformation), kept with it"
            )
            % {"name": name, "file": document.name},
            "undo.file-kept",
        )
    if envelope in REGISTERS:
        what = f"{REGISTERS[envelope]} {_register_number(record)}".strip()
        fields = ", ".join(c[0] for c in sent.record.get("changes", ()))
        template = (
            N_("%(what)s (updated by %(file)s) is left in Fortnox: other documents may use it")
            if sent.outcome == "updated"
            else N_("%(what)s (created by %(file)s) is left in Fortnox: other documents may use it")
        )
        if sent.outcome == "updated" and sent.record.get("changes"):
            template = N_(
                "%(what)s (updated by %(file)s) is left in Fortnox: other documents may use it"
                " (changed: %(fields)s)"
            )
        return _kept(template % {"what": what, "file": document.name, "fields": fields}, "undo.register-kept")
    return _kept(
        N_("%(label)s (%(file)s): the bridge cannot reverse it")
        % {"label": step.label, "file": document.name},
        "undo.cannot",
    )


def _action(document: SentDocument, sent: SentStep, reversal: Any) -> Reversal | Problem | None:
    """Actions the file took on records: a credit creates a credit invoice; a cancellation
    cannot be undone; re-activating an account is left as it is."""
    step, record = sent.step, sent.record
    if sent.outcome != "updated":
        return None
    if step.path.endswith("/credit") and step.envelope == "Invoice":
        number = str(record.get("CreditInvoiceReference") or "0")
        return reversal("credit-invoice", number, {"DocumentNumber": number}) if number != "0" else None
    if step.path.endswith("/credit") and step.envelope == "SupplierInvoice":
        number = str(record.get("CreditReference") or "0")
        return reversal("supplierinvoice-credit", number, {"GivenNumber": number}) if number != "0" else None
    if step.path.endswith("/cancel"):
        return _kept(
            N_(
                "%(what)s was cancelled by %(file)s; Fortnox cannot undo a cancellation: register it"
                " again if it should stand"
            )
            % {"what": step.label.removeprefix("cancel "), "file": document.name},
            "undo.cannot",
        )
    if step.envelope == "Account":
        return _kept(
            N_("%(label)s (%(file)s) is left as it is: other documents may use the account")
            % {"label": step.label, "file": document.name},
            "undo.register-kept",
        )
    return None


def _register_number(record: Mapping[str, Any]) -> str:
    for name in REGISTER_NUMBERS:
        if record.get(name) not in (None, ""):
            return str(record[name])
    return ""


def _kept(message: str, code: str) -> Problem:
    return Problem(message, severity=Severity.WARNING, code=code)


# --- planning the reversals ------------------------------------------------------------------


def plan_reversal(
    reversal: Reversal, tenant: TenantSettings, master: MasterData | None = None
) -> DocumentPlan:
    key = DocumentKey(tenant.name, reversal.kind, reversal.source_key)
    planner = {
        "voucher": _voucher,
        "invoice": _invoice,
        "credit-invoice": _credit_invoice,
        "supplierinvoice": _supplier_invoice,
        "supplierinvoice-credit": _supplier_credit,
        "supplierinvoice-accrual": _accrual,
        "inbox-file": _inbox_file,
        "voucher-file": _connection,
        "supplierinvoice-file": _connection,
        "invoice-attachment": _attachment,
    }[reversal.target]
    summary, steps, problems = planner(reversal, key, master)
    return DocumentPlan(
        key=key,
        summary=f"{summary} ({reversal.original}, {reversal.file})",
        content_hash=content_hash(reversal),
        steps=tuple(steps),
        document=to_plain(reversal),
        problems=tuple(problems),
    )


Planned = tuple[str, list[Step], list[Problem]]


def _voucher(reversal: Reversal, key: DocumentKey, master: MasterData | None) -> Planned:
    record = reversal.record
    series, number, year = str(record["VoucherSeries"]), record["VoucherNumber"], record["Year"]
    original_day = str(record["TransactionDate"])
    day = reversal.voucher_date.isoformat() if reversal.voucher_date else original_day
    name = N_("voucher %(key)s") % {"key": f"{series} {number}"}
    stamp = stamp_for(DocumentKey(key.tenant, key.kind, f"undo {key.source_key}"))
    text = f"Återföring av verifikation {series} {number} ({original_day}): {record.get('Description', '')}"
    # The rows as Fortnox answered when the voucher was made; an answer found again after it
    # was lost is a list row without rows, so then they are read from the voucher when sent.
    rows: Any = mirrored_rows(record["VoucherRows"]) if record.get("VoucherRows") else MIRROR_ORIGINAL
    body = {
        "Description": text[:DESCRIPTION_LIMIT],
        "TransactionDate": day,
        "VoucherSeries": series,
        "Comments": stamp,
        "VoucherRows": rows,
    }
    path = f"/3/vouchers/{quote(series, safe='')}/{number}"
    steps = [
        Step(
            kind="ensure",
            label=N_("%(name)s as Fortnox has it now (removed, or its rows struck, since?)") % {"name": name},
            method="GET",
            path="",
            envelope="Voucher",
            lookup=Lookup(path=path, params={"financialyear": year}, single=True),
            save_as="original",
            create_if_missing=False,
            missing_ok=True,
            refuse_when={"VoucherRows": {"$any": {"Removed": True}}},
            missing_hint=N_(
                "%(name)s has been changed in Fortnox since the file sent it (rows struck): it is not"
                " reversed; correct what remains of it in Fortnox by hand"
            )
            % {"name": name},
        ),
        Step(
            kind="create",
            label=N_("reversing voucher for %(name)s, in series %(series)s, dated %(day)s")
            % {"name": name, "series": series, "day": day},
            method="POST",
            path="/3/vouchers",
            envelope="Voucher",
            body={"Voucher": body},
            lookup=Lookup(
                path="/3/vouchers",
                collection="Vouchers",
                params={"financialyeardate": day, "voucherseries": series, "fromdate": day, "todate": day},
                match={"Comments": stamp},
            ),
            save_as="reversal",
            when={"original.VoucherNumber": number},
        ),
    ]
    summary = N_("reverse %(name)s of %(original_day)s with a voucher dated %(day)s")
    return (
        summary % {"name": name, "original_day": original_day, "day": day},
        steps,
        _date_problems(day, master),
    )


def mirrored_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A voucher's rows reversed: debit and credit swapped, quantities negated; struck and
    empty rows left out."""
    out = []
    for row in rows:
        debit, credit = Decimal(str(row.get("Debit") or 0)), Decimal(str(row.get("Credit") or 0))
        if row.get("Removed") or (not debit and not credit):
            continue
        mirrored: dict[str, Any] = {"Account": row["Account"]}
        mirrored.update({"Debit": credit - debit} if credit > debit else {"Credit": debit - credit})
        for name in ("CostCenter", "Project", "TransactionInformation"):
            if row.get(name):
                mirrored[name] = row[name]
        quantity = Decimal(str(row.get("Quantity") or 0))
        if quantity:
            mirrored["Quantity"] = -quantity
        out.append(mirrored)
    return out


def _date_problems(day: str, master: MasterData | None) -> list[Problem]:
    """A reversing voucher needs a financial year and an open period on its date."""
    if master is None:
        return []
    when = date.fromisoformat(day)
    hint = N_("set undo.voucher_date = today to date the reversing vouchers today, then run undo again")
    if master.financial_years is not None and master.year_of(when) is None:
        return [
            Problem(
                N_("Fortnox has no financial year for %(day)s") % {"day": day},
                hint=hint,
                code="undo.no-financial-year",
            )
        ]
    if master.locked_until and when <= master.locked_until:
        return [
            Problem(
                N_("%(day)s is in a locked period in Fortnox (locked up to %(until)s)")
                % {"day": day, "until": master.locked_until},
                hint=hint,
                code="undo.locked-period",
            )
        ]
    return []


def _invoice(reversal: Reversal, key: DocumentKey, master: MasterData | None) -> Planned:
    number, total = str(reversal.record["DocumentNumber"]), reversal.record.get("Total")
    steps = _cancel_or_credit(
        "/3/invoices",
        number,
        what=N_("invoice %(number)s") % {"number": number},
        envelope="Invoice",
        unbooked=N_("when not booked"),
        credited_field="CreditInvoiceReference",
        total=total,
        paid=N_(
            "invoice %(number)s has been paid (in whole or in part) in Fortnox since the file sent it"
            " (or its amount changed): it is not credited. If it should be undone all the same, reverse"
            " the payment or credit the invoice in Fortnox"
        )
        % {"number": number},
    )
    return N_("undo invoice %(number)s: cancel it, or credit it when booked") % {"number": number}, steps, []


def _credit_invoice(reversal: Reversal, key: DocumentKey, master: MasterData | None) -> Planned:
    number = str(reversal.record["DocumentNumber"])
    return (
        N_("undo credit invoice %(number)s: cancel it (a booked credit invoice cannot be credited)")
        % {"number": number},
        _cancel_unbooked(
            "/3/invoices",
            number,
            N_("credit invoice %(number)s") % {"number": number},
            "Invoice",
            N_(
                "credit invoice %(number)s is booked in Fortnox: Fortnox cannot credit a credit invoice."
                " If the credit should not stand, invoice the customer again"
            )
            % {"number": number},
        ),
        [],
    )


def _supplier_invoice(reversal: Reversal, key: DocumentKey, master: MasterData | None) -> Planned:
    number, total = str(reversal.record["GivenNumber"]), reversal.record.get("Total")
    steps = _cancel_or_credit(
        "/3/supplierinvoices",
        number,
        what=N_("supplier invoice %(number)s") % {"number": number},
        envelope="SupplierInvoice",
        unbooked=N_("when preliminary"),
        credited_field="CreditReference",
        total=total,
        paid=N_(
            "supplier invoice %(number)s has been paid (in whole or in part) in Fortnox since the file"
            " sent it: it is not credited. If it should be undone all the same, credit it in Fortnox"
        )
        % {"number": number},
    )
    summary = N_("undo supplier invoice %(number)s: cancel it when preliminary, credit it when booked")
    return summary % {"number": number}, steps, []


def _cancel_or_credit(
    base: str,
    number: str,
    *,
    what: str,
    envelope: str,
    unbooked: str,
    credited_field: str,
    total: object,
    paid: str,
) -> list[Step]:
    """Cancel the document while it is not booked; credit it once booked, unless it was paid since."""
    path = f"{base}/{number}"
    return [
        Step(
            kind="action",
            label=N_("cancel %(what)s (%(when)s)") % {"what": what, "when": unbooked},
            method="PUT",
            path=f"{path}/cancel",
            envelope=envelope,
            check_path=path,
            done_when={"Cancelled": True},
            skip_when={"Booked": True},
        ),
        Step(
            kind="action",
            label=N_("credit %(what)s (when booked, and not paid)") % {"what": what},
            method="PUT",
            path=f"{path}/credit",
            envelope=envelope,
            check_path=path,
            done_when={credited_field: {"$not": "0"}},
            skip_when={"Cancelled": True},
            refuse_when={"Balance": {"$not": total}},
            missing_hint=paid,
        ),
    ]


def _supplier_credit(reversal: Reversal, key: DocumentKey, master: MasterData | None) -> Planned:
    number = str(reversal.record["GivenNumber"])
    what = N_("supplier credit %(number)s") % {"number": number}
    steps = _cancel_unbooked(
        "/3/supplierinvoices",
        number,
        what,
        "SupplierInvoice",
        N_(
            "%(what)s is booked in Fortnox: a credit cannot be credited. If it should not stand, register"
            " the supplier's invoice again"
        )
        % {"what": what},
    )
    return N_("undo %(what)s: cancel it (a booked credit cannot be credited)") % {"what": what}, steps, []


def _cancel_unbooked(base: str, number: str, what: str, envelope: str, booked: str) -> list[Step]:
    path = f"{base}/{number}"
    return [
        Step(
            kind="ensure",
            label=N_("%(what)s as Fortnox has it now") % {"what": what},
            method="GET",
            path="",
            envelope=envelope,
            lookup=Lookup(path=path, single=True),
            save_as="current",
            create_if_missing=False,
            refuse_when={"Booked": True, "Cancelled": False},
            missing_hint=booked,
        ),
        Step(
            kind="action",
            label=f"cancel {what}",
            method="PUT",
            path=f"{path}/cancel",
            envelope=envelope,
            check_path=path,
            done_when={"Cancelled": True},
        ),
    ]


def _accrual(reversal: Reversal, key: DocumentKey, master: MasterData | None) -> Planned:
    number = str(reversal.record["SupplierInvoiceNumber"])
    step = Step(
        kind="delete",
        label=N_("remove the accrual of supplier invoice %(number)s") % {"number": number},
        method="DELETE",
        path=f"/3/supplierinvoiceaccruals/{number}",
        envelope="",
    )
    return (
        N_("remove the accrual (periodisering) of supplier invoice %(number)s") % {"number": number},
        [step],
        [],
    )


def _inbox_file(reversal: Reversal, key: DocumentKey, master: MasterData | None) -> Planned:
    record = reversal.record
    file_id, name, folder = str(record["Id"]), record.get("Name", ""), record.get("Folder", "root")
    steps = [
        Step(
            kind="ensure",
            label=N_("%(name)s still in the Fortnox inbox (%(folder)s)") % {"name": name, "folder": folder},
            method="GET",
            path="",
            envelope="",
            lookup=Lookup(path=f"/3/inbox/{folder}", collection="Folder.Files", match={"Id": file_id}),
            save_as="file",
            create_if_missing=False,
            missing_ok=True,
        ),
        Step(
            kind="delete",
            label=N_("remove %(name)s from the Fortnox inbox (%(folder)s)")
            % {"name": name, "folder": folder},
            method="DELETE",
            path=f"/3/inbox/{file_id}",
            envelope="",
            when={"file.Id": file_id},
        ),
    ]
    summary = N_("remove %(name)s from the Fortnox inbox (unless connected or removed there since)")
    return summary % {"name": name}, steps, []


def _connection(reversal: Reversal, key: DocumentKey, master: MasterData | None) -> Planned:
    record = reversal.record
    base = (
        "/3/voucherfileconnections"
        if reversal.target == "voucher-file"
        else CONNECTIONS["SupplierInvoiceFileConnection"][1]
    )
    what = (
        f"voucher {record.get('VoucherSeries')} {record.get('VoucherNumber')}"
        if reversal.target == "voucher-file"
        else f"supplier invoice {record.get('SupplierInvoiceNumber')}"
    )
    step = Step(
        kind="delete",
        label=f"disconnect {record.get('Name', 'the file')} from {what}",
        method="DELETE",
        path=f"{base}/{record['FileId']}",
        envelope="",
    )
    return (
        f"disconnect {record.get('Name', 'the file')} from {what} (the file stays in the archive)",
        [step],
        [],
    )


def _attachment(reversal: Reversal, key: DocumentKey, master: MasterData | None) -> Planned:
    record = reversal.record
    what = f"customer invoice {record.get('entityId')}"
    step = Step(
        kind="delete",
        label=f"detach the file from {what}",
        method="DELETE",
        path=f"{ATTACHMENTS}/{record['id']}",
        envelope="",
    )
    return f"detach the file from {what} (the file stays in the archive)", [step], []


def plan_undo_request(
    request: UndoRequest, tenant: TenantSettings, master: MasterData | None = None
) -> DocumentPlan:
    """An undo request read without the ledger (`check`): nothing to show until the bridge takes it."""
    key = DocumentKey(tenant.name, request.kind, request.source_key)
    note = Problem(
        f"undo {request.name}: what it undoes is read from the bridge's ledger when the file is taken",
        line=request.line,
        hint=f"see the reversals with `fortnox-bridge undo {request.name} --preview`",
        severity=Severity.WARNING,
        code="undo.preview-elsewhere",
    )
    return DocumentPlan(key, f"undo {request.name}", content_hash(request), (), to_plain(request), (note,))
