"""Undoing invoices: cancelled when not booked, credited when booked, a paid one reported and left;
supplier invoices cancelled when preliminary, credited when booked; uploads taken back."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from undo_helpers import CASES, SAMPLES, connections, drop_in_inbox, invoices_by_stamp, pay, receipt, send

from bridge.util import dumps, loads

SUPPLIER_XML = (SAMPLES / "leverantorsfaktura-kontorsvaror.xml").read_text(encoding="utf-8")
SUPPLIER_PDF = (SAMPLES / "leverantorsfaktura-kontorsvaror.pdf").read_bytes()


def supplier_invoice(number: str) -> bytes:
    return SUPPLIER_XML.replace("<cbc:ID>KV-2026-1187</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>", 1).encode()


@pytest.fixture
def partly_booked(bridge, api):
    """UN-1 left unbooked, UN-2 booked, UN-3 booked and paid in Fortnox."""
    assert str(bridge.file(send(bridge, "invoices_partly_booked.csv")).state) == "done"
    sent = invoices_by_stamp(api)
    for stamp in ("fnb:UN-2", "fnb:UN-3"):
        api.put(f"/3/invoices/{sent[stamp]['DocumentNumber']}/bookkeep")
    pay(api, invoices_by_stamp(api)["fnb:UN-3"])
    return bridge


def test_unbooked_is_cancelled_booked_is_credited_paid_is_reported_and_left(partly_booked, api):
    undo = partly_booked.undo("invoices_partly_booked.csv")
    assert str(undo.state) == "partial"
    invoices = invoices_by_stamp(api)
    assert invoices["fnb:UN-1"]["Cancelled"] is True
    credited = invoices["fnb:UN-2"]
    assert credited["CreditInvoiceReference"] != "0"
    credit = api.get(f"/3/invoices/{credited['CreditInvoiceReference']}")["Invoice"]
    assert credit["Total"] == -credited["Total"]
    paid = invoices["fnb:UN-3"]
    assert paid["CreditInvoiceReference"] == "0" and not paid["Cancelled"]  # not touched
    report = (
        partly_booked.settings.outbox / "failed" / "undo-invoices_partly_booked.csv.txt.error.txt"
    ).read_text()
    assert f"invoice {paid['DocumentNumber']} has been paid (in whole or in part) in Fortnox since" in report
    assert 'fortnox-bridge undo "invoices_partly_booked.csv"' in report
    original = loads(receipt(partly_booked, "invoices_partly_booked.csv", "json"))
    assert [u["state"] for u in original["undone"]] == ["partial"]


def test_undoing_again_after_the_payment_is_reversed_credits_only_what_is_left(partly_booked, api):
    partly_booked.undo("invoices_partly_booked.csv")
    count = len(list(api.iter_pages("/3/invoices", "Invoices")))
    paid = invoices_by_stamp(api)["fnb:UN-3"]
    pay(api, paid, -paid["Total"])  # the payment is paid back: the invoice is open again
    again = partly_booked.undo("invoices_partly_booked.csv")
    assert str(again.state) == "done"
    states = {d.summary.split(":")[0]: str(d.state) for d in partly_booked.documents(again.id)}
    assert sorted(states.values()) == ["done", "duplicate", "duplicate"]
    assert invoices_by_stamp(api)["fnb:UN-3"]["CreditInvoiceReference"] != "0"
    assert len(list(api.iter_pages("/3/invoices", "Invoices"))) == count + 1  # one credit invoice more


def test_an_invoice_already_credited_by_hand_is_reported_not_credited_again(partly_booked, api):
    number = invoices_by_stamp(api)["fnb:UN-2"]["DocumentNumber"]
    api.put(f"/3/invoices/{number}/credit")
    count = len(list(api.iter_pages("/3/invoices", "Invoices")))
    undo = partly_booked.undo("invoices_partly_booked.csv")
    assert len(list(api.iter_pages("/3/invoices", "Invoices"))) == count
    text = receipt(partly_booked, undo.outcome_path.name)
    assert f"credit invoice {number} (when booked, and not paid): already done in Fortnox" in text


def test_a_credit_file_undone_cancels_its_credit_invoice(bridge, api):
    send(bridge, "originals.csv", (CASES.parent / "csv" / "credit_originals.csv").read_bytes())
    send(bridge, "credits.csv", (CASES.parent / "csv" / "credit_of_unbooked_invoice.csv").read_bytes())
    undo = bridge.undo("credits.csv")
    assert str(undo.state) == "done"
    invoices = invoices_by_stamp(api)
    assert invoices["fnb:SGX-13"]["Cancelled"] is True
    assert invoices["fnb:SGX-3"]["Cancelled"] is False  # the original stands again


def test_supplier_invoices_preliminary_is_cancelled_booked_is_credited(bridge, api):
    drop_in_inbox(bridge, "kv-1.xml", supplier_invoice("KV-1"), companion=SUPPLIER_PDF)
    drop_in_inbox(bridge, "kv-2.xml", supplier_invoice("KV-2"))
    by_number = {
        row["InvoiceNumber"]: row for row in api.iter_pages("/3/supplierinvoices", "SupplierInvoices")
    }
    api.put(f"/3/supplierinvoices/{by_number['KV-2']['GivenNumber']}/bookkeep")

    first, second = bridge.undo("kv-1.xml"), bridge.undo("kv-2.xml")
    assert (str(first.state), str(second.state)) == ("done", "done")
    preliminary = api.get(f"/3/supplierinvoices/{by_number['KV-1']['GivenNumber']}")["SupplierInvoice"]
    booked = api.get(f"/3/supplierinvoices/{by_number['KV-2']['GivenNumber']}")["SupplierInvoice"]
    assert preliminary["Cancelled"] is True
    assert booked["CreditReference"] not in (0, "0") and not booked["Cancelled"]
    credit = api.get(f"/3/supplierinvoices/{booked['CreditReference']}")["SupplierInvoice"]
    assert Decimal(credit["Total"]) == -Decimal(booked["Total"]) and credit["Credit"] is True
    (kept,) = loads(receipt(bridge, "undo-kv-1.xml.txt", "json"))["warnings"]  # its image stays
    assert (
        "stays connected to what supplierinvoice 5566778899:KV-1 made: it is that document's underlag"
        in kept["message"]
    )
    assert len(connections(api, by_number["KV-1"]["GivenNumber"])) == 1


def test_a_pdf_left_in_the_fortnox_inbox_is_removed(bridge, api):
    drop_in_inbox(bridge, "kvitto.pdf", SUPPLIER_PDF)
    assert len(api.get("/3/inbox/inbox_s")["Folder"]["Files"]) == 1
    undo = bridge.undo("kvitto.pdf")
    assert str(undo.state) == "done"
    assert api.get("/3/inbox/inbox_s")["Folder"]["Files"] == []
    assert "removed from Fortnox" in receipt(bridge, "undo-kvitto.pdf.txt")


def test_an_undo_file_dropped_in_the_inbox_undoes_the_files_it_names(bridge, api):
    send(bridge, "invoices_partly_booked.csv")
    drop_in_inbox(bridge, "undo-mars.txt", b"# fel priser\ninvoices_partly_booked.csv\n")
    assert all(i["Cancelled"] for i in invoices_by_stamp(api).values())
    assert receipt(bridge, "undo-mars.txt").startswith("undo-mars.txt — undone")
    assert (bridge.settings.outbox / "archive" / "undo-mars.txt").exists()
    original = loads(receipt(bridge, "invoices_partly_booked.csv", "json"))
    assert [u["undo_file"] for u in original["undone"]] == ["undo-mars.txt"]


def test_an_undo_file_naming_a_file_never_sent_is_refused_naming_the_line(bridge, api):
    send(bridge, "invoices_partly_booked.csv")
    drop_in_inbox(bridge, "undo-fel.txt", b"invoices_partly_booked.csv\nfinns-inte.csv\n")
    report = (bridge.settings.outbox / "failed" / "undo-fel.txt.error.txt").read_text()
    assert "line 2: no file named 'finns-inte.csv' was taken for default" in report
    assert not any(i["Cancelled"] for i in invoices_by_stamp(api).values())  # taken whole or not at all


def test_an_undo_asks_for_a_file_the_bridge_knows(bridge):
    from bridge.pipeline.service import RequestError

    with pytest.raises(RequestError, match="no file named 'nothing"):
        bridge.undo("nothing.csv")
    drop_in_inbox(bridge, "undo-x.txt", b"nothing.csv\n")
    with pytest.raises(RequestError, match="an undo cannot be undone"):
        bridge.undo_preview("undo-x.txt.error.txt")


@pytest.mark.parametrize("name", ["invoices_partly_booked.csv", "three_vouchers.se"])
def test_the_preview_matches_its_golden_file(bridge, name, golden):
    send(bridge, name)
    preview = bridge.undo_preview(name)
    golden(CASES / f"{name}.undo-preview.json", dumps(preview, indent=2) + "\n")
    bridge.undo(name)
    done = bridge.undo_preview(name)  # asked again: each reversal is listed as done, with no calls
    assert all(d["already_undone_by"] == f"undo-{name}.txt" and not d["calls"] for d in done["documents"])


def test_the_cli_previews_without_sending(bridge, api):
    from click.testing import CliRunner

    from bridge.cli import main

    send(bridge, "invoices_partly_booked.csv")
    workdir = Path(bridge.settings.workdir)
    result = CliRunner().invoke(
        main, ["--workdir", str(workdir), "undo", "invoices_partly_booked.csv", "--preview"]
    )
    assert result.exit_code == 0, result.output
    assert "then: PUT /3/invoices/1/cancel  (cancel invoice 1 (when not booked))" in result.output
    assert not any(i["Cancelled"] for i in invoices_by_stamp(api).values())
