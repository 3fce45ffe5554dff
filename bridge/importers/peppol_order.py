"""Peppol BIS Order 3 (UBL 2.1 `Order`): a purchase order as the ordering system sends it to
the supplier, dropped into the inbox so that the bridge knows what to expect.

Read the way e-invoices are (no DOCTYPE, no entities, no network). The order number is
`cbc:ID`; the supplier is `cac:SellerSupplierParty` — its legal registration (`CompanyID`,
the organisation number) or its party identifier; the expected delivery is the end (else the
start) of `cac:Delivery/cac:RequestedDeliveryPeriod`. Each `cac:OrderLine/cac:LineItem` is a row:
the buyer's item identifier is our article number (else the seller's), `cbc:Name` its
description, `cbc:AccountingCost` a four-digit account when it is one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from bridge.formats.einvoice.errors import EInvoiceError
from bridge.formats.einvoice.recognise import UBL_CAC, UBL_CBC, root_namespace
from bridge.formats.einvoice.safexml import has_doctype, parse_untrusted_xml, prolog_text
from bridge.importers.base import Source
from bridge.model import Extraction, Party, Problem, PurchaseOrder, PurchaseOrderRow
from bridge.util.i18n import N_

__all__ = ["UBL_ORDER", "PeppolOrderImporter"]

UBL_ORDER = "urn:oasis:names:specification:ubl:schema:xsd:Order-2"
NS = {"cac": UBL_CAC, "cbc": UBL_CBC, "o": UBL_ORDER}


class PeppolOrderImporter:
    name = "peppol-order"
    description = "a Peppol BIS Order 3 purchase order (UBL Order)"

    def identify(self, source: Source) -> bool:
        if source.name.lower().endswith(".pdf") or has_doctype(source.head):
            return False  # a DOCTYPE is the e-invoice reader's to refuse
        if not prolog_text(source.head[:64]).lstrip("\ufeff \t\r\n").startswith("<"):
            return False
        return root_namespace(source.head) == UBL_ORDER

    def extract(self, source: Source) -> Extraction:
        try:
            root = parse_untrusted_xml(source.path.read_bytes()).getroot()
        except EInvoiceError as error:
            return Extraction(self.name, problems=(error.problem,))
        problems: list[Problem] = []

        def text(element: etree._Element, path: str) -> str | None:
            found = element.find(path, NS)
            value = (found.text or "").strip() if found is not None else ""
            return value or None

        def required(element: etree._Element, path: str, what: str) -> str:
            value = text(element, path)
            if value is None:
                problems.append(
                    Problem(
                        N_("the order has no %(what)s") % {"what": what},
                        line=element.sourceline,
                        field=path,
                        hint=N_("ask the ordering system for a complete Peppol BIS Order 3"),
                        code="order.missing",
                    )
                )
            return value or ""

        def number(element: etree._Element, path: str, what: str) -> Decimal:
            raw = required(element, path, what)
            try:
                return Decimal(raw) if raw else Decimal(0)
            except InvalidOperation:
                found = element.find(path, NS)
                problems.append(
                    Problem(
                        N_("%(what)s %(raw)r is not a number") % {"what": what, "raw": raw},
                        line=found.sourceline if found is not None else element.sourceline,
                        field=path,
                        hint=N_("amounts in UBL are written like 1234.50"),
                        code="order.bad-number",
                    )
                )
                return Decimal(0)

        def day(element: etree._Element, path: str) -> date | None:
            raw = text(element, path)
            if raw is None:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                problems.append(
                    Problem(
                        N_("%(raw)r is not a date") % {"raw": raw},
                        line=element.sourceline,
                        field=path,
                        code="order.bad-date",
                    )
                )
                return None

        order_number = required(root, "cbc:ID", N_("order number (cbc:ID)"))
        seller = root.find("cac:SellerSupplierParty/cac:Party", NS)
        if seller is None:
            problems.append(
                Problem(
                    N_("the order names no supplier (cac:SellerSupplierParty)"),
                    line=root.sourceline,
                    field="cac:SellerSupplierParty",
                    code="order.missing",
                )
            )
            seller = etree.Element("none")
        organisation = text(seller, "cac:PartyLegalEntity/cbc:CompanyID")
        supplier = Party(
            name=text(seller, "cac:PartyLegalEntity/cbc:RegistrationName")
            or text(seller, "cac:PartyName/cbc:Name")
            or "",
            number=None if organisation else text(seller, "cac:PartyIdentification/cbc:ID"),
            organisation_number=organisation,
        )
        if not (supplier.number or supplier.organisation_number) and seller.tag != "none":
            problems.append(
                Problem(
                    N_(
                        "the supplier has neither an organisation number (cac:PartyLegalEntity/cbc:CompanyID)"
                        " nor an identifier"
                    ),
                    line=seller.sourceline,
                    field="cac:SellerSupplierParty",
                    code="order.missing",
                )
            )
        period = "cac:Delivery/cac:RequestedDeliveryPeriod/cbc:"
        rows = []
        for element in root.findall("cac:OrderLine/cac:LineItem", NS):
            cost = text(element, "cbc:AccountingCost")
            rows.append(
                PurchaseOrderRow(
                    quantity=number(element, "cbc:Quantity", N_("quantity")),
                    price=number(element, "cac:Price/cbc:PriceAmount", N_("unit price")),
                    article_number=text(element, "cac:Item/cac:BuyersItemIdentification/cbc:ID")
                    or text(element, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
                    description=text(element, "cac:Item/cbc:Name"),
                    account=int(cost) if cost and cost.isdigit() and len(cost) == 4 else None,
                    project=text(element, "cac:Item/cac:ItemInstance/cbc:SerialID"),
                    line=element.sourceline,
                )
            )
        if not rows:
            problems.append(
                Problem(
                    N_("the order has no order lines"),
                    line=root.sourceline,
                    field="cac:OrderLine",
                    code="order.missing",
                )
            )
        if any(p.is_error for p in problems):
            return Extraction(self.name, problems=tuple(problems), facts={"orders": 0})
        order = PurchaseOrder(
            source_key=order_number,
            order_number=order_number,
            supplier=supplier,
            rows=tuple(rows),
            order_date=day(root, "cbc:IssueDate"),
            delivery_date=day(root, period + "EndDate") or day(root, period + "StartDate"),
            currency=text(root, "cbc:DocumentCurrencyCode") or "SEK",
            note=text(root, "cbc:Note"),
            line=root.sourceline,
        )
        return Extraction(self.name, (order,), tuple(problems), {"orders": 1, "rows": len(rows)})
