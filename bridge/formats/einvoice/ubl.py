"""Peppol BIS Billing 3.0 and other EN 16931 UBL 2.1 invoices and credit notes → a `Reading`.

Paths follow shared/research/einvoice.md §3 (BIS 3 column); the BT numbers there name each
business term. Values are read as stated; signs are settled later by `as_booked`.
"""

from __future__ import annotations

from decimal import Decimal

from bridge.formats.einvoice.attachments import EmbeddedFile
from bridge.formats.einvoice.identifiers import iban_ok, is_ocr, normalise_vat_number
from bridge.formats.einvoice.reading import (
    LineCheck,
    Reading,
    mentions_f_tax,
    organisation_number,
    party_payment_details,
    payment_kind,
    source_key,
)
from bridge.formats.einvoice.recognise import UBL_CREDIT_NOTE, UBL_INVOICE, UBL_NAMESPACES, Recognised
from bridge.formats.einvoice.xmlread import Node, ValueLog, first_text
from bridge.model import (
    AllowanceCharge,
    MonetaryTotals,
    Party,
    PaymentMeans,
    Problem,
    Severity,
    SupplierInvoice,
    SupplierInvoiceRow,
    VatBreakdown,
)
from bridge.util.i18n import N_

__all__ = ["read_ubl"]

ZERO = Decimal(0)
NAMESPACES = {**UBL_NAMESPACES, "inv": UBL_INVOICE, "cn": UBL_CREDIT_NOTE}
# UNTDID 1001 codes that are not a plain commercial invoice and deserve a person's look.
_TYPE_CODE_NOTES = {
    "381": N_("an Invoice with type code 381 (credit note) is not allowed by Peppol; it is read as a credit"),
    "383": N_("this is a debit note (type code 383)"),
    "384": N_("this is a corrected invoice (type code 384); check that the original is not booked twice"),
    "386": N_("this is a prepayment invoice (type code 386)"),
    "393": N_("this is a factored invoice (type code 393): payment goes to the factoring company"),
    "396": N_("this is a factored credit note (type code 396)"),
}


def read_ubl(recognised: Recognised) -> Reading:
    log = ValueLog(NAMESPACES)
    doc = Node(recognised.document, log)
    credit_note = recognised.is_credit_note_root
    type_code = doc.text("cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode")
    problems: list[Problem] = []
    if type_code in _TYPE_CODE_NOTES and not (credit_note and type_code == "381"):
        problems.append(_warning(_TYPE_CODE_NOTES[type_code], doc, "einvoice.type-code"))
    if recognised.format == "peppol-bis2":
        problems.append(
            _warning(
                N_("this is an older Peppol BIS 2 invoice; it is read with BIS 3 rules"), doc, "einvoice.bis2"
            )
        )

    currency = doc.text("cbc:DocumentCurrencyCode") or "SEK"
    tax_currency = doc.text("cbc:TaxCurrencyCode")
    supplier_node = doc.find("cac:AccountingSupplierParty/cac:Party")
    supplier_country = (
        supplier_node.text("cac:PostalAddress/cac:Country/cbc:IdentificationCode") if supplier_node else None
    )
    supplier = _party(supplier_node, "supplier") if supplier_node else Party(name="")
    buyer_node = doc.find("cac:AccountingCustomerParty/cac:Party")
    buyer = _party(buyer_node, "buyer") if buyer_node else None
    problems.extend(_payee_warning(doc, supplier))

    means_nodes = doc.findall("cac:PaymentMeans")
    payment_means = tuple(_payment_means(node) for node in means_nodes)
    problems.extend(
        _warning(
            N_("the IBAN %(iban)s has wrong check digits") % {"iban": m.account}, node, "einvoice.iban-check"
        )
        for node, m in zip(means_nodes, payment_means, strict=True)
        if m.kind == "iban" and m.account and not iban_ok(m.account)
    )
    supplier = party_payment_details(supplier, payment_means)
    payment_ids = [m.payment_id for m in payment_means if m.payment_id]
    payment_id = payment_ids[0] if payment_ids else None

    vat, vat_in_tax_currency, breakdown = _vat(doc, currency, tax_currency)
    totals = _totals(doc)
    number = doc.text("cbc:ID", key="invoice_number") or ""
    line_tag, quantity_tag = (
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
        if credit_note
        else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    )
    rows, line_checks = [], []
    for index, line in enumerate(doc.findall(line_tag)):
        row, check = _row(line, quantity_tag, index)
        rows.append(row)
        line_checks.append(check)

    due_date = doc.date("cbc:DueDate") or next((m.due_date for m in payment_means if m.due_date), None)
    invoice = SupplierInvoice(
        source_key=source_key(supplier, number),
        supplier=supplier,
        invoice_number=number,
        rows=tuple(rows),
        total=totals.payable,
        vat=vat,
        invoice_date=doc.date("cbc:IssueDate"),
        due_date=due_date,
        currency=currency,
        currency_rate=_currency_rate(currency, tax_currency, vat, vat_in_tax_currency),
        rounding=totals.rounding or ZERO,
        ocr=payment_id if payment_id and is_ocr(payment_id) else None,
        payment_reference=payment_id if payment_id and not is_ocr(payment_id) else None,
        your_reference=doc.text("cbc:BuyerReference"),
        order_reference=doc.text("cac:OrderReference/cbc:ID"),
        buyer_organisation_number=buyer.organisation_number if buyer else None,
        credit_of=doc.text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
        period_start=doc.date("cac:InvoicePeriod/cbc:StartDate"),
        period_end=doc.date("cac:InvoicePeriod/cbc:EndDate"),
        line=doc.line,
        buyer=buyer,
        vat_breakdown=breakdown,
        allowance_charges=tuple(_allowance_charge(n) for n in doc.findall("cac:AllowanceCharge")),
        payment_means=payment_means,
        totals=totals,
        payment_terms=doc.text("cac:PaymentTerms/cbc:Note"),
        tax_currency=tax_currency,
        vat_in_tax_currency=vat_in_tax_currency,
        accounting_cost=doc.text("cbc:AccountingCost"),
        project=doc.text("cac:ProjectReference/cbc:ID")
        or first_text(doc.xpath("cac:AdditionalDocumentReference[cbc:DocumentTypeCode='50']/cbc:ID")),
        contract_reference=doc.text("cac:ContractDocumentReference/cbc:ID"),
        document_type_code=type_code,
        customization_id=recognised.customization_id,
        profile_id=recognised.profile_id,
        notes=tuple(doc.texts("cbc:Note")),
    )
    declared_credit = credit_note or type_code == "381"
    reading = Reading(
        recognised=recognised,
        invoice=invoice,
        log=log,
        declared_credit=declared_credit,
        supplier_country=supplier_country,
        line_checks=line_checks,
        problems=problems,
    )
    _references(doc, reading)
    return reading


def _party(node: Node, role: str) -> Party:
    country = node.text("cac:PostalAddress/cac:Country/cbc:IdentificationCode")
    vat = first_text(
        node.xpath("cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID)='VAT']/cbc:CompanyID")
    )
    company_id_node = node.find("cac:PartyLegalEntity/cbc:CompanyID")
    company_id = company_id_node.own_text() if company_id_node else None
    scheme = company_id_node.attr("schemeID") if company_id_node else None
    endpoint = node.find("cbc:EndpointID")
    endpoint_id = None
    if endpoint and endpoint.own_text():
        endpoint_id = (
            f"{endpoint.attr('schemeID')}:{endpoint.own_text()}"
            if endpoint.attr("schemeID")
            else endpoint.own_text()
        )
    if company_id is None and endpoint and endpoint.attr("schemeID") == "0007":
        company_id, scheme = endpoint.own_text(), "0007"
    if company_id_node:
        node.log.positions[f"{role}.organisation_number"] = company_id_node.position
    swedish = scheme == "0007" or (scheme is None and country == "SE")
    street = node.text("cac:PostalAddress/cbc:StreetName")
    additional = node.text("cac:PostalAddress/cbc:AdditionalStreetName")
    return Party(
        name=node.text("cac:PartyLegalEntity/cbc:RegistrationName")
        or node.text("cac:PartyName/cbc:Name")
        or "",
        number=node.text("cac:PartyIdentification/cbc:ID"),
        organisation_number=organisation_number(
            company_id, vat if country in ("SE", None) else None, swedish=swedish
        ),
        vat_number=normalise_vat_number(vat) if vat else None,
        email=node.text("cac:Contact/cbc:ElectronicMail"),
        phone=node.text("cac:Contact/cbc:Telephone"),
        address=", ".join(part for part in (street, additional) if part) or None,
        zip_code=node.text("cac:PostalAddress/cbc:PostalZone"),
        city=node.text("cac:PostalAddress/cbc:CityName"),
        country_code=country,
        f_tax=mentions_f_tax(
            [
                n.own_text() or ""
                for n in node.xpath(
                    "cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID)!='VAT']/cbc:CompanyID"
                )
            ]
        ),
        endpoint_id=endpoint_id,
    )


def _payee_warning(doc: Node, supplier: Party) -> list[Problem]:
    payee = doc.find("cac:PayeeParty")
    if payee is None:
        return []
    name = payee.text("cac:PartyName/cbc:Name")
    if name and name.casefold() == supplier.name.casefold():
        return []
    return [
        _warning(
            N_(
                "the invoice is to be paid to someone other than the seller (%(payee)s), for example a"
                " factoring company"
            )
            % {"payee": name or N_("a payee")},
            payee,
            "einvoice.payee",
        )
    ]


def _payment_means(node: Node) -> PaymentMeans:
    code = node.text("cbc:PaymentMeansCode")
    account = node.text("cac:PayeeFinancialAccount/cbc:ID")
    branch = node.text("cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")
    kind = payment_kind(code, account, branch)
    return PaymentMeans(
        kind=kind,
        account=account or node.text("cac:CardAccount/cbc:PrimaryAccountNumberID"),
        code=code,
        bic=branch if kind in ("iban", "bank-account") else None,
        account_name=node.text("cac:PayeeFinancialAccount/cbc:Name"),
        payment_id=node.text("cbc:PaymentID"),
        due_date=node.date("cbc:PaymentDueDate"),
    )


def _vat(
    doc: Node, currency: str, tax_currency: str | None
) -> tuple[Decimal, Decimal | None, tuple[VatBreakdown, ...]]:
    vat, vat_in_tax_currency = ZERO, None
    breakdown: list[VatBreakdown] = []
    for total in doc.findall("cac:TaxTotal"):
        amount_node = total.find("cbc:TaxAmount")
        amount_currency = amount_node.attr("currencyID") if amount_node else None
        # BT-111 is the TaxTotal in the tax currency; it has no breakdown (KoSIT validator #143).
        if tax_currency and tax_currency != currency and amount_currency == tax_currency:
            vat_in_tax_currency = total.decimal("cbc:TaxAmount")
            continue
        vat = total.decimal("cbc:TaxAmount", key="vat") or ZERO
        for subtotal in total.findall("cac:TaxSubtotal"):
            doc.log.positions[f"vat_breakdown[{len(breakdown)}]"] = subtotal.position
            breakdown.append(
                VatBreakdown(
                    category=subtotal.text("cac:TaxCategory/cbc:ID") or "",
                    rate=subtotal.decimal("cac:TaxCategory/cbc:Percent"),
                    taxable_amount=subtotal.decimal("cbc:TaxableAmount") or ZERO,
                    vat_amount=subtotal.decimal("cbc:TaxAmount") or ZERO,
                    exemption_reason=subtotal.text("cac:TaxCategory/cbc:TaxExemptionReason"),
                    exemption_reason_code=subtotal.text("cac:TaxCategory/cbc:TaxExemptionReasonCode"),
                )
            )
    return vat, vat_in_tax_currency, tuple(breakdown)


def _currency_rate(
    currency: str, tax_currency: str | None, vat: Decimal, vat_in_tax_currency: Decimal | None
) -> Decimal | None:
    # The seller's own rate to SEK, when it reports VAT in SEK for a foreign-currency invoice.
    if tax_currency != "SEK" or currency == "SEK" or vat_in_tax_currency is None or not vat:
        return None
    return (vat_in_tax_currency / vat).quantize(Decimal("0.000001"))


def _totals(doc: Node) -> MonetaryTotals:
    def amount(name: str, key: str) -> Decimal | None:
        return doc.decimal(f"cac:LegalMonetaryTotal/cbc:{name}", key=f"totals.{key}")

    def required(name: str, key: str) -> Decimal:
        value = amount(name, key)
        return ZERO if value is None else value

    return MonetaryTotals(
        line_extension=required("LineExtensionAmount", "line_extension"),
        tax_exclusive=amount("TaxExclusiveAmount", "tax_exclusive"),
        tax_inclusive=required("TaxInclusiveAmount", "tax_inclusive"),
        allowances=amount("AllowanceTotalAmount", "allowances"),
        charges=amount("ChargeTotalAmount", "charges"),
        prepaid=amount("PrepaidAmount", "prepaid"),
        rounding=amount("PayableRoundingAmount", "rounding"),
        payable=required("PayableAmount", "payable"),
    )


def _allowance_charge(node: Node) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=(node.text("cbc:ChargeIndicator") or "").lower() == "true",
        amount=node.decimal("cbc:Amount") or ZERO,
        reason=node.text("cbc:AllowanceChargeReason"),
        reason_code=node.text("cbc:AllowanceChargeReasonCode"),
        base_amount=node.decimal("cbc:BaseAmount"),
        percent=node.decimal("cbc:MultiplierFactorNumeric"),
        vat_category=node.text("cac:TaxCategory/cbc:ID"),
        vat_rate=node.decimal("cac:TaxCategory/cbc:Percent"),
        line=node.line,
    )


def _row(line: Node, quantity_tag: str, index: int) -> tuple[SupplierInvoiceRow, LineCheck]:
    line.log.positions[f"rows[{index}]"] = line.position
    quantity_node = line.find(quantity_tag)
    net = line.decimal("cbc:LineExtensionAmount") or ZERO
    quantity = quantity_node.own_decimal() if quantity_node else None
    price = line.decimal("cac:Price/cbc:PriceAmount")
    adjustments = [_allowance_charge(n) for n in line.findall("cac:AllowanceCharge")]
    name = line.text("cac:Item/cbc:Name")
    row = SupplierInvoiceRow(
        amount=net,
        description=name or line.text("cac:Item/cbc:Description"),
        quantity=quantity,
        unit=quantity_node.attr("unitCode") if quantity_node else None,
        price=price,
        article_number=line.text("cac:Item/cac:SellersItemIdentification/cbc:ID")
        or line.text("cac:Item/cac:StandardItemIdentification/cbc:ID"),
        vat_rate=line.decimal("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
        line=line.line,
        vat_category=line.text("cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        accounting_cost=line.text("cbc:AccountingCost"),
        note=line.text("cbc:Note"),
    )
    check = LineCheck(
        net=net,
        quantity=quantity,
        price=price,
        base_quantity=line.decimal("cac:Price/cbc:BaseQuantity"),
        allowances=sum((a.amount for a in adjustments if not a.is_charge), ZERO),
        charges=sum((a.amount for a in adjustments if a.is_charge), ZERO),
        position=line.position,
    )
    return row, check


def _references(doc: Node, reading: Reading) -> None:
    for reference in doc.findall("cac:AdditionalDocumentReference"):
        embedded = reference.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject")
        if embedded is not None:
            reading.embedded_files.append(
                EmbeddedFile(
                    base64_text="".join(embedded.element.itertext()),
                    declared_type=embedded.attr("mimeCode"),
                    line=embedded.line,
                    path=embedded.path,
                )
            )
        uri = reference.text("cac:Attachment/cac:ExternalReference/cbc:URI")
        if uri:
            reading.external_references.append(uri)


def _warning(message: str, node: Node, code: str) -> Problem:
    return Problem(message, line=node.line, field=node.path, severity=Severity.WARNING, code=code)
