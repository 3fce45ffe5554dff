"""Replay: every request recorded against the real Fortnox is sent to the mock, and the mock's
answer must have the same status, the same envelope (top-level keys), the same keys in its
records and list rows, and the same value types. Values themselves differ (other data).

The mock company is set up to hold what the recorded sandbox held (customers 1 and 2 in New
York, article 101, invoices 1 and 18, two projects …). Secrets in the recordings were replaced
by placeholders; those are swapped for live credentials of the mock.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from bridge.util import loads
from mockfortnox import create_app

SHARED_REF = Path(__file__).resolve().parents[2].parent / "shared" / "ref"
CASSETTES = SHARED_REF / "fortnox" / "responses" / "accodeing-fortnox-api"

SANDBOX = {
    "clients": [{"client_id": "replay", "client_secret": "replay-secret"}],
    "tenants": [
        {
            "name": "sandbox",
            "id": 555001,
            "company": {"CompanyName": "Sandbox AB"},
            "licences": [
                "article",
                "customer",
                "invoice",
                "order",
                "payment",
                "project",
                "settings",
                "bookkeeping",
            ],
            "financialyears": [{"FromDate": "2023-01-01", "ToDate": "2023-12-31"}],
            "voucherseries": [
                {"Code": "B", "Description": "Kundfakturor"},
                {"Code": "C", "Description": "Inbetalningar"},
            ],
            "accounts": [
                {"Number": n, "Description": f"Konto {n}"} for n in (1510, 1930, 2611, 3001, 3004, 3740)
            ],
            "customers": [
                {"CustomerNumber": "1", "Name": "Updated name", "City": "New York", "ZipCode": "10001"},
                {"CustomerNumber": "2", "Name": "Test customer", "City": "New York"},
                {"CustomerNumber": "3", "Name": "Customer with Swedish country code", "CountryCode": "SE"},
            ],
            "articles": [
                {"ArticleNumber": "1", "Description": "Test article", "EAN": "5901234123457"},
                {"ArticleNumber": "101", "Description": "Hammer", "VAT": 0},
            ],
            "termsofpayments": [
                {"Code": "30", "Description": "30 dagar"},
                {"Code": "0", "Description": "0 dagar"},
            ],
            "units": [{"Code": "st", "CodeEnglish": "pcs", "Description": "styck"}],
            "projects": [
                {"ProjectNumber": "1", "Description": "Some important project"},
                {"ProjectNumber": "2", "Description": "Some important project"},
            ],
            "invoices": [
                {
                    "DocumentNumber": "1",
                    "CustomerNumber": "1",
                    "InvoiceDate": "2023-01-27",
                    "Comments": "Updated comments",
                },
                {
                    "DocumentNumber": "18",
                    "CustomerNumber": "1",
                    "InvoiceDate": "2023-01-27",
                    "Comments": "A value",
                },
                {
                    "DocumentNumber": "32",
                    "CustomerNumber": "1",
                    "InvoiceDate": "2023-01-30",
                    "InvoiceRows": [{"ArticleNumber": "101", "DeliveredQuantity": "1", "Price": 100}],
                },
            ],
        }
    ],
}


def cassettes() -> list[Path]:
    return sorted(CASSETTES.rglob("*.yml")) if CASSETTES.is_dir() else []


def kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal)):
        return "number"
    return {str: "string", dict: "object", list: "array"}[type(value)]


def compare(recorded: object, mocked: object, where: str, problems: list[str]) -> None:
    """Same keys in every object, same value kinds; lists compare their first element.
    A null on one side is accepted where the other side is null-or-X for data reasons only
    when listed in DATA_DEPENDENT_NULLS."""
    if isinstance(recorded, dict) and isinstance(mocked, dict):
        if set(recorded) != set(mocked):
            problems.append(f"{where}: keys differ: only recorded {sorted(set(recorded) - set(mocked))}, "
                            f"only mock {sorted(set(mocked) - set(recorded))}")  # fmt: skip
        for key in set(recorded) & set(mocked):
            compare(recorded[key], mocked[key], f"{where}.{key}", problems)
        return
    if isinstance(recorded, list) and isinstance(mocked, list):
        if recorded and mocked:
            compare(recorded[0], mocked[0], f"{where}[0]", problems)
        return
    pair = (kind(recorded), kind(mocked))
    if pair[0] != pair[1] and where.rsplit(".", 1)[-1] not in DATA_DEPENDENT_NULLS:
        problems.append(f"{where}: recorded {pair[0]}, mock {pair[1]}")


# Fields that are null or a value depending on the record's data, not on the resource: the
# recorded record happened to have one, the mock's record the other.
DATA_DEPENDENT_NULLS = frozenset(
    {"VAT", "Unit", "StockPlace", "SalesPrice", "EAN", "Address1", "Address2", "City", "ZipCode",
     "CountryCode", "SalesAccount", "EndDate", "StartDate", "ProjectLeader", "ContactPerson",
     "VoucherNumber", "VoucherSeries", "VoucherYear", "FinalPayDate", "Manufacturer"}
)  # fmt: skip


@pytest.fixture
def sandbox():
    return create_app({"MOCK_RATE_LIMIT": "off", "MOCK_SEEDS": [SANDBOX]})


def prepare(app, name: str) -> dict:
    """Live stand-ins for the recording's placeholders, plus what that recording presupposes."""
    http = app.test_client()
    state = app.extensions["mockfortnox"]
    token = http.post("/mock/tokens", json={"tenant": "sandbox", "refresh": True, "client_id": "replay"}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    if name == "invoices/filter_hit.yml":  # a fully paid invoice
        http.put("/3/invoices/32/bookkeep", headers=headers)
        payment = {"InvoicePayment": {"InvoiceNumber": 32, "Amount": 100, "PaymentDate": "2023-01-30"}}
        number = http.post("/3/invoicepayments", json=payment, headers=headers).json["InvoicePayment"][
            "Number"
        ]
        http.put(f"/3/invoicepayments/{number}/bookkeep", headers=headers)
    refresh = token["refresh_token"]
    if name == "authentication/invalid_refresh_token.yml":
        http.post("/oauth-v1/token", data={"grant_type": "refresh_token", "refresh_token": refresh},
                  headers={"Authorization": basic("replay", "replay-secret")})  # fmt: skip  # used up
    bearer = headers["Authorization"]
    if name == "authentication/expired_token.yml":
        state.clock.advance(3601)
    return {"<ACCESS_TOKEN>": token["access_token"], "<REFRESH_TOKEN>": refresh, "<AUTHORIZATION>": bearer}


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.mark.parametrize("cassette", cassettes(), ids=lambda p: str(p.relative_to(CASSETTES)))
def test_the_mock_answers_like_the_recording(cassette: Path, sandbox):
    if not CASSETTES.is_dir():
        pytest.skip(f"recordings not found at {CASSETTES} (they live outside the repository)")
    name = str(cassette.relative_to(CASSETTES))
    live = prepare(sandbox, name)
    interaction = yaml.safe_load(cassette.read_text(encoding="utf-8"))["http_interactions"][0]
    request, recorded = interaction["request"], interaction["response"]
    url = urlsplit(request["uri"])
    headers = {}
    authorization = (request["headers"].get("Authorization") or [""])[0]
    if url.path.startswith("/oauth-v1/"):
        good = name != "authentication/invalid_authorization.yml"
        headers["Authorization"] = basic("replay", "replay-secret" if good else "wrong")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif authorization:
        headers["Authorization"] = live["<AUTHORIZATION>"]
    body = request["body"]["string"] or None
    for placeholder, value in live.items():
        body = body.replace(placeholder, value) if body else body
    answer = sandbox.test_client().open(
        url.path + (f"?{url.query}" if url.query else ""),
        method=request["method"].upper(),
        data=body,
        headers=headers,
    )
    assert answer.status_code == recorded["status"]["code"], answer.get_data(as_text=True)
    if "Location" in recorded["headers"]:
        assert answer.headers["Location"] == recorded["headers"]["Location"][0]
    recorded_type = recorded["headers"]["Content-Type"][0].split(";")[0]
    assert answer.headers["Content-Type"].split(";")[0] == recorded_type
    expected, got = loads(recorded["body"]["string"]), loads(answer.get_data())
    assert list(got) == list(expected)  # the envelope, MetaInformation first
    problems: list[str] = []
    compare(expected, got, "", problems)
    assert not problems, "\n".join(problems)
