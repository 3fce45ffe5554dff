"""The arithmetic every e-invoice must get right before anything is sent, checked in code.

EN 16931 calculation rules (BR-CO-10…16, the VAT breakdown rules BR-x-08 and BR-CO-17, and
UBL-DT-01 on decimals) for UBL; SFTI's own totals rules (R-69, R-70, R-71, R-92) for
Svefaktura, whose sums SFTI allows to differ by up to 0.50 when no rounding is stated. A broken
total refuses the file (error); a line whose own arithmetic is off, or a large rounding, is a
warning: the totals still say what is to be booked and paid.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from bridge.formats.einvoice.reading import Reading
from bridge.formats.einvoice.xmlread import Position, element_path
from bridge.model import Problem, Severity
from bridge.util.i18n import N_

__all__ = ["check_arithmetic"]

ZERO = Decimal(0)
CENT = Decimal("0.01")
SVEFAKTURA_SLACK = Decimal("0.50")
LINE_SLACK = Decimal("0.02")
VAT_SLACK = Decimal(1)
_DIFFERS = N_("the %(name)s is %(stated)s but %(how)s is %(computed)s")
_HINT = N_("the sender's totals do not add up; ask for a corrected invoice")


def check_arithmetic(reading: Reading) -> list[Problem]:
    if reading.recognised.syntax == "ubl":
        problems = _ubl_totals(reading) + _ubl_decimals(reading)
    else:
        problems = _svefaktura_totals(reading)
    return problems + _vat_breakdown(reading) + _lines(reading) + _rounding(reading)


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _ubl_totals(reading: Reading) -> list[Problem]:
    invoice, totals = reading.invoice, reading.invoice.totals
    assert totals is not None
    problems: list[Problem] = []

    def stated(key: str, rule: str, name: str) -> bool:
        if reading.position(f"totals.{key}") is None:
            problems.append(
                _problem(
                    reading,
                    f"totals.{key}",
                    rule,
                    N_("the invoice states no %(name)s") % {"name": name},
                    _HINT,
                )
            )
            return False
        return True

    def expect(key: str, rule: str, name: str, stated_value: Decimal, computed: Decimal, how: str) -> None:
        if stated_value != round2(computed):
            problems.append(
                _problem(
                    reading,
                    f"totals.{key}",
                    rule,
                    _DIFFERS
                    % {"name": name, "stated": stated_value, "how": how, "computed": round2(computed)},
                    _HINT,
                )
            )

    allowances = [c.amount for c in invoice.allowance_charges if not c.is_charge]
    charges = [c.amount for c in invoice.allowance_charges if c.is_charge]
    expect(
        "line_extension",
        "BR-CO-10",
        N_("sum of line amounts"),
        totals.line_extension,
        sum((r.amount for r in invoice.rows), ZERO),
        N_("the sum of the lines"),
    )
    if totals.allowances is not None or allowances:
        expect(
            "allowances",
            "BR-CO-11",
            N_("total of allowances"),
            totals.allowances or ZERO,
            sum(allowances, ZERO),
            N_("the sum of the document allowances"),
        )
    if totals.charges is not None or charges:
        expect(
            "charges",
            "BR-CO-12",
            N_("total of charges"),
            totals.charges or ZERO,
            sum(charges, ZERO),
            N_("the sum of the document charges"),
        )
    if stated("tax_exclusive", "BR-13", N_("total without VAT")) and totals.tax_exclusive is not None:
        net = totals.line_extension - (totals.allowances or ZERO) + (totals.charges or ZERO)
        expect(
            "tax_exclusive",
            "BR-CO-13",
            N_("total without VAT"),
            totals.tax_exclusive,
            net,
            N_("lines − allowances + charges"),
        )
        if stated("tax_inclusive", "BR-14", N_("total with VAT")):
            expect(
                "tax_inclusive",
                "BR-CO-15",
                N_("total with VAT"),
                totals.tax_inclusive,
                totals.tax_exclusive + invoice.vat,
                N_("total without VAT + VAT"),
            )
    due = totals.tax_inclusive - (totals.prepaid or ZERO) + (totals.rounding or ZERO)
    expect(
        "payable",
        "BR-CO-16",
        N_("amount due"),
        totals.payable,
        due,
        N_("total with VAT − prepaid + rounding"),
    )
    return problems


def _ubl_decimals(reading: Reading) -> list[Problem]:
    problems = []
    prefixes = reading.log.prefixes
    for element in reading.recognised.document.iter():
        name = etree.QName(element).localname
        if not name.endswith("Amount") or name.endswith("PriceAmount"):
            continue
        if any(etree.QName(a).localname == "Price" for a in element.iterancestors()):
            continue
        fraction = (element.text or "").strip().partition(".")[2]
        if len(fraction) > 2:
            position = Position(element.sourceline, element_path(element, prefixes))
            problems.append(
                _at(
                    position,
                    "UBL-DT-01",
                    N_("the amount %(amount)s has more than two decimals")
                    % {"amount": (element.text or "").strip()},
                    _HINT,
                )
            )
    return problems


def _svefaktura_totals(reading: Reading) -> list[Problem]:
    invoice, totals = reading.invoice, reading.invoice.totals
    assert totals is not None
    problems: list[Problem] = []
    lines = sum((r.amount for r in invoice.rows), ZERO)
    net = lines - (totals.allowances or ZERO) + (totals.charges or ZERO)

    def within(
        key: str, rule: str, name: str, stated_value: Decimal, computed: Decimal, slack: Decimal, how: str
    ) -> None:
        if abs(stated_value - computed) > slack:
            message = _DIFFERS % {"name": name, "stated": stated_value, "how": how, "computed": computed}
            problems.append(_problem(reading, f"totals.{key}", rule, message, _HINT))

    within(
        "line_extension",
        "R-69",
        N_("sum of line amounts"),
        totals.line_extension,
        lines,
        SVEFAKTURA_SLACK,
        N_("the sum of the lines"),
    )
    if totals.tax_exclusive is not None:
        within(
            "tax_exclusive",
            "R-70",
            N_("total without VAT"),
            totals.tax_exclusive,
            net,
            SVEFAKTURA_SLACK,
            N_("lines − allowances + charges"),
        )
    payable = net + invoice.vat + (totals.rounding or ZERO)
    how = N_("lines − allowances + charges + VAT + rounding")
    if totals.rounding:
        within("payable", "R-92", N_("total to pay"), totals.payable, payable, ZERO, how)
    else:
        within("payable", "R-71", N_("total to pay"), totals.payable, payable, SVEFAKTURA_SLACK, how)
    return problems


def _vat_breakdown(reading: Reading) -> list[Problem]:
    invoice = reading.invoice
    problems: list[Problem] = []
    if invoice.vat_breakdown:
        stated_sum = sum((v.vat_amount for v in invoice.vat_breakdown), ZERO)
        if invoice.vat != round2(stated_sum):
            message = N_("the VAT total is %(vat)s but the VAT breakdown adds up to %(sum)s") % {
                "vat": invoice.vat,
                "sum": stated_sum,
            }
            problems.append(_problem(reading, "vat", "BR-CO-14", message, _HINT))

    for index, group in enumerate(invoice.vat_breakdown):
        key = f"vat_breakdown[{index}]"
        rate = group.rate or ZERO
        expected = round2(abs(group.taxable_amount) * rate / 100)
        if abs(abs(group.vat_amount) - expected) >= VAT_SLACK if rate else round2(group.vat_amount) != ZERO:
            rule = "BR-S-09" if group.category == "S" else "BR-CO-17"
            message = N_("VAT %(group)s is %(vat)s on %(taxable)s, expected %(expected)s") % {
                "group": _label(group.category, group.rate),
                "vat": group.vat_amount,
                "taxable": group.taxable_amount,
                "expected": expected,
            }
            problems.append(_problem(reading, key, rule, message, _HINT))

    if any(row.vat_category is None for row in invoice.rows):
        return problems  # Svefaktura lines may leave the category out; nothing to group by
    bases: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for row in invoice.rows:
        bases[_group(row.vat_category, row.vat_rate)] += row.amount
    for charge in invoice.allowance_charges:
        if charge.vat_category:
            bases[_group(charge.vat_category, charge.vat_rate)] += (
                charge.amount if charge.is_charge else -charge.amount
            )
    stated = {_group(g.category, g.rate): (index, g) for index, g in enumerate(invoice.vat_breakdown)}
    for (category, rate), base in bases.items():
        rule = f"BR-{category}-08"
        if (category, rate) not in stated:
            message = N_(
                "lines at VAT %(group)s add up to %(base)s, but the VAT breakdown has no such group"
            ) % {"group": _label(category, rate), "base": base}
            problems.append(_problem(reading, "vat", rule, message, _HINT))
            continue
        index, group = stated[(category, rate)]
        if abs(group.taxable_amount - base) >= VAT_SLACK:
            message = N_(
                "the taxable amount at VAT %(group)s is %(taxable)s, but the lines, allowances and charges"
                " at that rate add up to %(base)s"
            ) % {"group": _label(category, rate), "taxable": group.taxable_amount, "base": base}
            problems.append(_problem(reading, f"vat_breakdown[{index}]", rule, message, _HINT))
    return problems


def _lines(reading: Reading) -> list[Problem]:
    rule = "PEPPOL-EN16931-R120" if reading.recognised.syntax == "ubl" else "einvoice.line-arithmetic"
    problems = []
    for check in reading.line_checks:
        if check.quantity is None or check.price is None:
            continue
        base = check.base_quantity or Decimal(1)
        expected = check.quantity * check.price / base + check.charges - check.allowances
        if abs(check.net - expected) > LINE_SLACK:
            message = N_(
                "the line amount is %(net)s but quantity × price ± line allowances and charges is %(expected)s"
            ) % {"net": check.net, "expected": round2(expected)}
            problems.append(
                _at(
                    check.position,
                    rule,
                    message,
                    N_("the line is booked at its stated amount"),
                    Severity.WARNING,
                )
            )
    return problems


def _rounding(reading: Reading) -> list[Problem]:
    rounding = reading.invoice.totals.rounding if reading.invoice.totals else None
    if rounding is not None and abs(rounding) >= 1:
        message = N_("the rounding is %(rounding)s, more than öre rounding (under one krona) would be") % {
            "rounding": rounding
        }
        return [
            _problem(
                reading,
                "totals.rounding",
                "einvoice.large-rounding",
                message,
                N_("check the total"),
                Severity.WARNING,
            )
        ]
    return []


def _group(category: str | None, rate: Decimal | None) -> tuple[str, Decimal]:
    # Only standard rates differ within a category; the others are 0 % whether written or not.
    return (category or "", (rate or ZERO) if category == "S" else ZERO)


def _label(category: str, rate: Decimal | None) -> str:
    return f"{category} {rate.normalize():f} %" if rate is not None else category


def _problem(
    reading: Reading, key: str, rule: str, message: str, hint: str, severity: Severity = Severity.ERROR
) -> Problem:
    document = reading.recognised.document
    position = reading.position(key) or Position(document.sourceline, "/" + etree.QName(document).localname)
    return _at(position, rule, message, hint, severity)


def _at(
    position: Position, rule: str, message: str, hint: str, severity: Severity = Severity.ERROR
) -> Problem:
    return Problem(
        f"[{rule}] {message}",
        line=position.line,
        field=position.path,
        hint=hint,
        severity=severity,
        code=rule,
    )
