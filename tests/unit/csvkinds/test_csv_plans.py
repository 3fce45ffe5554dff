"""What the planners make of the new CSV kinds, before anything is sent (what `check` shows)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.config import load_settings
from bridge.importers import FileSource, extract_file
from bridge.model import FinancialYear, MasterData, Project, to_json
from bridge.planner import plan_extraction

CASES = Path(__file__).resolve().parents[3] / "fixtures" / "csv"


def settings(tmp_path: Path, **values: str):
    environ = {f"FORTNOX_{k.upper()}": v for k, v in values.items()}
    return load_settings(tmp_path, environ=environ).tenants[0]


def plan(tmp_path: Path, name: str, master: MasterData | None = None, projects=None, **values: str):
    extraction = extract_file(FileSource.open(CASES / name))
    return plan_extraction(extraction, settings(tmp_path, **values), master, projects)


def company(**changes) -> MasterData:
    values: dict = {
        "financial_years": (FinancialYear(2, date(2026, 1, 1), date(2026, 12, 31)),),
        "accounts": {2: {n: True for n in (1910, 1930, 2440, 2611, 2710, 3001, 3740, 4000, 7010)}},
        "voucher_series": {"A": True, "B": False},
        "cost_centers": frozenset({"STHLM"}),
        "projects": frozenset({"100"}),
    }
    values.update(changes)
    return MasterData(**values)


def calls(document_plan) -> list[tuple[str, str, str]]:
    return [(s.kind, s.method, s.path) for s in document_plan.steps]


# --- credits -------------------------------------------------------------------------------


def test_a_credit_finds_its_original_then_credits_it_one_way_or_the_other(tmp_path):
    _, (credit,) = plan(tmp_path, "credit_whole_of_booked_invoice.csv")
    assert credit.summary.startswith("credit SGX-11 of invoice SGX-1, 1 rows, -4500.00 excl. VAT")
    assert calls(credit) == [
        ("ensure", "GET", ""),  # the original, by the bridge's stamp: refused when absent
        ("ensure", "GET", ""),  # its full record: booked? credited? its net amount
        ("action", "PUT", "/3/invoices/{original.DocumentNumber}/credit"),
        ("ensure", "GET", ""),
        ("action", "PUT", "/3/invoices/{credited.CreditInvoiceReference}"),
        ("create", "POST", "/3/invoices"),
    ]
    find, _, action, _, mark, create = credit.steps
    assert find.lookup.match == {"ExternalInvoiceReference1": "fnb:SGX-1"}
    assert not find.create_if_missing and "SGX-1" in find.missing_hint
    whole = {"original.Booked": True, "original.Net": Decimal("4500.00")}
    assert action.when == whole and mark.when == whole and create.unless == whole
    assert action.done_when == {"CreditInvoiceReference": {"$not": "0"}}  # already credited: reported
    assert mark.body == {"Invoice": {"ExternalInvoiceReference1": "fnb:SGX-11", "InvoiceDate": "2026-03-20"}}
    body = create.body["Invoice"]
    assert body["CreditInvoiceReference"] == {"$ref": "original.DocumentNumber"}
    assert body["CustomerNumber"] == {"$ref": "original.CustomerNumber"}
    assert [r["DeliveredQuantity"] for r in body["InvoiceRows"]] == ["-1"]


def test_a_credit_written_with_positive_amounts_is_sent_negative(tmp_path):
    _, (credit,) = plan(tmp_path, "credit_partial_of_booked_invoice.csv")
    create = credit.steps[-1]
    assert [r["DeliveredQuantity"] for r in create.body["Invoice"]["InvoiceRows"]] == ["-1"]
    assert create.unless["original.Net"] == Decimal("1200.00")


# --- customers -------------------------------------------------------------------------------


def test_private_policy_creates_private_persons_from_the_file(tmp_path):
    _, (anna, bertil) = plan(
        tmp_path, "customers_private_persons_created.csv", invoices_create_customers="private"
    )
    customer = anna.steps[0]
    assert customer.create_if_missing
    assert customer.lookup.match == {"OrganisationNumber": "19850312-2384"} and customer.lookup.normalise
    assert customer.body["Customer"] == {
        "Name": "Anna Andersson",
        "OrganisationNumber": "850312-2384",
        "Email": "anna@example.se",
        "Phone1": "070-123 45 67",
        "Address1": "Vägen 1",
        "ZipCode": "753 20",
        "City": "Uppsala",
        "Type": "PRIVATE",
    }
    assert bertil.steps[0].create_if_missing


def test_private_policy_finds_companies_by_organisation_number_and_never_creates_them(tmp_path):
    _, plans = plan(tmp_path, "customers_companies_by_org_number.csv", invoices_create_customers="private")
    for document_plan, number in zip(plans, ("165561234567", "5569876543", "556123-4568"), strict=True):
        company_step = document_plan.steps[0]
        assert (company_step.kind, company_step.method, company_step.create_if_missing) == (
            "ensure",
            "GET",
            False,
        )
        assert company_step.lookup.match == {"OrganisationNumber": number} and company_step.lookup.normalise
        assert "add the company in Fortnox with that organisation number" in company_step.missing_hint


def test_private_policy_refuses_a_company_without_organisation_number(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Fakturanummer;Kundnummer;Kundnamn;Beskrivning;Antal;À-pris\n1;1001;Bolaget AB;x;1;1\n")
    extraction = extract_file(FileSource.open(path))
    _, (document_plan,) = plan_extraction(extraction, settings(tmp_path, invoices_create_customers="private"))
    (problem,) = document_plan.problems
    assert problem.is_error and "company Bolaget AB has no organisation number" in problem.message


# --- articles and projects --------------------------------------------------------------------


def test_an_article_the_rows_name_is_ensured_once_per_invoice_with_the_rows_values(tmp_path):
    _, (first, second) = plan(tmp_path, "invoice_with_new_article.csv")
    screws, _ = (s for s in first.steps if s.path == "/3/articles")
    assert screws.body == {
        "Article": {"ArticleNumber": "SKRUV-6", "Description": "Skruv 6 mm, 100 st", "Unit": "st", "VAT": 25}
    }
    assert screws.lookup.path == "/3/articles/SKRUV-6" and screws.create_if_missing
    assert [s.label for s in second.steps if s.path == "/3/articles"] == [
        "article SKRUV-6 (Skruv 6 mm, 100 st)"
    ]


def test_articles_are_left_to_fortnox_when_the_setting_says_so(tmp_path):
    _, (first, _) = plan(tmp_path, "invoice_with_new_article.csv", invoices_create_articles="false")
    assert [s.path for s in first.steps] == ["/3/customers", "/3/invoices"]


def test_ambiguous_article_numbers_make_no_article_steps(tmp_path):
    _, (document_plan,) = plan(tmp_path, "article_number_with_two_descriptions.csv")
    assert [s.path for s in document_plan.steps] == ["/3/customers", "/3/invoices"]


def test_a_project_the_bridge_has_read_is_created_when_fortnox_lacks_it(tmp_path):
    roof = Project(
        "200@x", "200", "Tak Storgatan 5", date(2026, 2, 1), date(2026, 6, 30), "Sven Snickare", "ONGOING"
    )
    _, (document_plan,) = plan(tmp_path, "invoice_naming_registered_project.csv", projects={"200": roof})
    (project,) = (s for s in document_plan.steps if s.path == "/3/projects")
    assert project.create_if_missing and project.lookup.path == "/3/projects/200"
    assert project.body == {
        "Project": {
            "ProjectNumber": "200",
            "Description": "Tak Storgatan 5",
            "StartDate": "2026-02-01",
            "EndDate": "2026-06-30",
            "ProjectLeader": "Sven Snickare",
            "Status": "ONGOING",
        }
    }


def test_a_project_unknown_or_without_start_date_is_only_looked_up(tmp_path):
    front = Project("201@x", "201", "Fasad Lillgatan 2")
    _, (unknown, undated) = plan(tmp_path, "invoice_naming_unknown_projects.csv", projects={"201": front})
    (missing,) = (s for s in unknown.steps if s.path == "/3/projects")
    assert not missing.create_if_missing
    assert "no project register the bridge has read names it" in missing.missing_hint
    (no_start,) = (s for s in undated.steps if s.path == "/3/projects")
    assert not no_start.create_if_missing and "Fortnox needs a start date" in no_start.missing_hint


# --- registers -------------------------------------------------------------------------------


def test_register_records_are_upserts_of_what_the_file_gives(tmp_path):
    _, (_, _, new) = plan(tmp_path, "customer_register.csv")
    (step,) = new.steps
    assert (step.kind, step.path, step.lookup.path) == ("upsert", "/3/customers", "/3/customers/2001")
    assert step.body == {
        "Customer": {
            "CustomerNumber": "2001",
            "Name": "Nybygge i Norr AB",
            "OrganisationNumber": "556700-1234",
            "Address1": "Bygggatan 3",
            "ZipCode": "903 30",
            "City": "Umeå",
            "Email": "ekonomi@nybygge.example",
            "TermsOfPayment": "30",
        }
    }


def test_a_project_without_start_date_is_refused_with_fortnoxs_reason(tmp_path):
    _, (roof, front, _) = plan(tmp_path, "project_register.csv")
    assert not roof.problems
    (problem,) = front.problems
    assert problem.is_error and problem.message == (
        "project 201 has no start date: Fortnox needs a start date to create a project "
        "(SmartDok: 'Projektet behöver ett startdatum')"
    )


# --- journal ---------------------------------------------------------------------------------


def test_a_voucher_off_by_less_than_the_tolerance_gets_a_visible_rounding_row(tmp_path):
    planned, (till, purchase) = plan(tmp_path, "journal_with_rounding_row.csv", company())
    body = till.steps[0].body["Voucher"]
    assert body["VoucherSeries"] == "A" and body["Comments"] == "fnb:K-0131 20260131"
    assert body["VoucherRows"][-1] == {
        "Account": 3740,
        "Credit": Decimal("0.40"),
        "TransactionInformation": "Öres- och kronutjämning",
    }
    assert till.summary.endswith("incl. rounding -0.40 on 3740")
    assert to_json(till.document).count(b'"account":3740') == 1  # the receipt shows it
    (note,) = [p for p in planned.problems if p.code == "journal.rounding-row"]
    assert "a rounding row of -0.40 on account 3740" in note.message
    assert len(purchase.steps[0].body["Voucher"]["VoucherRows"]) == 2


def test_rounding_account_and_tolerance_are_settings(tmp_path):
    master = company(accounts={2: {n: True for n in (1910, 2611, 3001, 2440, 4000, 3741)}})
    _, (till, _) = plan(tmp_path, "journal_with_rounding_row.csv", master, vouchers_rounding_account="3741")
    assert till.steps[0].body["Voucher"]["VoucherRows"][-1]["Account"] == 3741
    planned, plans = plan(
        tmp_path, "journal_with_rounding_row.csv", company(), vouchers_rounding_tolerance="0,25"
    )
    assert plans == [] and planned.errors[0].code == "journal.unbalanced"


def test_a_voucher_off_by_more_than_the_tolerance_is_refused_naming_it_and_its_sums(tmp_path):
    planned, plans = plan(tmp_path, "journal_off_by_more_than_tolerance.csv", company())
    assert plans == []
    (error,) = planned.errors
    assert error.line == 2
    assert error.message == (
        "voucher K-0227 of 2026-02-27 does not balance: debit 1251.50, credit 1250.00, difference 1.50, "
        "more than vouchers.rounding_tolerance (1.00)"
    )


@pytest.mark.parametrize(
    ("series", "known", "message"),
    [
        (
            "B",
            {"A": True, "B": False},
            "voucher series B (vouchers.series) does not allow manual vouchers in Fortnox",
        ),
        ("L", {"A": True}, "voucher series L (vouchers.series) does not exist in Fortnox"),
    ],
)
def test_the_series_is_checked_first_with_fortnoxs_settings_path(tmp_path, series, known, message):
    planned, plans = plan(
        tmp_path,
        "journal_off_by_more_than_tolerance.csv",
        company(voucher_series=known),
        vouchers_series=series,
    )
    assert plans == []
    (error,) = planned.errors  # the unbalanced voucher is not even judged yet
    assert error.message == message
    assert "Inställningar → Bokföring → Verifikationsserier" in error.hint


def test_journal_vouchers_need_what_fortnox_has(tmp_path):
    master = company(
        accounts={2: {1910: True, 3001: True, 2611: False, 3740: True}}, cost_centers=frozenset()
    )
    planned, plans = plan(tmp_path, "journal_with_rounding_row.csv", master)
    assert plans == []
    assert sorted(p.message for p in planned.errors) == [
        "account 2440 does not exist in Fortnox (used 1 time)",
        "account 2611 is inactive in Fortnox (used 1 time)",
        "account 4000 does not exist in Fortnox (used 1 time)",
        "cost centre STHLM does not exist in Fortnox (used 2 times)",
    ]


def test_without_master_data_the_journal_is_planned_and_fortnox_judges(tmp_path):
    planned, plans = plan(tmp_path, "journal_signed_amounts.csv")
    assert not planned.errors
    (payroll,) = plans
    lookup = payroll.steps[0].lookup
    assert lookup.params == {
        "financialyeardate": "2026-02-28",
        "voucherseries": "A",
        "fromdate": "2026-02-28",
        "todate": "2026-02-28",
    }
    assert lookup.match == {"Comments": "fnb:PAY-02 20260228"}
