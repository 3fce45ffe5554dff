"""PDFs: beside an e-invoice as its image, alone to a Fortnox inbox folder, or attached to the
document their name names; a file that only calls itself a PDF is refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from supplier_helpers import PDF, DropAnswer, connections, drop_in_inbox, send, supplier_invoices

from bridge.importers.pdf import read_name
from bridge.pipeline.inbox import InboxScanner

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "einvoice"
CREDIT_NOTE = FIXTURES / "peppol-bis3-credit-note-for-earlier-invoice.xml"  # carries no PDF of its own
INVOICE = FIXTURES / "peppol-bis3-invoice-two-rates-rounding-pdf.xml"


def inbox_names(api, folder: str) -> list[str]:
    return [f["Name"] for f in api.get(f"/3/inbox/{folder}")["Folder"]["Files"]]


def test_the_pdf_beside_the_xml_becomes_the_invoice_image(make_bridge, api):
    bridge = make_bridge()
    file_id = drop_in_inbox(bridge, "kreditnota.xml", CREDIT_NOTE.read_bytes(), companion=PDF)

    assert bridge.file(file_id).state == "done"
    [credit] = supplier_invoices(api)
    [connection] = connections(api, credit["GivenNumber"])
    assert connection["Name"].startswith("invoice-K-2026-0007-image-")
    archive = bridge.settings.outbox / "archive"
    assert sorted(p.name for p in archive.iterdir()) == ["kreditnota.pdf", "kreditnota.xml"]
    assert not any(bridge.settings.inbox.rglob("*.*"))


def test_a_pdf_beside_the_xml_that_is_not_a_pdf_is_left_out_with_a_warning(make_bridge, api):
    bridge = make_bridge()
    file_id = drop_in_inbox(bridge, "kreditnota.xml", CREDIT_NOTE.read_bytes(), companion=b"<html>nej</html>")
    assert bridge.file(file_id).state == "done"
    [credit] = supplier_invoices(api)
    assert connections(api, credit["GivenNumber"]) == []
    receipt = (bridge.settings.outbox / "receipts" / "kreditnota.xml.receipt.txt").read_text()
    assert "the PDF beside the invoice is not attached" in receipt


def test_a_pdf_alone_goes_to_the_supplier_invoice_inbox(make_bridge, api):
    bridge = make_bridge()
    file_id = drop_in_inbox(bridge, "Skannad faktura åäö.pdf", PDF)

    assert bridge.file(file_id).state == "done"
    [name] = inbox_names(api, "inbox_s")
    assert name.startswith("Skannad-faktura-aao-") and name.endswith(".pdf")
    kept = [p for p in (bridge.settings.state_dir / "attachments").rglob("*") if p.is_file()]
    assert kept == []  # sent, so no longer kept


def test_a_pdf_in_the_vouchers_folder_goes_to_the_voucher_inbox(make_bridge, api):
    bridge = make_bridge()
    drop_in_inbox(bridge, "vouchers/kvitto.pdf", PDF)
    assert len(inbox_names(api, "inbox_v")) == 1 and inbox_names(api, "inbox_s") == []


def test_the_default_folder_is_a_setting(make_bridge, api):
    drop_in_inbox(make_bridge(files_default_folder="inbox_d"), "kassa.pdf", PDF)
    assert len(inbox_names(api, "inbox_d")) == 1


def _voucher(api, day: str = "2026-03-02") -> dict:
    rows = [{"Account": 1930, "Debit": 100}, {"Account": 3001, "Credit": 100}]
    body = {
        "VoucherSeries": "A",
        "TransactionDate": day,
        "Description": f"Kvitto {day}",
        "VoucherRows": rows,
    }
    return api.post("/3/vouchers", {"Voucher": body})["Voucher"]


def test_a_pdf_named_after_a_voucher_is_attached_to_it(make_bridge, api):
    voucher = _voucher(api)
    bridge = make_bridge()
    file_id = drop_in_inbox(bridge, f"A-{voucher['VoucherNumber']}-2026.pdf", PDF)

    assert bridge.file(file_id).state == "done", bridge.documents(file_id)[0].last_error
    [connection] = api.get("/3/voucherfileconnections")["VoucherFileConnections"]
    assert (connection["VoucherSeries"], connection["VoucherNumber"]) == ("A", str(voucher["VoucherNumber"]))


def test_a_pdf_named_after_a_voucher_of_an_earlier_year_is_not_attached_to_its_namesake(make_bridge, api):
    earlier = _voucher(api, "2025-03-02")
    _voucher(api)  # A 1 of 2026 too: the preselected year has a voucher of the same number
    bridge = make_bridge()
    file_id = drop_in_inbox(bridge, f"A-{earlier['VoucherNumber']}-2025.pdf", PDF)

    assert bridge.file(file_id).state == "done"
    [connection] = api.get("/3/voucherfileconnections")["VoucherFileConnections"]
    assert (connection["VoucherYear"], connection["VoucherDescription"]) == (
        earlier["Year"],
        "Kvitto 2025-03-02",
    )


def test_a_pdf_named_after_a_supplier_invoice_is_attached_to_it(make_bridge, api):
    bridge = make_bridge()
    send(bridge, CREDIT_NOTE)
    [invoice] = supplier_invoices(api)
    drop_in_inbox(bridge, f"LF-{invoice['GivenNumber']}.pdf", PDF)
    drop_in_inbox(bridge, "LF-1-K-2026-0007.pdf", PDF + b" ")  # by supplier number and invoice number
    assert len(connections(api, invoice["GivenNumber"])) == 2


def test_a_pdf_named_after_a_customer_invoice_is_attached_to_it(make_bridge, api):
    invoice = api.post("/3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": []}})["Invoice"]
    bridge = make_bridge()
    file_id = drop_in_inbox(bridge, f"kf-{invoice['DocumentNumber']}.PDF", PDF)

    assert bridge.file(file_id).state == "done", bridge.documents(file_id)[0].last_error
    [attachment] = api.get(
        "/api/fileattachments/attachments-v1", entityid=invoice["DocumentNumber"], entitytype="F"
    )
    assert attachment["includeOnSend"] is True


def test_a_pdf_naming_a_document_that_does_not_exist_fails_with_what_to_do(make_bridge, api):
    bridge = make_bridge()
    file_id = drop_in_inbox(bridge, "LF-999.pdf", PDF)
    [document] = bridge.documents(file_id)
    assert document.state == "failed"
    assert "supplier invoice 999 does not exist in Fortnox: check the file name" in document.last_error
    assert inbox_names(api, "inbox_s") == []
    assert len(list((bridge.settings.state_dir / "attachments" / "default").iterdir())) == 1  # for a retry


def test_a_file_that_only_calls_itself_a_pdf_is_refused(make_bridge, api):
    bridge = make_bridge()
    file_id = drop_in_inbox(bridge, "faktura.pdf", b"<!DOCTYPE html><html>Logga in</html>")
    assert bridge.file(file_id).state == "failed"
    report = (bridge.settings.outbox / "failed" / "faktura.pdf.error.txt").read_text()
    assert "faktura.pdf is not a PDF: it does not start like a PDF" in report
    assert inbox_names(api, "inbox_s") == []


def test_a_lost_answer_to_the_upload_of_a_pdf_alone_is_reconciled(mock_app, make_bridge, api):
    transport = DropAnswer(httpx.WSGITransport(app=mock_app), "POST", "/3/inbox")
    bridge = make_bridge(transport)
    assert bridge.file(drop_in_inbox(bridge, "kvitto.pdf", PDF)).state == "done"
    assert len(inbox_names(api, "inbox_s")) == 1 and transport.calls == 1


@pytest.mark.parametrize(
    ("stem", "target", "reference"),
    [
        ("A-15", "voucher", ("A", "15", "")),
        ("b-7-2025", "voucher", ("B", "7", "2025")),
        ("LF-123", "supplierinvoice", ("123",)),
        ("LF-7-F2026-17", "supplierinvoice", ("7", "F2026-17")),
        ("KF-1005", "invoice", ("1005",)),
        ("faktura", None, ()),
        ("A15", None, ()),
    ],
)
def test_the_naming_convention(stem, target, reference):
    assert read_name(stem) == (target, reference)


def test_an_xml_waits_for_its_pdf_and_they_are_taken_together(tmp_path):
    clock = [0.0]
    scanner = InboxScanner({"default": tmp_path}, settle=1.0, clock=lambda: clock[0])
    (tmp_path / "faktura.xml").write_text("<Invoice/>")
    (tmp_path / "Faktura.PDF").write_bytes(b"%PDF-")
    scanner.scan()
    clock[0] = 0.5
    (tmp_path / "Faktura.PDF").write_bytes(PDF)  # still being written
    clock[0] = 1.2
    assert scanner.scan() == []  # the XML is ready, its PDF not yet
    clock[0] = 2.5
    [candidate] = scanner.scan()
    assert (candidate.path.name, candidate.companion.name) == ("faktura.xml", "Faktura.PDF")


def test_a_pdf_without_an_xml_of_its_name_is_taken_alone(tmp_path):
    clock = [0.0]
    scanner = InboxScanner({"default": tmp_path}, settle=1.0, clock=lambda: clock[0])
    (tmp_path / "faktura.xml").write_text("<Invoice/>")
    (tmp_path / "kvitto.pdf").write_bytes(PDF)
    scanner.scan()
    clock[0] = 1.5
    assert sorted((c.path.name, c.companion) for c in scanner.scan()) == [
        ("faktura.xml", None),
        ("kvitto.pdf", None),
    ]


def test_a_pair_never_overwrites_an_archived_pdf_of_the_same_name(make_bridge, api):
    bridge = make_bridge()
    drop_in_inbox(bridge, "faktura.pdf", PDF)  # alone, earlier
    drop_in_inbox(bridge, "faktura.xml", CREDIT_NOTE.read_bytes(), companion=PDF + b"\n")
    archive = bridge.settings.outbox / "archive"
    assert sorted(p.name for p in archive.iterdir()) == ["faktura (2).pdf", "faktura (2).xml", "faktura.pdf"]
    assert (archive / "faktura.pdf").read_bytes() == PDF
