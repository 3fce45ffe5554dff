"""A file reads a register once: one paged list instead of one GET per customer or account,
counted by the mock's request log — and a list that went stale never fails a document."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline import lookups
from bridge.pipeline.service import Bridge

# Six invoices for two customers: 1001 is in the demo company, 7001 is not.
CSV = "Fakturanummer;Kundnummer;Kundnamn;Beskrivning;Antal;À-pris\n" + "".join(
    f"F-{n};{'1001' if n % 2 else '7001'};Kund {n % 2} AB;Konsult;1;100\n" for n in range(6)
)


@pytest.fixture
def bridge(tmp_path, mock_app, demo_token):
    client = FortnoxClient(
        "http://mock", StaticToken(demo_token), transport=httpx.WSGITransport(app=mock_app)
    )
    bridge = Bridge(load_settings(tmp_path, environ={}), {"default": client})
    mock_app.extensions["mockfortnox.requests"].clear()
    yield bridge
    bridge.close()
    client.close()


def send(bridge: Bridge, tmp_path: Path, text: str = CSV) -> str:
    path = tmp_path / "fakturor.csv"
    path.write_text(text, encoding="utf-8")
    (file,) = bridge.process([path], "default", until_blocked=False)
    return str(bridge.file(file.id).state)


def calls(mock_app) -> Counter:
    return Counter(
        f"{e['method']} {e['path']}" for e in mock_app.extensions["mockfortnox.requests"].entries()
    )


def test_the_customers_of_a_file_are_listed_once_and_a_new_one_is_created_once(bridge, tmp_path, mock_app):
    assert send(bridge, tmp_path) == "done"
    assert calls(mock_app) == Counter({"POST /3/invoices": 6, "GET /3/customers": 1, "POST /3/customers": 1})


def test_one_look_up_is_a_look_up_not_a_list(bridge, tmp_path, mock_app):
    one = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nF-1;1001;Konsult;1;100\n"
    assert send(bridge, tmp_path, one) == "done"
    assert calls(mock_app) == Counter({"GET /3/customers/1001": 1, "POST /3/invoices": 1})


def test_more_pages_than_look_ups_means_look_ups(bridge, tmp_path, mock_app, monkeypatch):
    monkeypatch.setattr(lookups, "PAGE", 1)  # the demo company's customers fill a page each
    two = "Fakturanummer;Kundnummer;Kundnamn;Beskrivning;Antal;À-pris\nF-1;7001;Ny AB;Konsult;1;100\n"
    assert send(bridge, tmp_path, two + "F-2;1003;;Konsult;1;100\n") == "done"
    assert calls(mock_app) == Counter(
        {
            "GET /3/customers": 1,  # the first page: more pages than look-ups, so no more
            "GET /3/customers/7001": 1,
            "POST /3/customers": 1,
            "GET /3/customers/1003": 1,
            "POST /3/invoices": 2,
        }
    )


def test_a_customer_created_by_someone_else_after_the_list_was_read_is_found(
    bridge, tmp_path, mock_app, monkeypatch
):
    real_read = lookups.RegisterIndex._read

    def stale(self, register, params):  # the list as it was before someone created 7001
        listing = real_read(self, register, params)
        listing.rows.pop("7001", None)
        return listing

    client = bridge.clients["default"]
    client.post("/3/customers", {"Customer": {"CustomerNumber": "7001", "Name": "Kund 0 AB"}})
    monkeypatch.setattr(lookups.RegisterIndex, "_read", stale)
    mock_app.extensions["mockfortnox.requests"].clear()
    assert send(bridge, tmp_path) == "done"
    seen = calls(mock_app)
    assert seen["POST /3/customers"] == 1  # refused: the number is taken …
    assert seen["GET /3/customers/7001"] == 1  # … so it is looked up, and used
    assert seen["POST /3/invoices"] == 6
