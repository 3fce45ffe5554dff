"""`GET /3/sie/{type}` shaped like a real Fortnox 3.60 export, and companies seeded from SIE."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import groupby

import pytest

from bridge import sie
from mockfortnox import create_app

FORTNOX_FILES = ("keyholder_Fortnox3.60_SkataSwedenAB.se", "keyholder_Fortnox3.60_RevILAB.se")
SMALL = {
    "name": "liten",
    "company": {"CompanyName": "Lilla AB", "OrganizationNumber": "556677-8899", "Address": "Gatan 1",
                "ZipCode": "12345", "City": "Orten", "ContactFirstName": "Ada", "ContactLastName": "Ek"},
    "licences": ["bookkeeping", "companyinformation", "costcenter", "project", "settings"],
    "financialyears": [{"FromDate": "2024-01-01", "ToDate": "2024-12-31"}, {"FromDate": "2025-01-01", "ToDate": "2025-12-31"}],
    "voucherseries": [{"Code": "A", "Description": "Redovisning", "Manual": True}],
    "accounts": [{"Number": n, "Description": f"Konto {n}", "SRU": 7000 + n % 100} for n in (1510, 1930, 2440, 2641, 3001, 6110)],
    "costcenters": [{"Code": "N", "Description": "Nord"}],
    "projects": [{"ProjectNumber": "P1", "Description": "Projekt ett"}],
    "openingbalances": [
        {"FinancialYearDate": "2025-01-01", "Account": 1930, "Balance": "1000"},
        {"FinancialYearDate": "2025-01-01", "Account": 2440, "Balance": "-1000"},
        {"FinancialYearDate": "2025-01-01", "Account": 1510, "Balance": "0"},
    ],
    "vouchers": [
        {"VoucherSeries": "A", "TransactionDate": "2025-01-15", "Description": "Kontorsmaterial", "RegistrationDate": "2025-01-20",
         "VoucherRows": [{"Account": 6110, "Debit": "80", "CostCenter": "N"}, {"Account": 2641, "Debit": "20"},
                         {"Account": 1930, "Credit": "100"}]},
        {"VoucherSeries": "A", "TransactionDate": "2025-02-10", "Description": "Försäljning",
         "VoucherRows": [{"Account": 1930, "Debit": "500", "Project": "P1", "TransactionInformation": "Kund 1"},
                         {"Account": 3001, "Credit": "500", "Project": "P1"}]},
        {"VoucherSeries": "A", "TransactionDate": "2025-02-11", "Description": "Rättelse",
         "VoucherRows": [{"Account": 6110, "Debit": "5"}, {"Account": 6110, "Credit": "5"}]},
    ],
}  # fmt: skip


@pytest.fixture
def mock():
    app = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_SEEDS": []})
    answer = app.test_client().post("/mock/tenants", json={"seed": SMALL})
    assert answer.status_code == 201, answer.get_json()
    return app


def export(app, tenant: str | int, path: str) -> sie.SieDocument:
    http = app.test_client()
    token = http.post("/mock/tokens", json={"tenant": tenant}).json["access_token"]
    answer = http.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data()
    assert answer.mimetype == "application/octet-stream"
    return sie.read(answer.get_data())


def shape(data: bytes) -> list[str]:
    """A file's layout: its labels in order, runs of the same kind of record (and blank lines)
    counted once — what a Fortnox export looks like, whatever the company."""
    kinds = {
        "#SRU": "#KONTO",
        "#UB": "#IB",
        "#TRANS": "#VER",
        "#RTRANS": "#VER",
        "#BTRANS": "#VER",
        "{": "#VER",
        "}": "#VER",
    }
    labels = [
        kinds.get(line.split(" ", 1)[0], line.split(" ", 1)[0]) for line in data.decode("cp437").split("\r\n")
    ]
    return [label for label, _ in groupby(labels)]


def test_the_header_is_in_fortnox_order_and_balances_are_computed(mock):
    document = export(mock, "liten", "/3/sie/4?financialyear=2")
    assert document.program == sie.Program("Fortnox", "3.60.16")
    assert (document.company_name, document.org_number.number, document.chart_type) == (
        "Lilla AB",
        "556677-8899",
        "EUBAS97",
    )
    assert document.address == sie.Address("Ada Ek", "Gatan 1", "12345 Orten", "")
    assert [(y.year, y.start) for y in document.financial_years] == [
        (0, date(2025, 1, 1)),
        (-1, date(2024, 1, 1)),
    ]
    balances = {(b.label, b.account): b.amount for b in document.balances if b.year == 0}
    assert balances == {
        ("#IB", "1510"): 0, ("#UB", "1510"): 0,  # an opening balance was entered, even if zero
        ("#IB", "1930"): 1000, ("#UB", "1930"): 1400,
        ("#IB", "2440"): -1000, ("#UB", "2440"): -1000,
        ("#IB", "2641"): 0, ("#UB", "2641"): 20,
        ("#RES", "3001"): -500, ("#RES", "6110"): 80,  # 6110's correction nets to nothing
    }  # fmt: skip
    periods = {(b.period, b.account, b.objects): b.amount for b in document.period_balances}
    assert periods[("202502", "6110", ())] == 0  # a month with bookings that cancel out
    assert periods[("202501", "6110", ((1, "N"),))] == 80
    assert periods[("202502", "3001", ((6, "P1"),))] == -500
    first, second, _ = document.vouchers
    assert (first.series, first.number, first.registration_date) == ("A", "1", date(2025, 1, 20))
    assert second.rows[0] == sie.Transaction(
        "#TRANS", "1930", ((6, "P1"),), Decimal(500), text="Kund 1", quantity=Decimal(0)
    )
    assert document.objects == (
        sie.DimensionObject(1, "N", "Nord"),
        sie.DimensionObject(6, "P1", "Projekt ett"),
    )


def test_each_type_holds_what_sie_says_it_holds(mock):
    one, two, three, four = (export(mock, "liten", f"/3/sie/{t}?financialyear=2") for t in (1, 2, 3, 4))
    assert (one.period_balances, one.dimensions, one.vouchers) == ((), (), ())
    assert two.period_balances and all(not b.objects for b in two.period_balances) and not two.objects
    assert three.objects and any(b.objects for b in three.period_balances) and not three.vouchers
    assert [(b.label, b.account, b.objects, b.amount) for b in three.object_balances] == [
        ("#OUB", "1930", ((6, "P1"),), Decimal(500))
    ]
    assert len(four.vouchers) == 3 and four.object_balances == ()  # as Fortnox writes type 4
    assert [d.sie_type for d in (one, two, three, four)] == [1, 2, 3, 4]


def test_dates_narrow_the_vouchers_and_bad_requests_are_refused(mock):
    narrowed = export(mock, "liten", "/3/sie/4?financialyear=2&fromdate=2025-02-01&todate=2025-02-10")
    assert [v.text for v in narrowed.vouchers] == ["Försäljning"]
    http = mock.test_client()
    token = http.post("/mock/tokens", json={"tenant": "liten"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get("/3/sie/5", headers=headers).status_code == 400
    assert http.get("/3/sie/4?financialyear=99", headers=headers).status_code == 400


def test_entering_an_opening_balance_moves_the_closing_balance(mock):
    http = mock.test_client()
    token = http.post("/mock/tokens", json={"tenant": "liten"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"Account": {"BalanceBroughtForward": "2500"}}
    account = http.put("/3/accounts/1930?financialyear=2", json=body, headers=headers).get_json()["Account"]
    assert (account["BalanceBroughtForward"], account["BalanceCarriedForward"]) == (2500, 2900)
    balances = {
        (b.label, b.account): b.amount for b in export(mock, "liten", "/3/sie/1?financialyear=2").balances
    }
    assert (balances[("#IB", "1930")], balances[("#UB", "1930")]) == (2500, 2900)


SIE_COMPANY = """\
#FLAGGA 0
#PROGRAM "Kassan" 2.1
#SIETYP 4
#FNR 4711
#FNAMN "Kaféet AB"
#ORGNR 556000-1234
#ADRESS "Bo Ek" "Torget 2" "123 45 Byn" "070-1"
#RAR 0 20250101 20251231
#KONTO 1930 "Bank"
#KONTO 3001 "Försäljning"
#SRU 3001 7410
#KONTO 6110 "Kontorsmateriel"
#DIM 1 "Kostnadsställe"
#OBJEKT 1 "K1" "Kassa 1"
#IB 0 1930 100.00
#VER K 1 20250102 "Dagskassa" 20250103
{
#TRANS 1930 {} 250.00
#TRANS 3001 {1 "K1"} -250.00
}
#VER K 2 20250103 "Rättad" 20250104
{
#BTRANS 6110 {} 10.00
#BTRANS 1930 {} -10.00
}
"""


def test_a_company_is_seeded_from_an_uploaded_sie_file(mock):
    data = SIE_COMPANY.replace("\n", "\r\n").encode("cp437")
    answer = mock.test_client().post("/mock/tenants", data={"file": (io.BytesIO(data), "Kaféet 2025.se")})
    assert answer.status_code == 201, answer.get_json()
    assert (answer.json["id"], answer.json["name"]) == (4711, "kaf-et-2025")  # #FNR, and the file's name
    assert answer.json["credentials"]["client_id"] == "demo-client"
    document = export(mock, 4711, "/3/sie/4?financialyear=1")
    assert document.company_name == "Kaféet AB" and document.org_number.number == "556000-1234"
    assert document.address == sie.Address("Bo Ek", "Torget 2", "123 45 Byn", "070-1")
    assert [(a.number, a.name, a.sru) for a in document.accounts] == [
        ("1930", "Bank", ()), ("3001", "Försäljning", ("7410",)), ("6110", "Kontorsmateriel", ()),
    ]  # fmt: skip
    assert document.objects == (sie.DimensionObject(1, "K1", "Kassa 1"),)
    balances = {(b.label, b.account): b.amount for b in document.balances}
    assert (balances[("#IB", "1930")], balances[("#UB", "1930")]) == (100, 350)
    kassa, corrected = document.vouchers
    assert (kassa.series, kassa.number, kassa.registration_date) == ("K", "1", date(2025, 1, 3))
    assert kassa.rows[1].objects == ((1, "K1"),)
    assert [r.amount for r in corrected.rows] == [10, -10, -10, 10]  # removed rows and their reversal


def test_a_sie_file_with_errors_seeds_nothing_and_says_where(mock):
    broken = SIE_COMPANY.replace('#TRANS 3001 {1 "K1"} -250.00', '#TRANS 3001 {1 "K1"} -200.00')
    data = broken.replace("\n", "\r\n").encode("cp437")
    answer = mock.test_client().post("/mock/tenants", data={"file": (io.BytesIO(data), "trasig.se")})
    assert answer.status_code == 400
    assert "line 16" in answer.json["error"] and "does not balance" in answer.json["error"]
    assert mock.test_client().get("/mock/tenants").json["tenants"] == [
        {"id": 1000001, "name": "liten", "company": "Lilla AB"}
    ]


def test_serve_seeds_from_a_sie_file(tmp_path):
    path = tmp_path / "Kaféet.se"
    path.write_bytes(SIE_COMPANY.replace("\n", "\r\n").encode("cp437"))
    app = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_SEEDS": [str(path)]})
    assert [v.text for v in export(app, "kaf-et", "/3/sie/4").vouchers] == ["Dagskassa", "Rättad"]


def _year_zero(document: sie.SieDocument) -> sie.SieDocument:
    """What an export of the current year can say again: not when it was written, and nothing
    of the year before, whose vouchers the file does not hold."""
    booked = tuple(
        v._replace(rows=tuple(r._replace(label="#TRANS", signature="") for r in v.booked_rows))
        for v in document.vouchers
    )
    return replace(
        document,
        generated=None,
        financial_years=tuple(y for y in document.financial_years if y.year == 0),
        balances=tuple(b for b in document.balances if b.year == 0),
        period_balances=tuple(b for b in document.period_balances if b.year == 0),
        vouchers=booked,
    )


@pytest.mark.parametrize("name", FORTNOX_FILES)
def test_a_company_seeded_from_a_fortnox_export_exports_the_same_file(shared_ref, name):
    data = (shared_ref / "sie" / name).read_bytes()
    app = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_SEEDS": []})
    answer = app.test_client().post("/mock/tenants", data={"file": (io.BytesIO(data), name)})
    assert answer.status_code == 201, answer.get_json()
    exported = sie.to_bytes(export(app, answer.json["id"], "/3/sie/4?financialyear=2"), style=sie.FORTNOX)
    original = sie.read(data)
    assert sie.differences(_year_zero(original), _year_zero(sie.read(exported))) == []
    # Laid out as Fortnox lays it out: the same sections in the same order. The year before
    # has only its opening balances here: its #RES and #PSALDO come from vouchers not in the file.
    ours, theirs = shape(exported), shape(data)
    assert ours[:23] == theirs[:23]
    before = replace(
        original,
        balances=tuple(b for b in original.balances if b.year == 0 or b.label != "#RES"),
        period_balances=tuple(b for b in original.period_balances if b.year == 0),
    )
    assert ours == shape(sie.to_bytes(before, style=sie.FORTNOX))


def test_header_order_matches_the_real_fortnox_file(mock, shared_ref):
    real = (shared_ref / "sie" / "keyholder_Fortnox3.60_Bygg_4434ver.se").read_bytes()
    ours = sie.to_bytes(export(mock, "liten", "/3/sie/4?financialyear=2"), style=sie.FORTNOX)
    assert shape(ours)[:16] == shape(real)[:16] == [
        "#FLAGGA", "#FORMAT", "#SIETYP", "#PROGRAM", "#GEN", "#FNR", "#FNAMN", "#ADRESS", "#RAR", "#ORGNR",
        "#OMFATTN", "#KPTYP", "", "#KONTO", "", "#DIM",
    ]  # fmt: skip
