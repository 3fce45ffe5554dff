"""Schema validation against the vendored UBL 2.1 and Svefaktura 1.0 XSDs (see schemas/NOTICE.md).

The schemas are read from the package with a parser that cannot reach the network. An import
that did not resolve would be skipped silently by libxml2, so the tests validate known-good
invoices of each kind to prove the schemas compile whole. The schema is chosen by the root
element's namespace, never by a location the input names, and applied to the invoice element
itself, cut out of any SBDH envelope.
"""

from __future__ import annotations

import copy
import re
import threading
from functools import cache
from pathlib import Path

from lxml import etree

from bridge.formats.einvoice.recognise import (
    OBJECT_ENVELOPE,
    SVEFAKTURA,
    UBL_CREDIT_NOTE,
    UBL_INVOICE,
)
from bridge.formats.einvoice.xmlread import element_path
from bridge.model import Problem, Severity
from bridge.util.i18n import N_

__all__ = ["schema_problems"]

SCHEMAS = Path(__file__).with_name("schemas")
_SCHEMA_FILES = {
    UBL_INVOICE: "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    UBL_CREDIT_NOTE: "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    SVEFAKTURA: "svefaktura-1.0/maindoc/SFTI-BasicInvoice-1.0.xsd",
    OBJECT_ENVELOPE: "svefaktura-1.0/maindoc/SFTI-ObjectEnvelope-1.0.xsd",
}
_ENUMERATION = re.compile(r"is not an element of the set \{.*\}", re.S)
_EXPECTED = re.compile(r"Expected is (one of )?\( .* \)", re.S)
_PREFIXES = {
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc",
    "urn:sfti:CommonAggregateComponents:1:0": "cac",
    "urn:oasis:names:tc:ubl:CommonBasicComponents:1:0": "cbc",
}
_QUALIFIED = re.compile(r"\{([^}]*)\}(\w+)")
# libxml2 compiling two schemas at once in two threads can fail inside ("the given type is not a
# built-in type"), and a schema keeps the errors of its last validation on itself: one thread at a
# time compiles, validates and reads those errors.
_ONE_AT_A_TIME = threading.Lock()


@cache
def _schema(namespace: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(SCHEMAS / _SCHEMA_FILES[namespace]), parser))


def schema_problems(element: etree._Element) -> list[Problem]:
    """Every way `element` (an Invoice, CreditNote or ObjectEnvelope) breaks its schema."""
    namespace = etree.QName(element).namespace or ""
    # Validated as its own document, so an SBDH around it plays no part; line numbers survive.
    standalone = etree.ElementTree(copy.deepcopy(element))
    with _ONE_AT_A_TIME:
        schema = _schema(namespace)
        if schema.validate(standalone):
            return []
        errors = list(schema.error_log)
    return [
        Problem(
            N_("the file breaks the %(schema)s schema: %(error)s")
            % {"schema": _schema_name(namespace), "error": _readable(entry.message)},
            line=entry.line or None,
            field=_path(standalone, entry.path),
            hint=N_("the sender's system produced an invalid e-invoice; ask for a corrected one"),
            severity=Severity.ERROR,
            code="XSD",
        )
        for entry in errors
    ]


def _path(tree: etree._ElementTree, libxml_path: str | None) -> str | None:
    """libxml2 writes `/*/*[5]` for default-namespace elements; say it with our prefixes."""
    if not libxml_path:
        return None
    declared = {prefix: uri for prefix, uri in tree.getroot().nsmap.items() if prefix}
    try:
        found = tree.xpath(libxml_path, namespaces=declared)
    except etree.XPathError:
        return libxml_path
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return element_path(found[0], _PREFIXES)
    return libxml_path


def _schema_name(namespace: str) -> str:
    return "Svefaktura 1.0" if namespace in (SVEFAKTURA, OBJECT_ENVELOPE) else "UBL 2.1"


def _readable(message: str) -> str:
    message = _ENUMERATION.sub("is not an allowed value", message)
    message = _EXPECTED.sub("", message).rstrip(" .") + "."
    return _QUALIFIED.sub(lambda m: f"{_PREFIXES.get(m[1], '')}:{m[2]}".lstrip(":"), message)
