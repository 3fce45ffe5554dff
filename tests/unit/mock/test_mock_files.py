"""Inbox, archive, file connections and the invoice-attachment service."""

from __future__ import annotations

import io

import pytest

PDF = b"%PDF-1.4\n% a tiny test document\n%%EOF\n"


def upload(fortnox, path: str, content: bytes = PDF, name: str = "kvitto.pdf"):
    return fortnox.call(
        "POST", path, data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data"
    )


@pytest.fixture
def voucher(fortnox) -> dict:
    body = {"Description": "Kvitto", "TransactionDate": "2026-02-02", "VoucherSeries": "A",
            "VoucherRows": [{"Account": 6110, "Debit": 100}, {"Account": 1930, "Credit": 100}]}  # fmt: skip
    return fortnox.post("/3/vouchers", {"Voucher": body}).body["Voucher"]


def test_inbox_folders_upload_download_delete(fortnox):
    root = fortnox.get("/3/inbox").body["Folder"]
    assert root["Id"] == "root" and {"inbox_s", "inbox_v", "inbox_kf"} <= {f["Id"] for f in root["Folders"]}
    answer = upload(fortnox, "/3/inbox?folderId=inbox_v")
    assert answer.status == 201
    file = answer.body["File"]
    assert set(file) == {"@url", "ArchiveFileId", "Comments", "Id", "Name", "Path", "Size"}
    assert file["Size"] == len(PDF) and file["Id"] != file["ArchiveFileId"]
    folder = fortnox.get("/3/inbox/inbox_v").body["Folder"]
    assert [f["Id"] for f in folder["Files"]] == [file["Id"]]
    assert fortnox.get(f"/3/inbox/{file['Id']}").body == PDF
    assert fortnox.delete(f"/3/inbox/{file['Id']}").status == 204
    fortnox.get(f"/3/inbox/{file['Id']}").expect_error(404, 2999112, "Kan inte hitta filen.")
    upload(fortnox, "/3/inbox?folderId=inbox_zz").expect_error(400, 2999113, "Kan inte hitta mappen.")


def test_archive_folders_and_download_by_archive_file_id(fortnox):
    made = fortnox.post("/3/archive?path=Avtal", {"Folder": {"Name": "2026"}})
    assert made.status == 201 and made.body["Folder"]["Name"] == "2026"
    file = upload(fortnox, "/3/archive?path=Avtal/2026", name="avtal.pdf").body["File"]
    assert fortnox.get(f"/3/archive?fileid={file['ArchiveFileId']}").body == PDF
    listing = fortnox.get("/3/archive?path=Avtal/2026").body["Folder"]
    assert [f["Name"] for f in listing["Files"]] == ["avtal.pdf"]
    assert fortnox.delete("/3/archive?path=Avtal").status == 204
    assert fortnox.get(f"/3/archive?fileid={file['ArchiveFileId']}").status == 404


def test_a_voucher_file_connection_moves_the_file_to_the_archive(fortnox, voucher):
    file = upload(fortnox, "/3/inbox?folderId=inbox_v").body["File"]
    body = {
        "VoucherFileConnection": {
            "FileId": file["Id"],
            "VoucherSeries": "A",
            "VoucherNumber": "1",
            "VoucherYear": 2,
        }
    }
    answer = fortnox.post("/3/voucherfileconnections", body)
    assert answer.status == 201, answer.body
    connection = answer.body["VoucherFileConnection"]
    assert (connection["Name"], connection["VoucherDescription"], connection["VoucherNumber"]) == (
        "kvitto.pdf",
        "Kvitto",
        "1",
    )
    assert fortnox.get("/3/inbox/inbox_v").body["Folder"]["Files"] == []
    fortnox.post("/3/voucherfileconnections", body).expect_error(400, 2999030, "Filen är redan kopplad.")
    assert [
        c["FileId"]
        for c in fortnox.get("/3/voucherfileconnections?voucherseries=A").body["VoucherFileConnections"]
    ] == [file["Id"]]
    missing = {"VoucherFileConnection": {**body["VoucherFileConnection"], "VoucherNumber": "9"}}
    other = upload(fortnox, "/3/inbox?folderId=inbox_v").body["File"]
    missing["VoucherFileConnection"]["FileId"] = other["Id"]
    fortnox.post("/3/voucherfileconnections", missing).expect_error(
        404, 2999101, "Kan inte hitta verifikationen."
    )
    assert fortnox.delete(f"/3/voucherfileconnections/{file['Id']}").status == 204


def test_a_supplier_invoice_file_connection(fortnox):
    invoice = fortnox.post(
        "/3/supplierinvoices",
        {"SupplierInvoice": {"SupplierNumber": "1", "Total": 100, "InvoiceDate": "2026-02-02"}},
    )
    file = upload(fortnox, "/3/inbox?folderId=inbox_s").body["File"]
    body = {
        "SupplierInvoiceFileConnection": {
            "FileId": file["Id"],
            "SupplierInvoiceNumber": invoice.body["SupplierInvoice"]["GivenNumber"],
        }
    }
    connection = fortnox.post("/3/supplierinvoicefileconnections", body).body["SupplierInvoiceFileConnection"]
    assert connection["SupplierName"] == "Kontorsvaror i Norden AB"
    listed = fortnox.get("/3/supplierinvoicefileconnections?supplierinvoicenumber=1").body
    assert [c["FileId"] for c in listed["SupplierInvoiceFileConnections"]] == [file["Id"]]


def test_invoice_attachments_service(fortnox):
    invoice = fortnox.post("/3/invoices", {"Invoice": {"CustomerNumber": "1001"}}).body["Invoice"]
    number = int(invoice["DocumentNumber"])
    files = [
        upload(fortnox, "/3/inbox?folderId=inbox_kf", name=f"bilaga{i}.pdf").body["File"] for i in range(6)
    ]
    items = [
        {"entityId": number, "entityType": "F", "fileId": f["ArchiveFileId"], "includeOnSend": True}
        for f in files
    ]
    answer = fortnox.post("/api/fileattachments/attachments-v1", items)
    assert answer.status == 201
    assert [a["includeOnSend"] for a in answer.body] == [True] * 5 + [False]
    listed = fortnox.get(f"/api/fileattachments/attachments-v1?entityid={number}&entitytype=F").body
    assert len(listed) == 6 and set(listed[0]) == {"entityId", "entityType", "fileId", "id", "includeOnSend"}
    counted = fortnox.get(
        f"/api/fileattachments/attachments-v1/numberofattachments?entityids={number}&entitytype=F"
    ).body
    assert counted == [{"entityId": number, "numberOfAttachments": 6}]
    text = upload(fortnox, "/3/inbox?folderId=inbox_kf", content=b"hello", name="a.txt").body["File"]
    wrong = fortnox.post(
        "/api/fileattachments/attachments-v1",
        [{"entityId": number, "entityType": "F", "fileId": text["ArchiveFileId"]}],
    )
    assert (wrong.status, wrong.body["error"], wrong.body["message"]) == (
        400,
        "wrong_file_type",
        "Only PDF files can be attached",
    )
    nowhere = fortnox.post(
        "/api/fileattachments/attachments-v1",
        [{"entityId": 999, "entityType": "F", "fileId": files[0]["ArchiveFileId"]}],
    )
    assert (nowhere.status, nowhere.body["error"]) == (404, "document_not_found")
    attachment_id = listed[0]["id"]
    assert (
        fortnox.put(f"/api/fileattachments/attachments-v1/{attachment_id}", {"includeOnSend": False}).body[
            "includeOnSend"
        ]
        is False
    )
    assert (
        fortnox.put(f"/api/fileattachments/attachments-v1/{attachment_id}", {"fileId": "x"}).body["error"]
        == "field_not_writable"
    )
    assert fortnox.delete(f"/api/fileattachments/attachments-v1/{attachment_id}").status == 204
