"""Uploading a file to a Fortnox inbox folder and connecting it to a document, exactly once.

An upload is found again by the name we gave it (listed in its inbox folder); a connection by
the file's id among the document's connections. Names are built here from the document key
and the bytes, never from the name the file arrived under.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import replace

from bridge.model import Attachment, DocumentKey
from bridge.planner.steps import Lookup, Step, UploadFile, ref

__all__ = [
    "attach_to_customer_invoice",
    "attach_to_supplier_invoice",
    "attach_to_voucher",
    "safe_name",
    "supplier_invoice_files",
    "upload_name",
    "upload_step",
    "voucher_files",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_name(text: str, limit: int = 40) -> str:
    """Letters, digits, `-` and `_` only (å → a): safe in any file system and in Fortnox."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _UNSAFE.sub("-", ascii_text).strip("-")[:limit] or "file"


def upload_name(key: DocumentKey, attachment: Attachment) -> str:
    """A name unique to this document and these bytes: `<name>-<8 hex>.<ext>`."""
    stem, _, extension = attachment.name.rpartition(".")
    if not stem:
        stem, extension = extension, "bin"
    digest = hashlib.sha256(f"{key.tenant}\n{key.kind}\n{key.source_key}\n{attachment.sha256}".encode())
    return f"{safe_name(stem)}-{digest.hexdigest()[:8]}.{safe_name(extension, 8).lower()}"


def upload_step(
    key: DocumentKey, attachment: Attachment, folder: str, save_as: str, *, connected: Lookup | None = None
) -> Step:
    """`connected`: where the file is once connected to its document (`voucher_files`,
    `supplier_invoice_files`): Fortnox moves a connected file out of the inbox, so a look-up
    after the connection was made (a rebuilt ledger) finds it there."""
    name = upload_name(key, attachment)
    then = replace(connected, match={"Name": name}, alias={"Id": "FileId"}) if connected else None
    return Step(
        kind="upload",
        label=f"upload {name} to the Fortnox inbox ({folder})",
        method="POST",
        path=f"/3/inbox?folderId={folder}",
        envelope="File",
        lookup=Lookup(path=f"/3/inbox/{folder}", collection="Folder.Files", match={"Name": name}, then=then),
        save_as=save_as,
        file=UploadFile(attachment.sha256, name, attachment.media_type),
    )


def supplier_invoice_files(invoice: str) -> Lookup:
    """The files connected to the supplier invoice saved as `invoice`."""
    return Lookup(
        path="/3/supplierinvoicefileconnections",
        collection="SupplierInvoiceFileConnections",
        params={"supplierinvoicenumber": ref(invoice, "GivenNumber")},
    )


def voucher_files(voucher: str) -> Lookup:
    """The files connected to the voucher saved as `voucher`."""
    return Lookup(
        path="/3/voucherfileconnections",
        collection="VoucherFileConnections",
        params={"voucherseries": ref(voucher, "VoucherSeries"), "voucheryear": ref(voucher, "Year")},
    )


def attach_to_supplier_invoice(upload: str, invoice: str) -> Step:
    """Connect the uploaded file `upload` to the supplier invoice saved as `invoice`."""
    return Step(
        kind="create",
        label="connect the file to the supplier invoice",
        method="POST",
        path="/3/supplierinvoicefileconnections",
        envelope="SupplierInvoiceFileConnection",
        body={
            "SupplierInvoiceFileConnection": {
                "FileId": ref(upload, "Id"),
                "SupplierInvoiceNumber": ref(invoice, "GivenNumber"),
            }
        },
        lookup=Lookup(
            path="/3/supplierinvoicefileconnections",
            collection="SupplierInvoiceFileConnections",
            params={"supplierinvoicenumber": ref(invoice, "GivenNumber")},
            match={"FileId": ref(upload, "Id")},
        ),
    )


def attach_to_voucher(upload: str, voucher: str) -> Step:
    """Fortnox takes the voucher's financial year from the query, never from the body (where
    `VoucherYear` is read-only): without it the file goes to the namesake voucher of the
    preselected year."""
    return Step(
        kind="create",
        label="connect the file to the voucher",
        method="POST",
        path=f"/3/voucherfileconnections?financialyear={{{voucher}.Year}}",
        envelope="VoucherFileConnection",
        body={
            "VoucherFileConnection": {
                "FileId": ref(upload, "Id"),
                "VoucherSeries": ref(voucher, "VoucherSeries"),
                "VoucherNumber": ref(voucher, "VoucherNumber"),
            }
        },
        lookup=Lookup(
            path="/3/voucherfileconnections",
            collection="VoucherFileConnections",
            params={"voucherseries": ref(voucher, "VoucherSeries"), "voucheryear": ref(voucher, "Year")},
            match={"FileId": ref(upload, "Id")},
        ),
    )


def attach_to_customer_invoice(upload: str, invoice: str, include_on_send: bool) -> Step:
    """The attachments service takes the file's ArchiveFileId, and a JSON array."""
    return Step(
        kind="create",
        label="attach the file to the customer invoice",
        method="POST",
        path="/api/fileattachments/attachments-v1",
        envelope="",
        body=[
            {
                "entityId": ref(invoice, "DocumentNumber"),
                "entityType": "F",
                "fileId": ref(upload, "ArchiveFileId"),
                "includeOnSend": include_on_send,
            }
        ],
        lookup=Lookup(
            path="/api/fileattachments/attachments-v1",
            params={"entityid": ref(invoice, "DocumentNumber"), "entitytype": "F"},
            match={"fileId": ref(upload, "ArchiveFileId")},
        ),
    )
