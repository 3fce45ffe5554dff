"""The pytest plugin: a fixture `mockfortnox` that is a running mock Fortnox for the test.

    def test_my_client_lists_customers(mockfortnox):
        client = MyFortnoxClient(mockfortnox.url, token=mockfortnox.token(scopes=["customer"]))
        assert "1001" in [c.number for c in client.customers()]
        assert [r["status"] for r in mockfortnox.requests(path="/3/customers")] == [200]

One server per test session (real HTTP on a free loopback port, so any client in any language
can talk to it); before each test it is reset to its seeds, its faults, request log, clock and
rate-limit windows cleared, so every test starts from the same company.

Settings (`pytest.ini` / `pyproject.toml`): `mockfortnox_seeds` (seed files, JSON or SIE, one
per line; default the demo company), `mockfortnox_rate_limit` (`25/5s` like Fortnox, default
`off`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["MockFortnox"]

SIE_SUFFIXES = (".se", ".si", ".sie")


class MockFortnox:
    """A running mock and what a test does with it, all through its HTTP control API."""

    def __init__(self, url: str, app: Any) -> None:
        self.url = url
        self.app = app  # the Flask app, for in-process use (`app.test_client()`)
        self._http = httpx.Client(base_url=url, timeout=30)

    # --- the company and its credentials ---------------------------------------------------

    def token(self, scopes: list[str] | str | None = None, tenant: str | int = "demo") -> str:
        """A ready access token (one hour), for all the company's scopes or only `scopes`
        (a list, or one string with spaces as OAuth writes them)."""
        if isinstance(scopes, str):
            scopes = scopes.split()
        answer = self._control("POST", "/mock/tokens", json={"tenant": tenant, "scopes": list(scopes or [])})
        return str(answer["access_token"])

    @property
    def credentials(self) -> dict[str, Any]:
        """What a client configured for real Fortnox needs, pointing at this mock: the demo
        company's OAuth client (it may use client credentials: a service account), its tenant
        id, and the token and API addresses."""
        state = self.app.extensions["mockfortnox"]
        client = next(iter(state.clients.values()))
        tenant = state.tenant("demo") or next(iter(state.tenants.values()))
        return {
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "tenant_id": tenant.id,
            "token_url": f"{self.url}/oauth-v1/token",
            "authorize_url": f"{self.url}/oauth-v1/auth",
            "api_url": f"{self.url}/3",
        }

    def seed(self, source: str | Path | dict) -> list[dict]:
        """Add companies: a JSON seed (dict or file) or a SIE file (`.se`/`.si`/`.sie`, one
        company named after the file). Answers the companies added (`id`, `name`)."""
        if isinstance(source, dict):
            return list(self._control("POST", "/mock/seed", json=source)["tenants"])
        path = Path(source)
        if path.suffix.lower() in SIE_SUFFIXES:
            with path.open("rb") as handle:
                answer = self._control("POST", "/mock/tenants", files={"file": (path.name, handle)})
            return [answer]
        return list(self._control("POST", "/mock/seed", content=path.read_bytes())["tenants"])

    # --- what the test arranges and inspects -------------------------------------------------

    def faults(self, *rules: dict, seed: int | None = None) -> list[dict]:
        """Replace the fault rules (`{"path": "/3/invoices", "status": 503, "times": 1}`, see
        docs/mock.md); with none, clear them. Answers the rules in force."""
        if not rules:
            return list(self._control("DELETE", "/mock/faults")["rules"])
        body: dict[str, Any] = {"rules": list(rules)}
        if seed is not None:
            body["seed"] = seed
        return list(self._control("POST", "/mock/faults", json=body)["rules"])

    def requests(self, **filters: Any) -> list[dict]:
        """The exchanges so far, oldest first: `method`, `path` (prefix), `status` (404 or
        "4xx"), `tenant`, `since`, `until`, `after` narrow them."""
        params = {k: str(v) for k, v in filters.items() if v is not None}
        return list(self._control("GET", "/mock/requests", params=params)["requests"])

    def clock(self, *, freeze: bool | str | None = None, advance: float | None = None) -> str:
        """Freeze the mock's clock (now, or at an ISO time) and/or move it; answers its time."""
        body: dict[str, Any] = {}
        if freeze is not None:
            body["freeze"] = freeze
        if advance is not None:
            body["advance"] = advance
        return str(self._control("POST", "/mock/clock", json=body)["now"])

    def reset(self) -> None:
        """Back to the seeds; every token is invalid afterwards. Faults, the log and the clock
        are cleared too."""
        self._control("POST", "/mock/reset")
        self._control("DELETE", "/mock/faults")
        self._control("DELETE", "/mock/requests")
        self._control("POST", "/mock/clock", json={"unfreeze": True})
        limiter = self.app.extensions.get("mockfortnox.limiter")
        if limiter is not None:
            with limiter._lock:
                limiter._hits.clear()

    def _control(self, method: str, path: str, **kwargs: Any) -> dict:
        answer = self._http.request(method, path, **kwargs)
        if answer.status_code >= 400:
            raise AssertionError(f"mockfortnox {method} {path}: {answer.status_code} {answer.text}")
        return dict(answer.json())

    def close(self) -> None:
        self._http.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "mockfortnox_seeds", "seed files for the mockfortnox fixture (JSON or SIE)", type="linelist"
    )
    parser.addini(
        "mockfortnox_rate_limit", "the mock's rate limit: 25/5s like Fortnox, or off", default="off"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mockfortnox: the test uses the mockfortnox fixture")


@pytest.fixture(scope="session")
def _mockfortnox_server(pytestconfig: pytest.Config) -> Iterator[MockFortnox]:
    from mockfortnox.app import create_app
    from mockfortnox.server import MockServer

    root = pytestconfig.rootpath
    seeds = [str(root / s) if not Path(s).is_absolute() and s != "demo" else s
             for s in pytestconfig.getini("mockfortnox_seeds")] or ["demo"]  # fmt: skip
    app = create_app({"MOCK_SEEDS": seeds, "MOCK_RATE_LIMIT": pytestconfig.getini("mockfortnox_rate_limit")})
    server = MockServer(app, "127.0.0.1", 0).start()
    mock = MockFortnox(server.url, app)
    try:
        yield mock
    finally:
        mock.close()
        server.stop()


@pytest.fixture
def mockfortnox(_mockfortnox_server: MockFortnox) -> MockFortnox:
    """A running mock Fortnox, fresh for this test: `.url`, `.token(scopes=…)`,
    `.credentials`, `.seed(file)`, `.faults(...)`, `.requests(...)`, `.clock(...)`."""
    _mockfortnox_server.reset()
    return _mockfortnox_server
