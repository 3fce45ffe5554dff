"""The SIE planner's rules, one test each: what the company lacks becomes a step of the file's
"registers" document, what cannot be fixed by creating is a problem on the line that needs it,
and any error refuses the whole file before a single call."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sie_flow_helpers import HEAD, VOUCHER, company, errors, labels, plan, settings

from bridge.model import FinancialYear, Voucher, VoucherRow
from bridge.planner import PLANNERS

VER_LINE, FIRST_ROW = 20, 22  # where VOUCHER's #VER and its first #TRANS stand after HEAD


def test_a_voucher_becomes_one_stamped_voucher_after_a_registers_document(tmp_path):
    problems, (registers, voucher) = plan(tmp_path, master=company())
    assert errors(problems) == []
    assert registers.key.kind == "registers" and registers.steps == ()
    assert "nothing missing" in registers.summary
    (step,) = voucher.steps
    body = step.body["Voucher"]
    assert voucher.key.source_key == "A 12 20250131"
    assert body["Comments"] == "fnb:A 12 20250131"
    assert (body["VoucherSeries"], body["TransactionDate"], body["Description"]) == (
        "A",
        "2025-01-31",
        "Kontorsmaterial",
    )
    assert body["VoucherRows"] == [
        {"Account": 6110, "Debit": Decimal("800.00"), "TransactionInformation": "Pennor", "CostCenter": "NORD",
         "Project": "P1", "Quantity": Decimal("10")},
        {"Account": 2641, "Debit": Decimal("200.00")},
        {"Account": 1930, "Credit": Decimal("1000.00")},
    ]  # fmt: skip
    # After an unclear outcome it is found by its stamp among the year's, series' and day's vouchers.
    assert step.lookup.params == {
        "financialyear": 1,
        "voucherseries": "A",
        "fromdate": "2025-01-31",
        "todate": "2025-01-31",
    }
    assert step.lookup.match == {"Comments": "fnb:A 12 20250131"}


def test_a_date_without_a_financial_year_is_refused_on_its_line(tmp_path):
    body = VOUCHER.replace("20250131", "20260115")
    problems, plans = plan(tmp_path, body, company())
    assert errors(problems) == [("sie.no-financial-year", VER_LINE)]
    assert plans == []  # nothing at all is sent
    assert "create_financial_years" not in problems[0].hint  # the file has no #RAR for 2026


def test_a_missing_year_is_created_from_the_files_rar_when_allowed(tmp_path):
    body = VOUCHER.replace("20250131", "20240315")
    problems, _ = plan(tmp_path, body, company())
    assert errors(problems) == [("sie.no-financial-year", VER_LINE)]
    assert "sie.create_financial_years = true" in problems[0].hint
    problems, (registers, voucher) = plan(tmp_path, body, company(), create_financial_years=True)
    assert errors(problems) == []
    assert labels(registers)[0] == "financial year 2024-01-01 – 2024-12-31"
    assert registers.steps[0].body == {"FinancialYear": {"FromDate": "2024-01-01", "ToDate": "2024-12-31"}}
    # Its id is not known yet: the year is named by a date in it, the voucher's own.
    assert voucher.steps[0].lookup.params["financialyeardate"] == "2024-03-15"


def test_a_year_that_would_overlap_an_existing_one_is_refused(tmp_path):
    broken = (FinancialYear(1, date(2024, 7, 1), date(2025, 6, 30)),)
    body = VOUCHER.replace("20250131", "20250815")
    problems, _ = plan(
        tmp_path, body, company(financial_years=broken, accounts={1: {}}), create_financial_years=True
    )
    assert errors(problems) == [("sie.financial-year-overlaps", VER_LINE)]


def test_a_locked_period_is_refused_with_the_lines(tmp_path):
    problems, _ = plan(tmp_path, master=company(locked_until=date(2025, 1, 31)))
    assert errors(problems) == [("sie.locked-period", VER_LINE)]
    assert f"lines {VER_LINE}" in problems[0].message


def test_a_missing_series_is_created_open_for_manual_vouchers(tmp_path):
    body = VOUCHER.replace("#VER A 12", "#VER K 12")
    _, (registers, voucher) = plan(tmp_path, body, company())
    (step,) = registers.steps
    assert step.body == {"VoucherSeries": {"Code": "K", "Description": "Från Kassan 2.1", "Manual": True}}
    assert voucher.steps[0].body["Voucher"]["VoucherSeries"] == "K"


def test_a_missing_series_is_refused_when_the_bridge_may_not_create_it(tmp_path):
    body = VOUCHER.replace("#VER A 12", "#VER K 12")
    problems, _ = plan(tmp_path, body, company(), create_series=False)
    assert errors(problems) == [("sie.series-missing", VER_LINE)]


def test_a_series_closed_to_manual_vouchers_is_refused(tmp_path):
    problems, _ = plan(tmp_path, VOUCHER.replace("#VER A 12", "#VER B 12"), company())
    assert errors(problems) == [("sie.series-not-manual", VER_LINE)]
    assert "Manuell" in problems[0].hint


def test_the_series_can_be_chosen_and_a_file_without_one_gets_the_default(tmp_path):
    _, (_, voucher) = plan(tmp_path, master=company(voucher_series={"A": True, "I": True}), series="i")
    assert voucher.steps[0].body["Voucher"]["VoucherSeries"] == "I"
    _, (_, voucher) = plan(tmp_path, VOUCHER.replace("#VER A 12", '#VER "" 12'), company())
    assert voucher.steps[0].body["Voucher"]["VoucherSeries"] == "A"
    assert voucher.key.source_key == "- 12 20250131"


def test_a_missing_account_is_created_from_its_konto_with_its_sru(tmp_path):
    chart = {1: {1930: True, 2641: True}}
    _, (registers, _) = plan(tmp_path, master=company(accounts=chart))
    (step,) = registers.steps
    assert step.path == "/3/accounts?financialyear=1"
    assert step.body == {"Account": {"Number": 6110, "Description": "Kontorsmateriel", "SRU": 7513}}
    assert step.lookup.path == "/3/accounts/6110" and step.lookup.params == {"financialyear": 1}
    assert registers.document["creates"] == {"accounts": ["6110 Kontorsmateriel"]}


def test_a_missing_account_the_file_does_not_name_is_refused_on_its_row(tmp_path):
    body = VOUCHER.replace("#TRANS 2641", "#TRANS 2645")
    problems, _ = plan(tmp_path, body, company())
    assert errors(problems) == [("sie.account-missing", FIRST_ROW + 1)]


def test_no_account_is_created_when_the_settings_say_never(tmp_path):
    problems, _ = plan(
        tmp_path, master=company(accounts={1: {1930: True, 2641: True}}), create_accounts="never"
    )
    assert errors(problems) == [("sie.account-missing", FIRST_ROW)]


def test_an_account_outside_fortnox_range_is_refused(tmp_path):
    problems, _ = plan(tmp_path, VOUCHER.replace("#TRANS 2641", "#TRANS 26410"), company())
    assert ("sie.account-range", FIRST_ROW + 1) in errors(problems)


def test_an_inactive_account_is_reactivated_or_refused(tmp_path):
    chart = {1: {1930: True, 2641: True, 6110: False}}
    _, (registers, _) = plan(tmp_path, master=company(accounts=chart))
    (step,) = registers.steps
    assert (step.kind, step.method, step.path) == ("action", "PUT", "/3/accounts/6110?financialyear=1")
    assert step.body == {"Account": {"Active": True}} and step.done_when == {"Active": True}
    problems, _ = plan(tmp_path, master=company(accounts=chart), reactivate_accounts=False)
    assert errors(problems) == [("sie.account-inactive", FIRST_ROW)]


def test_all_accounts_the_file_names_are_created_when_asked(tmp_path):
    _, (registers, _) = plan(tmp_path, master=company(accounts={1: {}}), create_accounts="all")
    created = registers.document["creates"]["accounts"]
    assert [a.split()[0] for a in created] == ["6110", "2641", "1930", "3001", "6570"]  # used first


def test_missing_cost_centres_and_projects_are_created_from_objekt(tmp_path):
    _, (registers, _) = plan(tmp_path, master=company(cost_centers=frozenset(), projects=frozenset()))
    assert [s.body for s in registers.steps] == [
        {"CostCenter": {"Code": "NORD", "Description": "Nord"}},
        {"Project": {"ProjectNumber": "P1", "Description": "Projekt ett"}},
    ]


def test_objects_are_refused_when_the_settings_say_never(tmp_path):
    problems, _ = plan(tmp_path, master=company(projects=frozenset()), create_objects="never")
    assert errors(problems) == [("sie.object-missing", FIRST_ROW)]


def test_a_cost_centre_code_fortnox_cannot_hold_is_refused(tmp_path):
    problems, _ = plan(tmp_path, VOUCHER.replace('{1 "NORD"', '{1 "NORDVAST"'), company())
    assert errors(problems) == [("sie.object-code", FIRST_ROW)]


def test_an_object_the_file_does_not_name_is_created_under_its_code_with_a_warning(tmp_path):
    problems, (registers, _) = plan(tmp_path, VOUCHER.replace('6 "P1"', '6 "P9"'), company())
    assert [(p.code, p.line) for p in problems] == [("sie.object-unnamed", FIRST_ROW)]
    assert registers.steps[0].body == {"Project": {"ProjectNumber": "P9", "Description": "P9"}}


def test_a_voucher_that_does_not_balance_is_refused_on_its_line(tmp_path):
    voucher = Voucher(
        "X 1 20250131",
        date(2025, 1, 31),
        "Fel",
        (VoucherRow(1930, Decimal("10"), line=8), VoucherRow(6110, Decimal("-9"), line=9)),
        line=7,
    )
    one_row = replace(voucher, rows=voucher.rows[:1])
    tenant = settings(tmp_path)
    assert errors(PLANNERS[Voucher](voucher, tenant, company()).problems) == [("sie.unbalanced", 7)]
    assert ("sie.too-few-rows", 7) in errors(PLANNERS[Voucher](one_row, tenant, company()).problems)


def test_another_companys_file_is_refused_or_warned_about(tmp_path):
    other = company(organisation_number="559900-0006")
    problems, plans = plan(tmp_path, master=other)
    assert errors(problems) == [("sie.org-number", None)] and plans == []
    assert "556334-3689" in problems[0].message and "559900-0006" in problems[0].message
    problems, plans = plan(tmp_path, master=other, org_number="warning")
    assert errors(problems) == [] and [p.code for p in problems] == ["sie.org-number"] and plans
    problems, _ = plan(tmp_path, master=other, org_number="ignore")
    assert problems == []
    # The same company written with the century in front is the same company.
    problems, _ = plan(tmp_path, master=company(organisation_number="16556334-3689"))
    assert problems == []


def test_amounts_in_another_currency_are_refused(tmp_path):
    problems, _ = plan(tmp_path, head=HEAD + "#VALUTA EUR\n", master=company())
    assert errors(problems) == [("sie.currency", None)]


def test_what_fortnox_cannot_hold_is_said_once(tmp_path):
    body = """\
    #VER A 12 20250131 ""
    {
    #TRANS 6110 {20 "7"} 800.00 20250102 "%s"
    #TRANS 1930 {} -800.00
    }
    """ % ("x" * 120)
    problems, (_, voucher) = plan(tmp_path, body, company())
    assert sorted((p.code, p.line) for p in problems) == [
        ("sie.objects-left-out", FIRST_ROW),
        ("sie.row-dates-left-out", FIRST_ROW),
        ("sie.text-shortened", FIRST_ROW),
    ]
    body = voucher.steps[0].body["Voucher"]
    assert body["Description"] == "Verifikation A 12"  # Fortnox requires a text
    assert len(body["VoucherRows"][0]["TransactionInformation"]) == 100


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    body = VOUCHER + VOUCHER.replace("#VER A 12 20250131", "#VER B 7 20260101")
    problems, plans = plan(tmp_path, body, company(locked_until=date(2025, 1, 31)))
    assert errors(problems) == [
        ("sie.locked-period", VER_LINE),
        ("sie.no-financial-year", VER_LINE + 6),
        ("sie.series-not-manual", VER_LINE + 6),
    ]
    assert plans == []


def test_without_master_data_every_register_is_looked_up_when_sent(tmp_path):
    problems, (registers, voucher) = plan(tmp_path, master=None)
    assert problems == []
    kinds = {(s.kind, s.lookup.path if s.lookup else s.path) for s in registers.steps}
    assert ("ensure", "/3/voucherseries/A") in kinds
    assert ("ensure", "/3/accounts/6110") in kinds and (
        "action",
        "/3/accounts/6110?financialyeardate=2025-01-31",
    ) in kinds
    assert ("ensure", "/3/costcenters/NORD") in kinds and ("ensure", "/3/projects/P1") in kinds
    assert voucher.steps[0].lookup.params["financialyeardate"] == "2025-01-31"


def test_a_type_1_file_becomes_a_registers_document_for_what_it_declares(tmp_path):
    head = HEAD.replace("#SIETYP 4", "#SIETYP 1") + "#IB 0 1930 5000.00\n#IB 0 1940 100.00\n"
    chart = company(accounts={1: {1930: True}})
    problems, (registers,) = plan(tmp_path, "", chart, head=head)
    assert problems == [] and registers.steps == ()  # 1930 exists; 1940 is not named (no #KONTO)
    assert "a SIE type 1 file: no vouchers" in registers.summary
    chart = replace(chart, projects=frozenset())
    _, (registers,) = plan(tmp_path, "", chart, head=head, create_accounts="all", create_objects="all")
    assert registers.document["creates"] == {
        "accounts": [
            "2641 Debiterad ingående moms",
            "3001 Försäljning 25 %",
            "6110 Kontorsmateriel",
            "6570 Bankkostnader",
        ],
        "projects": ["P1 Projekt ett"],
    }
    assert "create 4 accounts, 1 project " in registers.summary
