"""Walking the mock's consent page the way a browser does, for tests of the bridge's side."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from bridge.fortnox import OAuth
from mockfortnox import create_app

REDIRECT = "http://127.0.0.1/callback"  # what the demo client registered


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


def _submit(get, post, authorize_url: str, tenant_id, decision: str) -> str:
    """Open the consent page, pick the company, press the button; answers where it redirects."""
    page = get(authorize_url)
    assert page.status_code == 200, page.text
    form = _Form()
    form.feed(page.text)
    fields = dict(form.fields)
    if tenant_id is not None:
        fields["tenant"] = str(tenant_id)
    answer = post(authorize_url.split("?", 1)[0], {**fields, "decision": decision})
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def give_consent(app, authorize_url: str, tenant_id: int | None = None, decision: str = "allow") -> dict:
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
    )
    return dict(parse_qsl(urlsplit(location).query))


def consent_over_http(authorize_url: str, tenant_id: int | None = None, decision: str = "allow") -> str:
    """The consent on a mock served on loopback, as a browser without JavaScript gives it;
    answers the address Fortnox sends the browser to (not followed)."""
    with httpx.Client() as http:
        return _submit(
            http.get, lambda url, data: http.post(url, data=data), authorize_url, tenant_id, decision
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
