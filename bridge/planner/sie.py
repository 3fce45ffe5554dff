"""A SIE file planned as a whole: one "registers" document, then one document per voucher.

The registers document holds only what the company's master data says is missing — financial
years, voucher series, accounts, cost centres, projects — so each is created once per file,
before the vouchers that need it (documents run in order). Types 1–3 have no vouchers: their
registers document creates the accounts and objects the file declares, per the settings.

The file is judged before anything is sent: any problem that is an error (a date without a
financial year, a series closed to manual vouchers, a missing account that may not be
created, a locked period, another company's organisation number …) refuses the whole file,
every problem listed with its line, and nothing goes to Fortnox. Fix it in Fortnox or in the
settings and `retry`: the file is judged again against fresh master data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from bridge.config import TenantSettings
from bridge.model import (
    DocumentKey,
    Extraction,
    MasterData,
    Problem,
    Severity,
    SieDeclarations,
    Voucher,
    to_plain,
)
from bridge.planner.register_check import COST_CENTRE, PROJECT, Declared, RegisterCheck
from bridge.planner.registers import check_registers
from bridge.planner.steps import DocumentPlan
from bridge.planner.vouchers import voucher_plan, voucher_problems
from bridge.util import dumps

__all__ = ["declared_registers", "plan_sie_file"]

REGISTERS_KIND = "registers"


def plan_sie_file(
    extraction: Extraction, tenant: TenantSettings, master: MasterData | None
) -> tuple[list[Problem], list[DocumentPlan]]:
    """Problems about the file, and its plans (none when any problem is an error)."""
    vouchers = [d for d in extraction.documents if isinstance(d, Voucher)]
    declared = extraction.declarations
    declarations = declared if isinstance(declared, SieDeclarations) else SieDeclarations()
    check = check_registers(vouchers, declared_registers(declarations), tenant, master)
    problems = [*check.problems, *_company(declarations, tenant, master)]
    for voucher in vouchers:
        problems += voucher_problems(voucher)
    problems += _left_out(vouchers)
    problems.sort(key=lambda p: (not p.is_error, p.line or 0))
    if any(p.is_error for p in problems):
        return problems, []
    plans = [voucher_plan(v, tenant, check.years[v.transaction_date]) for v in vouchers]
    return problems, [_registers_plan(tenant, declarations, vouchers, check), *plans]


def declared_registers(declarations: SieDeclarations) -> Declared:
    """What the file declares in #KONTO, #OBJEKT, #RAR and its balances, as the checks look it up."""
    years = sorted(declarations.years, key=lambda y: -y.index)
    balances = declarations.balances
    return Declared(
        accounts={account.number: account for account in declarations.accounts},
        objects={(o.dimension, o.number): o.name for o in declarations.objects},
        years=tuple((y.start, y.end) for y in years),
        balance_accounts=frozenset(b.account for b in balances),
        balance_objects=frozenset((int(d), n) for b in balances for d, n in b.objects),
        program=declarations.program,
    )


def _company(
    declarations: SieDeclarations, tenant: TenantSettings, master: MasterData | None
) -> list[Problem]:
    """The file must be this company's, in Swedish kronor."""
    problems = []
    currency = declarations.currency
    if currency != "SEK":
        problems.append(
            Problem(
                f"the file's amounts are in {currency} (#VALUTA); Fortnox vouchers are in SEK",
                hint="export the file in SEK from the program that wrote it",
                code="sie.currency",
            )
        )
    policy = tenant["sie.org_number"]
    theirs = declarations.company.org_number
    ours = master.organisation_number if master else None
    if policy == "ignore" or not theirs or not ours or _digits(theirs) == _digits(ours):
        return problems
    problems.append(
        Problem(
            f"the file is for organisation number {theirs} (#ORGNR), but this Fortnox company is {ours}",
            hint="drop the file into the right company's inbox; if it is right, set sie.org_number = "
            "warning (or ignore) and retry the file",
            severity=Severity.ERROR if policy == "error" else Severity.WARNING,
            code="sie.org-number",
        )
    )
    return problems


def _digits(org_number: str) -> str:
    digits = "".join(ch for ch in org_number if ch.isdigit())
    return digits[-10:]  # 16/19/20 in front of a 12-digit number is the same company


def _left_out(vouchers: Sequence[Voucher]) -> list[Problem]:
    """What a Fortnox voucher cannot hold, said once per file."""
    dimensions: dict[str, int | None] = {}
    dated: list[int | None] = []
    for voucher in vouchers:
        for row in voucher.rows:
            for dimension, _ in row.objects:
                if dimension not in (str(COST_CENTRE), str(PROJECT)):
                    dimensions.setdefault(dimension, row.line)
            if row.transaction_date and row.transaction_date != voucher.transaction_date:
                dated.append(row.line)
    problems = []
    if dimensions:
        names = ", ".join(sorted(dimensions, key=lambda d: (len(d), d)))
        problems.append(
            Problem(
                f"objects in dimension {names} are not imported: Fortnox vouchers carry cost centres "
                "(dimension 1) and projects (dimension 6) only",
                line=min(line or 0 for line in dimensions.values()),
                severity=Severity.WARNING,
                code="sie.objects-left-out",
            )
        )
    if dated:
        problems.append(
            Problem(
                f"{len(dated)} row(s) have a date of their own; in Fortnox every row takes its voucher's date",
                line=dated[0],
                severity=Severity.WARNING,
                code="sie.row-dates-left-out",
            )
        )
    return problems


def _registers_plan(
    tenant: TenantSettings, declarations: SieDeclarations, vouchers: Sequence[Voucher], check: RegisterCheck
) -> DocumentPlan:
    # Named after the file's content, so that a retry finds the same document again.
    registers = {
        "accounts": declarations.accounts,
        "dimensions": declarations.dimensions,
        "objects": declarations.objects,
        "financial_years": declarations.years,
        "balances": declarations.balances,
    }
    digest = hashlib.sha256(
        dumps([to_plain(registers), [v.source_key for v in vouchers]]).encode()
    ).hexdigest()
    parts = ", ".join(_count(len(names), kind) for kind, names in check.created.items())
    if not check.judged:  # Fortnox's registers were not known when the file was read
        summary = f"look up {parts}, create what is missing" if parts else "nothing"
    else:
        summary = f"create {parts}" if parts else "nothing missing"
    if not vouchers:
        summary += f" (a SIE type {declarations.sie_type} file: no vouchers)"
    return DocumentPlan(
        key=DocumentKey(tenant.name, REGISTERS_KIND, digest[:12]),
        summary=f"accounts, series and objects the file needs: {summary}",
        content_hash=digest,
        steps=tuple(check.steps),
        document={"creates": check.created, "vouchers": len(vouchers)},
    )


def _count(n: int, kind: str) -> str:
    return f"{n} {kind if n != 1 or kind.endswith('series') else kind[:-1]}"
