"""Fortnox's OAuth endpoints from the bridge's side: the consent link, the code exchange, the
service account's token, and which refusals need a person."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bridge.fortnox import ConnectionRefused, FortnoxError, FortnoxUnreachable, OAuth
from bridge.fortnox.oauth import FORTNOX_OAUTH, oauth_base_for
from tests.unit.connect.conftest import REDIRECT, give_consent


def test_the_consent_link_carries_what_fortnox_asks_for(oauth):
    link = oauth.authorize_url(redirect_uri=REDIRECT, scopes=["bookkeeping", "invoice"], state="s1")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://mock/oauth-v1/auth"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "client_id": "demo-client",
        "redirect_uri": REDIRECT,
        "scope": "bookkeeping invoice",
        "state": "s1",
        "access_type": "offline",
        "response_type": "code",
        "account_type": "service",
    }
    personal = oauth.authorize_url(redirect_uri=REDIRECT, scopes=["invoice"], state="s", service=False)
    assert "account_type" not in personal


def test_the_oauth_base_follows_the_api(oauth):
    assert oauth_base_for("https://api.fortnox.se") == FORTNOX_OAUTH
    assert oauth_base_for("http://127.0.0.1:9000") == "http://127.0.0.1:9000/oauth-v1"
    assert (
        oauth_base_for("https://api.fortnox.se", "https://proxy.example/oauth/")
        == "https://proxy.example/oauth"
    )


def test_a_code_becomes_tokens_with_the_same_redirect_uri(mock, oauth):
    link = oauth.authorize_url(redirect_uri=REDIRECT, scopes=["companyinformation", "invoice"], state="s2")
    answer = give_consent(mock, link, tenant_id=123456)
    assert answer["state"] == "s2"
    tokens = oauth.exchange_code(answer["code"], REDIRECT)
    assert tokens.scopes == ("companyinformation", "invoice")
    assert tokens.refresh_token and tokens.expires_at - tokens.issued_at == 3600
    with pytest.raises(ConnectionRefused) as used:
        oauth.exchange_code(answer["code"], REDIRECT)  # a code works once
    assert used.value.problem == "consent" and "invalid_grant" in str(used.value)


def test_a_refresh_token_rotates_and_the_old_one_is_refused(oauth, mock):
    link = oauth.authorize_url(redirect_uri=REDIRECT, scopes=["invoice"], state="s", service=False)
    first = oauth.exchange_code(give_consent(mock, link)["code"], REDIRECT)
    second = oauth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(ConnectionRefused) as reused:
        oauth.refresh(first.refresh_token)
    assert reused.value.problem == "consent" and not reused.value.transient


def test_a_wrong_secret_is_the_secrets_problem(mock):
    wrong = OAuth("http://mock/oauth-v1", "demo-client", "wrong", transport=httpx.WSGITransport(app=mock))
    with pytest.raises(ConnectionRefused) as refused:
        wrong.client_credentials("123456")
    assert refused.value.problem == "secret" and refused.value.status == 401
    assert "invalid_client" in str(refused.value)


def test_a_service_account_gets_its_token_by_tenant_id(oauth):
    tokens = oauth.client_credentials("123456")
    assert tokens.access_token and tokens.refresh_token is None and "bookkeeping" in tokens.scopes
    with pytest.raises(ConnectionRefused) as unknown:
        oauth.client_credentials("999")
    assert unknown.value.problem == "consent"


def test_an_outage_at_the_token_endpoint_is_transient():
    def down(request):
        raise httpx.ConnectError("refused")

    def busy(request):
        return httpx.Response(503, text="Service Unavailable")

    for handler, kind in ((down, FortnoxUnreachable), (busy, FortnoxError)):
        oauth = OAuth("https://apps.example/oauth-v1", "c", "s", transport=httpx.MockTransport(handler))
        with pytest.raises(kind) as caught:
            oauth.client_credentials("1")
        assert caught.value.transient and not isinstance(caught.value, ConnectionRefused)


def test_revoke_answers_whether_a_token_was_revoked(mock, oauth):
    link = oauth.authorize_url(redirect_uri=REDIRECT, scopes=["invoice"], state="s", service=False)
    tokens = oauth.exchange_code(give_consent(mock, link)["code"], REDIRECT)
    assert oauth.revoke(tokens.refresh_token) is True
    assert oauth.revoke(tokens.refresh_token) is False
