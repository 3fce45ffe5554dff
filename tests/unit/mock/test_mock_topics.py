"""The mock serves Fortnox's WebSocket topics: the commands and their replies, an event for every
write on a topic's table, offsets per topic, replay from an offset, and the faults tests need."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.sync.client import connect

from mockfortnox import create_app
from mockfortnox.errors import TOPICS_BEHAVIOUR
from mockfortnox.server import MockServer
from mockfortnox.topics import decode_offset, encode_offset


@pytest.fixture
def mock():
    server = MockServer(create_app({"MOCK_RATE_LIMIT": "off"})).start()
    yield server
    server.stop()


def token(mock, tenant="demo", scopes=()):
    answer = httpx.post(f"{mock.url}/mock/tokens", json={"tenant": tenant, "scopes": list(scopes)})
    return answer.json()["access_token"]


def api(mock, access_token):
    return httpx.Client(base_url=mock.url, headers={"Authorization": f"Bearer {access_token}"})


def command(ws, **body):
    ws.send(json.dumps(body))
    return json.loads(ws.recv(timeout=5))


def listen(ws, access_token, topics, secret="demo-secret"):
    added = command(ws, command="add-tenants-v1", clientSecret=secret, accessTokens=[access_token])
    command(ws, command="add-topics-v1", topics=topics)
    command(ws, command="subscribe-v1")
    return added


def events(ws, count, timeout=5.0):
    return [json.loads(ws.recv(timeout=timeout)) for _ in range(count)]


def quiet(ws, seconds=1.0):
    try:
        message = ws.recv(timeout=seconds)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected message {message}")


def booked_invoice(client):
    rows = [{"Description": "Konsult", "DeliveredQuantity": 1, "Price": 1000}]
    body = {"Invoice": {"CustomerNumber": "1001", "InvoiceDate": "2026-03-02", "InvoiceRows": rows}}
    invoice = client.post("/3/invoices", json=body).json()["Invoice"]
    client.put(f"/3/invoices/{invoice['DocumentNumber']}/bookkeep")
    return invoice


def pay(client, invoice):
    body = {
        "InvoicePayment": {"InvoiceNumber": int(invoice["DocumentNumber"]), "Amount": str(invoice["Total"])}
    }
    payment = client.post("/3/invoicepayments", json=body).json()["InvoicePayment"]
    client.put(f"/3/invoicepayments/{payment['Number']}/bookkeep")
    return payment


def test_commands_answer_as_fortnox_clients_expect(mock):
    good = token(mock)
    with connect(mock.topics.url) as ws:
        added = command(
            ws, command="add-tenants-v1", clientSecret="demo-secret", accessTokens=[good, "nonsense"]
        )
        assert added == {
            "response": "add-tenants-v1", "result": "ok", "tenantIds": {good: 123456}, "invalidTokens": ["nonsense"],
        }  # fmt: skip
        topics = command(ws, command="add-topics-v1", topics=[{"topic": "invoices"}, {"topic": "weather"}])
        assert topics == {"response": "add-topics-v1", "result": "ok", "invalidTopics": ["weather"]}
        assert command(ws, command="subscribe-v1") == {"response": "subscribe-v1", "result": "ok"}
        assert command(ws, command="list-tenants-v1")["tenantIds"] == [123456]
        assert command(ws, command="remove-tenants-v1", tenants=[123456])["result"] == "ok"
        assert command(ws, command="list-tenants-v1")["tenantIds"] == []
        assert command(ws, command="jump-v1")["result"] == "error"
        refused = command(ws, command="add-tenants-v1", clientSecret="wrong", accessTokens=[good])
        assert refused["result"] == "error" and refused["invalidTokens"] == [good]


def test_every_write_on_a_topic_is_an_event_in_order(mock):
    access = token(mock)
    with connect(mock.topics.url) as ws, api(mock, access) as client:
        listen(ws, access, [{"topic": "invoices"}, {"topic": "customers"}])
        invoice = booked_invoice(client)
        payment = pay(client, invoice)
        client.post("/3/customers", json={"Customer": {"Name": "Nya Kunden AB"}})
        got = events(ws, 5)
        quiet(ws)
    number = invoice["DocumentNumber"]
    assert [(e["topic"], e["type"], e["entityId"]) for e in got] == [
        ("invoices", "invoice-created-v1", number),
        ("invoices", "invoice-bookkeep-v1", number),
        ("invoices", "invoice-updated-v1", number),  # its balance, by the payment
        ("invoices", "invoicepayment-bookkeep-v1", str(payment["Number"])),
        ("customers", "customer-created-v1", "1004"),
    ]
    assert {e["tenantId"] for e in got} == {123456}
    assert set(got[0]) == {"topic", "offset", "type", "tenantId", "entityId", "timestamp"}
    positions = [decode_offset(e["offset"]) for e in got[:4]]
    assert positions == sorted(positions) and len(set(positions)) == 4  # unique and ordered within a topic


def test_a_file_connected_to_a_voucher_is_an_event_of_the_voucher(mock):
    access = token(mock)
    with connect(mock.topics.url) as ws, api(mock, access) as client:
        listen(ws, access, [{"topic": "vouchers"}])
        rows = [{"Account": 6110, "Debit": 100}, {"Account": 1930, "Credit": 100}]
        body = {
            "Voucher": {
                "Description": "Kvitto",
                "TransactionDate": "2026-03-02",
                "VoucherSeries": "A",
                "VoucherRows": rows,
            }
        }
        voucher = client.post("/3/vouchers", json=body).json()["Voucher"]
        file = client.post(
            "/3/inbox?folderId=inbox_v", files={"file": ("kvitto.pdf", b"%PDF-1.4 kvitto")}
        ).json()["File"]
        connection = {
            "FileId": file["Id"],
            "VoucherSeries": "A",
            "VoucherNumber": str(voucher["VoucherNumber"]),
        }
        client.post("/3/voucherfileconnections", json={"VoucherFileConnection": connection})
        created, updated = events(ws, 2)
    assert (created["type"], updated["type"]) == ("voucher-created-v1", "voucher-updated-v1")
    assert updated["entityId"] == str(voucher["VoucherNumber"])
    assert (updated["year"], updated["series"]) == (voucher["Year"], "A")


def test_replay_from_an_offset_and_an_expired_offset_from_the_earliest_kept(mock):
    access = token(mock)
    with api(mock, access) as client:
        for name in ("A", "B", "C"):
            client.post("/3/customers", json={"Customer": {"Name": f"Kund {name}"}})
    with connect(mock.topics.url) as ws:
        listen(ws, access, [{"topic": "customers"}])
        quiet(ws, 0.7)  # without an offset: only what comes next
    summary = httpx.get(f"{mock.url}/mock/topics").json()["topics"]["customers"]
    second = encode_offset(decode_offset(summary["first"]) + 1)
    with connect(mock.topics.url) as ws:
        listen(ws, access, [{"topic": "customers", "offset": second}])
        replayed = events(ws, 2)
    assert replayed[0]["offset"] == second  # from the offset itself
    assert [e["entityId"] for e in replayed] == ["1005", "1006"]

    httpx.post(f"{mock.url}/mock/topics", json={"expire": True})
    with api(mock, access) as client:
        client.post("/3/customers", json={"Customer": {"Name": "Kund D"}})
    with connect(mock.topics.url) as ws:
        listen(ws, access, [{"topic": "customers", "offset": second}])
        (event,) = events(ws, 1)
        quiet(ws, 0.5)
    assert event["entityId"] == "1007" and event["offset"] != second  # what is kept, from its start


def test_duplicate_delivery_and_a_dropped_connection(mock):
    access = token(mock)
    with connect(mock.topics.url) as ws, api(mock, access) as client:
        listen(ws, access, [{"topic": "customers"}])
        assert httpx.post(f"{mock.url}/mock/topics", json={"duplicate": 1}).json() == {"duplicate": 1}
        client.post("/3/customers", json={"Customer": {"Name": "Två gånger"}})
        one, again = events(ws, 2)
        assert one == again
        assert httpx.post(f"{mock.url}/mock/topics", json={"drop": True}).json()["dropped"] == 1
        with pytest.raises(Exception, match=r"no close frame|closed|reset"):
            ws.recv(timeout=5)


def test_an_expired_token_holds_its_events_until_a_new_one_is_added(mock):
    access = token(mock)
    with connect(mock.topics.url) as ws:
        listen(ws, access, [{"topic": "customers"}])
        httpx.post(f"{mock.url}/mock/clock", json={"advance": 3601})
        with api(mock, token(mock)) as fresh_client:
            fresh_client.post("/3/customers", json={"Customer": {"Name": "Under tiden"}})
        quiet(ws, 1.2)
        renewed = token(mock)
        assert (
            command(ws, command="add-tenants-v1", clientSecret="demo-secret", accessTokens=[renewed])[
                "result"
            ]
            == "ok"
        )
        (held,) = events(ws, 1)
        assert held["type"] == "customer-created-v1"


def test_a_token_without_the_topics_scope_hears_nothing_of_it(mock):
    access = token(mock, scopes=["customer"])
    with connect(mock.topics.url) as ws, api(mock, token(mock)) as client:
        listen(ws, access, [{"topic": "customers"}, {"topic": "invoices"}])
        booked_invoice(client)
        client.post("/3/customers", json={"Customer": {"Name": "Synlig"}})
        (event,) = events(ws, 1)
        quiet(ws, 0.7)
    assert event["topic"] == "customers"


def test_serve_prints_both_addresses_and_the_invented_rules_are_listed(mock):
    state = httpx.get(f"{mock.url}/mock/topics").json()
    assert state["url"] == mock.topics.url and state["url"].endswith("/topics-v1")
    assert state["invented"] == TOPICS_BEHAVIOUR and "replay" in TOPICS_BEHAVIOUR
