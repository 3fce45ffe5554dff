"""The mock speaks Fortnox: envelopes, list views, 401, 404 codes, 201 + Location."""

from decimal import Decimal


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_every_api_route_needs_a_bearer_token(mock_http):
    answer = mock_http.get("/3/customers")
    assert answer.status_code == 401
    assert answer.json == {"message": "unauthorized"}


def test_an_unknown_token_is_unauthorized(mock_http):
    assert mock_http.get("/3/customers", headers=auth("forged")).status_code == 401


def test_lists_have_metainformation_first(mock_http, demo_token):
    answer = mock_http.get("/3/customers?limit=2", headers=auth(demo_token))
    assert answer.status_code == 200
    assert list(answer.json) == ["MetaInformation", "Customers"]
    assert answer.json["MetaInformation"] == {"@TotalResources": 3, "@TotalPages": 2, "@CurrentPage": 1}
    row = answer.json["Customers"][0]
    assert "Phone" in row and "Phone1" not in row  # list rows are the smaller view


def test_not_found_uses_capitalised_keys_and_the_real_code(mock_http, demo_token):
    answer = mock_http.get("/3/invoices/123456789", headers=auth(demo_token))
    assert answer.status_code == 404
    assert answer.json == {
        "ErrorInformation": {"Error": 1, "Message": "Kan inte hitta fakturan.", "Code": 2000434}
    }
    answer = mock_http.get("/3/customers/987654", headers=auth(demo_token))
    assert answer.json["ErrorInformation"]["Code"] == 2000433


def test_an_invalid_filter_uses_lower_case_keys(mock_http, demo_token):
    answer = mock_http.get("/3/invoices?filter=doesntexist", headers=auth(demo_token))
    assert answer.status_code == 400
    assert answer.json == {
        "ErrorInformation": {"error": 1, "message": "Ett ogiltigt filter har använts.", "code": 2000587}
    }


def test_create_answers_201_with_location_and_the_envelope(api, mock_http, demo_token):
    answer = mock_http.post(
        "/3/invoices",
        headers=auth(demo_token),
        json={
            "Invoice": {
                "CustomerNumber": "1001",
                "InvoiceRows": [{"ArticleNumber": "KONS", "DeliveredQuantity": "2"}],
            }
        },
    )
    assert answer.status_code == 201
    assert answer.headers["Location"] == "invoices"
    invoice = answer.json["Invoice"]
    assert invoice["DocumentNumber"] == "1"
    assert invoice["InvoiceRows"][0]["DeliveredQuantity"] == "2"  # a string, as in Fortnox
    assert invoice["OCR"] == "133"  # number, length digit, Luhn check digit


def test_invoice_totals_are_exact_and_rounded_to_whole_kronor(api):
    rows = [{"Description": "Konsult", "DeliveredQuantity": "12.5", "Price": Decimal("1250.00"), "VAT": 25}]
    rows.append({"Description": "Bok", "DeliveredQuantity": "1", "Price": Decimal("349.33"), "VAT": 6})
    invoice = api.post("/3/invoices", {"Invoice": {"CustomerNumber": "1002", "InvoiceRows": rows}})["Invoice"]
    assert invoice["Net"] == Decimal("15974.33")
    assert invoice["TotalVAT"] == Decimal("3927.21")  # 3906.25 + 20.96
    assert invoice["Total"] == Decimal("19902")
    assert invoice["RoundOff"] == Decimal("0.46")


def test_partial_update_keeps_what_is_not_sent(api):
    created = api.post("/3/customers", {"Customer": {"Name": "Före", "City": "Lund"}})["Customer"]
    updated = api.put(f"/3/customers/{created['CustomerNumber']}", {"Customer": {"Name": "Efter"}})[
        "Customer"
    ]
    assert (updated["Name"], updated["City"]) == ("Efter", "Lund")


def test_unknown_field_is_refused(api):
    import pytest

    from bridge.fortnox import FortnoxError

    with pytest.raises(FortnoxError) as caught:
        api.post("/3/customers", {"Customer": {"Name": "x", "Nonsense": 1}})
    assert caught.value.code == 2001399
