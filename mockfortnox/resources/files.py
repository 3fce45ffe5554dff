"""Files: the inbox (fixed folders such as `inbox_s` for supplier invoices, `inbox_v` for
vouchers), the archive (the company's own folders), and connecting a file to a voucher or a
supplier invoice, which moves it from the inbox to the archive.

Every file has two ids, as in Fortnox: `Id` (what inbox, archive and the file connections take)
and `ArchiveFileId` (what the invoice-attachment service takes). The bytes are kept in the
state, base64-encoded, so a state file carries them across restarts.
"""

from __future__ import annotations

import base64
import mimetypes
import uuid
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, g, request

from mockfortnox.errors import ApiError
from mockfortnox.resources.bookkeeping import resolve_year
from mockfortnox.resources.common import Resource, api_root, crud_routes, json_response, lower_args, read_body
from mockfortnox.resources.supplierinvoices import supplierinvoices
from mockfortnox.resources.vouchers import vouchers
from mockfortnox.state import Tenant

FILES = "files"
ARCHIVE_FOLDERS = "archivefolders"
INBOX_FOLDERS = {
    "inbox_a": "Anläggningar",
    "inbox_b": "Bankfiler",
    "inbox_d": "Dagskassor",
    "inbox_kf": "Kundfakturor",
    "inbox_l": "Lön",
    "inbox_o": "Order",
    "inbox_of": "Offerter",
    "inbox_s": "Leverantörsfakturor",
    "inbox_v": "Verifikationer",
}
MAX_FILE_BYTES = 30 * 1024 * 1024  # mock's own guard; Fortnox's upload limit is not published


def _file_view(record: dict, store: str) -> dict:
    return {
        "@url": f"{api_root()}3/{store}/{record['Id']}",
        "ArchiveFileId": record["ArchiveFileId"],
        "Comments": record["Comments"],
        "Id": record["Id"],
        "Name": record["Name"],
        "Path": record["Path"],
        "Size": record["Size"],
    }


def file_bytes(record: dict) -> bytes:
    return base64.b64decode(record["_content"])


_MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def media_type(name: str, content: bytes) -> str:
    """What a download is sent as: by its bytes when they say, else by its name's extension."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _download(record: dict) -> Response:
    """The file's bytes as they were uploaded, with its type and its name (RFC 6266, so that
    `Kvitto å.pdf` survives the latin-1 header)."""
    content = file_bytes(record)
    name = record["Name"]
    plain = name.encode("ascii", "replace").decode("ascii").replace('"', "_")
    return Response(
        content,
        mimetype=media_type(name, content),
        headers={"Content-Disposition": f"inline; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"},
    )


def store_upload(tenant: Tenant, store: str, folder: str, path: str) -> dict:
    upload = request.files.get("file")
    if upload is None:
        raise ApiError("no_data")
    content = upload.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise ApiError("invalid_value", field="file", value=f"{len(content)} bytes")
    name = (upload.filename or "fil").replace("/", "_").replace("\\", "_")
    record = {
        "Id": str(uuid.uuid4()),
        "ArchiveFileId": str(uuid.uuid4()),
        "Comments": "",
        "Name": name,
        "Path": f"{path}/{name}" if path else name,
        "Size": len(content),
        "_store": store,
        "_folder": folder,
        "_content": base64.b64encode(content).decode("ascii"),
    }
    return tenant.put(FILES, record["Id"], record)


def files_in(tenant: Tenant, store: str, folder: str) -> list[dict]:
    return sorted(
        (f for f in tenant.table(FILES).values() if f["_store"] == store and f["_folder"] == folder),
        key=lambda f: f["Name"],
    )


def find_file(tenant: Tenant, store: str | None, file_id: str, *, by: str = "Id") -> dict:
    record = next((f for f in tenant.table(FILES).values() if f[by] == file_id), None)
    if record is None or (store is not None and record["_store"] != store):
        raise ApiError("file_not_found")
    return record


def move_to_archive(tenant: Tenant, record: dict, folder: str) -> None:
    ensure_archive_folder(tenant, folder)
    record.update(_store="archive", _folder=folder, Path=f"{folder}/{record['Name']}")
    tenant.touch(FILES, record["Id"])


# --- inbox --------------------------------------------------------------------------------

inbox_bp = Blueprint("inbox", __name__)
inbox_bp.scope = "inbox"


def _inbox_folder(tenant: Tenant, folder_id: str, *, deep: bool = True) -> dict:
    is_root = folder_id == "root"
    url = f"{api_root()}3/inbox" + ("" if is_root else f"/{folder_id}")
    return {
        "@url": url,
        "Email": f"{tenant.id}.{'inbox' if is_root else folder_id}@inbox.mockfortnox.invalid",
        "Files": [_file_view(f, "inbox") for f in files_in(tenant, "inbox", folder_id)] if deep else [],
        "Folders": [_inbox_folder(tenant, f, deep=False) for f in INBOX_FOLDERS] if is_root and deep else [],
        "Id": folder_id,
        "Name": "Inbox" if is_root else INBOX_FOLDERS[folder_id],
    }


@inbox_bp.get("/3/inbox", strict_slashes=False)
def inbox_root():
    return json_response({"Folder": _inbox_folder(g.tenant, "root")})


@inbox_bp.get("/3/inbox/<item_id>", strict_slashes=False)
def inbox_item(item_id: str):
    if item_id.lower() in INBOX_FOLDERS or item_id == "root":
        return json_response({"Folder": _inbox_folder(g.tenant, item_id.lower())})
    return _download(find_file(g.tenant, "inbox", item_id))


@inbox_bp.post("/3/inbox", strict_slashes=False)
def inbox_upload():
    args = lower_args()
    folder = (args.get("folderid") or args.get("path") or "root").strip("/").lower()
    if folder not in INBOX_FOLDERS and folder != "root":
        raise ApiError("folder_not_found", status=400)
    record = store_upload(g.tenant, "inbox", folder, "" if folder == "root" else folder)
    return json_response({"File": _file_view(record, "inbox")}, 201, {"Location": "inbox"})


@inbox_bp.delete("/3/inbox/<item_id>", strict_slashes=False)
def inbox_delete(item_id: str):
    record = find_file(g.tenant, "inbox", item_id)
    g.tenant.remove(FILES, record["Id"])
    return Response(status=204)


# --- archive ------------------------------------------------------------------------------

archive_bp = Blueprint("archive", __name__)
archive_bp.scope = "archive"


def ensure_archive_folder(tenant: Tenant, path: str) -> dict:
    """The folder at `path` ("a/b"), made with its parents when missing."""
    parts = [p for p in path.strip("/").split("/") if p]
    folder: dict[str, Any] = {"Id": "root", "Path": ""}
    for depth in range(1, len(parts) + 1):
        sub = "/".join(parts[:depth])
        folder = tenant.table(ARCHIVE_FOLDERS).get(sub) or tenant.put(
            ARCHIVE_FOLDERS, sub, {"Id": str(uuid.uuid4()), "Name": parts[depth - 1], "Path": sub}
        )
    return folder


def _archive_folder(tenant: Tenant, path: str, *, deep: bool = True) -> dict:
    folders = tenant.table(ARCHIVE_FOLDERS)
    record = folders.get(path) if path else {"Id": "root", "Name": "Arkiv", "Path": ""}
    if record is None:
        raise ApiError("folder_not_found")
    children = sorted(p for p in folders if p.rpartition("/")[0] == path)
    return {
        "@url": f"{api_root()}3/archive/{record['Id']}",
        "Email": "",
        "Files": [_file_view(f, "archive") for f in files_in(tenant, "archive", path)] if deep else [],
        "Folders": [_archive_folder(tenant, c, deep=False) for c in children] if deep else [],
        "Id": record["Id"],
        "Name": record["Name"],
    }


def _folder_path_by_id(tenant: Tenant, folder_id: str) -> str | None:
    if folder_id == "root":
        return ""
    return next((p for p, f in tenant.table(ARCHIVE_FOLDERS).items() if f["Id"] == folder_id), None)


@archive_bp.get("/3/archive", strict_slashes=False)
def archive_root():
    args = lower_args()
    if args.get("fileid"):
        return _download(find_file(g.tenant, None, args["fileid"], by="ArchiveFileId"))
    return json_response({"Folder": _archive_folder(g.tenant, args.get("path", "").strip("/"))})


@archive_bp.get("/3/archive/<item_id>", strict_slashes=False)
def archive_item(item_id: str):
    path = _folder_path_by_id(g.tenant, item_id)
    if path is not None:
        return json_response({"Folder": _archive_folder(g.tenant, path)})
    return _download(find_file(g.tenant, "archive", item_id))


@archive_bp.post("/3/archive", strict_slashes=False)
def archive_upload():
    args = lower_args()
    if request.files:
        if args.get("folderid"):
            path = _folder_path_by_id(g.tenant, args["folderid"])
            if path is None:
                raise ApiError("folder_not_found")
        else:
            path = args.get("path", "").strip("/")
            if path and path not in g.tenant.table(ARCHIVE_FOLDERS):
                raise ApiError("folder_not_found")
        record = store_upload(g.tenant, "archive", path, path)
        return json_response({"File": _file_view(record, "archive")}, 201, {"Location": "archive"})
    name = str(read_body("Folder").get("Name") or "").strip().strip("/")
    if not name or len(name) > 30:
        raise ApiError("invalid_value", field="Name", value=name)
    parent = args.get("path", "").strip("/")
    folder = ensure_archive_folder(g.tenant, f"{parent}/{name}" if parent else name)
    return json_response({"Folder": _archive_folder(g.tenant, folder["Path"])}, 201, {"Location": "archive"})


def _delete_archive_folder(tenant: Tenant, path: str) -> None:
    if path not in tenant.table(ARCHIVE_FOLDERS):
        raise ApiError("folder_not_found")
    for sub in [p for p in tenant.table(ARCHIVE_FOLDERS) if p == path or p.startswith(path + "/")]:
        for record in files_in(tenant, "archive", sub):
            tenant.remove(FILES, record["Id"])
        tenant.remove(ARCHIVE_FOLDERS, sub)


@archive_bp.delete("/3/archive", strict_slashes=False)
def archive_delete_path():
    _delete_archive_folder(g.tenant, lower_args().get("path", "").strip("/"))
    return Response(status=204)


@archive_bp.delete("/3/archive/<item_id>", strict_slashes=False)
def archive_delete(item_id: str):
    path = _folder_path_by_id(g.tenant, item_id)
    if path:
        _delete_archive_folder(g.tenant, path)
    else:
        g.tenant.remove(FILES, find_file(g.tenant, "archive", item_id)["Id"])
    return Response(status=204)


# --- file connections ---------------------------------------------------------------------


class FileConnections(Resource):
    """A file joined to one record; the key is the file's Id, so a file connects only once."""

    key = "FileId"
    scope = "connectfile"
    not_found = "fileconnection_not_found"
    deletable = True
    archive_folder = ""

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("required_field", field="FileId")

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not creating:
            return
        file_record = find_file(tenant, None, str(record["FileId"]))
        if any(file_record["Id"] in tenant.table(c.name) for c in CONNECTIONS):
            raise ApiError("file_in_use")
        record["Name"] = file_record["Name"]
        self.connect(tenant, record)
        move_to_archive(tenant, file_record, self.archive_folder)

    def connect(self, tenant: Tenant, record: dict) -> None:
        raise NotImplementedError

    def list_row(self, record: dict) -> dict:
        return self.single(record)


class VoucherFileConnections(FileConnections):
    name, singular, plural = "voucherfileconnections", "VoucherFileConnection", "VoucherFileConnections"
    location = "voucherfileconnections"
    archive_folder = "Verifikationer"
    template = {
        "FileId": "",
        "Name": "",
        "VoucherDescription": "",
        "VoucherNumber": "",
        "VoucherSeries": "",
        "VoucherYear": 0,
    }
    # Fortnox does not read the year from the body: the query's `financialyear` or
    # `financialyeardate` chooses it, else the preselected year (C# SDK issue 175, where a file
    # sent with `VoucherYear` landed on a voucher of another year; Fortnox support's answer).
    read_only = frozenset({"Name", "VoucherDescription", "VoucherYear"})
    search = {"voucherseries": "VoucherSeries", "voucherdescription": "VoucherDescription"}

    def connect(self, tenant: Tenant, record: dict) -> None:
        series, number = str(record["VoucherSeries"]), str(record["VoucherNumber"] or "")
        if not number.isdigit():
            raise ApiError("invalid_value", field="VoucherNumber", value=number)
        voucher = vouchers.find(tenant, series, number, lower_args())
        record.update(
            VoucherDescription=voucher["Description"],
            VoucherNumber=str(voucher["VoucherNumber"]),
            VoucherSeries=voucher["VoucherSeries"],
            VoucherYear=voucher["Year"],
        )

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        """Every year's connections unless `voucheryear` (an id; C# SDK issue 332) or
        `financialyear`/`financialyeardate` narrows them to one year."""
        found = super().query(tenant, args)
        if "vouchernumber" in args:
            found = [r for r in found if r["VoucherNumber"] == args["vouchernumber"]]
        year = args.get("voucheryear")
        if args.get("financialyear") or args.get("financialyeardate"):
            year = str(resolve_year(tenant, args)["Id"])
        if year:
            found = [r for r in found if str(r["VoucherYear"]) == year]
        return found


class SupplierInvoiceFileConnections(FileConnections):
    name, singular, plural = (
        "supplierinvoicefileconnections", "SupplierInvoiceFileConnection", "SupplierInvoiceFileConnections",
    )  # fmt: skip
    location = "supplierinvoicefileconnections"
    archive_folder = "Leverantörsfakturor"
    template = {"FileId": "", "Name": "", "SupplierInvoiceNumber": "", "SupplierName": ""}
    read_only = frozenset({"Name", "SupplierName"})
    search = {"supplierinvoicenumber": "SupplierInvoiceNumber"}

    def connect(self, tenant: Tenant, record: dict) -> None:
        invoice = tenant.table(supplierinvoices.name).get(str(record["SupplierInvoiceNumber"]))
        if invoice is None:
            raise ApiError("supplierinvoice_not_found", status=400)
        record.update(SupplierInvoiceNumber=invoice["GivenNumber"], SupplierName=invoice["SupplierName"])


voucherfileconnections = VoucherFileConnections()
supplierinvoicefileconnections = SupplierInvoiceFileConnections()
CONNECTIONS = (voucherfileconnections, supplierinvoicefileconnections)
BLUEPRINTS = (inbox_bp, archive_bp, *(crud_routes(c, update=False) for c in CONNECTIONS))
