"""A bridge on the in-process mock, with helpers to drop files and read Fortnox back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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


def send(bridge: Bridge, source: Path, name: str | None = None, companion: Path | None = None) -> int:
    """Claim a copy of `source` (as `name`), read it, and send what it holds."""
    work = bridge.settings.workdir / "drop"
    work.mkdir(exist_ok=True)
    path = work / (name or source.name)
    path.write_bytes(source.read_bytes())
    file_id = bridge.claim(path, "default", copy=True)
    bridge.ingest(file_id)
    bridge.drain("default", until_blocked=False)
    return file_id


def supplier_invoices(api: FortnoxClient) -> list[dict]:
    """Every supplier invoice, as full records."""
    return [
        api.get(f"/3/supplierinvoices/{row['GivenNumber']}")["SupplierInvoice"]
        for row in api.iter_pages("/3/supplierinvoices", "SupplierInvoices")
    ]


def connections(api: FortnoxClient, given_number: str) -> list[dict]:
    answer = api.get("/3/supplierinvoicefileconnections", supplierinvoicenumber=given_number)
    return answer["SupplierInvoiceFileConnections"]


class DropAnswer(httpx.BaseTransport):
    """Fortnox acts on the matching request, but its answer is lost (a read timeout)."""

    def __init__(self, inner: httpx.BaseTransport, method: str, path: str, drops: int = 1) -> None:
        self.inner, self.method, self.path, self.drops = inner, method, path, drops
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == self.method and request.url.path == self.path:
            self.calls += 1
            if self.drops:
                self.drops -= 1
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return response
