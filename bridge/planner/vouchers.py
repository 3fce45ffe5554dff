"""Vouchers: each one created once in Fortnox, found again by our stamp in `Comments`.

Fortnox numbers vouchers itself and has no search on `Comments`, so after an unclear outcome
the executor lists the candidates — the voucher's financial year, series and date — and
compares `Comments` exactly. `plan_voucher` plans a voucher on its own (the registers it needs,
then the voucher); a SIE file is planned as a whole by `bridge.planner.sie`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from bridge.config import TenantSettings
from bridge.model import (
    DocumentKey,
    MasterData,
    Problem,
    Severity,
    Voucher,
    VoucherRow,
    json_and_hash,
)
from bridge.planner.register_check import Declared, Usage, YearRef, series_for
from bridge.planner.registers import check_registers
from bridge.planner.steps import DocumentPlan, Lookup, Step, stamp_for
from bridge.util.i18n import N_

__all__ = ["plan_voucher", "voucher_plan", "voucher_problems"]

DESCRIPTION_LIMIT = 200
ROW_TEXT_LIMIT = 100


def plan_voucher(voucher: Voucher, tenant: TenantSettings, master: MasterData | None = None) -> DocumentPlan:
    """One voucher with the registers it needs (accounts, series, objects) ahead of it."""
    usage = Usage.of([voucher], tenant, master.locked_until if master else None)
    check = check_registers(usage, Declared(), tenant, master)
    year = check.years.get(voucher.transaction_date, YearRef(voucher.transaction_date))
    plan = voucher_plan(voucher, tenant, year)
    problems = (*check.problems, *voucher_problems(voucher))
    return DocumentPlan(
        plan.key, plan.summary, plan.content_hash, (*check.steps, *plan.steps), plan.document, problems
    )


def voucher_plan(
    voucher: Voucher, tenant: TenantSettings, year: YearRef, series: str | None = None
) -> DocumentPlan:
    """The voucher alone: one `create` step, looked up by its stamp before any resend; into
    `series`, or the one the SIE settings choose."""
    key = DocumentKey(tenant.name, voucher.kind, voucher.source_key)
    stamp = stamp_for(key)
    series = series or series_for(voucher, tenant)
    day = voucher.transaction_date.isoformat()
    body = {
        "Description": _description(voucher)[:DESCRIPTION_LIMIT],
        "TransactionDate": day,
        "VoucherSeries": series,
        "Comments": stamp,
        "VoucherRows": [_row(row) for row in voucher.rows],
    }
    step = Step(
        kind="create",
        label=N_("voucher %(key)s") % {"key": voucher.source_key},
        method="POST",
        path="/3/vouchers",
        envelope="Voucher",
        body={"Voucher": body},
        lookup=Lookup(
            path="/3/vouchers",
            collection="Vouchers",
            params={**year.params, "voucherseries": series, "fromdate": day, "todate": day},
            match={"Comments": stamp},
        ),
        save_as="voucher",
    )
    debit = sum((row.amount for row in voucher.rows if row.amount > 0), Decimal(0))
    text = f" {voucher.description[:40]!r}" if voucher.description else ""
    document, digest = json_and_hash(voucher)
    return DocumentPlan(
        key=key,
        summary=N_("voucher %(key)s%(text)s into series %(series)s: %(rows)s rows, %(amount)s")
        % {
            "key": voucher.source_key,
            "text": text,
            "series": series,
            "rows": len(voucher.rows),
            "amount": debit,
        },
        content_hash=digest,
        steps=(step,),
        document=msgspec.Raw(document),  # written once, for the fingerprint and the ledger
    )


def voucher_problems(voucher: Voucher) -> list[Problem]:
    """What Fortnox would refuse in the voucher itself, and what it would cut short."""
    problems = []
    if len(voucher.rows) < 2:
        problems.append(
            Problem(
                f"voucher {voucher.source_key} has {len(voucher.rows)} row(s); Fortnox needs at least two",
                line=voucher.line,
                hint=N_("correct the voucher in the program that wrote the file"),
                code="sie.too-few-rows",
            )
        )
    if voucher.balance:
        problems.append(
            Problem(
                f"voucher {voucher.source_key} does not balance: its rows sum to {voucher.balance}",
                line=voucher.line,
                hint=N_("the rows of a voucher must add up to 0"),
                code="sie.unbalanced",
            )
        )
    if len(voucher.description) > DESCRIPTION_LIMIT:
        problems.append(_cut(f"the text of voucher {voucher.source_key}", DESCRIPTION_LIMIT, voucher.line))
    problems += [
        _cut("a row text", ROW_TEXT_LIMIT, row.line)
        for row in voucher.rows
        if row.text and len(row.text) > ROW_TEXT_LIMIT
    ]
    return problems


def _cut(what: str, limit: int, line: int | None) -> Problem:
    return Problem(
        f"{what} is longer than Fortnox keeps; only its first {limit} characters are sent",
        line=line,
        severity=Severity.WARNING,
        code="sie.text-shortened",
    )


def _description(voucher: Voucher) -> str:
    """Fortnox requires a text; a voucher without one is named after itself."""
    if voucher.description.strip():
        return voucher.description
    return " ".join(x for x in ("Verifikation", voucher.series, voucher.source_number) if x)


def _row(row: VoucherRow) -> dict[str, Any]:
    out: dict[str, Any] = {"Account": row.account}
    if row.amount >= 0:
        out["Debit"] = row.amount
    else:
        out["Credit"] = -row.amount
    if row.text:
        out["TransactionInformation"] = row.text[:ROW_TEXT_LIMIT]
    if row.cost_center:
        out["CostCenter"] = row.cost_center
    if row.project:
        out["Project"] = row.project
    if row.quantity is not None:
        out["Quantity"] = row.quantity
    return out
