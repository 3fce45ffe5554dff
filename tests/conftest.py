"""Fixtures shared by every kind of test."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline.service import Bridge
from bridge.util.i18n import use_language
from mockfortnox import create_app

# The suite reads English (the source language); the tests of the Swedish texts choose Swedish
# themselves. Set in the environment too, so that the commands the tests start inherit it.
os.environ["FORTNOX_UI_LANGUAGE"] = "en"
use_language("en")

pytest_plugins = ["pytester"]  # the mock's pytest plugin is tested as its users run it


@pytest.fixture(autouse=True)
def _english_again():
    """A command run in-process chooses its language for the whole process: back to English."""
    yield
    use_language("en")


REPO = Path(__file__).resolve().parent.parent
SHARED_REF = REPO.parent / "shared" / "ref"


@pytest.fixture
def shared_ref() -> Path:
    """The read-only reference corpus (real SIE, e-invoice and Fortnox files) beside the repo."""
    if not SHARED_REF.is_dir():
        pytest.skip(f"reference corpus not found at {SHARED_REF} (it lives outside the repository)")
    return SHARED_REF


@pytest.fixture
def mock_app():
    """A fresh mock with the demo company and no rate limit."""
    return create_app({"MOCK_RATE_LIMIT": "off"})


@pytest.fixture
def mock_http(mock_app):
    return mock_app.test_client()


def token_for(app, tenant: str = "demo", scopes: list[str] | None = None) -> str:
    answer = app.test_client().post("/mock/tokens", json={"tenant": tenant, "scopes": scopes or []})
    return answer.json["access_token"]


@pytest.fixture
def demo_token(mock_app) -> str:
    return token_for(mock_app)


@pytest.fixture
def api(mock_app, demo_token):
    """Our Fortnox client talking to the in-process mock through httpx's WSGI transport."""
    client = FortnoxClient(
        "http://mock", StaticToken(demo_token), transport=httpx.WSGITransport(app=mock_app)
    )
    yield client
    client.close()


@pytest.fixture
def make_bridge(tmp_path, mock_app, demo_token):
    """Bridges on the in-process mock (the demo company) in `tmp_path`, closed after the test.

    Settings come as `environ` or as keywords (`series="B"` is FORTNOX_SERIES).
    """
    bridges: list[Bridge] = []

    def make(
        transport: httpx.BaseTransport | None = None, environ: dict[str, str] | None = None, **settings: str
    ) -> Bridge:
        environ = {**(environ or {}), **{f"FORTNOX_{k.upper()}": str(v) for k, v in settings.items()}}
        client = FortnoxClient(
            "http://mock", StaticToken(demo_token), transport=transport or httpx.WSGITransport(app=mock_app)
        )
        bridge = Bridge(load_settings(tmp_path, environ=environ), {"default": client})
        bridges.append(bridge)
        return bridge

    yield make
    for bridge in bridges:
        bridge.close()


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite golden files from current output (review the diff!).",
    )


def pytest_collection_modifyitems(items):
    for item in items:  # `make golden` (pytest -m golden --update-golden) rewrites them all
        if "golden" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.golden)


@pytest.fixture
def golden(request):
    """Compare text with a golden file; `pytest --update-golden` rewrites it for review."""

    def check(path: Path, actual: str) -> None:
        if request.config.getoption("--update-golden") or not path.exists():
            path.write_text(actual, encoding="utf-8")
            if not request.config.getoption("--update-golden"):
                pytest.fail(f"golden file {path.name} did not exist; written now — review and commit it")
        assert actual == path.read_text(encoding="utf-8"), f"output differs from {path}"

    return check


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the session (tests/pgserver.py); skips saying what to install."""
    from tests.pgserver import TemporaryPostgres, unavailable

    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.database()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request) -> str:
    """`ledger.url` for a test that holds on both databases: "" (SQLite in the state folder, the
    default) and a fresh PostgreSQL database (skipped, saying what to install, without one)."""
    return "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
