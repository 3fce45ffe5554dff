"""`watch` with live updates on, against the mock on real loopback sockets: a payment registered
in Fortnox appears in the payment export within seconds; duplicated events change nothing; a
dropped connection or an expired offset is followed by a sweep and nothing is missed; renewed
tokens reach the open connection; 200 companies share one connection."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import httpx
import pytest

from bridge.config import load_settings
from bridge.fortnox import FortnoxError, StaticToken
from bridge.fortnox.errors import ConnectionRefused
from bridge.pipeline import listener as listener_module
from bridge.pipeline.listener import LiveCompany, LiveListener
from bridge.pipeline.watcher import Watcher
from bridge.runtime import open_bridge
from bridge.util import loads
from mockfortnox import create_app
from mockfortnox.server import MockServer
from tests.e2e.processes import wait_until

pytestmark = pytest.mark.e2e

UNPAID = ("unpaid", "overdue")  # booked, not paid (overdue once its due date has passed)


@pytest.fixture
def mock():
    server = MockServer(create_app({"MOCK_RATE_LIMIT": "off"})).start()
    yield server
    server.stop()


def write_config(workdir: Path, mock: MockServer, extra: str = "") -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "bridge.toml").write_text(
        f'[fortnox]\nurl = "{mock.url}"\nclient_id = "demo-client"\nclient_secret = "demo-secret"\n'
        f'tenant_id = "123456"\n[live]\nenabled = true\nurl = "{mock.topics.url}"\n{extra}',
        encoding="utf-8",
    )


class Watching:
    """`watch` running in this process, in a thread, until `stop`."""

    def __init__(self, workdir: Path) -> None:
        self.context = open_bridge(load_settings(workdir), announce=lambda _: None)
        self.bridge = self.context.__enter__()
        self.watcher = Watcher(self.bridge)
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.watcher.stop.set()
        self.watcher.wake.set()
        self.thread.join(30)
        self.context.__exit__(None, None, None)


def api(mock: MockServer, tenant: str = "demo") -> httpx.Client:
    token = httpx.post(f"{mock.url}/mock/tokens", json={"tenant": tenant}).json()["access_token"]
    return httpx.Client(base_url=mock.url, headers={"Authorization": f"Bearer {token}"})


def booked_invoice(client: httpx.Client, price: int = 1000) -> dict:
    rows = [{"Description": "Konsult", "DeliveredQuantity": 1, "Price": price}]
    body = {"Invoice": {"CustomerNumber": "1001", "InvoiceDate": "2026-03-02", "InvoiceRows": rows}}
    invoice = client.post("/3/invoices", json=body).json()["Invoice"]
    return client.put(f"/3/invoices/{invoice['DocumentNumber']}/bookkeep").json()["Invoice"]


def pay(client: httpx.Client, invoice: dict) -> dict:
    body = {
        "InvoicePayment": {"InvoiceNumber": int(invoice["DocumentNumber"]), "Amount": str(invoice["Total"])}
    }
    payment = client.post("/3/invoicepayments", json=body).json()["InvoicePayment"]
    return client.put(f"/3/invoicepayments/{payment['Number']}/bookkeep").json()["InvoicePayment"]


def status_in_export(workdir: Path, tenant: str = "default") -> dict[str, str]:
    """Customer invoice number -> its status in the company's current payment export."""
    path = workdir / "outbox" / "exports" / f"payments-{tenant}.json"
    if not path.exists():
        return {}
    rows = loads(path.read_text(encoding="utf-8"))["invoices"]
    return {r["number"]: r["status"] for r in rows if r["type"] == "customer"}


def listening(watching: Watching) -> None:
    wait_until(lambda: watching.bridge.live.is_live("default"), 20, what="the live connection")


def test_a_payment_registered_in_fortnox_is_paid_in_the_export_within_seconds(mock, tmp_path, caplog):
    caplog.set_level(logging.INFO, "bridge")
    workdir = tmp_path / "bridge"
    write_config(workdir, mock)
    watching = Watching(workdir)
    try:
        listening(watching)
        with api(mock) as client:
            invoice = booked_invoice(client)
            number = invoice["DocumentNumber"]
            wait_until(lambda: status_in_export(workdir).get(number) in UNPAID, 10, what="not paid yet")
            pay(client, invoice)
            wait_until(lambda: status_in_export(workdir).get(number) == "paid", 10, what="paid")
        csv = (workdir / "outbox" / "exports" / "payments-default.csv").read_text(encoding="utf-8-sig")
        assert f"customer;{number};1001;" in csv and ";paid;" in csv
    finally:
        watching.stop()
    log = caplog.text
    assert "sweeping with lastmodified (start)" in log  # the safety net at start
    assert "live: listening to" in log and "invoices" in log


def test_duplicated_events_change_nothing(mock, tmp_path):
    workdir = tmp_path / "bridge"
    write_config(workdir, mock)
    watching = Watching(workdir)
    try:
        listening(watching)
        httpx.post(f"{mock.url}/mock/topics", json={"duplicate": 100})  # every event twice from now on
        httpx.delete(f"{mock.url}/mock/requests")
        with api(mock) as client:
            invoices = [booked_invoice(client, 100 * n) for n in range(1, 4)]
            payments = [pay(client, invoice) for invoice in invoices]
        numbers = [i["DocumentNumber"] for i in invoices]
        wait_until(lambda: all(status_in_export(workdir).get(n) == "paid" for n in numbers), 15, what="paid")
        wait_until(lambda: not watching.bridge.ledger.pending_live("default"), 10, what="all events done")
        counts = watching.bridge.ledger.live_counts()["default"]
        log = httpx.get(f"{mock.url}/mock/requests", params={"method": "GET"}).json()["requests"]
    finally:
        watching.stop()
    assert counts == {"done": 4 * 3}  # created, bookkeep, updated (the balance) and the payment, once each
    for payment in payments:  # each payment fetched once, though its event came twice
        assert [r["path"] for r in log].count(f"/3/invoicepayments/{payment['Number']}") == 1


def test_a_dropped_connection_reconnects_and_sweeps(mock, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(listener_module, "RECONNECT_SECONDS", (0.2,))
    caplog.set_level(logging.INFO, "bridge")
    workdir = tmp_path / "bridge"
    write_config(workdir, mock)
    watching = Watching(workdir)
    try:
        listening(watching)
        wait_until(lambda: "sweep done" in caplog.text, 15, what="the start sweep")
        with api(mock) as client:
            invoice = booked_invoice(client)
            assert httpx.post(f"{mock.url}/mock/topics", json={"drop": True}).json()["dropped"] == 1
            pay(client, invoice)  # while the connection is down
            wait_until(
                lambda: status_in_export(workdir).get(invoice["DocumentNumber"]) == "paid", 15, what="paid"
            )
        wait_until(lambda: "sweeping with lastmodified (reconnected after" in caplog.text, 15, what="sweep")
    finally:
        watching.stop()
    assert "connection to" in caplog.text and "is lost" in caplog.text


def test_an_expired_offset_is_said_and_swept_and_nothing_is_missed(mock, tmp_path, caplog):
    caplog.set_level(logging.INFO, "bridge")
    workdir = tmp_path / "bridge"
    write_config(workdir, mock)
    watching = Watching(workdir)
    with api(mock) as client:
        try:
            listening(watching)
            first = booked_invoice(client)
            wait_until(lambda: status_in_export(workdir).get(first["DocumentNumber"]) in UNPAID, 10)
            wait_until(lambda: not watching.bridge.ledger.pending_live("default"), 10)
        finally:
            watching.stop()
        missed = [booked_invoice(client, 200 + n) for n in range(3)]  # nobody listening
        for invoice in [first, *missed]:
            pay(client, invoice)
        httpx.post(f"{mock.url}/mock/topics", json={"expire": True})  # all of that older than Fortnox keeps
        later = booked_invoice(client, 999)
        caplog.clear()
        watching = Watching(workdir)
        try:
            numbers = [i["DocumentNumber"] for i in [first, *missed]]
            wait_until(
                lambda: all(status_in_export(workdir).get(n) == "paid" for n in numbers), 20, what="paid"
            )
            wait_until(lambda: status_in_export(workdir).get(later["DocumentNumber"]) in UNPAID, 10)
            wait_until(lambda: "no longer keeps offset" in caplog.text, 10, what="the log to say so")
        finally:
            watching.stop()
    assert "a lastmodified sweep fills the gap" in caplog.text


class Rotating:
    """A token source whose token is replaced when the test says so (as a source renews one a
    minute before it expires)."""

    def __init__(self, mock: MockServer) -> None:
        self.mock = mock
        self.token = ""
        self.rotate()

    def rotate(self) -> None:
        self.token = httpx.post(f"{self.mock.url}/mock/tokens", json={"tenant": "demo"}).json()[
            "access_token"
        ]

    def access_token(self) -> str:
        return self.token

    def invalidate(self, token: str) -> None:
        pass


def start_listener(
    bridge, mock, companies, woken: set[str], secret: str = "demo-secret"
) -> tuple[LiveListener, threading.Thread]:
    listener = LiveListener(
        bridge, mock.topics.url, secret, companies, wake=woken.add, stop=threading.Event()
    )
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    wait_until(listener.connected.is_set, 20, what="the listener to subscribe")
    return listener, thread


def test_a_renewed_token_reaches_the_open_connection(mock, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(listener_module, "TOKEN_CHECK_SECONDS", 0.3)
    caplog.set_level(logging.INFO, "bridge")
    write_config(tmp_path, mock)
    tokens = Rotating(mock)
    with open_bridge(load_settings(tmp_path), announce=lambda _: None) as bridge:
        listener, thread = start_listener(
            bridge, mock, [LiveCompany("default", tokens, ("customers",))], set()
        )
        try:
            httpx.post(f"{mock.url}/mock/clock", json={"advance": 3601})  # the first token has expired
            with api(mock) as client:
                client.post("/3/customers", json={"Customer": {"Name": "Efter timmen"}})
            tokens.rotate()  # renewed by its source: the listener hands it to the connection
            wait_until(lambda: bridge.ledger.pending_live("default"), 10, what="the held event")
        finally:
            listener.stop.set()
            thread.join(10)
    assert "access token(s) renewed on the open connection" in caplog.text


@pytest.mark.slow
def test_two_hundred_companies_on_one_connection(mock, tmp_path):
    write_config(tmp_path, mock)
    companies = []
    for n in range(200):
        created = httpx.post(f"{mock.url}/mock/tenants", json={"name": f"c{n:03}"}).json()
        token = httpx.post(f"{mock.url}/mock/tokens", json={"tenant": created["id"]}).json()["access_token"]
        companies.append(LiveCompany(f"c{n:03}", StaticToken(token), ("customers", "invoices")))
    woken: set[str] = set()
    with open_bridge(load_settings(tmp_path), announce=lambda _: None) as bridge:
        listener, thread = start_listener(bridge, mock, companies, woken)
        try:
            (connection,) = httpx.get(f"{mock.url}/mock/topics").json()["connections"]
            assert len(connection["tenants"]) == 200 and connection["subscribed"]
            with api(mock, "c137") as client:
                client.post("/3/customers", json={"Customer": {"Name": "Hos företag 137"}})
            (event,) = wait_until(lambda: bridge.ledger.pending_live("c137"), 10, what="the event of c137")
            assert event.event.type == "customer-created-v1"
            assert not any(bridge.ledger.pending_live(c.name) for c in companies if c.name != "c137")
        finally:
            listener.stop.set()
            thread.join(10)
    assert "c137" in woken


def test_companies_without_the_scopes_or_a_token_are_left_out_with_a_notice(mock, tmp_path):
    write_config(tmp_path, mock)

    class Narrow(StaticToken):
        scopes = ("customer",)

    good = httpx.post(f"{mock.url}/mock/tokens", json={"tenant": "demo"}).json()["access_token"]
    other = httpx.post(f"{mock.url}/mock/tenants", json={"name": "acme"}).json()
    narrow = httpx.post(f"{mock.url}/mock/tokens", json={"tenant": other["id"]}).json()["access_token"]

    class Disconnected(StaticToken):
        def access_token(self) -> str:
            raise FortnoxError.from_response(400, {"error": "invalid_grant"}, "POST", "/oauth-v1/token")

    companies = [
        LiveCompany("default", StaticToken(good), ("invoices",)),
        LiveCompany("acme", Narrow(narrow), ("invoices", "supplier-invoices")),
        LiveCompany("gone", StaticToken("revoked-long-ago"), ("invoices",)),
        LiveCompany("cut", Disconnected(""), ("invoices",)),
    ]
    with open_bridge(load_settings(tmp_path), announce=lambda _: None) as bridge:
        listener, thread = start_listener(bridge, mock, companies, set())
        try:
            notices = {n.key: n.message for n in bridge.notices()}
            assert bridge.live.is_live("default")
            assert not any(bridge.live.is_live(name) for name in ("acme", "gone", "cut"))
        finally:
            listener.stop.set()
            thread.join(10)
    assert "lacks the scope invoice, supplierinvoice" in notices["live:acme"]
    assert "Fortnox refused its access token" in notices["live:gone"]
    assert "no access token" in notices["live:cut"] and "keep their schedule" in notices["live:cut"]


def test_the_embedded_mock_offers_its_topics(tmp_path):
    (tmp_path / "bridge.toml").write_text("[live]\nenabled = true\n", encoding="utf-8")
    watching = Watching(tmp_path)
    try:
        listening(watching)
        ((url, secret),) = watching.bridge.live_companies()
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/topics-v1") and secret == "demo-secret"
        client = watching.bridge.clients["default"]
        invoice = client.post("/3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": [
            {"Description": "Konsult", "DeliveredQuantity": 1, "Price": 500}]}})["Invoice"]  # fmt: skip
        number = invoice["DocumentNumber"]
        wait_until(
            lambda: status_in_export(tmp_path).get(number) == "preliminary", 10, what="the new invoice"
        )
    finally:
        watching.stop()


def test_a_refused_client_secret_is_a_notice_not_a_retry_loop(mock, tmp_path, caplog):
    caplog.set_level(logging.INFO, "bridge")
    write_config(tmp_path, mock)
    token = httpx.post(f"{mock.url}/mock/tokens", json={"tenant": "demo"}).json()["access_token"]
    with open_bridge(load_settings(tmp_path), announce=lambda _: None) as bridge:
        company = LiveCompany("default", StaticToken(token), ("invoices",))
        listener, thread = start_listener(bridge, mock, [company], set(), secret="not-the-secret")
        try:
            (notice,) = bridge.notices()
        finally:
            listener.stop.set()
            thread.join(10)
    assert "refused the integration" in notice.message and "FORTNOX_CLIENT_SECRET" in notice.message
    assert caplog.text.count("is left out of live updates") == 1


def test_a_supplier_changed_in_fortnox_is_in_the_master_data_export_and_its_changes_file(mock, tmp_path):
    workdir = tmp_path / "bridge"
    write_config(workdir, mock, 'exports = "masterdata"\n')
    folder = workdir / "outbox" / "exports" / "masterdata" / "default"
    watching = Watching(workdir)
    try:
        listening(watching)
        wait_until(lambda: list(folder.glob("changes-*.json")), 15, what="the start sweep: everything added")
        first_changes = set(folder.glob("changes-*.json"))
        with api(mock) as client:
            client.put("/3/suppliers/1", json={"Supplier": {"BG": "5050-1063"}})

        def changed() -> list:
            return [p for p in folder.glob("changes-*.json") if p not in first_changes]

        (path,) = wait_until(changed, 10, what="a changes file")
        suppliers = loads((folder / "suppliers.json").read_text(encoding="utf-8"))["records"]
    finally:
        watching.stop()
    change = loads(path.read_text(encoding="utf-8"))["registers"]["suppliers"]["changed"]
    assert change[0]["key"] == {"SupplierNumber": "1"} and change[0]["fields"]["BG"]["after"] == "5050-1063"
    assert next(s for s in suppliers if s["SupplierNumber"] == "1")["BG"] == "5050-1063"


def test_a_file_connected_to_a_voucher_reaches_the_documents_and_the_sie_file_on_request(mock, tmp_path):
    workdir = tmp_path / "bridge"
    write_config(workdir, mock, 'exports = "documents,sie"\n')
    exports = workdir / "outbox" / "exports"
    watching = Watching(workdir)
    try:
        listening(watching)
        wait_until(lambda: list(exports.glob("*_SIE4.se")), 15, what="the start sweep")
        with api(mock) as client:
            rows = [{"Account": 6110, "Debit": 321}, {"Account": 1930, "Credit": 321}]
            body = {
                "Description": "Kvitto",
                "TransactionDate": "2026-03-02",
                "VoucherSeries": "A",
                "VoucherRows": rows,
            }
            voucher = client.post("/3/vouchers", json={"Voucher": body}).json()["Voucher"]
            upload = client.post(
                "/3/inbox?folderId=inbox_v", files={"file": ("kvitto.pdf", b"%PDF-1.4 kvitto")}
            )
            connection = {"FileId": upload.json()["File"]["Id"], "VoucherSeries": "A",
                          "VoucherNumber": str(voucher["VoucherNumber"])}  # fmt: skip
            client.post("/3/voucherfileconnections", json={"VoucherFileConnection": connection})
        receipt = (
            exports
            / "documents"
            / "default"
            / "2026"
            / "vouchers"
            / f"A-{voucher['VoucherNumber']}"
            / "kvitto.pdf"
        )
        wait_until(receipt.exists, 15, what="the voucher's file in the documents export")
        (sie,) = exports.glob("*_2026_SIE4.se")
        wait_until(
            lambda: "Kvitto" in sie.read_text(encoding="cp437"), 15, what="the voucher in the SIE file"
        )
    finally:
        watching.stop()
    assert receipt.read_bytes() == b"%PDF-1.4 kvitto"


def test_a_company_waiting_for_a_reconnect_waits_with_its_live_updates(mock, tmp_path):
    write_config(tmp_path, mock)
    token = httpx.post(f"{mock.url}/mock/tokens", json={"tenant": "demo"}).json()["access_token"]
    with open_bridge(load_settings(tmp_path), announce=lambda _: None) as bridge:
        refused = ConnectionRefused("the consent was withdrawn", problem="consent")
        bridge.gate.refused("default", refused)
        company = LiveCompany("default", StaticToken(token), ("invoices",))
        listener, thread = start_listener(bridge, mock, [company], set())
        try:
            notices = {n.key: n.message for n in bridge.notices()}
            assert not bridge.live.is_live("default")
            assert bridge.run_live("default") is None  # its events would wait in the ledger
        finally:
            listener.stop.set()
            thread.join(10)
    assert "left out of live updates: reconnect needed" in notices["live:default"]
