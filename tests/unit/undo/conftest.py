"""A bridge on the in-process mock (the demo company), for undoing what it sent."""

from __future__ import annotations

import httpx
import pytest

from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline.service import Bridge


@pytest.fixture
def make_bridge(tmp_path, mock_app, demo_token):
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


@pytest.fixture
def bridge(make_bridge):
    return make_bridge()
