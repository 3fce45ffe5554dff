"""Swedish national rules: Peppol's SE-R-001…013 and PEPPOL-COMMON-R049, and their Svefaktura kin.

The Peppol rules are transcribed from PEPPOL-EN16931-UBL.sch (BIS 3.0.21), keeping their
contexts: most fire only for a seller whose postal country is SE (and, for some, whose VAT
number starts with SE), and XPath's `number()` decides what "numeric" means. Peppol marks
SE-R-001…006, SE-R-013 and R049 fatal; access points already applied them to anything that
travelled through Peppol, and public Swedish samples fail them with made-up numbers, so here
every one of them is a warning: the invoice is imported and the warning travels with it.
"""

from __future__ import annotations

import re
from decimal import Decimal

from lxml import etree

from bridge.formats.einvoice.identifiers import luhn_ok, normalise_org_number
from bridge.formats.einvoice.reading import Reading
from bridge.formats.einvoice.ubl import NAMESPACES
from bridge.formats.einvoice.xmlread import Node, ValueLog
from bridge.model import Problem, Severity
from bridge.util.i18n import N_

__all__ = ["peppol_swedish_rules", "swedish_rule_problems"]

# What XPath 2.0 number() accepts: an xs:double lexical form, whitespace around it allowed.
_XPATH_NUMBER = re.compile(r"\s*([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|-?INF)\s*")

_SWEDISH_RATES = (Decimal(25), Decimal(12), Decimal(6))

_MESSAGES = {
    "SE-R-001": N_("For Swedish suppliers, Swedish VAT numbers must consist of 14 characters"),
    "SE-R-002": N_(
        "For Swedish suppliers, the Swedish VAT number must have its trailing 12 characters numeric"
    ),
    "SE-R-003": N_("Swedish organisation numbers should be numeric"),
    "SE-R-004": N_("Swedish organisation numbers consist of 10 characters"),
    "SE-R-005": N_("For Swedish suppliers, the seller's tax registration must state 'Godkänd för F-skatt'"),
    "SE-R-006": N_("For Swedish suppliers, only the standard VAT rates 6, 12 and 25 are used"),
    "SE-R-007": N_("For Swedish suppliers using plusgiro, the account must be numeric"),
    "SE-R-008": N_("For Swedish suppliers using bankgiro, the account must be numeric"),
    "SE-R-009": N_("For Swedish suppliers using bankgiro, the account must have 7–8 characters"),
    "SE-R-010": N_("For Swedish suppliers using plusgiro, the account must have 2–8 characters"),
    "SE-R-011": N_(
        "Swedish bankgiro and plusgiro are given as payment means code 30 with SE:BANKGIRO or SE:PLUSGIRO"
    ),
    "SE-R-012": N_("Between Swedish parties, credit transfer is payment means code 30, not 31"),
    "SE-R-013": N_("The last digit of a Swedish organisation number must pass the Luhn check"),
    "PEPPOL-COMMON-R049": N_(
        "A Swedish organisation number (scheme 0007) must be 10 digits passing the Luhn check"
    ),
}


def swedish_rule_problems(reading: Reading) -> list[Problem]:
    if reading.recognised.syntax == "ubl":
        return peppol_swedish_rules(reading.recognised.document)
    return _svefaktura_rules(reading)


def peppol_swedish_rules(document: etree._Element) -> list[Problem]:
    """SE-R-001…013 and PEPPOL-COMMON-R049 on a UBL Invoice or CreditNote element.

    Like the Schematron, this needs no complete invoice: it also runs on the fragments of
    OpenPeppol's rule test sets.
    """
    doc = Node(document, ValueLog(NAMESPACES))
    found: list[tuple[str, Node]] = []
    seller = doc.find("cac:AccountingSupplierParty/cac:Party")
    seller_se = (
        seller is not None and seller.text("cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "SE"
    )
    buyer_se = (
        doc.text("cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode")
        == "SE"
    )

    for identifier in doc.xpath(
        ".//cbc:EndpointID[@schemeID='0007'] | .//cac:PartyIdentification/cbc:ID[@schemeID='0007']"
        " | .//cbc:CompanyID[@schemeID='0007']"
    ):
        value = _normalize_space(identifier)
        if not (len(value) == 10 and _is_number(value) and _check_se_orgnr(value)):
            found.append(("PEPPOL-COMMON-R049", identifier))

    if seller_se and seller is not None:
        vat_nodes = seller.xpath("cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID")
        vat_se = any((node.element.text or "")[:2] == "SE" for node in vat_nodes)
        if vat_se:
            vat = vat_nodes[0]
            if len(_normalize_space(vat)) != 14:
                found.append(("SE-R-001", vat))
            if not _is_number((vat.element.text or "")[2:14]):
                found.append(("SE-R-002", vat))
        legal = seller.find("cac:PartyLegalEntity/cbc:CompanyID")
        if legal is not None:
            if not _is_number(legal.element.text or ""):
                found.append(("SE-R-003", legal))
            if len(_normalize_space(legal)) != 10:
                found.append(("SE-R-004", legal))
            if not _check_se_orgnr(_normalize_space(legal)):
                found.append(("SE-R-013", legal))
            for tax_id in seller.xpath(
                "cac:PartyTaxScheme[translate(normalize-space(cac:TaxScheme/cbc:ID), 'vat', 'VAT') != 'VAT']/cbc:CompanyID"
            ):
                if _normalize_space(tax_id).upper() != "GODKÄND FÖR F-SKATT":
                    found.append(("SE-R-005", tax_id))
        if vat_se:
            for category in doc.xpath(
                ".//cac:TaxCategory[cbc:ID='S'] | .//cac:ClassifiedTaxCategory[cbc:ID='S']"
            ):
                percent = category.find("cbc:Percent")
                text = percent.element.text if percent is not None else ""
                if not (_is_number(text or "") and Decimal((text or "").strip()) in _SWEDISH_RATES):
                    found.append(("SE-R-006", percent or category))

    if seller_se:
        for means in doc.findall("cac:PaymentMeans"):
            found.extend(_payment_rules(means, buyer_se))
    return [_warning(rule, node) for rule, node in found]


def _payment_rules(means: Node, buyer_se: bool) -> list[tuple[str, Node]]:
    found = []
    code = means.element.findtext("{*}PaymentMeansCode") or ""
    branch = means.text("cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")
    account = means.find("cac:PayeeFinancialAccount/cbc:ID")
    if code.strip() == "30" and account is not None:
        value = _normalize_space(account)
        if branch == "SE:PLUSGIRO":
            if not _is_number(value):
                found.append(("SE-R-007", account))
            if not 2 <= len(value) <= 8:
                found.append(("SE-R-010", account))
        if branch == "SE:BANKGIRO":
            if not _is_number(value):
                found.append(("SE-R-008", account))
            if len(value) not in (7, 8):
                found.append(("SE-R-009", account))
    if code in ("50", "56"):
        found.append(("SE-R-011", means))
    if code == "31" and buyer_se:
        found.append(("SE-R-012", means))
    return found


def _svefaktura_rules(reading: Reading) -> list[Problem]:
    """SFTI's rules on the parties that matter for matching them, and the organisation number
    checked as Peppol's SE-R-013 does (Svefaktura has no SE-R rules of its own)."""
    doc = Node(reading.recognised.document, reading.log)
    problems = [
        _sfti_warning(
            "R-44", N_("the seller's RegistrationName is given only when it differs from its name"), node
        )
        for node in doc.findall("cac:SellerParty/cac:Party/cac:PartyTaxScheme/cbc:RegistrationName")
        if node.own_text() == doc.text("cac:SellerParty/cac:Party/cac:PartyName/cbc:Name")
    ]
    problems += [
        _sfti_warning("R-79", N_("the buyer's reference (RequisitionistDocumentReference/ID) is empty"), node)
        for node in doc.findall("sv:RequisitionistDocumentReference/cac:ID")
        if node.own_text() is None
    ]
    supplier = reading.invoice.supplier
    position = reading.position("supplier.organisation_number")
    if position is None or supplier.country_code not in ("SE", None):
        return problems
    number = normalise_org_number(supplier.organisation_number or "")
    if number is not None and luhn_ok(number):
        return problems
    return [
        *problems,
        Problem(
            "[SE-R-013] "
            + N_(
                "the seller's organisation number %(number)r is not a valid Swedish organisation number"
                " (10 digits passing the Luhn check)"
            )
            % {"number": supplier.organisation_number},
            line=position.line,
            field=position.path,
            hint=N_("the supplier cannot be matched by organisation number; check it with the supplier"),
            severity=Severity.WARNING,
            code="SE-R-013",
        ),
    ]


def _sfti_warning(rule: str, message: str, node: Node) -> Problem:
    return Problem(
        f"[{rule}] {message}",
        line=node.line,
        field=node.path,
        hint=N_("imported anyway; SFTI's validator would have refused this"),
        severity=Severity.WARNING,
        code=rule,
    )


def _check_se_orgnr(value: str) -> bool:
    # u:checkSEOrgnr: numeric, and the 10th digit is the Luhn check digit of the first nine.
    return value.isdigit() and len(value) >= 10 and luhn_ok(value[:10])


def _is_number(text: str) -> bool:
    return bool(_XPATH_NUMBER.fullmatch(text))


def _normalize_space(node: Node) -> str:
    return " ".join((node.element.text or "").split())


def _warning(rule: str, node: Node) -> Problem:
    return Problem(
        f"[{rule}] "
        + N_("%(message)s (found %(value)r)") % {"message": _MESSAGES[rule], "value": _normalize_space(node)},
        line=node.line,
        field=node.path,
        hint=N_(
            "imported anyway; Peppol access points would have refused this, so check the supplier's details"
        ),
        severity=Severity.WARNING,
        code=rule,
    )
