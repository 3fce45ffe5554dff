"""`export masterdata`: every register as CSV and JSON, and a changes file a mirror can apply."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bridge.exporters.masterdata import export_masterdata
from bridge.exporters.registers import REGISTERS
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.util import loads
from tests.conftest import token_for

GOLDEN = Path(__file__).resolve().parents[3] / "fixtures" / "exports" / "masterdata"


class Counting(httpx.BaseTransport):
    """The mock behind a transport that remembers every path asked for."""

    def __init__(self, app) -> None:
        self.inner = httpx.WSGITransport(app=app)
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)


@pytest.fixture
def counted(mock_app, demo_token):
    transport = Counting(mock_app)
    client = FortnoxClient("http://mock", StaticToken(demo_token), transport=transport)
    yield client, transport
    client.close()


@pytest.fixture
def rates_of_30_november(api):
    """The demo company's currency rates carry the day they were seeded; give them a fixed one."""
    for code in ("EUR", "SEK", "USD"):
        api.put(f"/3/currencies/{code}", {"Currency": {"Date": "2026-11-30"}})


def test_every_register_as_csv_and_json(api, tmp_path, golden, rates_of_30_november):
    result = export_masterdata(api, "demo", tmp_path / "outbox", tmp_path / ".bridge")
    assert not result.skipped
    assert set(result.counts) == {r.name for r in REGISTERS}
    for register in REGISTERS:
        for suffix in ("csv", "json"):
            written = (result.folder / f"{register.name}.{suffix}").read_text(encoding="utf-8")
            golden(GOLDEN / f"{register.name}.{suffix}", written)
    assert not list(result.folder.glob(".*"))  # no temporaries left behind


def test_money_is_exact_in_json_and_csv(api, tmp_path, rates_of_30_november):
    api.put(
        "/3/currencies/EUR", {"Currency": {"BuyRate": "11.2345", "SellRate": "11.40", "Date": "2026-12-01"}}
    )
    result = export_masterdata(
        api, "demo", tmp_path / "outbox", tmp_path / ".bridge", registers=["currencies"]
    )
    euro = next(
        c for c in loads((result.folder / "currencies.json").read_text())["records"] if c["Code"] == "EUR"
    )
    assert (euro["BuyRate"], euro["SellRate"], euro["Date"]) == (
        Decimal("11.2345"),
        Decimal("11.4"),
        "2026-12-01",
    )
    assert "EUR;Euro;11.2345;11.4;1;" in (result.folder / "currencies.csv").read_text(encoding="utf-8")


def test_the_changes_file_after_edits_through_the_api(counted, mock_http, tmp_path):
    client, transport = counted
    outbox, state = tmp_path / "outbox", tmp_path / ".bridge"
    mock_http.post("/mock/clock", json={"advance": 600})  # the company was seeded ten minutes ago
    first_time = datetime.now().astimezone() + timedelta(minutes=10)
    first = export_masterdata(client, "demo", outbox, state, now=first_time)
    assert first.since is None
    everything = loads(first.changes_path.read_text())["registers"]
    assert len(everything["accounts"]["added"]) == 132 and everything["suppliers"]["changed"] == []

    mock_http.post("/mock/clock", json={"advance": 600})  # and ten minutes after the first export:
    client.put("/3/suppliers/1", {"Supplier": {"BG": "5050-1063", "ClearingNumber": "8327"}})
    client.delete("/3/costcenters/STHLM")
    client.post("/3/projects", {"Project": {"ProjectNumber": "200", "Description": "Nybygget"}})
    transport.paths.clear()
    second = export_masterdata(client, "demo", outbox, state, now=first_time + timedelta(minutes=10))

    assert second.since == first_time.isoformat(timespec="seconds")
    document = loads(second.changes_path.read_text())
    assert document["since"] == second.since
    assert set(document["registers"]) == {"suppliers", "costcenters", "projects"}
    assert document["registers"]["suppliers"] == {
        "added": [],
        "changed": [
            {
                "key": {"SupplierNumber": "1"},
                "fields": {
                    "BG": {"before": "5050-1055", "after": "5050-1063"},
                    "ClearingNumber": {"before": "", "after": "8327"},
                },
            }
        ],
        "removed": [],
    }
    assert document["registers"]["costcenters"]["removed"] == [{"key": {"Code": "STHLM"}}]
    [project] = document["registers"]["projects"]["added"]
    assert (project["ProjectNumber"], project["Description"]) == ("200", "Nybygget")
    # Only what Fortnox says changed is read one by one: supplier 1, no customer.
    assert [p for p in transport.paths if p.startswith(("/3/suppliers/", "/3/customers/"))] == [
        "/3/suppliers/1"
    ]
    assert "8327" in (second.folder / "suppliers.csv").read_text(encoding="utf-8")

    third = export_masterdata(client, "demo", outbox, state, now=first_time + timedelta(minutes=20))
    assert third.changes_path is None and not any(third.changes.values())


def test_full_reads_every_record_again(counted, tmp_path):
    client, transport = counted
    export_masterdata(client, "demo", tmp_path / "outbox", tmp_path / ".bridge", registers=["suppliers"])
    transport.paths.clear()
    again = export_masterdata(
        client, "demo", tmp_path / "outbox", tmp_path / ".bridge", registers=["suppliers"], full=True
    )
    assert sorted(p for p in transport.paths if p.startswith("/3/suppliers/")) == [
        "/3/suppliers/1",
        "/3/suppliers/2",
    ]
    assert again.since is None and again.changes_path is None


def test_a_register_the_company_does_not_let_us_read_is_skipped_and_named(mock_app, tmp_path):
    token = token_for(mock_app, scopes=["bookkeeping", "supplier", "customer", "article", "costcenter",
                                        "project", "currency"])  # fmt: skip
    client = FortnoxClient("http://mock", StaticToken(token), transport=httpx.WSGITransport(app=mock_app))
    result = export_masterdata(client, "demo", tmp_path / "outbox", tmp_path / ".bridge")
    assert set(result.skipped) == {"predefinedaccounts", "termsofpayments"}
    assert result.skipped["termsofpayments"] == "Har inte behörighet för scope"
    assert not (result.folder / "termsofpayments.csv").exists() and (result.folder / "suppliers.csv").exists()


def test_watch_exports_master_data_on_its_schedule(api, tmp_path):
    from bridge.config import load_settings
    from bridge.pipeline.service import Bridge

    settings = load_settings(tmp_path, environ={"FORTNOX_EXPORTS_MASTERDATA_EVERY_MINUTES": "60"})
    bridge = Bridge(settings, {"default": api})
    try:
        assert bridge.run_scheduled("default") == pytest.approx(3600, abs=5)  # what `watch` runs
        assert bridge.run_scheduled("default") == pytest.approx(3600, abs=5)  # the next one is an hour away
    finally:
        bridge.close()
    folder = tmp_path / "outbox" / "exports" / "masterdata" / "default"
    assert len(list(folder.glob("changes-*.json"))) == 1 and (folder / "suppliers.csv").exists()
