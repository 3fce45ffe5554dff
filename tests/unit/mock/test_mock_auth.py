"""OAuth, tokens, scopes, licences and tenant isolation, with Fortnox's exact answers."""

from __future__ import annotations

import base64
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

BASIC = {"Authorization": "Basic " + base64.b64encode(b"demo-client:demo-secret").decode()}


def token_request(fortnox, form: dict, headers: dict | None = None):
    return fortnox.http.post("/oauth-v1/token", data=form, headers={**BASIC, **(headers or {})})


ADMIN = ("anna@demobolaget.example", "fortnox")  # the demo company's own administrator
CALLBACK = "http://127.0.0.1/callback"  # what the demo client registered
QUERY = {
    "client_id": "demo-client",
    "response_type": "code",
    "state": "xyz",
    "scope": "bookkeeping invoice",
    "redirect_uri": CALLBACK,
    "access_type": "offline",
}


def hidden_fields(html: bytes) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html.decode())
    return {name: unescape(value) for name, value in found}  # as a browser reads the page


def open_consent_page(fortnox, query: dict, login: tuple[str, str] = ADMIN):
    """Open the link as a browser does and log in when asked; answers the consent page."""
    page = fortnox.http.get("/oauth-v1/auth", query_string=query)
    if b'id="username"' in page.data:
        form = {**hidden_fields(page.data), "username": login[0], "password": login[1]}
        page = fortnox.http.post("/oauth-v1/auth", data=form)
    return page


def press(fortnox, page, decision: str = "allow", **fields):
    """Press a button of the consent page: its form, as shown, plus what the user picked."""
    return fortnox.http.post(
        "/oauth-v1/auth", data={**hidden_fields(page.data), "decision": decision, **fields}
    )


def consent(fortnox, login: tuple[str, str] = ADMIN, **params) -> dict:
    """Walk the consent page as a user who clicks Godkänn; answers the redirect's query."""
    page = open_consent_page(fortnox, {**QUERY, **params}, login)
    assert page.status_code == 200 and b"Demobolaget i Sverige AB" in page.data
    answer = press(fortnox, page, tenant="123456")
    assert answer.status_code == 302, answer.data
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def exchange(fortnox, code: str, redirect_uri: str = CALLBACK):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return token_request(fortnox, form)


def test_a_bad_or_missing_token_is_401_unauthorized(fortnox):
    assert fortnox.get("/3/customers", token="nonsense").status == 401
    assert fortnox.get("/3/customers", token="nonsense").body == {"message": "unauthorized"}
    assert fortnox.http.get("/3/customers").get_json() == {"message": "unauthorized"}


def test_an_access_token_lives_one_hour(fortnox):
    fortnox.control("POST", "/mock/clock", {"freeze": True})
    token = fortnox.new_token()
    fortnox.control("POST", "/mock/clock", {"advance": 3599})
    assert fortnox.get("/3/customers", token=token).status == 200
    fortnox.control("POST", "/mock/clock", {"advance": 1})
    answer = fortnox.get("/3/customers", token=token)
    assert (answer.status, answer.body) == (401, {"message": "unauthorized"})


def test_a_missing_scope_is_403_2000663(fortnox):
    token = fortnox.new_token(scopes=["customer"])
    assert fortnox.get("/3/customers", token=token).status == 200
    fortnox.get("/3/invoices", token=token).expect_error(403, 2000663, "Har inte behörighet för scope")


def test_missing_licences_are_2001101_and_2001103(fortnox):
    fortnox.control("PATCH", "/mock/tenants/demo", {"licences": ["customer", "invoice"]})
    fortnox.get("/3/vouchers").expect_error(403, 2001101, "Det finns ingen aktiv licens för önskat scope")
    fortnox.control("PATCH", "/mock/tenants/demo", {"api_licence": False})
    fortnox.get("/3/customers").expect_error(403, 2001103, "Api-licens saknas.")


def test_legacy_credentials_are_refused(fortnox):
    answer = fortnox.http.get("/3/customers", headers={"Access-Token": "x", "Client-Secret": "y"})
    assert answer.status_code == 401
    assert answer.get_json()["ErrorInformation"]["code"] == 2000311


def test_tenants_are_isolated(fortnox):
    other = fortnox.control("POST", "/mock/tenants", {"name": "other"}).body
    fortnox.post("/3/customers", {"Customer": {"Name": "Only in demo", "CustomerNumber": "777"}})
    other_token = fortnox.new_token("other")
    fortnox.get("/3/customers/777", token=other_token).expect_error(404, 2000433, "Kan inte hitta kunden.")
    company = fortnox.get("/3/companyinformation", token=other_token).body["CompanyInformation"]
    assert company["DatabaseNumber"] == other["id"] != 123456


def test_client_credentials_for_a_service_account(fortnox):
    answer = token_request(fortnox, {"grant_type": "client_credentials"}, {"TenantId": "123456"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert list(body) == ["access_token", "expires_in", "token_type", "scope"]
    assert fortnox.get("/3/companyinformation", token=body["access_token"]).status == 200
    bad = fortnox.http.post(
        "/oauth-v1/token",
        data={"grant_type": "client_credentials"},
        headers={
            "Authorization": "Basic " + base64.b64encode(b"demo-client:wrong").decode(),
            "TenantId": "123456",
        },
    )
    assert (bad.status_code, json.loads(bad.data)) == (
        401,
        {"error": "invalid_client", "error_description": "The client credentials are invalid"},
    )


def test_the_consent_flow_gives_a_single_use_code_and_rotating_refresh_tokens(fortnox):
    redirect = consent(fortnox)
    assert redirect["state"] == "xyz"
    form = {
        "grant_type": "authorization_code",
        "code": redirect["code"],
        "redirect_uri": "http://127.0.0.1/callback",
    }
    first = token_request(fortnox, form)
    assert first.status_code == 200
    tokens = first.get_json()
    assert tokens["scope"] == "bookkeeping invoice" and "refresh_token" in tokens
    again = token_request(fortnox, form)
    assert (again.status_code, json.loads(again.data)["error"]) == (400, "invalid_grant")
    refreshed = token_request(
        fortnox, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200 and refreshed.get_json()["refresh_token"] != tokens["refresh_token"]
    reused = token_request(fortnox, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 400
    assert json.loads(reused.data) == {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    assert reused.headers["Content-Type"].startswith("text/html")  # as recorded


def test_an_authorization_code_lives_ten_minutes(fortnox):
    fortnox.control("POST", "/mock/clock", {"freeze": True})
    code = consent(fortnox)["code"]
    fortnox.control("POST", "/mock/clock", {"advance": 601})
    answer = exchange(fortnox, code)
    assert json.loads(answer.data)["error"] == "invalid_grant"


def test_a_refresh_token_lives_45_days(fortnox):
    fortnox.control("POST", "/mock/clock", {"freeze": True})
    code = consent(fortnox)["code"]
    refresh = exchange(fortnox, code).get_json()["refresh_token"]
    fortnox.control("POST", "/mock/clock", {"advance": 45 * 86400})
    assert (
        token_request(fortnox, {"grant_type": "refresh_token", "refresh_token": refresh}).status_code == 400
    )


def test_without_offline_access_there_is_no_refresh_token(fortnox):
    code = consent(fortnox, access_type="")["code"]
    assert "refresh_token" not in exchange(fortnox, code).get_json()


def test_consent_checks_the_redirect_uri_and_the_user_can_refuse(fortnox):
    page = fortnox.http.get(
        "/oauth-v1/auth",
        query_string={
            "client_id": "demo-client",
            "response_type": "code",
            "state": "s",
            "scope": "invoice",
            "redirect_uri": "http://evil.example/",
        },
    )
    assert page.status_code == 400 and b"redirect_uri" in page.data
    query = {"client_id": "demo-client", "response_type": "code", "state": "s", "scope": "invoice"}
    refused = press(fortnox, open_consent_page(fortnox, query), "deny")
    assert "error=access_denied" in refused.headers["Location"] and "state=s" in refused.headers["Location"]


def test_a_bureau_user_picks_one_of_several_companies(fortnox):
    other = fortnox.control("POST", "/mock/tenants", {"name": "klient2"}).body
    query = {"client_id": "demo-client", "response_type": "code", "state": "s", "scope": "companyinformation"}
    page = open_consent_page(fortnox, query)
    assert page.data.count(b'name="tenant"') == 2
    answer = press(fortnox, page, tenant=str(other["id"]))
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = token_request(fortnox, {"grant_type": "authorization_code", "code": code}).get_json()[
        "access_token"
    ]
    assert (
        fortnox.get("/3/companyinformation", token=token).body["CompanyInformation"]["DatabaseNumber"]
        == other["id"]
    )


def test_revoke(fortnox):
    tokens = exchange(fortnox, consent(fortnox)["code"]).get_json()
    answer = fortnox.http.post(
        "/oauth-v1/revoke",
        data={"token_type_hint": "refresh_token", "token": tokens["refresh_token"]},
        headers=BASIC,
    )
    assert answer.get_json() == {"revoked": True}
    assert (
        token_request(
            fortnox, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        ).status_code
        == 400
    )


@pytest.mark.parametrize("path", ["/3/nosuchthing", "/3/customers/1001/nosuchaction"])
def test_unknown_routes_answer_in_the_fortnox_envelope(fortnox, path):
    fortnox.get(path).expect_error(404, 2999404, "Resursen finns inte.")
