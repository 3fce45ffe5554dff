"""Journal CSVs (Extend's inventory postings, payroll, tills) as vouchers, through the bridge."""

from __future__ import annotations

from decimal import Decimal

import httpx
from csv_helpers import LoseAnswer, documents, error_report, receipt_text, send, state


def vouchers(api) -> dict[str, dict]:
    """The bridge's vouchers of 2026 (financial year 2 of the demo company), by stamp, in full."""
    found = {}
    for row in api.iter_pages("/3/vouchers", "Vouchers", financialyear=2):
        voucher = api.get(f"/3/vouchers/{row['VoucherSeries']}/{row['VoucherNumber']}", financialyear=2)[
            "Voucher"
        ]
        if voucher["Comments"].startswith("fnb:"):
            found[voucher["Comments"]] = voucher
    return found


def test_a_journal_becomes_vouchers_in_the_chosen_series_with_a_visible_rounding_row(make_bridge, api):
    bridge = make_bridge()
    file_id = send(bridge, "journal_with_rounding_row.csv")
    assert state(bridge, file_id) == "done"
    made = vouchers(api)
    till = made["fnb:K-0131 20260131"]
    assert (till["VoucherSeries"], till["TransactionDate"], till["Description"]) == (
        "A",
        "2026-01-31",
        "Kassa 31 januari",
    )
    assert [(r["Account"], r["Debit"], r["Credit"]) for r in till["VoucherRows"]] == [
        (1910, Decimal("1250.40"), 0),
        (3001, 0, Decimal("1000.00")),
        (2611, 0, Decimal("250.00")),
        (3740, 0, Decimal("0.40")),
    ]
    assert till["VoucherRows"][1]["CostCenter"] == "STHLM"
    assert "fnb:L-17 20260131" in made
    text = receipt_text(bridge, "journal_with_rounding_row.csv")
    assert "incl. rounding -0.40 on 3740" in text
    assert "voucher K-0131 of 2026-01-31 is off by 0.40" in text


def test_a_journal_voucher_is_sent_once_by_its_id_and_date(make_bridge, api):
    bridge = make_bridge()
    send(bridge, "journal_with_rounding_row.csv")
    text = (bridge.settings.workdir / "drop" / "journal_with_rounding_row.csv").read_text()
    file_id = send(
        bridge, "kassa-igen.csv", text + "2026-01-31;L-18;4000;10,00;;Frakt;\n2026-01-31;L-18;2440;;10,00;;\n"
    )
    states = {key: d["state"] for key, d in documents(bridge, file_id).items()}
    assert states == {"K-0131 20260131": "duplicate", "L-17 20260131": "duplicate", "L-18 20260131": "done"}
    assert sorted(vouchers(api)) == ["fnb:K-0131 20260131", "fnb:L-17 20260131", "fnb:L-18 20260131"]


def test_a_lost_answer_is_found_again_by_the_stamp(make_bridge, api, mock_app):
    lossy = LoseAnswer(
        httpx.WSGITransport(app=mock_app), lambda r: r.method == "POST" and r.url.path == "/3/vouchers"
    )
    bridge = make_bridge(lossy)
    file_id = send(bridge, "journal_signed_amounts.csv")
    assert lossy.lost and state(bridge, file_id) == "done"
    (payroll,) = vouchers(api).values()
    assert [(r["Account"], r["Project"]) for r in payroll["VoucherRows"]][-1] == (1930, "100")
    assert documents(bridge, file_id)["PAY-02 20260228"]["outcomes"] == ["reconciled"]


def test_a_series_closed_to_manual_vouchers_refuses_the_file_with_fortnoxs_settings_path(make_bridge, api):
    bridge = make_bridge(vouchers_series="B")
    file_id = send(bridge, "journal_with_rounding_row.csv")
    assert state(bridge, file_id) == "failed"
    report = error_report(bridge, "journal_with_rounding_row.csv")
    assert "voucher series B (vouchers.series) does not allow manual vouchers in Fortnox" in report
    assert "Inställningar → Bokföring → Verifikationsserier" in report
    assert vouchers(api) == {}


def test_a_voucher_off_by_more_than_the_tolerance_refuses_the_file(make_bridge, api):
    bridge = make_bridge()
    file_id = send(bridge, "journal_off_by_more_than_tolerance.csv")
    assert state(bridge, file_id) == "failed"
    report = error_report(bridge, "journal_off_by_more_than_tolerance.csv")
    assert (
        "voucher K-0227 of 2026-02-27 does not balance: debit 1251.50, credit 1250.00, difference 1.50"
        in report
    )
    assert vouchers(api) == {}


def test_a_wider_tolerance_lets_it_through_with_its_rounding_row(make_bridge, api):
    bridge = make_bridge(vouchers_rounding_tolerance="2")
    assert state(bridge, send(bridge, "journal_off_by_more_than_tolerance.csv")) == "done"
    (voucher,) = vouchers(api).values()
    assert voucher["VoucherRows"][-1]["Account"] == 3740 and voucher["VoucherRows"][-1]["Credit"] == Decimal(
        "1.50"
    )
