"""Undoing a SIE file: each voucher reversed by a voucher in its series, once, however often asked."""

from __future__ import annotations

from decimal import Decimal

import httpx
from undo_helpers import balances, receipt, send, sie_file, vouchers

from bridge.util import loads


def test_fifty_vouchers_get_fifty_reversing_vouchers_and_the_balances_are_back(bridge, api):
    before = balances(api)
    file_id = send(bridge, "kassa.se", sie_file(50))
    assert str(bridge.file(file_id).state) == "done"
    assert balances(api) != before

    undo = bridge.undo("kassa.se", requested_by="anna")
    assert str(undo.state) == "done"
    assert balances(api) == before
    reversals = vouchers(api)
    assert len(reversals) == 50
    assert len({v["Comments"] for v in reversals}) == 50
    originals = {(v["VoucherSeries"], v["VoucherNumber"]): v for v in vouchers(api, "fnb:A ")}
    for reversal in reversals:
        number = int(reversal["Description"].split()[4])  # "Återföring av verifikation A 12 (…)"
        original = originals[("A", number)]
        assert reversal["VoucherSeries"] == "A"
        assert reversal["TransactionDate"] == original["TransactionDate"]
        assert [(r["Account"], r["Debit"], r["Credit"], r["Quantity"]) for r in reversal["VoucherRows"]] == [
            (r["Account"], r["Credit"], r["Debit"], -r["Quantity"]) for r in original["VoucherRows"]
        ]


def test_undoing_again_reverses_nothing_twice(bridge, api):
    send(bridge, "kassa.se", sie_file(5))
    bridge.undo("kassa.se")
    again = bridge.undo("kassa.se")
    assert str(again.state) == "done"
    assert {str(d.state) for d in bridge.documents(again.id)} == {"duplicate"}
    assert len(vouchers(api)) == 5
    text = receipt(bridge, again.outcome_path.name)
    assert "already undone by undo-kassa.se.txt" in text


def test_the_original_receipt_says_it_was_undone_when_and_by_whom(bridge):
    send(bridge, "kassa.se", sie_file(2))
    undo = bridge.undo("outbox/receipts/kassa.se.receipt.json", requested_by="anna")
    original = loads(receipt(bridge, "kassa.se", "json"))
    (entry,) = original["undone"]
    assert entry["requested_by"] == "anna"
    assert entry["state"] == "done" and entry["finished_at"]
    assert entry["receipt"].endswith(f"{undo.outcome_path.name}.receipt.json")
    text = receipt(bridge, "kassa.se")
    assert "UNDONE: undone by anna, asked " in text
    assert "kassa.se — imported" in text.splitlines()[0]
    assert receipt(bridge, "undo-kassa.se.txt").startswith("undo-kassa.se.txt — undone")


def test_a_reversing_voucher_whose_answer_was_lost_is_found_by_its_stamp(make_bridge, mock_app, api):
    send(make_bridge(), "kassa.se", sie_file(3))

    class LoseFirstVoucher(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner, self.posts, self.lost = httpx.WSGITransport(app=mock_app), 0, False

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = self.inner.handle_request(request)
            if request.method == "POST" and request.url.path == "/3/vouchers":
                self.posts += 1
                if not self.lost:
                    self.lost = True
                    raise httpx.ReadTimeout("the answer was lost", request=request)
            return response

    lossy = LoseFirstVoucher()
    bridge = make_bridge(lossy)
    undo = bridge.undo("kassa.se")  # Fortnox did not answer: the undo waits, queued
    bridge.drain("default", until_blocked=False)  # as `watch` goes on with it
    undo = bridge.file(undo.id)
    assert str(undo.state) == "done" and lossy.lost
    assert lossy.posts == 3 and len(vouchers(api)) == 3  # the lost one was found, not sent again
    first = bridge.documents(undo.id)[0]
    assert [step["outcome"] for step in first.result] == ["existing", "reconciled"]


def test_today_dates_the_reversing_vouchers_on_the_day_of_the_undo(make_bridge, api):
    from datetime import date

    bridge = make_bridge(undo_voucher_date="today")
    send(bridge, "kassa.se", sie_file(2))
    bridge.undo("kassa.se")
    assert {v["TransactionDate"] for v in vouchers(api)} == {date.today().isoformat()}


def test_a_voucher_changed_or_removed_in_fortnox_since_is_reported_not_reversed(bridge, api, mock_app):
    send(bridge, "kassa.se", sie_file(3))
    table = mock_app.extensions["mockfortnox"].tenant("demo").table("vouchers")
    for row in table["2:A:1"]["VoucherRows"]:  # a person struck voucher A 1's rows in Fortnox
        row["Removed"] = True
    del table["2:A:3"]  # and removed A 3, the last of the series
    undo = bridge.undo("kassa.se")
    assert str(undo.state) == "partial"
    assert [v["Description"].split(":")[0] for v in vouchers(api)] == [
        "Återföring av verifikation A 2 (2026-01-03)"
    ]
    report = (bridge.settings.outbox / "failed" / f"{undo.outcome_path.name}.error.txt").read_text()
    assert "voucher A 1 has been changed in Fortnox since the file sent it (rows struck)" in report
    text = receipt(bridge, undo.outcome_path.name)
    assert "voucher A 3 as Fortnox has it now (removed, or its rows struck, since?): not in Fortnox" in text
    assert "reversing voucher for voucher A 3, in series A, dated 2026-01-04: not needed" in text


def test_registers_the_file_created_are_left_and_listed(make_bridge, api):
    bridge = make_bridge()
    text = sie_file(1).replace("#VER", '#KONTO 6999 "Nytt konto"\n#VER', 1)
    text = text.replace("#TRANS 1930 {} -", "#TRANS 6999 {} 0.00\n#TRANS 1930 {} -")
    send(bridge, "nytt-konto.se", text)
    preview = bridge.undo_preview("nytt-konto.se")
    assert preview["ok"]
    assert [p["message"] for p in preview["problems"]] == [
        "account 6999 (created by registers "
        + bridge.documents(1)[0].source_key
        + ") is left in Fortnox: other documents may use it"
    ]
    assert Decimal(0) == sum(
        (Decimal(str(r.get("Debit", 0))) - Decimal(str(r.get("Credit", 0))))
        for r in preview["documents"][0]["calls"][1]["body"]["Voucher"]["VoucherRows"]
    )
