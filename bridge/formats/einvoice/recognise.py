"""What was dropped: decided by the root element's namespace and the CustomizationID, never the name.

Accepted: Peppol BIS Billing 3.0 invoices and credit notes, other EN 16931 UBL (the CEN core and
national CIUS), the older Peppol BIS 2 UBL, and Svefaktura 1.0 — bare, in an SBDH envelope, or
in a Peppol SBDH wrapping SFTI's own SBDH, with ObjectEnvelope attachments beside it. Refused
with a reason: CII, self-billing, validator test sets, other UBL documents, anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from bridge.formats.einvoice.errors import EInvoiceError
from bridge.formats.einvoice.safexml import prolog_text
from bridge.util.i18n import N_

__all__ = [
    "CII",
    "KNOWN_ROOT_NAMESPACES",
    "OBJECT_ENVELOPE",
    "SVEFAKTURA",
    "SVEFAKTURA_NAMESPACES",
    "UBL_CREDIT_NOTE",
    "UBL_INVOICE",
    "UBL_NAMESPACES",
    "Recognised",
    "recognise",
    "root_namespace",
]

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
UBL_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
UBL_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_DOCUMENT_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:"
SVEFAKTURA = "urn:sfti:documents:BasicInvoice:1:0"
SFTI_CAC = "urn:sfti:CommonAggregateComponents:1:0"
UBL1_CBC = "urn:oasis:names:tc:ubl:CommonBasicComponents:1:0"
OBJECT_ENVELOPE = "urn:sfti:documents:ObjectEnvelope:1:0"
SBDH = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
SFTI_SBDH = "urn:sfti:documents:StandardBusinessDocumentHeader"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
VEFA_TEST_SET = "http://difi.no/xsd/vefa/validator/1.0"

UBL_NAMESPACES = {"cac": UBL_CAC, "cbc": UBL_CBC}
SVEFAKTURA_NAMESPACES = {"sv": SVEFAKTURA, "cac": SFTI_CAC, "cbc": UBL1_CBC, "oe": OBJECT_ENVELOPE}

KNOWN_ROOT_NAMESPACES = frozenset(
    {UBL_INVOICE, UBL_CREDIT_NOTE, SVEFAKTURA, OBJECT_ENVELOPE, SBDH, SFTI_SBDH, CII, VEFA_TEST_SET}
)

PEPPOL_BIS3 = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
EN16931 = "urn:cen.eu:en16931:2017"
BIS2_PREFIX = "urn:www.cenbii.eu:transaction:biitrns01"
# UNTDID 1001 codes for documents the buyer issued on the seller's behalf.
SELF_BILLING_TYPE_CODES = frozenset({"389", "261", "527"})

_ENVELOPE_DEPTH = 3
_START_TAG = re.compile(r"<(?:([A-Za-z_][\w.\-]*):)?([A-Za-z_][\w.\-]*)([^>]*)>")
_XMLNS = re.compile(r"""xmlns(?::([\w.\-]+))?\s*=\s*["']([^"']*)["']""")


@dataclass(frozen=True)
class Recognised:
    """The invoice element found in a file, and what kind of e-invoice it is.

    `format` is `peppol-bis3`, `en16931`, `peppol-bis2` or `svefaktura-1.0`; `syntax` is `ubl`
    or `svefaktura`; `envelopes` lists the SBDH layers it came out of, outermost first.
    """

    format: str
    syntax: str
    document: etree._Element
    customization_id: str | None = None
    profile_id: str | None = None
    envelopes: tuple[str, ...] = ()
    object_envelopes: tuple[etree._Element, ...] = ()

    @property
    def is_credit_note_root(self) -> bool:
        return etree.QName(self.document).localname == "CreditNote"


def root_namespace(head: bytes) -> str | None:
    """The namespace of the root element, read cheaply from the first bytes of a file."""
    text = prolog_text(head)
    position = 0
    while (match := _START_TAG.search(text, position)) is not None:
        position = match.end()
        if text[match.start() + 1] in "!?":
            continue
        prefix = match[1] or None
        for declared_prefix, uri in _XMLNS.findall(match[3]):
            if (declared_prefix or None) == prefix:
                return uri
        return ""
    return None


def recognise(tree: etree._ElementTree) -> Recognised:
    """Find the invoice in a parsed file and say what it is, or raise `EInvoiceError` why not."""
    root = tree.getroot()
    envelopes: list[str] = []
    documents: list[etree._Element] = [root]
    while len(documents) == 1 and _namespace(documents[0]) in (SBDH, SFTI_SBDH):
        if len(envelopes) == _ENVELOPE_DEPTH:
            raise _refused(N_("envelopes are nested too deep to be an invoice"), documents[0])
        envelopes.append("sbdh" if _namespace(documents[0]) == SBDH else "sfti-sbdh")
        documents = [
            child
            for child in documents[0]
            if etree.QName(child).localname != "StandardBusinessDocumentHeader"
        ]
        if len(documents) > 1 and any(_namespace(d) in (SBDH, SFTI_SBDH) for d in documents):
            raise _refused(N_("an envelope holds another envelope beside other documents"), documents[0])

    invoices = [d for d in documents if _namespace(d) != OBJECT_ENVELOPE]
    object_envelopes = tuple(d for d in documents if _namespace(d) == OBJECT_ENVELOPE)
    if not invoices:
        if object_envelopes:
            raise _refused(
                N_("this is a Svefaktura attachment envelope (ObjectEnvelope) without its invoice"),
                object_envelopes[0],
                hint=N_("drop the invoice itself; its attachments must travel in the same file (SBDH)"),
            )
        raise _refused(N_("the envelope holds no document"), root)
    if len(invoices) > 1:
        raise _refused(N_("the file holds more than one document; send one invoice per file"), invoices[1])
    document = invoices[0]
    namespace, name = _namespace(document), etree.QName(document).localname

    if namespace == SVEFAKTURA and name == "Invoice":
        return Recognised(
            "svefaktura-1.0", "svefaktura", document, None, None, tuple(envelopes), object_envelopes
        )
    if (namespace, name) in ((UBL_INVOICE, "Invoice"), (UBL_CREDIT_NOTE, "CreditNote")):
        if object_envelopes:
            raise _refused(
                N_("a UBL invoice with Svefaktura attachment envelopes is not a known format"), document
            )
        return _recognise_ubl(document, tuple(envelopes))
    raise _refusal_for(namespace, name, document)


def _recognise_ubl(document: etree._Element, envelopes: tuple[str, ...]) -> Recognised:
    customization = _child_text(document, UBL_CBC, "CustomizationID")
    profile = _child_text(document, UBL_CBC, "ProfileID")
    type_code = _child_text(document, UBL_CBC, "InvoiceTypeCode") or _child_text(
        document, UBL_CBC, "CreditNoteTypeCode"
    )
    if (customization and "selfbilling" in customization.replace("-", "").lower()) or (
        type_code in SELF_BILLING_TYPE_CODES
    ):
        raise _refused(
            N_(
                "this is a self-billing invoice: the buyer issued it on the seller's behalf, so buyer"
                " and seller are the other way round for the books; it is not imported automatically"
            ),
            document,
            hint=N_("book it by hand, or ask for an ordinary invoice from the seller"),
        )
    if not customization:
        raise _refused(
            N_("the UBL document has no CustomizationID, so it is not an EN 16931 / Peppol invoice"),
            document,
            hint=N_("ask the sender for Peppol BIS Billing 3.0"),
        )
    if customization.startswith(PEPPOL_BIS3):
        kind = "peppol-bis3"
    elif customization.startswith(EN16931):
        kind = "en16931"
    elif customization.startswith(BIS2_PREFIX):
        kind = "peppol-bis2"
    else:
        raise _refused(
            N_("the UBL document follows %(customization)r, which is not EN 16931 or Peppol BIS")
            % {"customization": customization},
            document,
            hint=N_("ask the sender for Peppol BIS Billing 3.0"),
        )
    return Recognised(kind, "ubl", document, customization, profile, envelopes)


def _refusal_for(namespace: str, name: str, element: etree._Element) -> EInvoiceError:
    if namespace == CII:
        return _refused(
            N_(
                "this is a CII invoice (UN/CEFACT Cross Industry Invoice, as in Factur-X, ZUGFeRD or"
                " XRechnung-CII); the bridge reads UBL (Peppol BIS 3) and Svefaktura only"
            ),
            element,
            hint=N_("ask the sender for the same invoice as Peppol BIS Billing 3.0 (UBL)"),
        )
    if namespace == VEFA_TEST_SET:
        return _refused(N_("this is a validator test set, not an invoice"), element)
    if namespace.startswith(UBL_DOCUMENT_PREFIX) or namespace.startswith("urn:oasis:names:"):
        return _refused(N_("this is a UBL %(name)s, not an invoice or credit note") % {"name": name}, element)
    shown = f"{{{namespace}}}{name}" if namespace else name
    return _refused(
        N_("this XML is not an e-invoice the bridge reads (its root element is %(root)s)") % {"root": shown},
        element,
        hint=N_("drop Peppol BIS 3 or Svefaktura 1.0 invoices"),
    )


def _refused(message: str, element: etree._Element, hint: str = "") -> EInvoiceError:
    return EInvoiceError(
        message,
        code="einvoice.not-accepted",
        line=element.sourceline,
        field=etree.QName(element).localname,
        hint=hint,
    )


def _namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""


def _child_text(element: etree._Element, namespace: str, name: str) -> str | None:
    child = element.find(f"{{{namespace}}}{name}")
    if child is None or child.text is None:
        return None
    return child.text.strip() or None
