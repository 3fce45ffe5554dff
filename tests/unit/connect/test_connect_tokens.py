"""Tokens: the private store, the single-use refresh token rotated one at a time, and the
service account's token for a company connected while the bridge runs."""

import stat
import threading
import time

import httpx
import pytest

from bridge.fortnox import (
    ClientCredentials,
    CompanyTokens,
    Connection,
    ConnectionRefused,
    FortnoxClient,
    OAuth,
    PersonalToken,
    StaticToken,
    TokenStore,
)
from bridge.fortnox.auth import LOOK_AGAIN_SECONDS
from bridge.util import dumps


def personal_connection(mock, tenant="bygg", **changes) -> Connection:
    """A personal consent as `connect --personal` leaves it, its access token already spent."""
    answer = mock.test_client().post("/mock/tokens", json={"tenant": "demo", "refresh": True}).json
    base = Connection(
        tenant=tenant,
        tenant_id="123456",
        kind="personal",
        scopes=tuple(answer["scope"].split()),
        access_token=answer["access_token"],
        access_expires_at=int(time.time()) - 1,
        refresh_token=answer["refresh_token"],
        refresh_expires_at=int(time.time()) + 86400,
    )
    return Connection(**{**base.to_json(), **changes, "scopes": base.scopes})


def refreshes_at(mock) -> int:
    log = mock.test_client().get("/mock/requests?path=/oauth-v1/token").json["requests"]
    return len(log)


def test_the_store_is_private_and_replaced_whole(tmp_path):
    store = TokenStore(tmp_path / "connections")
    store.save(Connection("bygg", "42", "personal", refresh_token="r1"))
    store.save(Connection("bygg", "42", "personal", refresh_token="r2"))
    assert stat.S_IMODE((tmp_path / "connections").stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path("bygg").stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "connections").iterdir()] == ["bygg.json"]
    assert store.load("bygg").refresh_token == "r2"
    assert "r2" not in repr(store.load("bygg"))  # tokens stay out of logs and tracebacks


def test_a_spent_access_token_is_renewed_and_the_new_refresh_token_stored_first(tmp_path, mock, oauth):
    store = TokenStore(tmp_path)
    old = personal_connection(mock)
    store.save(old)
    tokens = PersonalToken(oauth, store, "bygg")
    token = tokens.access_token()
    stored = store.load("bygg")
    assert token == stored.access_token != old.access_token
    assert stored.refresh_token != old.refresh_token and tokens.refreshes == 1
    assert tokens.access_token() == token  # good for an hour: no second refresh


def test_a_token_that_cannot_be_stored_is_never_used(tmp_path, mock, oauth, monkeypatch):
    store = TokenStore(tmp_path)
    store.save(personal_connection(mock))

    def disk_full(connection):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "save", disk_full)
    with pytest.raises(OSError):
        PersonalToken(oauth, store, "bygg").access_token()


def test_many_threads_with_their_own_token_objects_make_one_refresh(tmp_path, mock, oauth):
    store = TokenStore(tmp_path)
    store.save(personal_connection(mock))
    mock.test_client().post("/mock/faults", json={"rules": [{"path": "/oauth-v1/token", "latency_ms": 300}]})
    mock.test_client().delete("/mock/requests")
    results, start = [], threading.Barrier(6)

    def use():
        start.wait()
        results.append(PersonalToken(oauth, store, "bygg").access_token())

    threads = [threading.Thread(target=use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 6
    assert refreshes_at(mock) == 1


def test_a_refresh_that_lost_a_race_reads_the_winners_token(tmp_path, mock):
    """An older bridge refreshed without the lock between our read and our refresh."""
    store = TokenStore(tmp_path)
    store.save(personal_connection(mock))
    transport = httpx.WSGITransport(app=mock)
    winner = OAuth("http://mock/oauth-v1", "demo-client", "demo-secret", transport=transport)

    class Late(OAuth):
        def refresh(self, refresh_token):
            theirs = store.load("bygg").with_tokens(winner.refresh(refresh_token))
            store.save(theirs)
            return super().refresh(refresh_token)  # single use: refused now

    late = Late("http://mock/oauth-v1", "demo-client", "demo-secret", transport=transport)
    token = PersonalToken(late, store, "bygg").access_token()
    assert token == store.load("bygg").access_token


def test_an_expired_refresh_token_needs_a_reconnect_without_asking_fortnox(tmp_path, mock, oauth):
    store = TokenStore(tmp_path)
    store.save(personal_connection(mock, refresh_expires_at=int(time.time()) - 1))
    mock.test_client().delete("/mock/requests")
    with pytest.raises(ConnectionRefused) as refused:
        PersonalToken(oauth, store, "bygg").access_token()
    assert refused.value.problem == "consent" and "45 days" in str(refused.value)
    assert refreshes_at(mock) == 0


def test_no_stored_consent_is_not_connected(tmp_path, oauth):
    with pytest.raises(ConnectionRefused) as refused:
        PersonalToken(oauth, TokenStore(tmp_path), "bygg").access_token()
    assert refused.value.problem == "not_connected"


def test_a_service_account_waits_for_its_tenant_id(oauth):
    tenant_id = {"value": ""}
    tokens = ClientCredentials(oauth, lambda: tenant_id["value"], tenant="bygg")
    with pytest.raises(ConnectionRefused) as refused:
        tokens.access_token()
    assert refused.value.problem == "not_connected" and "bygg" in str(refused.value)
    tenant_id["value"] = "123456"
    assert tokens.access_token() and "invoice" in tokens.scopes


def test_a_fresh_token_refused_too_means_the_consent_is_gone():
    client = FortnoxClient(
        "https://api.example", StaticToken("t"), transport=httpx.MockTransport(lambda r: httpx.Response(401))
    )
    with pytest.raises(ConnectionRefused) as refused:
        client.get("/3/invoices")
    assert refused.value.problem == "consent"


def test_a_missing_licence_or_scope_names_the_scope_of_the_path(mock):
    mock.test_client().patch("/mock/tenants/demo", json={"licences": ["customer", "companyinformation"]})
    token = mock.test_client().post("/mock/tokens", json={"tenant": "demo", "scopes": ["customer"]}).json
    client = FortnoxClient(
        "http://mock", StaticToken(token["access_token"]), transport=httpx.WSGITransport(app=mock)
    )
    with pytest.raises(ConnectionRefused) as licence:
        client.get("/3/supplierinvoices")
    assert (licence.value.problem, licence.value.scope, licence.value.code) == (
        "licence",
        "supplierinvoice",
        2001101,
    )
    with pytest.raises(ConnectionRefused) as scope:
        client.get("/3/companyinformation")
    assert (scope.value.problem, scope.value.scope) == ("scope", "companyinformation")
    assert not scope.value.whole_company


def test_a_connect_written_by_another_process_is_used_within_a_second(tmp_path, mock, oauth):
    store = TokenStore(tmp_path)
    store.save(Connection("bygg", "123456", "service"))
    tokens = CompanyTokens(oauth, store, "bygg")
    assert tokens.kind == "service"
    consent = personal_connection(mock)  # written as another process writes it: not through this store
    store.path("bygg").write_text(dumps(consent.to_json()))
    assert tokens.kind == "service"  # the file is not looked at on every call
    time.sleep(LOOK_AGAIN_SECONDS)
    assert tokens.kind == "personal" and tokens.access_token()


def test_a_companys_tokens_follow_a_connect_made_by_another_process(tmp_path, mock, oauth):
    store = TokenStore(tmp_path)
    tokens = CompanyTokens(oauth, store, "bygg")
    with pytest.raises(ConnectionRefused, match="bygg is not connected"):
        tokens.access_token()
    store.save(Connection("bygg", "123456", "service"))  # `connect` ran meanwhile
    assert tokens.access_token() and tokens.kind == "service"
    store.save(personal_connection(mock))  # and again, for a personal consent
    assert tokens.kind == "personal" and tokens.access_token() == store.load("bygg").access_token
