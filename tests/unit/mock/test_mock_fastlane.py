"""The fast single-record reads answer exactly what the Flask routes answer: body, status and
headers, for every register they serve, found or not, allowed or refused."""

from __future__ import annotations

import pytest

from mockfortnox import create_app
from tests.unit.mock.conftest import Fortnox

VARYING = {"X-Uid", "X-Rack-Responsetime"}  # random per answer, and a time


def driver(fast: bool) -> Fortnox:
    made = Fortnox(create_app({"MOCK_RATE_LIMIT": "off", "MOCK_FAST_READS": fast}), "")
    made.token = made.new_token()
    return made


def answer(fortnox: Fortnox, path: str, token: str | None = None) -> tuple[int, object, dict]:
    got = fortnox.get(path, token=token)
    return got.status, got.body, {k: v for k, v in got.headers.items() if k not in VARYING}


@pytest.fixture(scope="module")
def pair() -> tuple[Fortnox, Fortnox]:
    return driver(True), driver(False)


def test_every_register_it_serves_answers_as_the_flask_route_does(pair):
    fast, flask = pair
    readers = fast.app.wsgi_app.app.readers
    assert {"customers", "invoices", "articles", "suppliers", "supplierinvoices"} <= set(readers)
    tenant = fast.state.tenant("demo")
    compared = 0
    for name in readers:
        for key in [*list(tenant.table(name))[:2], "nosuch"]:
            path = f"/3/{name}/{key}"
            assert answer(fast, path) == answer(flask, path), path
            compared += 1
    assert compared > len(readers)


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_refusals_come_from_the_one_place_they_always_did(pair, token):
    fast, flask = pair
    assert answer(fast, "/3/customers/1001", token or " ") == answer(flask, "/3/customers/1001", token or " ")


def test_a_missing_scope_is_refused_the_same_way(pair):
    fast, flask = pair
    narrow_fast, narrow_flask = fast.new_token(scopes=["invoice"]), flask.new_token(scopes=["invoice"])
    assert answer(fast, "/3/customers/1001", narrow_fast) == answer(flask, "/3/customers/1001", narrow_flask)
    assert answer(fast, "/3/customers/1001", narrow_fast)[0] == 403
