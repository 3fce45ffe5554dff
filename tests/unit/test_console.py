"""The console's rules, through Flask's test client over a real ledger: who may start it where,
the login, the CSRF token, the language, what a file page says, and that no page shows a secret.
(The pages in a real browser: tests/browser/test_console.py.)"""

from __future__ import annotations

import re

import httpx
import pytest

from bridge.config import load_settings
from bridge.console import ConsoleError, ConsoleServer, hash_password
from bridge.console.work import Work
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.model import Problem
from bridge.pipeline import Bridge, FileState
from tests.e2e.processes import wait_until

SECRET = "integrationens-hemlighet"
PASSWORD = "rätt lösen"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FETCH = {"X-Requested-With": "fetch"}


def _bridge(tmp_path, **environ) -> Bridge:
    toml = '[fortnox]\nurl = "http://127.0.0.1:9"\nclient_id = "app"\n[tenants.acme]\n[tenants.bygg]\n'
    (tmp_path / "bridge.toml").write_text(toml, encoding="utf-8")
    settings = load_settings(tmp_path, environ={"FORTNOX_CLIENT_SECRET": SECRET, **environ})
    return Bridge(settings)


@pytest.fixture
def bridge(tmp_path):
    with _bridge(tmp_path) as opened:
        yield opened


def _client(bridge: Bridge, host: str = "127.0.0.1"):
    server = ConsoleServer(bridge, host, 0)
    try:
        return server.app.test_client()
    finally:
        server.stop()


def _token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page)[1].decode()


def test_off_the_loopback_address_the_console_refuses_to_start_without_a_login(bridge):
    with pytest.raises(ConsoleError, match=r"console\.password_hash"):
        ConsoleServer(bridge, "0.0.0.0", 0)


def test_a_password_in_the_settings_instead_of_its_hash_is_refused(tmp_path):
    with (
        _bridge(tmp_path, FORTNOX_CONSOLE_PASSWORD_HASH=PASSWORD) as bridge,
        pytest.raises(ConsoleError, match="not a password hash"),
    ):
        ConsoleServer(bridge, "127.0.0.1", 0)


def test_with_a_password_every_page_but_the_login_and_the_callback_asks_for_it(tmp_path):
    with _bridge(tmp_path, FORTNOX_CONSOLE_PASSWORD_HASH=hash_password(PASSWORD)) as bridge:
        client = _client(bridge, "0.0.0.0")
        assert client.get("/").status_code == 302
        assert client.get("/companies/rows", headers={"X-Requested-With": "fetch"}).status_code == 401
        assert client.get("/connect/callback?state=x&code=y").status_code == 400  # open, but unknown
        login = client.get("/login")
        wrong = client.post("/login", data={"password": "fel", "csrf_token": _token(login.data)})
        assert wrong.status_code == 401
        right = client.post("/login", data={"password": PASSWORD, "csrf_token": _token(login.data)})
        assert right.status_code == 302
        page = client.get("/")
        assert page.status_code == 200 and b"acme" in page.data
        cookie = right.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie


def test_a_post_without_the_token_of_this_session_is_refused(bridge):
    client = _client(bridge)
    page = client.get("/exports")
    assert client.post("/exports", data={"kind": "sie", "tenant": "acme"}).status_code == 400
    refused = client.post("/exports", data={"kind": "sie", "tenant": "acme", "csrf_token": "gissat"})
    assert refused.status_code == 400
    assert "säkerhetstoken saknas".encode() in refused.data
    other = _client(bridge)  # another browser's token is no good here either
    other.get("/exports")
    assert other.post("/exports", data={"csrf_token": _token(page.data)}).status_code == 400


def test_swedish_unless_the_reader_chooses_english(bridge):
    client = _client(bridge)
    assert "Företag".encode() in client.get("/").data
    assert b"Companies" in client.get("/?lang=en").data
    assert b"Companies" in client.get("/").data  # the choice stays with the session


def test_a_not_connected_company_and_no_secret_on_any_page(bridge):
    bridge.ledger.record_access("bygg", "not connected", [], None)
    client = _client(bridge)
    pages = [client.get(path).data for path in ("/", "/companies/acme", "/companies/bygg", "/exports")]
    assert b'data-state="not connected"' in pages[0]
    assert all(SECRET.encode() not in page for page in pages)


def test_a_failed_file_page_says_what_is_wrong_and_offers_retry(bridge):
    file_id = bridge.ledger.add_file("acme", "fel.csv", "0" * 64, 10, None, origin="fel.csv")
    problem = Problem(
        "kolumnen Antal saknas", line=1, field="Antal", hint="lägg till kolumnen", code="csv.column"
    )
    bridge.ledger.fail_file(file_id, "csv", {}, [problem], problem.message)
    client = _client(bridge)
    page = client.get(f"/files/{file_id}").data.decode()
    assert "Misslyckades" in page and "kolumnen Antal saknas" in page and "lägg till kolumnen" in page
    assert "Försök igen" in page
    assert 'id="file-fel' not in page  # a file page, not the company's table
    assert client.get("/files/999").status_code == 404


def test_an_export_is_downloaded_from_the_exports_folder_only(bridge):
    folder = bridge.settings.outbox / "exports"
    folder.mkdir(parents=True)
    (folder / "5560000001_2026_SIE4.se").write_text("#FLAGGA 0\n", encoding="cp437")
    (bridge.settings.workdir / "bridge.toml").touch()
    client = _client(bridge)
    assert b"5560000001_2026_SIE4.se" in client.get("/exports").data
    assert client.get("/exports/files/5560000001_2026_SIE4.se").data == b"#FLAGGA 0\n"
    assert client.get("/exports/files/../../bridge.toml").status_code == 404


def test_the_time_left_is_at_fortnoxs_limit_until_a_pace_is_measured(bridge, monkeypatch):
    counts = {"queued": 100, "done": 0}
    monkeypatch.setattr(bridge, "document_counts", lambda file_id: dict(counts))
    now = [1000.0]
    work = Work(bridge, clock=lambda: now[0])
    first = work.pace(7)
    assert (first.through, first.total, first.measured) == (0, 100, False)
    assert first.seconds_left == 100 / 5  # Fortnox's 25 calls in 5 seconds, a call a document at least
    counts.update(queued=80, done=20)
    now[0] += 10
    second = work.pace(7)
    assert (second.through, second.documents_per_second, second.measured) == (20, 2.0, True)
    assert second.seconds_left == 40.0
    counts.update(queued=0, done=100)
    assert work.pace(7).seconds_left == 0.0


def test_a_file_being_sent_shows_how_far_it_is_and_the_time_left(tmp_path):
    (tmp_path / "kvitto.pdf").write_bytes(PDF)
    with Bridge(load_settings(tmp_path, environ={})) as bridge:
        taken = bridge.take(tmp_path / "kvitto.pdf", "default", copy=True)
        assert taken is not None and taken.state == FileState.QUEUED
        page = _client(bridge).get(f"/files/{taken.id}").data.decode()
    assert "0 av 1 dokument" in page and "I kö" in page
    assert "min kvar med Fortnox gräns" in page  # nothing measured yet


def test_retry_in_the_console_alone_sends_on_its_own_thread(tmp_path, mock_app, demo_token):
    """Without `watch` in the process, the console sends the retried file itself."""
    control = httpx.Client(transport=httpx.WSGITransport(app=mock_app), base_url="http://mock")
    control.patch("/mock/tenants/demo", json={"locked_period": "2026-03-31"}).raise_for_status()
    client = FortnoxClient(
        "http://mock", StaticToken(demo_token), transport=httpx.WSGITransport(app=mock_app)
    )
    journal = tmp_path / "V-3.csv"
    journal.write_text(
        "Date,VoucherId,Account,Amount,Description\n"
        "2026-03-15,V-3,6110,500.00,Kontorsmaterial\n2026-03-15,V-3,1930,-500.00,Kontorsmaterial\n",
        encoding="utf-8",
    )
    with Bridge(load_settings(tmp_path, environ={}), {"default": client}) as bridge:
        [failed] = bridge.process([journal])
        assert failed.state == FileState.FAILED
        control.patch("/mock/tenants/demo", json={"locked_period": None}).raise_for_status()
        web = _client(bridge)
        token = _token(web.get(f"/files/{failed.id}").data)
        answer = web.post(f"/files/{failed.id}/retry", data={"csrf_token": token}, headers=FETCH)
        assert answer.status_code == 202 and "skickas igen" in answer.data.decode()
        wait_until(lambda: bridge.file(failed.id).state == FileState.DONE, 30, what="the retried file")
        assert "Klar" in web.get(f"/files/{failed.id}/state").data.decode()


def test_the_password_hash_is_made_by_the_command_and_the_password_never_kept(tmp_path):
    from click.testing import CliRunner
    from werkzeug.security import check_password_hash

    from bridge.cli import main

    answer = CliRunner().invoke(
        main, ["--workdir", str(tmp_path), "console", "--hash-password"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert answer.exit_code == 0, answer.output
    made = answer.stdout.strip().splitlines()[-1]
    assert check_password_hash(made, PASSWORD) and PASSWORD not in made


def test_after_the_login_the_console_goes_to_its_own_pages_only(tmp_path):
    with _bridge(tmp_path, FORTNOX_CONSOLE_PASSWORD_HASH=hash_password(PASSWORD)) as bridge:
        client = _client(bridge, "0.0.0.0")
        for target, lands in (("/exports", "/exports"), ("//evil.example/", "/"), ("/\\evil.example", "/")):
            client.post("/logout", data={"csrf_token": _token(client.get("/login").data)})
            token = _token(client.get("/login").data)
            answer = client.post(
                "/login", query_string={"next": target}, data={"password": PASSWORD, "csrf_token": token}
            )
            assert answer.headers["Location"] == lands
