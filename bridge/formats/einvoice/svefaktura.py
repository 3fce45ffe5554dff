"""Svefaktura 1.0 (SFTI BasicInvoice) → a `Reading`, with ObjectEnvelope attachments.

Paths follow shared/research/einvoice.md §3 (Svefaktura column): the document namespace for
the invoice's own elements, SFTI's aggregate namespace for `cac:` and UBL 1.0's for `cbc:`.
Svefaktura has no payable amount: TaxInclusiveTotalAmount already includes the rounding and is
what is paid. A credit note is the same Invoice root with type code 381 and positive amounts.
"""

from __future__ import annotations

from decimal import Decimal

from bridge.formats.einvoice.attachments import EmbeddedFile
from bridge.formats.einvoice.identifiers import is_ocr, normalise_vat_number
from bridge.formats.einvoice.reading import (
    LineCheck,
    Reading,
    mentions_f_tax,
    organisation_number,
    party_payment_details,
    payment_kind,
    source_key,
)
from bridge.formats.einvoice.recognise import SVEFAKTURA_NAMESPACES, Recognised
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

__all__ = ["read_svefaktura"]

ZERO = Decimal(0)
_OBJECT_PREFIX = "urn:sfti:documents:object:"


def read_svefaktura(recognised: Recognised) -> Reading:
    log = ValueLog(SVEFAKTURA_NAMESPACES)
    doc = Node(recognised.document, log)
    type_code = doc.text("sv:InvoiceTypeCode")
    problems: list[Problem] = []
    if type_code not in ("380", "381"):
        problems.append(
            Problem(
                N_("Svefaktura type code %(code)r is neither 380 (invoice) nor 381 (credit note)")
                % {"code": type_code},
                line=doc.line,
                field=doc.path,
                severity=Severity.WARNING,
                code="einvoice.type-code",
            )
        )
    currency = doc.text("sv:InvoiceCurrencyCode") or "SEK"
    seller_node = doc.find("cac:SellerParty/cac:Party")
    supplier = _party(seller_node, "supplier") if seller_node else Party(name="")
    buyer_node = doc.find("cac:BuyerParty/cac:Party")
    buyer = _party(buyer_node, "buyer") if buyer_node else None
    payment_means = tuple(_payment_means(node) for node in doc.findall("cac:PaymentMeans"))
    supplier = party_payment_details(supplier, payment_means)
    problems.extend(_payee_warnings(doc, supplier))
    payment_ids = [m.payment_id for m in payment_means if m.payment_id]
    payment_id = payment_ids[0] if payment_ids else None

    vat = doc.decimal("cac:TaxTotal/cbc:TotalTaxAmount", key="vat") or ZERO
    breakdown, vat_in_tax_currency = _vat_breakdown(doc)
    totals = _totals(doc)
    rows, line_checks = [], []
    for index, line in enumerate(doc.findall("cac:InvoiceLine")):
        row, check = _row(line, index)
        rows.append(row)
        line_checks.append(check)

    rounding = totals.rounding
    if rounding is None:
        rounding = _implied_rounding(totals, vat, rows, doc, problems)
    number = doc.text("sv:ID", key="invoice_number") or ""
    tax_currency = doc.text("sv:TaxCurrencyCode")
    rate = doc.decimal("cac:ExchangeRate/cbc:CalculationRate")
    invoice = SupplierInvoice(
        source_key=source_key(supplier, number),
        supplier=supplier,
        invoice_number=number,
        rows=tuple(rows),
        total=totals.payable,
        vat=vat,
        invoice_date=doc.date("cbc:IssueDate"),
        due_date=next((m.due_date for m in payment_means if m.due_date), None),
        currency=currency,
        currency_rate=rate if currency != "SEK" and tax_currency == "SEK" else None,
        rounding=rounding,
        ocr=payment_id if payment_id and is_ocr(payment_id) else None,
        payment_reference=payment_id if payment_id and not is_ocr(payment_id) else None,
        your_reference=doc.text("sv:RequisitionistDocumentReference/cac:ID"),
        order_reference=doc.text("cac:InvoiceLine/cac:OrderLineReference/cac:OrderReference/cac:BuyersID"),
        buyer_organisation_number=buyer.organisation_number if buyer else None,
        credit_of=doc.text("sv:InitialInvoiceDocumentReference/cac:ID"),
        period_start=doc.date("sv:InvoicingPeriod/cbc:StartDateTime"),
        period_end=doc.date("sv:InvoicingPeriod/cbc:EndDateTime"),
        line=doc.line,
        buyer=buyer,
        vat_breakdown=breakdown,
        allowance_charges=tuple(_allowance_charge(n) for n in doc.findall("sv:AllowanceCharge")),
        payment_means=payment_means,
        totals=totals,
        payment_terms=doc.text("cac:PaymentTerms/cbc:Note"),
        tax_currency=tax_currency,
        vat_in_tax_currency=vat_in_tax_currency,
        contract_reference=first_text(
            doc.xpath("sv:AdditionalDocumentReference/cac:ID[@identificationSchemeID='CT']")
        ),
        document_type_code=type_code,
        notes=tuple(doc.texts("cbc:Note")),
    )
    reading = Reading(
        recognised=recognised,
        invoice=invoice,
        log=log,
        declared_credit=type_code == "381",
        supplier_country=seller_node.text("cac:Address/cac:Country/cac:IdentificationCode")
        if seller_node
        else None,
        line_checks=line_checks,
        problems=problems,
    )
    _attachments(doc, recognised, reading)
    return reading


def _party(node: Node, role: str) -> Party:
    org_node = next(
        iter(node.xpath("cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cac:ID)='SWT']/cac:CompanyID")),
        None,
    )
    if org_node:
        node.log.positions[f"{role}.organisation_number"] = org_node.position
    vat = first_text(
        node.xpath("cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cac:ID)='VAT']/cac:CompanyID")
    )
    country = node.text("cac:Address/cac:Country/cac:IdentificationCode")
    registration_name = first_text(node.xpath("cac:PartyTaxScheme/cbc:RegistrationName"))
    return Party(
        name=registration_name or node.text("cac:PartyName/cbc:Name") or "",
        number=node.text("cac:PartyIdentification/cac:ID"),
        organisation_number=organisation_number(
            org_node.own_text() if org_node else None, vat, swedish=country in ("SE", None)
        ),
        vat_number=normalise_vat_number(vat) if vat else None,
        email=node.text("cac:Contact/cbc:ElectronicMail"),
        phone=node.text("cac:Contact/cbc:Telephone"),
        address=node.text("cac:Address/cbc:StreetName") or node.text("cac:Address/cbc:Postbox"),
        zip_code=node.text("cac:Address/cbc:PostalZone"),
        city=node.text("cac:Address/cbc:CityName"),
        country_code=country,
        f_tax=mentions_f_tax(node.texts("cac:PartyTaxScheme/cbc:ExemptionReason")),
    )


def _payment_means(node: Node) -> PaymentMeans:
    account = node.text("cac:PayeeFinancialAccount/cac:ID")
    institution = node.text(
        "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cac:FinancialInstitution/cac:ID"
    )
    kind = payment_kind(None, account, institution)
    return PaymentMeans(
        kind=kind,
        account=account,
        code=node.text("cac:PaymentMeansTypeCode"),
        bic=institution if kind in ("iban", "bank-account") else None,
        payment_id=node.text("cac:PayeeFinancialAccount/cac:PaymentInstructionID"),
        due_date=node.date("cbc:DuePaymentDate"),
    )


def _payee_warnings(doc: Node, supplier: Party) -> list[Problem]:
    problems = []
    for node in doc.findall("cac:PaymentMeans/cac:PayeePartyName"):
        name = node.text("cbc:Name")
        if name and name.casefold() != supplier.name.casefold():
            problems.append(
                Problem(
                    N_("the invoice is to be paid to someone other than the seller (%(payee)s)")
                    % {"payee": name},
                    line=node.line,
                    field=node.path,
                    severity=Severity.WARNING,
                    code="einvoice.payee",
                )
            )
    return problems


def _vat_breakdown(doc: Node) -> tuple[tuple[VatBreakdown, ...], Decimal | None]:
    breakdown, in_tax_currency = [], []
    for index, subtotal in enumerate(doc.findall("cac:TaxTotal/cac:TaxSubTotal")):
        doc.log.positions[f"vat_breakdown[{index}]"] = subtotal.position
        breakdown.append(
            VatBreakdown(
                category=subtotal.text("cac:TaxCategory/cac:ID") or "",
                rate=subtotal.decimal("cac:TaxCategory/cbc:Percent"),
                taxable_amount=subtotal.decimal("cbc:TaxableAmount") or ZERO,
                vat_amount=subtotal.decimal("cbc:TaxAmount") or ZERO,
                exemption_reason=subtotal.text("cac:TaxCategory/cbc:ExemptionReason"),
            )
        )
        if (amount := subtotal.decimal("cac:TaxCurrencyTaxAmount")) is not None:
            in_tax_currency.append(amount)
    return tuple(breakdown), sum(in_tax_currency, ZERO) if in_tax_currency else None


def _totals(doc: Node) -> MonetaryTotals:
    def amount(path: str, *keys: str) -> Decimal | None:
        value = doc.decimal(f"cac:LegalTotal/{path}", key=f"totals.{keys[0]}")
        for key in keys[1:]:
            doc.log.positions[f"totals.{key}"] = doc.log.positions[f"totals.{keys[0]}"]
        return value

    rounding = amount("cac:RoundOffAmount", "rounding")
    # Svefaktura's TaxInclusiveTotalAmount is what is paid; BT-112 is that before rounding.
    payable = _or_zero(amount("cbc:TaxInclusiveTotalAmount", "payable", "tax_inclusive"))
    allowances = [c for c in doc.findall("sv:AllowanceCharge") if not _is_charge(c)]
    charges = [c for c in doc.findall("sv:AllowanceCharge") if _is_charge(c)]
    return MonetaryTotals(
        line_extension=_or_zero(amount("cbc:LineExtensionTotalAmount", "line_extension")),
        tax_exclusive=amount("cbc:TaxExclusiveTotalAmount", "tax_exclusive"),
        tax_inclusive=payable - (rounding or ZERO),
        payable=payable,
        allowances=sum((c.decimal("cbc:Amount") or ZERO for c in allowances), ZERO) if allowances else None,
        charges=sum((c.decimal("cbc:Amount") or ZERO for c in charges), ZERO) if charges else None,
        rounding=rounding,
    )


def _implied_rounding(
    totals: MonetaryTotals, vat: Decimal, rows: list[SupplierInvoiceRow], doc: Node, problems: list[Problem]
) -> Decimal:
    """SFTI lets the total to pay differ by up to 0.50 without a RoundOffAmount; make it visible."""
    net = sum((r.amount for r in rows), ZERO) - (totals.allowances or ZERO) + (totals.charges or ZERO)
    implied = totals.payable - net - vat
    if not implied or abs(implied) > Decimal("0.50"):
        return ZERO
    problems.append(
        Problem(
            N_(
                "the total to pay is rounded by %(amount)s without a stated rounding amount; it is booked"
                " as rounding (öresavrundning)"
            )
            % {"amount": implied},
            line=doc.line,
            field=doc.path + "/cac:LegalTotal",
            severity=Severity.WARNING,
            code="einvoice.implied-rounding",
        )
    )
    return implied


def _or_zero(value: Decimal | None) -> Decimal:
    return ZERO if value is None else value


def _is_charge(node: Node) -> bool:
    return (node.text("cbc:ChargeIndicator") or "").lower() in ("true", "1")


def _allowance_charge(node: Node) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=_is_charge(node),
        amount=node.decimal("cbc:Amount") or ZERO,
        reason_code=node.text("cac:ReasonCode"),
        base_amount=node.decimal("cac:AllowanceChargeBaseAmount"),
        percent=node.decimal("cbc:MultiplierFactorNumeric"),
        vat_category=node.text("cac:TaxCategory/cac:ID"),
        vat_rate=node.decimal("cac:TaxCategory/cbc:Percent"),
        line=node.line,
    )


def _row(line: Node, index: int) -> tuple[SupplierInvoiceRow, LineCheck]:
    line.log.positions[f"rows[{index}]"] = line.position
    quantity_node = line.find("cbc:InvoicedQuantity")
    quantity = quantity_node.own_decimal() if quantity_node else None
    net = line.decimal("cbc:LineExtensionAmount") or ZERO
    price = line.decimal("cac:Item/cac:BasePrice/cbc:PriceAmount")
    adjustments = [_allowance_charge(n) for n in line.findall("cac:AllowanceCharge")]
    row = SupplierInvoiceRow(
        amount=net,
        description=line.text("cac:Item/cbc:Description"),
        quantity=quantity,
        unit=quantity_node.attr("quantityUnitCode") if quantity_node else None,
        price=price,
        article_number=line.text("cac:Item/cac:SellersItemIdentification/cac:ID")
        or line.text("cac:Item/cac:StandardItemIdentification/cac:ID"),
        vat_rate=line.decimal("cac:Item/cac:TaxCategory/cbc:Percent"),
        line=line.line,
        vat_category=line.text("cac:Item/cac:TaxCategory/cac:ID"),
        note=line.text("cbc:Note"),
    )
    check = LineCheck(
        net=net,
        quantity=quantity,
        price=price,
        base_quantity=line.decimal("cac:Item/cac:BasePrice/cbc:BaseQuantity"),
        allowances=sum((a.amount for a in adjustments if not a.is_charge), ZERO),
        charges=sum((a.amount for a in adjustments if a.is_charge), ZERO),
        position=line.position,
    )
    return row, check


def _attachments(doc: Node, recognised: Recognised, reading: Reading) -> None:
    """Attachments travel in ObjectEnvelopes beside the invoice, referenced by object id."""
    referenced = {
        text.removeprefix(_OBJECT_PREFIX)
        for node in doc.xpath("sv:AdditionalDocumentReference/cac:ID[@identificationSchemeID='ATS']")
        if (text := node.own_text())
    }
    envelope_log = ValueLog(SVEFAKTURA_NAMESPACES)
    carried = {
        encoded.text("oe:ObjectID")
        for envelope in recognised.object_envelopes
        for encoded in Node(envelope, envelope_log).findall("oe:EncodedObject")
    }
    for missing in sorted(referenced - carried):
        reading.problems.append(
            Problem(
                N_("the invoice refers to the attachment %(name)r, which is not in this file")
                % {"name": missing},
                line=doc.line,
                field=doc.path + "/AdditionalDocumentReference",
                hint=N_("Svefaktura attachments must travel in the same file (SBDH) to be kept"),
                severity=Severity.WARNING,
                code="einvoice.attachment-missing",
            )
        )
    for envelope in recognised.object_envelopes:
        for encoded in Node(envelope, envelope_log).findall("oe:EncodedObject"):
            object_id = encoded.text("oe:ObjectID")
            data = encoded.find("oe:EncodedData")
            if data is None:
                continue
            if referenced and object_id not in referenced:
                reading.problems.append(
                    Problem(
                        N_("the attachment %(name)r is not referenced by the invoice; it is kept anyway")
                        % {"name": object_id},
                        line=data.line,
                        severity=Severity.WARNING,
                        code="einvoice.attachment-unreferenced",
                    )
                )
            reading.embedded_files.append(
                EmbeddedFile(
                    base64_text="".join(data.element.itertext()),
                    declared_type=data.attr("mimeCode"),
                    line=data.line,
                    path=data.path,
                )
            )
