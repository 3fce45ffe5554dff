"""`connect` against a mock Fortnox on loopback: the link, the consent, the code exchange, the
company found and written into bridge.toml, and everything that must refuse to connect."""

import re
import socket
import threading

import httpx
import pytest

from bridge.config import ConfigError, load_settings
from bridge.connect import ConnectFailed, connect, logout, token_store
from mockfortnox import create_app
from mockfortnox.server import MockServer
from tests.unit.connect.conftest import BUREAU_USER, consent_over_http

SECRET = {"FORTNOX_CLIENT_SECRET": "bridge-secret"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fortnox():
    """A mock with two companies and the bridge's integration, served on loopback."""
    server = MockServer(create_app({"MOCK_RATE_LIMIT": "off"})).start()
    port = free_port()
    server.redirect_uri = f"http://127.0.0.1:{port}/callback"
    http = httpx.Client(base_url=server.url)
    http.post(
        "/mock/seed",
        json={
            "clients": [
                {
                    "client_id": "bridge-app",
                    "client_secret": "bridge-secret",
                    "name": "fortnox-bridge",
                    "redirect_uris": [server.redirect_uri, "http://127.0.0.1/paste"],
                    "service_accounts": True,
                }
            ]
        },
    ).raise_for_status()
    bygg = http.post("/mock/tenants", json={"name": "bygg"}).json()
    server.bygg_id = bygg["id"]
    # A bureau user who sees both companies (a mock without users lets anyone in: no matter)
    http.post("/mock/users", json={**BUREAU_USER, "tenants": ["demo", "bygg"]})
    yield server
    http.close()
    server.stop()


def settings_for(workdir, fortnox, text="", redirect="http://127.0.0.1/paste", more=""):
    (workdir / "bridge.toml").write_text(
        f'# our bridge\n[fortnox]\nurl = "{fortnox.url}"\nclient_id = "bridge-app"\n'
        f'redirect_uri = "{redirect}"\n{more}' + text,
        encoding="utf-8",
    )
    return load_settings(workdir, environ=SECRET)


class Person:
    """Someone who opens the printed link, approves (or not), and pastes the address they end on."""

    def __init__(self, tenant_id=None, decision="allow", tamper=None):
        self.said: list[str] = []
        self.tenant_id, self.decision, self.tamper = tenant_id, decision, tamper

    @property
    def printed(self) -> str:
        return "\n".join(self.said)

    def say(self, text: str) -> None:
        self.said.append(text)

    def paste(self) -> str:
        link = re.search(r"(http://\S+/oauth-v1/auth\?\S+)", self.printed)[1]
        address = consent_over_http(link, self.tenant_id, self.decision)
        return self.tamper(address) if self.tamper else address


def test_a_bureau_connects_the_company_it_picks_and_bridge_toml_records_it(tmp_path, fortnox):
    settings = settings_for(tmp_path, fortnox)
    person = Person(tenant_id=fortnox.bygg_id)
    connected = connect(settings, "bygg", paste=person.paste, say=person.say)
    c = connected.connection
    assert (c.tenant, c.tenant_id, c.kind) == ("bygg", str(fortnox.bygg_id), "service")
    assert connected.check.state == "connected" and connected.check.blocked == ()
    text = (tmp_path / "bridge.toml").read_text()
    assert text.startswith("# our bridge\n[fortnox]\n")
    assert f'[tenants.bygg.fortnox]\ntenant_id = "{fortnox.bygg_id}"\n' in text
    assert 'organisation_number = "559900-0006"' in text
    printed = person.printed
    assert "system administrator" in printed and "send it to the company's Fortnox administrator" in printed
    assert "account_type=service" in printed and "invoice" in printed
    stored = token_store(settings).load("bygg")
    assert stored.kind == "service" and stored.refresh_token == "" and stored.access_token == ""


def test_the_loopback_receiver_takes_the_answer_and_tells_the_browser(tmp_path, fortnox):
    settings = settings_for(tmp_path, fortnox, redirect=fortnox.redirect_uri)
    said, pages = [], []

    def browser():
        while not said:
            threading.Event().wait(0.05)
        link = re.search(r"(http://\S+/oauth-v1/auth\?\S+)", said[0])[1]
        pages.append(httpx.get(consent_over_http(link, fortnox.bygg_id), timeout=30))

    person = threading.Thread(target=browser)
    person.start()
    connected = connect(settings, "bygg", say=said.append, open_browser=lambda link: None)
    person.join(30)
    assert connected.connection.tenant_id == str(fortnox.bygg_id)
    assert pages[0].status_code == 200 and "is connected to fortnox-bridge" in pages[0].text


def test_a_personal_consent_keeps_the_users_refresh_token(tmp_path, fortnox):
    settings = settings_for(tmp_path, fortnox)
    person = Person(tenant_id=fortnox.bygg_id)
    connected = connect(settings, "bygg", personal=True, paste=person.paste, say=person.say)
    stored = token_store(settings).load("bygg")
    assert stored.kind == "personal" and stored.refresh_token and stored.access_token
    assert "account_type" not in person.printed
    assert connected.check.state == "connected"


def test_an_answer_with_another_state_changes_nothing(tmp_path, fortnox):
    settings = settings_for(tmp_path, fortnox)
    person = Person(tamper=lambda address: re.sub(r"state=[^&]+", "state=forged", address))
    with pytest.raises(ConnectFailed, match="state differs"):
        connect(settings, "bygg", paste=person.paste, say=person.say)
    assert "tenants" not in (tmp_path / "bridge.toml").read_text()
    assert token_store(settings).load("bygg") is None


def test_a_refused_consent_changes_nothing(tmp_path, fortnox):
    settings = settings_for(tmp_path, fortnox)
    person = Person(decision="deny")
    with pytest.raises(ConnectFailed, match="access_denied"):
        connect(settings, "bygg", paste=person.paste, say=person.say)
    assert "tenants" not in (tmp_path / "bridge.toml").read_text()


def test_reconnecting_a_company_to_another_company_is_refused(tmp_path, fortnox):
    settings = settings_for(tmp_path, fortnox, '[tenants.bygg.fortnox]\ntenant_id = "123456"\n')
    person = Person(tenant_id=fortnox.bygg_id)
    with pytest.raises(ConnectFailed, match="pick that company on Fortnox's page"):
        connect(settings, "bygg", paste=person.paste, say=person.say)
    assert 'tenant_id = "123456"\n' in (tmp_path / "bridge.toml").read_text()


def test_one_company_cannot_be_two_folders(tmp_path, fortnox):
    settings = settings_for(tmp_path, fortnox, f'[tenants.acme.fortnox]\ntenant_id = "{fortnox.bygg_id}"\n')
    person = Person(tenant_id=fortnox.bygg_id)
    with pytest.raises(ConnectFailed, match="already connected as 'acme'"):
        connect(settings, "bygg", paste=person.paste, say=person.say)


def test_without_a_secret_connect_says_where_to_put_it(tmp_path, fortnox):
    settings_for(tmp_path, fortnox)
    with pytest.raises(ConfigError, match=r"fortnox.client_secret \(env FORTNOX_CLIENT_SECRET\)"):
        connect(load_settings(tmp_path, environ={}), "bygg", paste=lambda: "")


def test_a_bridge_serving_one_connected_company_is_not_split_silently(tmp_path, fortnox):
    settings = settings_for(tmp_path, fortnox, more='tenant_id = "123456"\n')
    with pytest.raises(ConfigError, match=r"move it into a \[tenants.NAME\] table"):
        connect(settings, "bygg", paste=lambda: "")


def test_logout_revokes_a_personal_consent_and_forgets_the_company(tmp_path, fortnox):
    settings = settings_for(tmp_path, fortnox)
    person = Person(tenant_id=fortnox.bygg_id)
    connect(settings, "bygg", personal=True, paste=person.paste, say=person.say)
    refresh = token_store(settings).load("bygg").refresh_token
    settings = load_settings(tmp_path, environ=SECRET)
    said = []
    assert logout(settings, "bygg", say=said.append)
    assert said == ["Revoked bygg's personal consent at Fortnox."]
    assert token_store(settings).load("bygg") is None
    assert "tenant_id" not in (tmp_path / "bridge.toml").read_text()
    answer = httpx.post(
        f"{fortnox.url}/oauth-v1/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=("bridge-app", "bridge-secret"),
    )
    assert answer.status_code == 400
