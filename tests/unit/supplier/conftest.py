"""A bridge on the in-process mock, with the demo company as the buyer of the fixtures."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline.service import Bridge

BUYER_ORG = "559123-4561"  # the buyer in fixtures/einvoice/*.xml


@pytest.fixture
def company(mock_http) -> Callable[[str], None]:
    """Give the demo company another organisation number."""

    def set_org(org_number: str) -> None:
        answer = mock_http.patch("/mock/tenants/demo", json={"company": {"OrganizationNumber": org_number}})
        assert answer.status_code == 200, answer.get_data(as_text=True)

    set_org(BUYER_ORG)
    return set_org


@pytest.fixture
def make_bridge(tmp_path, mock_app, demo_token, company):
    bridges: list[Bridge] = []

    def make(transport: httpx.BaseTransport | None = None, **settings: str) -> Bridge:
        environ = {f"FORTNOX_{k.upper()}": str(v) for k, v in settings.items()}
        client = FortnoxClient(
            "http://mock", StaticToken(demo_token), transport=transport or httpx.WSGITransport(app=mock_app)
        )
        bridge = Bridge(load_settings(tmp_path, environ=environ), {"default": client})
        bridges.append(bridge)
        return bridge

    yield make
    for bridge in bridges:
        bridge.close()
