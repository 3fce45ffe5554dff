"""Supplier invoices from e-invoices: the supplier, the invoice once, its image, then as
configured an accrual and the booking.

Which company is the buyer decides the way: this company as buyer → a supplier invoice; as
seller → our own customer invoice (the customer-invoice way); neither → refused before any
call. The invoice is the same invoice when the supplier and the supplier's invoice number are
(`InvoiceNumber`): it is looked up by those before it is created, so even an invoice entered
by hand is not entered twice.

Rows: the cost rows (lines, document discounts and fees, an advance deducted) are sent with
`Total`, `VAT` and `RoundOffValue`; Fortnox builds the payable (TOT), input-VAT (VAT) and
rounding (ROV) rows on the company's own predefined accounts — as the mock does — rather than
the bridge guessing those accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from bridge.config import TenantSettings
from bridge.model import DocumentKey, MasterData, Problem, Severity, SupplierInvoice, content_hash, to_plain
from bridge.planner.customer_einvoices import plan_own_einvoice
from bridge.planner.parties import company_role, ensure_supplier, party_text
from bridge.planner.steps import DocumentPlan, Lookup, Step, ref
from bridge.planner.uploads import attach_to_supplier_invoice, supplier_invoice_files, upload_step
from bridge.util.i18n import N_

__all__ = ["accrual_months", "plan_supplier_invoice"]

SUPPLIER_INBOX = "inbox_s"
VAT_TYPES = {"AE": "REVERSE", "K": "EUINTERNAL"}


def plan_supplier_invoice(
    invoice: SupplierInvoice, tenant: TenantSettings, master: MasterData | None = None
) -> DocumentPlan:
    role = company_role(invoice, master)
    if role == "seller":
        return plan_own_einvoice(invoice, tenant, master)
    key = DocumentKey(tenant.name, invoice.kind, invoice.source_key)
    problems = _role_problems(role, invoice, master)
    cost_account = ref("supplier", "PreDefinedAccount", tenant["supplierinvoices.default_account"])
    problems += _account_problems(invoice, tenant, master)
    definitive = tenant["supplierinvoices.bookkeep"] == "definitive"
    # An invoice naming a purchase order is booked by its match, and only when it matches.
    held = definitive and bool(tenant["matching.enabled"] and invoice.order_reference)
    definitive = definitive and not held
    if definitive:
        problems += _booking_problems(invoice, master)
    steps: list[Step] = [
        ensure_supplier(
            invoice.supplier,
            create=tenant["supplierinvoices.create_suppliers"] == "always",
            policy=tenant["supplierinvoices.create_suppliers"],
        )
    ]
    if invoice.is_credit and invoice.credit_of:
        steps += _credit_the_original(invoice)
    steps.append(_ensure_invoice(invoice, tenant, cost_account))
    for index, attachment in enumerate(invoice.attachments, 1):
        connected = supplier_invoice_files("invoice")
        steps.append(
            upload_step(key, attachment, SUPPLIER_INBOX, save_as=f"file{index}", connected=connected)
        )
        steps.append(attach_to_supplier_invoice(f"file{index}", "invoice"))
    if not invoice.attachments:
        problems.append(
            Problem(
                N_(
                    "the invoice carries no image (no PDF inside it or beside it): none is attached in Fortnox"
                ),
                hint=N_("drop the invoice's PDF with the same name beside the XML to attach it"),
                severity=Severity.WARNING,
                code="supplierinvoice.no-image",
            )
        )
    months = accrual_months(invoice.period_start, invoice.period_end)
    if tenant["supplierinvoices.accruals"] and months > 1:
        steps.append(_accrual(invoice, tenant, cost_account, months))
    if definitive:
        steps.append(
            Step(
                kind="action",
                label=N_("book the supplier invoice (definitive)"),
                method="PUT",
                path="/3/supplierinvoices/{invoice.GivenNumber}/bookkeep",
                envelope="SupplierInvoice",
                done_when={"Booked": True},
                refuse_when={"Cancelled": True},
                missing_hint=N_("the supplier invoice is cancelled in Fortnox; it cannot be booked"),
                check_path="/3/supplierinvoices/{invoice.GivenNumber}",
                save_as="booked",
            )
        )
    what = "credit note" if invoice.is_credit else "supplier invoice"
    summary = (
        f"{what} {invoice.invoice_number} from {party_text(invoice.supplier)}, "
        f"{invoice.total} {invoice.currency} incl. VAT {invoice.vat}, {len(invoice.rows)} rows, "
        f"{len(invoice.attachments)} file(s) attached, "
        + (
            "booked (definitive)"
            if definitive
            else f"registered; booked once it matches purchase order {invoice.order_reference}"
            if held
            else "registered, not booked (preliminary)"
        )
        + (", payment blocked" if tenant["supplierinvoices.disable_payment_file"] else "")
    )
    if invoice.is_credit and invoice.credit_of:
        summary += (
            f"; credits invoice {invoice.credit_of} when that one is booked in Fortnox for the same amount, "
            "otherwise registered as a negative supplier invoice"
        )
    return DocumentPlan(
        key=key,
        summary=summary,
        content_hash=content_hash(invoice),
        steps=tuple(steps),
        document=to_plain(invoice),
        problems=tuple(problems),
        files=invoice.attachments,
    )


def _role_problems(role: str, invoice: SupplierInvoice, master: MasterData | None) -> list[Problem]:
    if role == "neither":
        name = master.company_name if master else None
        number = master.organisation_number if master else None
        values = {
            "company": name or N_("this company"),
            "number": number,
            "buyer": party_text(invoice.buyer, invoice.buyer_organisation_number),
            "seller": party_text(invoice.supplier),
        }
        return [
            Problem(
                N_(
                    "this invoice is not for %(company)s (organisation number %(number)s): its buyer is"
                    " %(buyer)s and its seller %(seller)s"
                )
                % values,
                field="AccountingCustomerParty",
                hint=N_(
                    "drop it in the inbox of the company that bought (inbox/<company>/ with several companies), "
                    "or check the organisation number in Fortnox's company settings"
                ),
                code="supplierinvoice.not-our-company",
            )
        ]
    if role == "unnamed":
        return [
            _warning(N_("the invoice does not name its buyer's organisation number; taken as this company's"))
        ]
    if role == "unknown":
        return [
            _warning(N_("this company's organisation number is not known yet, so the buyer was not checked"))
        ]
    return []


def _warning(message: str) -> Problem:
    return Problem(message, severity=Severity.WARNING, code="supplierinvoice.buyer-unchecked")


def _account_problems(
    invoice: SupplierInvoice, tenant: TenantSettings, master: MasterData | None
) -> list[Problem]:
    needed = {"supplierinvoices.default_account": tenant["supplierinvoices.default_account"]}
    if invoice.totals and invoice.totals.prepaid:
        needed["supplierinvoices.prepaid_account"] = tenant["supplierinvoices.prepaid_account"]
    if tenant["supplierinvoices.accruals"] and accrual_months(invoice.period_start, invoice.period_end) > 1:
        needed["supplierinvoices.accrual_account"] = tenant["supplierinvoices.accrual_account"]
    chart = _chart_for(master, invoice.invoice_date)
    if chart is None:
        return []
    problems = []
    for setting, account in needed.items():
        if account not in chart:
            problems.append(
                Problem(
                    N_("account %(account)s (%(setting)s) does not exist in Fortnox's chart of accounts")
                    % {"account": account, "setting": setting},
                    hint=N_(
                        "create account %(account)s in Fortnox, or set %(setting)s to an account that exists"
                    )
                    % {"account": account, "setting": setting},
                    code="config.account-missing",
                )
            )
        elif not chart[account]:
            problems.append(
                Problem(
                    N_("account %(account)s (%(setting)s) is inactive in Fortnox")
                    % {"account": account, "setting": setting},
                    hint=N_(
                        "activate account %(account)s in Fortnox, or set %(setting)s to an active account"
                    )
                    % {"account": account, "setting": setting},
                    code="config.account-inactive",
                )
            )
    return problems


def _chart_for(master: MasterData | None, day: date | None) -> Mapping[int, bool] | None:
    """The chart of the financial year holding `day`, else of the newest year (as Fortnox
    names accounts on a document by number only)."""
    if master is None or not master.accounts:
        return None
    year = master.year_of(day) if day else None
    if year is not None and year.id in master.accounts:
        return master.accounts[year.id]
    return master.accounts[max(master.accounts)]


def _booking_problems(invoice: SupplierInvoice, master: MasterData | None) -> list[Problem]:
    day = invoice.invoice_date
    if master is None or day is None:
        return []
    if master.financial_years is not None and master.year_of(day) is None:
        return [
            Problem(
                N_(
                    "there is no financial year for the invoice date %(day)s in Fortnox, so it cannot be booked"
                )
                % {"day": day},
                field="IssueDate",
                hint=N_(
                    "create the financial year in Fortnox, or set supplierinvoices.bookkeep = preliminary"
                ),
                code="config.financial-year-missing",
            )
        ]
    if master.locked_until and day <= master.locked_until:
        return [
            Problem(
                N_("the invoice date %(day)s is in a locked period (locked up to %(until)s)")
                % {"day": day, "until": master.locked_until},
                field="IssueDate",
                hint=N_("open the period in Fortnox, or set supplierinvoices.bookkeep = preliminary"),
                code="config.locked-period",
            )
        ]
    return []


def _cost_rows(invoice: SupplierInvoice, tenant: TenantSettings, cost_account: Any) -> list[dict[str, Any]]:
    rows = []
    for row in invoice.rows:
        out: dict[str, Any] = {"Account": cost_account, "Total": row.amount}
        if row.description:
            out["ItemDescription"] = row.description[:100]
        if row.quantity is not None:
            out["Quantity"] = row.quantity
        if row.price is not None:
            out["Price"] = row.price
        rows.append(out)
    for charge in invoice.allowance_charges:
        reason = charge.reason or ("Avgift" if charge.is_charge else "Rabatt")
        amount = charge.amount if charge.is_charge else -charge.amount
        rows.append({"Account": cost_account, "Total": amount, "ItemDescription": reason[:100]})
    prepaid = invoice.totals.prepaid if invoice.totals else None
    if prepaid:
        rows.append(
            {
                "Account": tenant["supplierinvoices.prepaid_account"],
                "Total": -prepaid,
                "ItemDescription": "Avgår förskott (prepaid amount)",
            }
        )
    return rows


def _comments(invoice: SupplierInvoice) -> str:
    parts = list(invoice.notes)
    if invoice.order_reference:
        parts.append(f"Order: {invoice.order_reference}")
    if invoice.payment_reference:
        parts.append(f"Betalningsreferens: {invoice.payment_reference}")
    if invoice.credit_of:
        parts.append(f"Krediterar faktura {invoice.credit_of}")
    return "\n".join(parts)[:1000]


def _vat_type(invoice: SupplierInvoice) -> str:
    categories = {row.vat_category for row in invoice.rows} | {v.category for v in invoice.vat_breakdown}
    for category, vat_type in VAT_TYPES.items():
        if category in categories:
            return vat_type
    return "NORMAL"


def _ensure_invoice(invoice: SupplierInvoice, tenant: TenantSettings, cost_account: Any) -> Step:
    body: dict[str, Any] = {
        "SupplierNumber": ref("supplier", "SupplierNumber"),
        "InvoiceNumber": invoice.invoice_number,
        "Total": invoice.total,
        "VAT": invoice.vat,
        "RoundOffValue": invoice.rounding,
        "VATType": _vat_type(invoice),
        "SupplierInvoiceRows": _cost_rows(invoice, tenant, cost_account),
    }
    optional = {
        "InvoiceDate": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
        "DueDate": invoice.due_date.isoformat() if invoice.due_date else None,
        "Currency": invoice.currency,
        "CurrencyRate": invoice.currency_rate if invoice.currency != "SEK" else None,
        "OCR": invoice.ocr,
        "OurReference": (invoice.your_reference or "")[:50],
        "Comments": _comments(invoice),
        "DisablePaymentFile": tenant["supplierinvoices.disable_payment_file"] or None,
    }
    body.update({k: v for k, v in optional.items() if v})
    return Step(
        kind="ensure",
        label=(
            N_("supplier invoice %(number)s (credit note)")
            if invoice.is_credit
            else N_("supplier invoice %(number)s")
        )
        % {"number": invoice.invoice_number},
        method="POST",
        path="/3/supplierinvoices",
        envelope="SupplierInvoice",
        body={"SupplierInvoice": body},
        lookup=_by_invoice_number(invoice.invoice_number),
        save_as="invoice",
    )


def _by_invoice_number(number: str) -> Lookup:
    return Lookup(
        path="/3/supplierinvoices",
        collection="SupplierInvoices",
        params={"suppliernumber": ref("supplier", "SupplierNumber"), "invoicenumber": number},
        match={"SupplierNumber": ref("supplier", "SupplierNumber"), "InvoiceNumber": number},
    )


def _credit_the_original(invoice: SupplierInvoice) -> list[Step]:
    """Credit the original in Fortnox when it is booked, not yet credited and of the same
    amount; the credit Fortnox makes then takes the credit note's number, so the step after
    finds it. Otherwise nothing here happens and the credit note becomes a negative invoice."""
    original = "/3/supplierinvoices/{original.GivenNumber}"
    return [
        Step(
            kind="ensure",
            label=N_("the credited invoice %(number)s") % {"number": invoice.credit_of},
            method="GET",
            path="",
            envelope="SupplierInvoice",
            lookup=_by_invoice_number(invoice.credit_of or ""),
            save_as="original",
            create_if_missing=False,
            missing_ok=True,
        ),
        Step(
            kind="action",
            label=N_("credit invoice %(number)s in Fortnox (when booked, for %(amount)s)")
            % {"number": invoice.credit_of, "amount": -invoice.total},
            method="PUT",
            path=original + "/credit",
            envelope="SupplierInvoice",
            done_when={"CreditReference": {"$not": "0"}},
            check_path=original,
            when={
                "original.Booked": True,
                "original.Cancel": False,
                "original.CreditReference": "0",
                "original.Total": -invoice.total,
            },
            save_as="credit",
        ),
        Step(
            kind="ensure",
            label=N_("the credit Fortnox made"),
            method="GET",
            path="",
            envelope="SupplierInvoice",
            lookup=Lookup(path="/3/supplierinvoices/{credit.CreditReference}", single=True),
            save_as="credited",
            create_if_missing=False,
            when={"credit.CreditReference": {"$not": "0"}},
        ),
        Step(
            kind="action",
            label=N_("give the credit the credit note's number %(number)s")
            % {"number": invoice.invoice_number},
            method="PUT",
            path="/3/supplierinvoices/{credited.GivenNumber}",
            envelope="SupplierInvoice",
            body={"SupplierInvoice": {"InvoiceNumber": invoice.invoice_number}},
            done_when={"InvoiceNumber": invoice.invoice_number},
            check_path="/3/supplierinvoices/{credited.GivenNumber}",
            when={"credited.GivenNumber": {"$not": ""}},
        ),
    ]


def accrual_months(start: date | None, end: date | None) -> int:
    """How many calendar months a period touches (0 without a period)."""
    if start is None or end is None or end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _accrual(invoice: SupplierInvoice, tenant: TenantSettings, cost_account: Any, months: int) -> Step:
    """Spread the cost excluding VAT over the months of the invoice period."""
    assert invoice.period_start and invoice.period_end
    net = sum((row.amount for row in invoice.rows), Decimal(0)) + sum(
        (c.amount if c.is_charge else -c.amount for c in invoice.allowance_charges), Decimal(0)
    )
    accrual_account = tenant["supplierinvoices.accrual_account"]
    debit, credit = ("Debit", "Credit") if net > 0 else ("Credit", "Debit")
    return Step(
        kind="ensure",
        label=N_("accrual over %(months)s months (%(start)s – %(end)s)")
        % {"months": months, "start": invoice.period_start, "end": invoice.period_end},
        method="POST",
        path="/3/supplierinvoiceaccruals",
        envelope="SupplierInvoiceAccrual",
        body={
            "SupplierInvoiceAccrual": {
                "SupplierInvoiceNumber": ref("invoice", "GivenNumber"),
                "Description": f"Periodisering {invoice.invoice_number}"[:50],
                "AccrualAccount": accrual_account,
                "CostAccount": cost_account,
                "StartDate": invoice.period_start.replace(day=1).isoformat(),
                "EndDate": invoice.period_end.isoformat(),
                "Period": "MONTHLY",
                "Times": months,
                "Total": abs(net),
                "SupplierInvoiceAccrualRows": [
                    {"Account": accrual_account, debit: abs(net)},
                    {"Account": cost_account, credit: abs(net)},
                ],
            }
        },
        lookup=Lookup(path="/3/supplierinvoiceaccruals/{invoice.GivenNumber}", single=True),
        save_as="accrual",
    )
