"""A whole year through Fortnox and back: a real Fortnox 3.60 export (4434 vouchers) dropped into
an empty company, imported by the bridge, exported again as SIE — the same vouchers, rows,
amounts, objects and balances, compared by `sie.differences`, which names any difference."""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
import pytest

from bridge import sie
from bridge.config import load_settings
from bridge.exporters.sie import export_sie
from bridge.fortnox import FortnoxClient, Pacer, StaticToken
from bridge.pipeline.service import Bridge
from mockfortnox import create_app

pytestmark = pytest.mark.slow

FILE = "keyholder_Fortnox3.60_Bygg_4434ver.se"
SETTINGS = {
    "FORTNOX_SIE_CREATE_FINANCIAL_YEARS": "true",  # the company is empty: even its year comes from #RAR
    "FORTNOX_SIE_CREATE_ACCOUNTS": "all",  # the whole chart, as the export lists it
    "FORTNOX_SIE_CREATE_OBJECTS": "all",
}


def expected_back(original: sie.SieDocument) -> sie.SieDocument:
    """The file as Fortnox can give it back, each change for a reason outside the bridge."""
    return replace(
        original,
        # Written today, not on the day the original was.
        generated=None,
        # The year before is not in the company: the file has its balances but not its vouchers.
        financial_years=tuple(y for y in original.financial_years if y.year == 0),
        balances=tuple(b for b in original.balances if b.year == 0),
        period_balances=tuple(b for b in original.period_balances if b.year == 0),
        vouchers=tuple(_as_booked(v) for v in original.vouchers),
    )


def _as_booked(voucher: sie.Voucher) -> sie.Voucher:
    rows = voucher.booked_rows
    if not rows:  # all rows removed: sent as the removed rows and their reversal (README)
        removed = tuple(r for r in voucher.rows if r.label == "#BTRANS")
        rows = removed + tuple(r._replace(amount=-r.amount) for r in removed)
    # Fortnox keeps rows as they stand now, without who changed them, and registers the voucher
    # on the day it was created (the day of the import).
    booked = tuple(r._replace(label="#TRANS", signature="") for r in rows)
    return voucher._replace(rows=booked, registration_date=None)


def as_exported(document: sie.SieDocument) -> sie.SieDocument:
    return replace(
        document,
        generated=None,
        vouchers=tuple(v._replace(registration_date=None) for v in document.vouchers),
    )


def test_a_fortnox_year_goes_in_through_the_bridge_and_comes_back_the_same(tmp_path, shared_ref):
    path = shared_ref / "sie" / FILE
    original = sie.read(path)
    app = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_SEEDS": []})
    control = app.test_client()
    company = {
        "CompanyName": original.company_name,
        "OrganizationNumber": original.org_number.number,
        "ContactFirstName": "Jenny",
        "ContactLastName": "Nygårds",
        "Address": original.address.street,
        "ZipCode": "13795",
        "City": "ÖSTERHANINGE",
        "Phone1": original.address.phone,
    }
    spec = {
        "company": company,
        "licences": ["bookkeeping", "companyinformation", "costcenter", "project", "settings"],
    }
    created = control.post(
        "/mock/tenants", json={"name": "bygg", "id": int(original.company_id), "seed": spec}
    )
    assert created.status_code == 201, created.get_json()
    token = control.post("/mock/tokens", json={"tenant": "bygg"}).json["access_token"]
    client = FortnoxClient(
        "http://mock",
        StaticToken(token),
        transport=httpx.WSGITransport(app=app),
        pacer=Pacer(limit=1_000_000),
    )
    bridge = Bridge(load_settings(tmp_path, environ=SETTINGS), {"default": client})
    try:
        started = time.monotonic()
        (file,) = bridge.process([path], "default", until_blocked=False)
        seconds = time.monotonic() - started
        file = bridge.file(file.id)
        assert file.state == "done", file.error
        print(f"\n{FILE}: 4434 vouchers imported in {seconds:.1f} s")

        # The accountant enters the year's opening balances (Fortnox carries them from the year
        # before, which this company does not have; the bridge never writes balances).
        for balance in original.balances:
            if balance.label == "#IB" and balance.year == 0:
                body = {"Account": {"BalanceBroughtForward": balance.amount}}
                client.put(f"/3/accounts/{balance.account}", body, financialyear=1)

        (result,) = export_sie(client, tmp_path / "exports", year=2025)
        assert result.ok, result.problems
    finally:
        bridge.close()
        client.close()
    exported = sie.read(result.path)
    differences = sie.differences(expected_back(original), as_exported(exported), limit=50)
    assert differences == [], "\n".join(differences)
    assert len(exported.vouchers) == 4434 and result.name == "5564401452_2025_SIE4.se"
