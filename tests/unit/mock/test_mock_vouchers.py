"""Vouchers: immutable, numbered per series and financial year, and every bookkeeping rule."""

from __future__ import annotations

from decimal import Decimal

import pytest


def voucher(**changes) -> dict:
    body = {
        "Description": "Kontorsmaterial",
        "TransactionDate": "2026-03-10",
        "VoucherSeries": "A",
        "Comments": "bridge:sha256:abc123",
        "VoucherRows": [
            {"Account": 6110, "Debit": Decimal("500.00")},
            {"Account": 2641, "Debit": Decimal("125.00")},
            {"Account": 1930, "Credit": Decimal("625.00")},
        ],
    }
    body.update(changes)
    return {"Voucher": body}


def test_a_balanced_voucher_is_created_with_the_series_next_number(fortnox):
    answer = fortnox.post("/3/vouchers", voucher())
    assert answer.status == 201
    assert answer.headers["Location"] == "vouchers"
    created = answer.body["Voucher"]
    assert (created["VoucherSeries"], created["VoucherNumber"], created["Year"]) == ("A", 1, 2)
    assert created["ReferenceType"] == "MANUAL"
    assert created["Comments"] == "bridge:sha256:abc123"
    assert created["VoucherRows"][2]["Description"] == "Företagskonto/checkkonto/affärskonto"
    assert created["@url"].endswith("/3/vouchers/A/1?financialyear=2")
    assert fortnox.post("/3/vouchers", voucher()).body["Voucher"]["VoucherNumber"] == 2


def test_numbers_run_per_series_and_financial_year(fortnox):
    fortnox.post("/3/vouchers", voucher())
    earlier = fortnox.post("/3/vouchers", voucher(TransactionDate="2025-06-01")).body["Voucher"]
    assert (earlier["VoucherNumber"], earlier["Year"]) == (1, 1)
    first_2026 = fortnox.get("/3/vouchers/A/1?financialyear=2").body["Voucher"]
    first_2025 = fortnox.get("/3/vouchers/A/1?financialyear=1").body["Voucher"]
    assert (first_2026["TransactionDate"], first_2025["TransactionDate"]) == ("2026-03-10", "2025-06-01")


def test_vouchers_can_be_neither_changed_nor_deleted(fortnox):
    fortnox.post("/3/vouchers", voucher())
    fortnox.put("/3/vouchers/A/1", voucher()).expect_error(405, 2999405, "Metoden stöds inte för resursen.")
    fortnox.delete("/3/vouchers/A/1").expect_error(405, 2999405, "Metoden stöds inte för resursen.")


def test_a_missing_voucher_is_a_capitalised_404(fortnox):
    answer = fortnox.get("/3/vouchers/A/99?financialyear=2")
    answer.expect_error(404, 2999101, "Kan inte hitta verifikationen.")
    assert "Code" in answer.body["ErrorInformation"]


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        (
            {"VoucherRows": [{"Account": 6110, "Debit": 100}, {"Account": 1930, "Credit": 90}]},
            2999010,
            "Debet och kredit balanserar inte (100 / 90).",
        ),
        ({"VoucherRows": [{"Account": 6110, "Debit": 100}]}, 2999011, "Minst två rader måste anges."),
        (
            {"VoucherRows": [{"Account": 6111, "Debit": 100}, {"Account": 1930, "Credit": 100}]},
            2001304,
            "Kunde inte hitta konto",
        ),
        ({"TransactionDate": "2024-12-31"}, 2999015, "Det finns inget räkenskapsår för datumet 2024-12-31."),
        ({"VoucherSeries": "Q"}, 2999013, "Verifikationsserien Q finns inte."),
        ({"VoucherSeries": "B"}, 2999014, "Verifikationsserien B är inte manuell."),
        ({"CostCenter": "NOPE"}, 2999017, "Kostnadsstället NOPE finns inte."),
        ({"Project": "999"}, 2001161, "Kan inte hitta projektet."),
        ({"Description": ""}, 2999001, "Fältet Description måste anges."),
        ({"Colour": "red"}, 2001399, "Felaktigt fältnamn"),
    ],
)
def test_voucher_rules(fortnox, changes, code, message):
    fortnox.post("/3/vouchers", voucher(**changes)).expect_error(400, code, message)
    assert fortnox.get("/3/vouchers").body["Vouchers"] == []


def test_an_inactive_account_is_refused(fortnox):
    fortnox.put("/3/accounts/6110?financialyear=2", {"Account": {"Active": False}})
    fortnox.post("/3/vouchers", voucher()).expect_error(400, 2999016, "Kontot 6110 är inte aktivt.")
    # The same account is still active in the other year's chart.
    assert fortnox.post("/3/vouchers", voucher(TransactionDate="2025-03-10")).status == 201


def test_the_locked_period_is_refused(fortnox):
    fortnox.control("PATCH", "/mock/tenants/demo", {"locked_period": "2026-03-31"})
    assert fortnox.get("/3/settings/lockedperiod").body == {"LockedPeriod": {"EndDate": "2026-03-31"}}
    fortnox.post("/3/vouchers", voucher()).expect_error(
        400, 2999012, "Datumet 2026-03-10 ligger i en låst period (till och med 2026-03-31)."
    )
    assert fortnox.post("/3/vouchers", voucher(TransactionDate="2026-04-01")).status == 201


def test_accounts_can_demand_a_cost_centre_and_a_project(fortnox):
    fortnox.put(
        "/3/accounts/6110", {"Account": {"CostCenterSettings": "MANDATORY", "ProjectSettings": "MANDATORY"}}
    )
    fortnox.post("/3/vouchers", voucher()).expect_error(400, 2999018, "Kontot 6110 kräver kostnadsställe.")
    fortnox.post("/3/vouchers", voucher(CostCenter="STHLM")).expect_error(
        400, 2999019, "Kontot 6110 kräver projekt."
    )
    assert fortnox.post("/3/vouchers", voucher(CostCenter="STHLM", Project="100")).status == 201


def test_a_date_outside_the_requested_year_is_refused(fortnox):
    fortnox.post("/3/vouchers?financialyear=1", voucher()).expect_error(
        400, 2999027, "Datumet 2026-03-10 ligger inte i räkenskapsåret."
    )


def test_list_rows_carry_comments_but_no_rows_and_filter_like_fortnox(fortnox):
    fortnox.post("/3/vouchers", voucher())
    fortnox.post("/3/vouchers", voucher(TransactionDate="2026-05-02", Comments="other"))
    fortnox.post("/3/vouchers", voucher(TransactionDate="2025-05-02"))
    rows = fortnox.get("/3/vouchers?financialyear=2").body["Vouchers"]
    assert [r["Comments"] for r in rows] == ["bridge:sha256:abc123", "other"]
    assert "VoucherRows" not in rows[0]
    window = fortnox.get("/3/vouchers?financialyear=2&voucherseries=A&fromdate=2026-03-10&todate=2026-03-10")
    assert [r["VoucherNumber"] for r in window.body["Vouchers"]] == [1]
    assert window.body["MetaInformation"] == {"@TotalResources": 1, "@TotalPages": 1, "@CurrentPage": 1}
    assert len(fortnox.get("/3/vouchers").body["Vouchers"]) == 3
    assert len(fortnox.get("/3/vouchers/sublist").body["Vouchers"]) == 2
    assert len(fortnox.get("/3/vouchers/sublist/A?financialyear=1").body["Vouchers"]) == 1
    assert fortnox.get("/3/vouchers?voucherseries=B").body["Vouchers"] == []


def test_posting_moves_account_balances(fortnox):
    fortnox.post("/3/vouchers", voucher())
    bank = fortnox.get("/3/accounts/1930?financialyear=2").body["Account"]
    assert bank["BalanceCarriedForward"] == Decimal("-625")
    assert fortnox.get("/3/accounts/1930?financialyear=1").body["Account"]["BalanceCarriedForward"] == 0


def test_voucher_series_show_the_next_number_of_the_year(fortnox):
    fortnox.post("/3/vouchers", voucher())
    series = fortnox.get("/3/voucherseries/A?financialyear=2").body["VoucherSeries"]
    assert (series["NextVoucherNumber"], series["Year"], series["Manual"]) == (2, 2, True)
    assert fortnox.get("/3/voucherseries/A?financialyear=1").body["VoucherSeries"]["NextVoucherNumber"] == 1
    collection = fortnox.get("/3/voucherseries").body
    assert [s["Code"] for s in collection["VoucherSeriesCollection"]] == ["A", "B", "C", "D", "E"]
