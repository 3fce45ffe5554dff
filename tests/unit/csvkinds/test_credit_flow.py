"""A credit at the source credits the invoice in Fortnox (SGX), through the whole bridge."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from csv_helpers import LoseAnswer, documents, error_report, invoices_by_stamp, receipt_text, send, state


@pytest.fixture
def originals(make_bridge, api):
    """SGX-1, SGX-2 and SGX-3 in Fortnox; the first two booked there."""
    bridge = make_bridge()
    assert state(bridge, send(bridge, "credit_originals.csv")) == "done"
    sent = invoices_by_stamp(api)
    for stamp in ("fnb:SGX-1", "fnb:SGX-2"):
        api.put(f"/3/invoices/{sent[stamp]['DocumentNumber']}/bookkeep")
    return bridge


def test_a_whole_credit_of_a_booked_invoice_is_fortnoxs_own_credit(originals, api):
    file_id = send(originals, "credit_whole_of_booked_invoice.csv")
    assert state(originals, file_id) == "done"
    invoices = invoices_by_stamp(api)
    original, credit = invoices["fnb:SGX-1"], invoices["fnb:SGX-11"]
    assert original["CreditInvoiceReference"] == credit["DocumentNumber"]  # linked both ways
    assert credit["CreditInvoiceReference"] == original["DocumentNumber"]
    assert credit["Credit"] == "true" and credit["Total"] == -original["Total"]
    assert credit["InvoiceDate"] == "2026-03-20"
    assert len(invoices) == 4
    outcomes = documents(originals, file_id)["SGX-11"]["outcomes"]
    assert outcomes == ["existing", "existing", "updated", "existing", "updated", "skipped"]
    text = receipt_text(originals, "credit_whole_of_booked_invoice.csv")
    assert "Fortnox's credit of invoice SGX-1 (booked, and credited in whole): done in Fortnox" in text
    assert (
        "credit invoice SGX-11 referring to invoice SGX-1 (credited in part, or not booked): not needed"
        in text
    )


def test_a_lost_answer_to_the_credit_is_found_again_not_repeated(originals, api, mock_app, make_bridge):
    lossy = LoseAnswer(
        httpx.WSGITransport(app=mock_app), lambda r: r.method == "PUT" and r.url.path.endswith("/credit")
    )
    bridge = make_bridge(lossy)
    file_id = send(bridge, "credit_whole_of_booked_invoice.csv")
    assert lossy.lost and state(bridge, file_id) == "done"
    assert [s for s in lossy.sent if s.endswith("/credit")] == lossy.lost  # sent once
    invoices = invoices_by_stamp(api)
    assert sorted(invoices) == ["fnb:SGX-1", "fnb:SGX-11", "fnb:SGX-2", "fnb:SGX-3"]
    assert documents(bridge, file_id)["SGX-11"]["outcomes"][2] == "already"


def test_a_partial_credit_is_a_credit_invoice_referring_to_the_original(originals, api):
    file_id = send(originals, "credit_partial_of_booked_invoice.csv")
    assert state(originals, file_id) == "done"
    invoices = invoices_by_stamp(api)
    original, credit = invoices["fnb:SGX-2"], invoices["fnb:SGX-12"]
    assert credit["CreditInvoiceReference"] == original["DocumentNumber"]
    assert [(r["DeliveredQuantity"], r["Price"]) for r in credit["InvoiceRows"]] == [("-1", Decimal("1200"))]
    assert credit["Total"] == Decimal("-1500")
    assert original["CreditInvoiceReference"] == "0"  # not credited in whole
    assert documents(originals, file_id)["SGX-12"]["outcomes"][2:] == [
        "skipped",
        "skipped",
        "skipped",
        "created",
    ]


def test_a_credit_of_an_unbooked_invoice_is_a_credit_invoice(originals, api):
    assert state(originals, send(originals, "credit_of_unbooked_invoice.csv")) == "done"
    invoices = invoices_by_stamp(api)
    original, credit = invoices["fnb:SGX-3"], invoices["fnb:SGX-13"]
    assert credit["CreditInvoiceReference"] == original["DocumentNumber"]
    assert credit["Total"] == -original["Total"]
    assert not original["Booked"] and original["CreditInvoiceReference"] == "0"


def test_a_credit_of_an_invoice_fortnox_lacks_is_refused_before_anything_is_sent(
    originals, api, mock_app, make_bridge
):
    watching = LoseAnswer(httpx.WSGITransport(app=mock_app), lambda r: False)
    bridge = make_bridge(watching)
    file_id = send(bridge, "credit_of_unknown_invoice.csv")
    assert state(bridge, file_id) == "failed"
    assert all(s.startswith("GET") for s in watching.sent)
    report = error_report(bridge, "credit_of_unknown_invoice.csv")
    assert "credit SGX-19 credits invoice SGX-404, which is not in Fortnox" in report
    assert "fnb:SGX-19" not in invoices_by_stamp(api)


def test_a_credit_already_made_in_fortnox_is_reported_not_repeated(originals, api):
    number = invoices_by_stamp(api)["fnb:SGX-1"]["DocumentNumber"]
    api.put(f"/3/invoices/{number}/credit")  # someone credited it in Fortnox already
    before = len(list(api.iter_pages("/3/invoices", "Invoices")))
    file_id = send(originals, "credit_whole_of_booked_invoice.csv")
    assert state(originals, file_id) == "done"
    assert len(list(api.iter_pages("/3/invoices", "Invoices"))) == before  # no second credit
    invoices = invoices_by_stamp(api)
    assert invoices["fnb:SGX-11"]["DocumentNumber"] == invoices["fnb:SGX-1"]["CreditInvoiceReference"]
    text = receipt_text(originals, "credit_whole_of_booked_invoice.csv")
    assert (
        "Fortnox's credit of invoice SGX-1 (booked, and credited in whole): already done in Fortnox" in text
    )


def test_the_same_credit_sent_again_is_a_duplicate(originals, api):
    send(originals, "credit_whole_of_booked_invoice.csv")
    text = (originals.settings.workdir / "drop" / "credit_whole_of_booked_invoice.csv").read_text()
    file_id = send(originals, "igen.csv", text + "\n")
    assert [d["state"] for d in documents(originals, file_id).values()] == ["duplicate"]
    assert len(invoices_by_stamp(api)) == 4


def test_a_lost_answer_to_a_credit_invoice_is_found_again_by_its_stamp(originals, api, mock_app, make_bridge):
    lossy = LoseAnswer(
        httpx.WSGITransport(app=mock_app), lambda r: r.method == "POST" and r.url.path == "/3/invoices"
    )
    bridge = make_bridge(lossy)
    file_id = send(bridge, "credit_partial_of_booked_invoice.csv")
    assert lossy.lost and state(bridge, file_id) == "done"
    assert [s for s in lossy.sent if s == "POST /3/invoices"] == lossy.lost  # created once
    assert documents(bridge, file_id)["SGX-12"]["outcomes"][-1] == "reconciled"
    assert len(list(api.iter_pages("/3/invoices", "Invoices", externalinvoicereference1="fnb:SGX-12"))) == 1
