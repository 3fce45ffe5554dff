"""Registers, lists and the company: envelopes, pagination, filters, search, partial PUT."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("path", "plural", "key", "body"),
    [
        ("/3/costcenters", "CostCenters", "Code", {"CostCenter": {"Code": "GBG", "Description": "Göteborg"}}),
        (
            "/3/currencies",
            "Currencies",
            "Code",
            {"Currency": {"Code": "NOK", "Description": "Norska kronor"}},
        ),
        (
            "/3/termsofpayments",
            "TermsOfPayments",
            "Code",
            {"TermsOfPayment": {"Code": "45", "Description": "45 dagar"}},
        ),
        ("/3/units", "Units", "Code", {"Unit": {"Code": "kg", "Description": "kilo"}}),
        (
            "/3/modesofpayments",
            "ModesOfPayments",
            "Code",
            {"ModeOfPayment": {"Code": "SWISH", "Description": "Swish", "AccountNumber": "1930"}},
        ),
    ],
)
def test_small_registers(fortnox, path, plural, key, body):
    created = fortnox.post(path, body)
    assert created.status == 201 and created.headers["Location"] == path.removeprefix("/3/")
    record = next(iter(created.body.values()))
    code = record[key]
    listed = fortnox.get(path).body
    assert next(iter(listed)) == "MetaInformation" and code in [r[key] for r in listed[plural]]
    fortnox.post(path, body).expect_error(400, 2999025, f"{code} används redan.")
    assert fortnox.delete(f"{path}/{code}").status == 204
    assert fortnox.get(f"{path}/{code}").status == 404


def test_projects_answer_location_project_singular(fortnox):
    answer = fortnox.post("/3/projects", {"Project": {"Description": "Ny hall", "Comments": "A value"}})
    assert (answer.status, answer.headers["Location"]) == (201, "project")
    assert answer.body["Project"]["Status"] == "ONGOING"
    number = answer.body["Project"]["ProjectNumber"]
    row = next(p for p in fortnox.get("/3/projects").body["Projects"] if p["ProjectNumber"] == number)
    assert "Comments" not in row and row["Description"] == "Ny hall"


def test_unknown_filter_is_2000587_in_lower_case(fortnox):
    answer = fortnox.get("/3/invoices?filter=doesntexist")
    answer.expect_error(400, 2000587, "Ett ogiltigt filter har använts.")
    assert "code" in answer.body["ErrorInformation"]


def test_pagination_and_empty_pages(fortnox):
    everything = [a["Number"] for a in fortnox.get("/3/accounts?limit=500").body["Accounts"]]
    assert everything == sorted(everything)
    page = fortnox.get("/3/accounts?limit=10&page=2").body
    assert page["MetaInformation"] == {"@TotalResources": 66, "@TotalPages": 7, "@CurrentPage": 2}
    assert [a["Number"] for a in page["Accounts"]] == everything[10:20]
    assert len(fortnox.get("/3/accounts?limit=1000").body["Accounts"]) == 66
    past = fortnox.get("/3/customers?offset=10000").body
    assert past == {
        "MetaInformation": {"@TotalResources": 3, "@TotalPages": 0, "@CurrentPage": 1},
        "Customers": [],
    }
    none = fortnox.get("/3/customers?name=nothing").body
    assert none["MetaInformation"] == {"@TotalResources": 0, "@TotalPages": 0, "@CurrentPage": 1}


def test_search_is_case_insensitive_contains_and_several_are_anded(fortnox):
    names = [c["Name"] for c in fortnox.get("/3/customers?name=AB").body["Customers"]]
    assert len(names) >= 2
    both = fortnox.get("/3/customers?name=ab&city=umeå").body["Customers"]
    assert [c["CustomerNumber"] for c in both] == ["1001"]


def test_sort_and_lastmodified(fortnox):
    numbers = [
        a["ArticleNumber"]
        for a in fortnox.get("/3/articles?sortby=articlenumber&sortorder=descending").body["Articles"]
    ]
    assert numbers == sorted(numbers, reverse=True)
    fortnox.get("/3/articles?sortby=colour").expect_error(400, 2000588, "Ogiltig parameter i anropet.")
    fortnox.control("POST", "/mock/clock", {"freeze": "2030-01-01T10:00:00+00:00"})
    fortnox.token = fortnox.new_token()  # issued in the frozen hour
    fortnox.put("/3/customers/1001", {"Customer": {"Comments": "changed"}})
    changed = fortnox.get("/3/customers?lastmodified=2029-12-31 23:00").body["Customers"]
    assert [c["CustomerNumber"] for c in changed] == ["1001"]


def test_partial_put_and_api_blank(fortnox):
    fortnox.put("/3/customers/1001", {"Customer": {"Email": "API_BLANK"}})
    customer = fortnox.get("/3/customers/1001").body["Customer"]
    assert customer["Email"] == "" and customer["Name"] == "Kontorsbolaget Norr AB"
    fortnox.put("/3/customers/1001", {"Customer": {"Colour": "red"}}).expect_error(
        400, 2001399, "Felaktigt fältnamn"
    )


def test_financial_years_and_accounts_per_year(fortnox):
    years = fortnox.get("/3/financialyears?Date=2025-05-05").body["FinancialYears"]
    assert [y["Id"] for y in years] == [1]
    created = fortnox.post(
        "/3/financialyears", {"FinancialYear": {"FromDate": "2027-01-01", "ToDate": "2027-12-31"}}
    )
    assert created.body["FinancialYear"]["Id"] == 3
    assert fortnox.get("/3/accounts/1930?financialyear=3").body["Account"]["Year"] == 3  # chart copied
    overlap = {"FinancialYear": {"FromDate": "2027-06-01", "ToDate": "2028-05-31"}}
    fortnox.post("/3/financialyears", overlap).expect_error(
        400, 2999026, "Räkenskapsåret överlappar ett befintligt räkenskapsår."
    )
    new_account = {"Account": {"Number": 1931, "Description": "Extra bankkonto"}}
    assert fortnox.post("/3/accounts?financialyear=1", new_account).status == 201
    fortnox.get("/3/accounts/1931?financialyear=2").expect_error(404, 2000423, "Kan inte hitta kontot.")


def test_predefined_voucher_series(fortnox):
    assert (
        fortnox.get("/3/predefinedvoucherseries/INVOICE").body["PreDefinedVoucherSeries"]["VoucherSeries"]
        == "B"
    )
    fortnox.put(
        "/3/predefinedvoucherseries/INVOICE", {"PreDefinedVoucherSeries": {"VoucherSeries": "Z"}}
    ).expect_error(400, 2999013, "Verifikationsserien Z finns inte.")
    fortnox.put("/3/predefinedvoucherseries/INVOICE", {"PreDefinedVoucherSeries": {"VoucherSeries": "A"}})
    invoice = fortnox.post(
        "/3/invoices",
        {
            "Invoice": {
                "CustomerNumber": "1001",
                "InvoiceRows": [{"ArticleNumber": "KONS", "DeliveredQuantity": "1"}],
            }
        },
    )
    booked = fortnox.put(f"/3/invoices/{invoice.body['Invoice']['DocumentNumber']}/bookkeep").body["Invoice"]
    assert booked["VoucherSeries"] == "A"


def test_company_settings_and_me(fortnox):
    settings = fortnox.get("/3/settings/company").body["CompanySettings"]
    assert (settings["Name"], settings["DatabaseNumber"]) == ("Demobolaget i Sverige AB", "123456")
    assert fortnox.get("/3/settings/lockedperiod").body == {"LockedPeriod": {}}
    assert fortnox.get("/3/me").body["Me"]["Name"] == "Anna Administratör"


def test_a_body_that_is_not_json_is_refused(fortnox):
    answer = fortnox.call("POST", "/3/customers", data="<Customer/>", content_type="application/xml")
    answer.expect_error(415, 1000031, "Invalid content type")
    fortnox.call("POST", "/3/customers", data="{", content_type="application/json").expect_error(
        400, 2002115, "Error deserializing JSON: JSON_ERROR_SYNTAX"
    )
    fortnox.post("/3/customers").expect_error(400, 2001392, "Ingen eller felaktig typ av data.")
