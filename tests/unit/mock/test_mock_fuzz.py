"""Fuzzing the mock's JSON bodies: whatever a client sends, the answer is Fortnox's — a record,
or a 4xx with Fortnox's error body — never a 500, and the company is free for the next request."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.util import dumps
from mockfortnox import create_app
from mockfortnox.resources.customers import customers
from mockfortnox.resources.invoices import ROW_TEMPLATE, invoices
from mockfortnox.resources.supplierinvoices import supplierinvoices
from tests.unit.mock.conftest import Fortnox

pytestmark = pytest.mark.slow

# (path to create, envelope, field names worth trying: the template's and a stranger)
TARGETS = {
    "invoices": ("/3/invoices", "Invoice", [*invoices.template, "Bogus"]),
    "supplierinvoices": ("/3/supplierinvoices", "SupplierInvoice", [*supplierinvoices.template, "Bogus"]),
    "customers": ("/3/customers", "Customer", [*customers.template, "Bogus"]),
    "vouchers": (
        "/3/vouchers",
        "Voucher",
        ["Description", "TransactionDate", "VoucherSeries", "VoucherRows"],
    ),
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=False, allow_infinity=False, places=None),
    st.text(max_size=20),
    st.sampled_from(
        ["", "2026-03-01", "2026-13-45", "not-a-date", "API_BLANK", "SEK", "XYZ", "1001", "tio", "25"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def rows_of(names: list[str]) -> st.SearchStrategy:
    return st.lists(st.dictionaries(st.sampled_from(names), values, max_size=4), max_size=3)


def bodies(kind: str) -> st.SearchStrategy:
    _, _, names = TARGETS[kind]
    fields = st.dictionaries(st.sampled_from(names), values, max_size=6)
    rows = {
        "invoices": ("InvoiceRows", [*ROW_TEMPLATE, "RowId"]),
        "supplierinvoices": ("SupplierInvoiceRows", ["Account", "Debit", "Credit", "Code", "Total"]),
        "vouchers": ("VoucherRows", ["Account", "Debit", "Credit", "TransactionInformation"]),
    }.get(kind)
    if rows is None:
        return fields
    return st.tuples(fields, rows_of(rows[1])).map(lambda pair: {**pair[0], rows[0]: pair[1]})


class Mock:
    def __init__(self) -> None:
        self.driver = Fortnox(create_app({"MOCK_RATE_LIMIT": "off"}), "")
        self.driver.token = self.driver.new_token()

    def send(self, method: str, path: str, text: str) -> tuple[int, object]:
        response = self.driver.http.open(
            path,
            method=method,
            data=text,
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.driver.token}"},
        )
        return response.status_code, response.get_json(silent=True)

    def check(self, status: int, body: object) -> None:
        assert status < 500, body
        if status >= 400:
            assert isinstance(body, dict) and "ErrorInformation" in body, body
            info = {k.lower(): v for k, v in body["ErrorInformation"].items()}
            assert isinstance(info["code"], int) and info["message"], body
        lock = self.driver.state.tenant("demo").lock
        free: list[bool] = []

        def try_it() -> None:
            free.append(lock.acquire(blocking=False))
            if free[0]:
                lock.release()

        thread = threading.Thread(target=try_it)
        thread.start()
        thread.join()
        assert free == [True], "the company's lock is still held"


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_any_body_for_a_create_is_a_record_or_fortnoxs_400(kind):
    mock = Mock()
    path, envelope, _ = TARGETS[kind]

    @FUZZ
    @given(bodies(kind))
    def create(fields: dict) -> None:
        mock.check(*mock.send("POST", path, dumps({envelope: fields})))

    create()


@pytest.mark.parametrize("kind", ["invoices", "supplierinvoices", "customers"])
def test_any_body_for_an_update_is_a_record_or_fortnoxs_400(kind):
    mock = Mock()
    path, envelope, _ = TARGETS[kind]
    seeds = {
        "invoices": {
            "CustomerNumber": "1001",
            "InvoiceRows": [{"ArticleNumber": "KONS", "DeliveredQuantity": "1"}],
        },
        "supplierinvoices": {"SupplierNumber": "1", "Total": Decimal(125), "VAT": Decimal(25)},
        "customers": {"Name": "Fuzz AB"},
    }
    status, made = mock.send("POST", path, dumps({envelope: seeds[kind]}))
    assert status == 201, made
    key = {"invoices": "DocumentNumber", "supplierinvoices": "GivenNumber", "customers": "CustomerNumber"}[
        kind
    ]
    number = made[envelope][key]  # type: ignore[index]

    @FUZZ
    @given(bodies(kind))
    def update(fields: dict) -> None:
        mock.check(*mock.send("PUT", f"{path}/{number}", dumps({envelope: fields})))

    update()


@FUZZ
@given(
    st.one_of(
        st.text(max_size=60),
        st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999999", "[" * 5000, '{"Invoice": ' * 3000]).map(
            lambda bad: f'{{"Invoice": {{"CustomerNumber": "1001", "Freight": {bad}}}}}'
        ),
    )
)
def test_any_text_as_a_body_is_fortnoxs_answer(text):
    mock = Mock()
    mock.check(*mock.send("POST", "/3/invoices", text))
