"""Fortnox's side of OAuth, played strictly: what each rule refuses, with Fortnox's answer."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

from mockfortnox import create_app
from tests.unit.mock.conftest import Fortnox
from tests.unit.mock.test_mock_auth import (
    ADMIN,
    CALLBACK,
    QUERY,
    exchange,
    hidden_fields,
    open_consent_page,
    press,
)

APP2 = {"client_id": "app2", "client_secret": "s2", "name": "Lönekoll", "redirect_uris": [CALLBACK]}


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def redirect_query(answer) -> dict:
    assert answer.status_code == 302, answer.data
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def service_token(fortnox, client_id: str = "app2", secret: str = "s2"):
    return fortnox.http.post(
        "/oauth-v1/token",
        data={"grant_type": "client_credentials"},
        headers={**basic(client_id, secret), "TenantId": "123456"},
    )


def test_a_service_token_carries_only_the_scopes_the_administrator_consented_to(fortnox):
    fortnox.control("POST", "/mock/seed", {"clients": [APP2]})
    query = {**QUERY, "client_id": "app2", "scope": "invoice customer", "account_type": "service"}
    redirect_query(press(fortnox, open_consent_page(fortnox, query), tenant="123456"))
    answer = service_token(fortnox)
    assert answer.status_code == 200 and answer.get_json()["scope"] == "invoice customer"
    token = answer.get_json()["access_token"]
    assert fortnox.get("/3/customers", token=token).status == 200
    fortnox.get("/3/vouchers", token=token).expect_error(403, 2000663, "Har inte behörighet för scope")


def test_the_rate_limit_counts_per_integration_and_company_not_per_token():
    driver = Fortnox(create_app({"MOCK_RATE_LIMIT": "3/60s"}), "")
    first, second = (
        service_token(driver, "demo-client", "demo-secret").get_json()["access_token"] for _ in "12"
    )
    for _ in range(3):
        assert driver.get("/3/customers", token=first).status == 200
    # A fresh token of the same integration for the same company does not buy a fresh window.
    driver.get("/3/customers", token=second).expect_error(
        429, 2999429, "För många anrop. Försök igen om en stund."
    )
    other = driver.control("POST", "/mock/tenants", {"name": "klient2"}).body  # another company: its own
    answer = driver.http.post(
        "/oauth-v1/token",
        data={"grant_type": "client_credentials"},
        headers={**basic("demo-client", "demo-secret"), "TenantId": str(other["id"])},
    )
    assert driver.get("/3/customers", token=answer.get_json()["access_token"]).status == 200
    # A tester's token from the control API counts on its own: looking never eats the window.
    assert driver.get("/3/customers", token=driver.new_token()).status == 200


def test_a_client_without_a_registered_redirect_uri_cannot_use_the_code_flow(fortnox):
    fortnox.control("POST", "/mock/seed", {"clients": [{**APP2, "redirect_uris": []}]})
    page = fortnox.http.get("/oauth-v1/auth", query_string={**QUERY, "client_id": "app2"})
    assert page.status_code == 400 and b"ingen registrerad redirect_uri" in page.data


def test_the_code_exchange_repeats_the_redirect_uri_exactly(fortnox):
    for sent in ("http://127.0.0.1/callback/", "http://127.0.0.1/other", ""):
        code = redirect_query(press(fortnox, open_consent_page(fortnox, QUERY), tenant="123456"))["code"]
        refused = exchange(fortnox, code, sent)
        assert (refused.status_code, json.loads(refused.data)) == (
            400,
            {"error": "invalid_grant", "error_description": "Invalid redirect_uri"},
        )
    code = redirect_query(press(fortnox, open_consent_page(fortnox, QUERY), tenant="123456"))["code"]
    assert exchange(fortnox, code, CALLBACK).status_code == 200


def test_only_a_system_administrator_can_consent_to_a_service_account(fortnox):
    fortnox.control("POST", "/mock/seed", {"clients": [APP2]})
    clerk = {"username": "olle@demobolaget.example", "password": "olles", "tenants": ["demo"]}
    assert fortnox.control("POST", "/mock/users", clerk).status == 201
    query = {**QUERY, "client_id": "app2", "account_type": "service", "state": "s-1"}
    page = open_consent_page(fortnox, query, ("olle@demobolaget.example", "olles"))
    assert redirect_query(press(fortnox, page, tenant="123456")) == {
        "error": "access_denied",
        "error_description": "Only a system administrator can approve a service account",
        "state": "s-1",
    }
    refused = service_token(fortnox)
    assert json.loads(refused.data)["error"] == "unauthorized_client"  # no consent was made
    fortnox.http.delete_cookie("fortnox_login", path="/oauth-v1")  # the administrator logs in instead
    redirect_query(press(fortnox, open_consent_page(fortnox, query, ADMIN), tenant="123456"))
    assert service_token(fortnox).status_code == 200


def test_the_consent_page_names_the_application_and_the_scopes(fortnox):
    fortnox.control("POST", "/mock/seed", {"clients": [APP2]})
    page = open_consent_page(fortnox, {**QUERY, "client_id": "app2", "scope": "invoice supplierinvoice"})
    assert b"L\xc3\xb6nekoll" in page.data  # the application's name, not only its id
    assert b"<code>invoice</code>" in page.data and b"<code>supplierinvoice</code>" in page.data


def test_the_consent_form_must_come_back_with_its_one_time_token(fortnox):
    page = open_consent_page(fortnox, QUERY)
    fields = hidden_fields(page.data)
    assert fields["consent_token"]
    forged = {k: v for k, v in fields.items() if k != "consent_token"}  # a form another site made
    answer = fortnox.http.post("/oauth-v1/auth", data={**forged, "decision": "allow", "tenant": "123456"})
    assert answer.status_code == 403 and b"Formul\xc3\xa4ret \xc3\xa4r ogiltigt" in answer.data
    assert redirect_query(press(fortnox, page, tenant="123456"))["code"]
    reused = press(fortnox, page, tenant="123456")  # the same form a second time
    assert reused.status_code == 403


def test_the_login_refuses_a_wrong_password(fortnox):
    page = fortnox.http.get("/oauth-v1/auth", query_string=QUERY)
    assert b'id="username"' in page.data
    answer = fortnox.http.post(
        "/oauth-v1/auth", data={**hidden_fields(page.data), "username": ADMIN[0], "password": "gissning"}
    )
    assert answer.status_code == 401 and b"Fel e-postadress eller l\xc3\xb6senord" in answer.data


def test_state_comes_back_unchanged(fortnox):
    odd = "a b&c=d/é?#ö+%20"
    answer = press(fortnox, open_consent_page(fortnox, {**QUERY, "state": odd}), tenant="123456")
    assert redirect_query(answer)["state"] == odd
    refused = press(fortnox, open_consent_page(fortnox, {**QUERY, "state": odd}), "deny")
    assert redirect_query(refused) == {"error": "access_denied", "state": odd}


def test_the_state_never_shows_passwords(fortnox):
    fortnox.control(
        "POST", "/mock/users", {"username": "olle", "password": "hemligt-lösen", "tenants": ["demo"]}
    )
    text = fortnox.http.get("/mock/state").get_data(as_text=True)
    assert "hemligt" not in text and '"username":"olle"' in text
