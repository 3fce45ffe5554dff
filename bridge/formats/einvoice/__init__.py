"""E-invoices: Peppol BIS Billing 3.0 (and other EN 16931 UBL) and Svefaktura 1.0.

`read_einvoice(data)` turns one file's bytes into an `EInvoiceResult`: a `SupplierInvoice`
in the buyer's signs, or the reasons the file was refused, plus warnings that travel with it.
The modules, in the order a file meets them: `safexml` (size cap, DOCTYPE refusal, hardened
parser), `recognise` (format by namespace and CustomizationID, SBDH envelopes), `xsd`
(vendored schemas), `ubl` / `svefaktura` (field reading into a `reading.Reading`), `rules`
(totals and VAT arithmetic), `swedish` (SE-R rules), `attachments` (decoded, sniffed, named).
"""

from bridge.formats.einvoice.engine import EInvoiceResult, read_einvoice
from bridge.formats.einvoice.recognise import KNOWN_ROOT_NAMESPACES, root_namespace
from bridge.formats.einvoice.safexml import MAX_FILE_BYTES, has_doctype

__all__ = [
    "KNOWN_ROOT_NAMESPACES",
    "MAX_FILE_BYTES",
    "EInvoiceResult",
    "has_doctype",
    "read_einvoice",
    "root_namespace",
]
