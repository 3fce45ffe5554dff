"""Every CSV the bridge writes opens in a spreadsheet without running anything."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from bridge.exporters.payments import payment_rows, render_csv
from bridge.util.csvsafe import render_csv as render_table
from bridge.util.csvsafe import safe_cell


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","y")', "@SUM(A1:A2)", "+46 70 123 45 67", "-2+3", "\tlead", "\rlead", "=1"],
)
def test_text_a_spreadsheet_would_run_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [Decimal("-1250.50"), -3, "-1250.50", "+12", "-.5"])
def test_numbers_stay_numbers(value):
    assert safe_cell(value) == str(value)


def test_plain_values():
    assert [safe_cell(v) for v in (None, True, False, Decimal("-0.00"), date(2026, 1, 2), "Å-vägen")] == [
        "", "true", "false", "0.00", "2026-01-02", "Å-vägen",
    ]  # fmt: skip


def test_floats_are_refused():
    with pytest.raises(TypeError):
        safe_cell(0.1)


def test_a_table_is_semicolon_separated_utf8_with_bom_and_quotes_what_needs_it():
    text = render_table(["name", "amount"], [["Bolag; AB", Decimal("-5")], ['Sagt "hej"', Decimal("7.10")]])
    assert text.startswith("\ufeffname;amount\n")
    assert list(csv.reader(io.StringIO(text[1:]), delimiter=";")) == [
        ["name", "amount"], ["Bolag; AB", "-5"], ['Sagt "hej"', "7.10"],
    ]  # fmt: skip


def test_payment_status_of_a_customer_named_like_a_formula(api):
    api.post("/3/customers", {"Customer": {"CustomerNumber": "66", "Name": '=HYPERLINK("http://evil")'}})
    api.post(
        "/3/invoices",
        {
            "Invoice": {
                "CustomerNumber": "66",
                "InvoiceRows": [{"Description": "x", "DeliveredQuantity": "1", "Price": -40}],
            }
        },
    )
    rows = list(
        csv.reader(io.StringIO(render_csv(payment_rows(api, None, date(2026, 1, 1)))[1:]), delimiter=";")
    )
    header, line = rows[0], rows[-1]
    assert line[header.index("party_name")] == '\'=HYPERLINK("http://evil")'
    assert line[header.index("total")].startswith("-")  # a credit stays a number
