"""`/api/fileattachments/attachments-v1`: PDFs attached to customer invoices (and, in Fortnox,
orders and offers). A newer service: camelCase JSON, string error codes, bare arrays.

Rules (docs): PDF files only, taken from the `inbox_kf` folder (or already archived) by their
`ArchiveFileId`; 5 MB per file and 15 MB per document; at most five attachments sent along
with the invoice — the sixth and later get `includeOnSend` false.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, g, request

from bridge.util import loads
from mockfortnox.errors import ApiError
from mockfortnox.resources.common import json_response, today
from mockfortnox.resources.files import FILES, file_bytes, move_to_archive
from mockfortnox.resources.invoices import invoices
from mockfortnox.state import Tenant

ATTACHMENTS = "attachments"
BASE = "/api/fileattachments/attachments-v1"
MAX_FILE = 5 * 1024 * 1024
MAX_TOTAL = 15 * 1024 * 1024
MAX_SENT_ALONG = 5
ENTITY_TABLES = {"F": invoices.name}  # orders (O), offers (OF) and the rest are not modelled
FIELDS = ("entityId", "entityType", "fileId", "id", "includeOnSend")

bp = Blueprint("fileattachments", __name__)
bp.scope = "invoice"


def _read_json() -> object:
    try:
        return loads(request.get_data() or b"null")
    except (ValueError, RecursionError):
        raise ApiError("att_missing_field", field="body") from None


def _for_entity(tenant: Tenant, entity_type: str, entity_id: int) -> list[dict]:
    return [
        a
        for a in tenant.table(ATTACHMENTS).values()
        if a["entityType"] == entity_type and a["entityId"] == entity_id
    ]


def _check_entity(tenant: Tenant, entity_type: str, entity_id: object) -> int:
    table = ENTITY_TABLES.get(entity_type)
    if table is None or str(entity_id) not in tenant.table(table):
        raise ApiError("att_document_not_found")
    return int(str(entity_id))


def attach(tenant: Tenant, item: dict) -> dict:
    for field_name in ("entityId", "entityType", "fileId"):
        if item.get(field_name) in (None, ""):
            raise ApiError("att_missing_field", field=field_name)
    if "id" in item:
        raise ApiError("att_not_writable", field="id")
    entity_id = _check_entity(tenant, str(item["entityType"]), item["entityId"])
    file_record = next(
        (f for f in tenant.table(FILES).values() if f["ArchiveFileId"] == item["fileId"]), None
    )
    if file_record is None or (file_record["_store"] == "inbox" and file_record["_folder"] != "inbox_kf"):
        raise ApiError("att_file_not_found")
    content = file_bytes(file_record)
    if content[:5] != b"%PDF-":
        raise ApiError("att_wrong_file_type")
    if len(content) > MAX_FILE:
        raise ApiError("att_file_too_big")
    existing = _for_entity(tenant, item["entityType"], entity_id)
    total = len(content) + sum(a["_size"] for a in existing)
    if total > MAX_TOTAL:
        raise ApiError("att_total_exceeded")
    sent_along = sum(1 for a in existing if a["includeOnSend"])
    record = {
        "entityId": entity_id,
        "entityType": item["entityType"],
        "fileId": item["fileId"],
        "id": str(uuid.uuid4()),
        "includeOnSend": bool(item.get("includeOnSend", False)) and sent_along < MAX_SENT_ALONG,
        "_size": len(content),
    }
    if file_record["_store"] == "inbox":
        day = today()  # docs: attached files end up in archive folders like fndoc2019/fndoc201903f
        move_to_archive(tenant, file_record, f"fndoc{day:%Y}/fndoc{day:%Y%m}f")
    return tenant.put(ATTACHMENTS, record["id"], record)


def _view(record: dict) -> dict:
    return {k: record[k] for k in FIELDS}


def _find(tenant: Tenant, attachment_id: str) -> dict:
    record = tenant.table(ATTACHMENTS).get(attachment_id)
    if record is None:
        raise ApiError("att_attachment_not_found")
    return record


@bp.post(BASE)
def create_attachments():
    items = _read_json()
    if not isinstance(items, list) or not items:
        raise ApiError("att_missing_field", field="attachments")
    if len(items) > 50:
        raise ApiError("att_too_many")
    return json_response([_view(attach(g.tenant, item)) for item in items], 201)


@bp.get(BASE)
def list_attachments():
    entity_type = request.args.get("entitytype", "")
    ids = [
        int(i) for part in request.args.getlist("entityid") for i in part.split(",") if i.strip().isdigit()
    ]
    if not entity_type or not ids:
        raise ApiError("att_missing_field", field="entityid/entitytype")
    return json_response([_view(a) for i in ids for a in _for_entity(g.tenant, entity_type, i)])


@bp.get(f"{BASE}/numberofattachments")
def count_attachments():
    entity_type = request.args.get("entitytype", "")
    ids = [
        int(i) for part in request.args.getlist("entityids") for i in part.split(",") if i.strip().isdigit()
    ]
    if not entity_type or not ids:
        raise ApiError("att_missing_field", field="entityids/entitytype")
    return json_response(
        [{"entityId": i, "numberOfAttachments": len(_for_entity(g.tenant, entity_type, i))} for i in ids]
    )


@bp.put(f"{BASE}/<attachment_id>")
def update_attachment(attachment_id: str):
    record = _find(g.tenant, attachment_id)
    body = _read_json()
    if not isinstance(body, dict):
        raise ApiError("att_missing_field", field="body")
    if body.get("id", attachment_id) != attachment_id:
        raise ApiError("att_mismatch")
    for field_name in ("entityId", "entityType", "fileId"):
        if field_name in body and body[field_name] != record[field_name]:
            raise ApiError("att_not_writable", field=field_name)
    if "includeOnSend" in body:
        others = [
            a for a in _for_entity(g.tenant, record["entityType"], record["entityId"]) if a is not record
        ]
        wanted = bool(body["includeOnSend"])
        record["includeOnSend"] = wanted and sum(1 for a in others if a["includeOnSend"]) < MAX_SENT_ALONG
        g.tenant.touch(ATTACHMENTS, attachment_id)
    return json_response(_view(record))


@bp.delete(f"{BASE}/<attachment_id>")
def delete_attachment(attachment_id: str):
    _find(g.tenant, attachment_id)
    g.tenant.remove(ATTACHMENTS, attachment_id)
    return Response(status=204)


@bp.post(f"{BASE}/validateincludedonsend")
def validate_included_on_send():
    items = _read_json()
    if not isinstance(items, list):
        raise ApiError("att_missing_field", field="attachments")
    if sum(1 for item in items if isinstance(item, dict) and item.get("includeOnSend")) > MAX_SENT_ALONG:
        raise ApiError("att_too_many")
    return Response(status=204)
