"""The mock on real loopback sockets: waitress, dropped answers, the rate limit, the command,
and the state file across restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mockfortnox import create_app
from mockfortnox.server import MockServer

pytestmark = pytest.mark.e2e

CUSTOMER = {"Customer": {"Name": "Över nätet AB"}}


@pytest.fixture
def served(tmp_path):
    app = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_STATE_FILE": str(tmp_path / "state.json")})
    server = MockServer(app).start()
    yield server
    server.stop()


def token(url: str, tenant: str = "demo") -> dict:
    answer = httpx.post(f"{url}/mock/tokens", json={"tenant": tenant})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_dropped_response_applies_the_write_and_closes_without_an_answer(served):
    headers = token(served.url)
    rule = {"rules": [{"method": "POST", "path": "/3/customers", "drop_response": True, "times": 1}]}
    httpx.post(f"{served.url}/mock/faults", json=rule)
    with httpx.Client(base_url=served.url, headers=headers) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/3/customers", json=CUSTOMER)
        names = [c["Name"] for c in client.get("/3/customers").json()["Customers"]]
    assert "Över nätet AB" in names  # the write happened although no answer came
    log = httpx.get(f"{served.url}/mock/requests?method=POST").json()["requests"]
    assert log[-1]["status"] is None and log[-1]["fault"] == "dropped (201 CREATED)"


def test_the_rate_limit_over_http(tmp_path):
    server = MockServer(create_app({"MOCK_RATE_LIMIT": "25/5s"})).start()
    try:
        headers = token(server.url)
        with httpx.Client(base_url=server.url, headers=headers) as client:
            statuses = [client.get("/3/companyinformation").status_code for _ in range(26)]
            refused = client.get("/3/companyinformation")
        assert statuses[:25] == [200] * 25 and statuses[25] == 429
        assert refused.json() == {
            "ErrorInformation": {
                "error": 1,
                "message": "För många anrop. Försök igen om en stund.",
                "code": 2999429,
            }
        }
        assert 1 <= int(refused.headers["Retry-After"]) <= 6
        other = token(server.url)  # counted per access token
        assert httpx.get(f"{server.url}/3/companyinformation", headers=other).status_code == 200
    finally:
        server.stop()


def test_concurrent_writes_to_one_tenant_are_serialised(served):
    headers = token(served.url)
    from concurrent.futures import ThreadPoolExecutor

    def create(i: int) -> str:
        with httpx.Client(base_url=served.url, headers=headers) as client:
            return client.post("/3/customers", json={"Customer": {"Name": f"Kund {i}"}}).json()["Customer"][
                "CustomerNumber"
            ]

    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(create, range(40)))
    assert len(set(numbers)) == 40


def test_state_survives_a_restart_through_snapshot_and_journal(tmp_path):
    state_file = tmp_path / "state.json"
    app = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_STATE_FILE": str(state_file)})
    client = app.test_client()
    headers = {
        "Authorization": "Bearer " + client.post("/mock/tokens", json={"tenant": "demo"}).json["access_token"]
    }
    client.post("/3/customers", json=CUSTOMER, headers=headers)
    body = {"Voucher": {"Description": "v", "TransactionDate": "2026-02-02", "VoucherSeries": "A",
                        "VoucherRows": [{"Account": 6110, "Debit": 10}, {"Account": 1930, "Credit": 10}]}}  # fmt: skip
    assert client.post("/3/vouchers", json=body, headers=headers).status_code == 201
    journal = Path(f"{state_file}.journal")
    assert journal.exists() and journal.stat().st_size > 0  # written per request, not whole state
    before = client.get("/mock/state?tenant=demo").json
    # A crash: no shutdown snapshot. A torn last line must not break loading.
    with journal.open("a") as handle:
        handle.write('{"seq": 99999, "tenant": 123456, "tab')
    restarted = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_STATE_FILE": str(state_file)})
    after = restarted.test_client().get("/mock/state?tenant=demo").json
    assert after == before
    # Tokens survive too: the bridge's token stays valid across a restart.
    assert restarted.test_client().get("/3/customers", headers=headers).status_code == 200


def test_mockfortnox_serve_as_a_process(tmp_path):
    state_file = tmp_path / "mock-state.json"
    command = [
        sys.executable,
        "-m",
        "mockfortnox",
        "serve",
        "--port",
        "0",
        "--rate-limit",
        "off",
        "--state",
        str(state_file),
    ]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        line = process.stderr.readline()
        assert "listening on" in line, line
        url = line.split("listening on ")[1].split()[0]
        headers = token(url)
        created = httpx.post(f"{url}/3/customers", json=CUSTOMER, headers=headers)
        assert created.status_code == 201 and created.headers["Server"] == "Fortnox"
        spec = httpx.get(f"{url}/openapi.json").json()
        assert "/3/vouchers" in spec["paths"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    restarted = create_app({"MOCK_STATE_FILE": str(state_file)})
    names = [
        c["Name"] for c in restarted.extensions["mockfortnox"].tenant("demo").table("customers").values()
    ]
    assert "Över nätet AB" in names
    # The shutdown folded the journal into the snapshot.
    assert not Path(f"{state_file}.journal").exists() or Path(f"{state_file}.journal").stat().st_size == 0
