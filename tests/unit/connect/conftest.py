"""Walking the mock's consent page the way a browser does, for tests of the bridge's side:
log in (as Fortnox asks a user to), pick the company, approve; the approval form's one-time
token and the login's cookie travel as a browser carries them."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from bridge.fortnox import OAuth
from mockfortnox import create_app

REDIRECT = "http://127.0.0.1/callback"  # what the demo client registered
ADMIN = ("anna@demobolaget.example", "fortnox")  # the demo company's system administrator
BUREAU_USER = {  # sees every company of the tests and administers them
    "username": "britt@byran.example",
    "password": "byråns-lösen",
    "name": "Britt Byrå",
    "sysadmin": True,
}


class _Form(HTMLParser):
    """The consent form's fields as a browser would submit them (hidden inputs, checked radios)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag != "input" or not a.get("name"):
            return
        if a.get("type") == "radio":
            self.radios.setdefault(a["name"], []).append(a.get("value", ""))
            if "checked" in a:
                self.fields[a["name"]] = a.get("value", "")
        elif a.get("type") in ("hidden", "text", None):
            self.fields[a["name"]] = a.get("value", "")


def _submit(get, post, authorize_url: str, tenant_id, decision: str, login: tuple[str, str]) -> str:
    """Open the consent page (logging in first when asked), pick the company, press the
    button; answers where the browser is sent."""
    action = authorize_url.split("?", 1)[0]
    page = get(authorize_url)
    assert page.status_code == 200, page.text
    form = _Form()
    form.feed(page.text)
    if "username" in form.fields:
        page = post(action, {**form.fields, "username": login[0], "password": login[1]})
        assert page.status_code == 200, page.text
        form = _Form()
        form.feed(page.text)
    fields = dict(form.fields)
    if tenant_id is not None:
        fields["tenant"] = str(tenant_id)
    answer = post(action, {**fields, "decision": decision})
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def give_consent(
    app, authorize_url: str, tenant_id: int | None = None, decision: str = "allow", login=ADMIN
) -> dict:
    """The consent on the in-process mock; answers the redirect's query."""
    http = app.test_client()

    class Page:
        def __init__(self, response):
            self.status_code, self.text, self.headers = (
                response.status_code,
                response.get_data(as_text=True),
                response.headers,
            )

    parts = urlsplit(authorize_url)
    location = _submit(
        lambda url: Page(http.get(parts.path, query_string=parts.query)),
        lambda url, data: Page(http.post(parts.path, data=data)),
        authorize_url,
        tenant_id,
        decision,
        login,
    )
    return dict(parse_qsl(urlsplit(location).query))


def consent_over_http(
    authorize_url: str, tenant_id: int | None = None, decision: str = "allow", login=None
) -> str:
    """The consent on a mock served on loopback, as a browser without JavaScript gives it (with
    a cookie jar); answers the address Fortnox sends the browser to (not followed)."""
    login = login or (BUREAU_USER["username"], BUREAU_USER["password"])
    with httpx.Client() as http:
        return _submit(
            http.get, lambda url, data: http.post(url, data=data), authorize_url, tenant_id, decision, login
        )


@pytest.fixture
def mock():
    return create_app({"MOCK_RATE_LIMIT": "off"})


@pytest.fixture
def oauth(mock):
    client = OAuth(
        "http://mock/oauth-v1", "demo-client", "demo-secret", transport=httpx.WSGITransport(app=mock)
    )
    yield client
    client.close()
