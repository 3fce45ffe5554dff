"""Nothing a client sends wedges the mock: a bad body is Fortnox's 400 with its code, never a
500; every request lets go of its company whatever happens; a refused create draws no number;
the control API checks its input and, off loopback, its token; the state shows no secrets."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from mockfortnox import create_app
from mockfortnox.cli import is_loopback, main
from tests.unit.mock.conftest import Fortnox


@pytest.fixture
def kept(tmp_path) -> Fortnox:
    """A mock that keeps its state in a file, as `serve --state` does."""
    app = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_STATE_FILE": str(tmp_path / "state.json")})
    driver = Fortnox(app, "")
    driver.token = driver.new_token()
    return driver


def raw_post(fortnox: Fortnox, path: str, text: str):
    response = fortnox.http.post(
        path, data=text, content_type="application/json", headers={"Authorization": f"Bearer {fortnox.token}"}
    )
    return response.status_code, response.get_json()


def company_is_free(fortnox: Fortnox) -> bool:
    """Whether another thread can take the demo company's lock now (a held one would block
    every later request of that company for ever)."""
    lock = fortnox.state.tenant("demo").lock
    taken: list[bool] = []

    def try_it() -> None:
        taken.append(lock.acquire(blocking=False))
        if taken[0]:
            lock.release()

    thread = threading.Thread(target=try_it)
    thread.start()
    thread.join()
    return taken[0]


def invoice(**fields) -> dict:
    row = {"ArticleNumber": "KONS", "DeliveredQuantity": "1", **fields.pop("row", {})}
    return {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": [row], **fields}}


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        ("NaN", 2002115, "Error deserializing JSON: JSON_ERROR_SYNTAX"),
        ("Infinity", 2002115, "Error deserializing JSON: JSON_ERROR_SYNTAX"),
        ("-Infinity", 2002115, "Error deserializing JSON: JSON_ERROR_SYNTAX"),
        ("1e999999", 2000108, "Värdet måste vara numeriskt (1E+999999)"),
        ("1" + "0" * 400, 2000108, "Värdet måste vara numeriskt (" + "1" + "0" * 38 + "…)"),
        ("1e-999999", 2000108, "Värdet måste vara numeriskt (1E-999999)"),
    ],
)
def test_numbers_json_cannot_hold_are_refused_and_the_company_is_free(kept, number, code, message):
    # In a text field too: a number stored anywhere is written back out to the state file.
    status, body = raw_post(
        kept, "/3/invoices", f'{{"Invoice": {{"CustomerNumber": "1001", "Comments": {number}}}}}'
    )
    assert (status, body["ErrorInformation"]["code"], body["ErrorInformation"]["message"]) == (
        400,
        code,
        message,
    )
    assert company_is_free(kept)
    assert kept.get("/3/invoices").status == 200


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (invoice(InvoiceDate="not-a-date"), 2999028, "Ogiltigt värde för InvoiceDate: not-a-date"),
        (invoice(DueDate="2026-13-45"), 2999028, "Ogiltigt värde för DueDate: 2026-13-45"),
        (invoice(row={"Price": "tio"}), 2000108, "Värdet måste vara numeriskt (tio)"),
        (invoice(row={"DeliveredQuantity": "två"}), 2000108, "Värdet måste vara numeriskt (två)"),
        (invoice(row={"VAT": True}), 2000108, "Värdet måste vara numeriskt (True)"),
        (invoice(Currency="XYZ"), 2999108, "Kan inte hitta valutan."),
        (invoice(Comments={"a": 1}), 2001392, "Ingen eller felaktig typ av data."),
        (invoice(CustomerNumber=["1001"]), 2001392, "Ingen eller felaktig typ av data."),
        (
            {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": [1]}},
            2001392,
            "Ingen eller felaktig typ av data.",
        ),
        (
            {"Invoice": {"CustomerNumber": "1001", "InvoiceRows": {"a": 1}}},
            2001392,
            "Ingen eller felaktig typ av data.",
        ),
    ],
)
def test_a_field_of_the_wrong_form_is_fortnoxs_400_and_draws_no_number(fortnox, body, code, message):
    fortnox.post("/3/invoices", body).expect_error(400, code, message)
    made = fortnox.post("/3/invoices", invoice())
    assert made.status == 201 and made.body["Invoice"]["DocumentNumber"] == "1"


def test_a_known_currency_is_taken(fortnox):
    assert fortnox.post("/3/invoices", invoice(Currency="NOK")).status == 201  # ISO 4217, not in the register
    assert fortnox.post("/3/invoices", invoice(Currency="EUR")).status == 201


def test_supplier_invoices_and_vouchers_check_their_rows_too(fortnox):
    fortnox.post(
        "/3/supplierinvoices",
        {"SupplierInvoice": {"SupplierNumber": "1", "InvoiceDate": "2026-02-30", "Total": 100}},
    ).expect_error(400, 2999028, "Ogiltigt värde för InvoiceDate: 2026-02-30")
    rows = [{"Account": 1930, "Debit": "hundra"}, {"Account": 3001, "Credit": 100}]
    voucher = {"Description": "x", "TransactionDate": "2026-03-01", "VoucherSeries": "A", "VoucherRows": rows}
    fortnox.post("/3/vouchers", {"Voucher": voucher}).expect_error(
        400, 2000108, "Värdet måste vara numeriskt (hundra)"
    )


def test_an_unforeseen_failure_is_fortnoxs_system_exception_and_frees_the_company(fortnox, monkeypatch):
    from mockfortnox.resources.customers import customers

    def broken(*args, **kwargs):
        raise RuntimeError("a rule the mock got wrong")

    monkeypatch.setattr(customers, "query", broken)
    fortnox.get("/3/customers").expect_error(500, 1000003, "System exception")
    assert company_is_free(fortnox)


def test_a_failing_state_file_still_frees_the_company(kept, monkeypatch):
    state_file = kept.app.extensions["mockfortnox.statefile"]

    def full_disk(tenant):
        raise OSError("No space left on device")

    monkeypatch.setattr(state_file, "collect", full_disk)
    with pytest.raises(OSError, match="No space left"):  # the server logs it; the company goes on
        kept.post("/3/customers", {"Customer": {"Name": "Ny kund"}})
    assert company_is_free(kept)


# --- the control API ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "body", "says"),
    [
        ("/mock/faults", "POST", {"rules": [{"latency_ms": "abc"}]}, "latency_ms must be a whole number"),
        ("/mock/faults", "POST", {"rules": [{"status": 700}]}, "status must lie between 100 and 599"),
        ("/mock/faults", "POST", {"rules": [{"status": 503, "probability": "often"}]}, "probability must be"),
        ("/mock/faults", "POST", {"rules": ["slow"]}, "a rule must be a JSON object"),
        ("/mock/faults", "POST", {"rules": {}}, '"rules" must be a list'),
        ("/mock/tenants/demo", "PATCH", {"licences": 5}, '"licences" must be a list'),
        ("/mock/tenants/demo", "PATCH", {"licences": [5]}, '"licences" must be a list of licence names'),
        ("/mock/tenants/demo", "PATCH", {"locked_period": "mars"}, '"locked_period" must be a date'),
        ("/mock/tokens", "POST", {"tenant": "demo", "scopes": "invoice"}, '"scopes" must be a list'),
        ("/mock/clock", "POST", {"advance": "soon"}, '"advance" must be a number'),
    ],
)
def test_control_input_is_checked_naming_the_field(fortnox, path, method, body, says):
    answer = fortnox.control(method, path, body)
    assert answer.status == 400 and says in answer.body["error"], answer.body
    assert fortnox.get("/3/customers").status == 200  # and nothing was taken that breaks later calls


def test_the_state_shows_no_client_secret_and_no_live_token(fortnox):
    secrets = [c.client_secret for c in fortnox.state.clients.values()]
    text = fortnox.http.get("/mock/state").get_data(as_text=True)
    assert secrets and not any(secret in text for secret in secrets)
    assert fortnox.token not in text
    assert '"access_tokens":[{' in text  # described: whose, which scopes, until when


def test_with_a_control_token_the_control_api_answers_only_its_holder():
    http = create_app({"MOCK_RATE_LIMIT": "off", "MOCK_CONTROL_TOKEN": "s3cret"}).test_client()
    assert http.get("/mock/tenants").status_code == 401
    assert http.get("/mock/tenants", headers={"X-Mock-Token": "wrong"}).status_code == 401
    assert http.get("/mock/tenants", headers={"X-Mock-Token": "s3cret"}).status_code == 200
    # A browser opens the page once with ?token=, then its forms go on with the cookie it left.
    assert http.get("/mock/ui/?token=s3cret").status_code == 200
    assert http.get("/mock/tenants").status_code == 200


def test_serve_off_loopback_warns_and_requires_a_control_token():
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert "reachable from other machines" in result.output
    assert "give --control-token" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.5.5.5", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
     ("192.168.1.20", False), ("mock.example.org", False)],
)  # fmt: skip
def test_which_addresses_are_loopback(host, loopback):
    assert is_loopback(host) is loopback
