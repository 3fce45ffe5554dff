"""Customers the way each source needs them: SGX's private persons and companies, SmartDok's
customer register."""

from __future__ import annotations

import httpx
from csv_helpers import LoseAnswer, documents, error_report, invoices_by_stamp, receipt_text, send, state


def customers(api) -> list[dict]:
    return [
        api.get(f"/3/customers/{c['CustomerNumber']}")["Customer"]
        for c in api.iter_pages("/3/customers", "Customers")
    ]


def test_private_persons_are_created_from_the_invoice_and_found_again(make_bridge, api):
    bridge = make_bridge(invoices_create_customers="private")
    assert state(bridge, send(bridge, "customers_private_persons_created.csv")) == "done"
    patients = {c["Name"]: c for c in customers(api) if c["Type"] == "PRIVATE"}
    anna = patients["Anna Andersson"]
    assert (anna["OrganisationNumber"], anna["Address1"], anna["ZipCode"], anna["City"]) == (
        "850312-2384",
        "Vägen 1",
        "753 20",
        "Uppsala",
    )
    assert (anna["Phone1"], anna["Email"]) == ("070-123 45 67", "anna@example.se")
    assert "Bertil Berg" in patients  # a personnummer and no Kundtyp: a private person
    invoices = invoices_by_stamp(api)
    assert invoices["fnb:SGX-101"]["CustomerNumber"] == anna["CustomerNumber"]

    # Anna again, her personnummer written with the century: the same customer, not a new one.
    again = "Fakturanummer;Kundtyp;Kundnamn;Personnummer;Beskrivning;Antal;À-pris;Moms\nSGX-103;Privat;Anna Andersson;198503122384;Återbesök;1;200;0\n"
    assert state(bridge, send(bridge, "aterbesok.csv", again)) == "done"
    assert len([c for c in customers(api) if c["Name"] == "Anna Andersson"]) == 1
    assert invoices_by_stamp(api)["fnb:SGX-103"]["CustomerNumber"] == anna["CustomerNumber"]


def test_companies_must_exist_with_exactly_the_same_organisation_number(make_bridge, api):
    bridge = make_bridge(invoices_create_customers="private")
    count = len(customers(api))
    file_id = send(bridge, "customers_companies_by_org_number.csv")
    assert state(bridge, file_id) == "partial"
    invoices = invoices_by_stamp(api)
    assert invoices["fnb:SGX-201"]["CustomerNumber"] == "1001"  # 16556123-4567 written as 12 digits
    assert invoices["fnb:SGX-202"]["CustomerNumber"] == "1002"  # 5569876543 without hyphen
    assert "fnb:SGX-203" not in invoices  # 556123-4568 is not 556123-4567, whatever the name says
    assert len(customers(api)) == count  # no company created
    report = error_report(bridge, "customers_companies_by_org_number.csv")
    assert (
        "company Kontorsbolaget Norr AB with organisation number 556123-4568 is not in Fortnox's customer register"
        in report
    )


def test_with_create_customers_always_a_missing_company_is_created(make_bridge, api):
    bridge = make_bridge()
    assert state(bridge, send(bridge, "customers_companies_by_org_number.csv")) == "done"
    created = [c for c in customers(api) if c["OrganisationNumber"] == "556123-4568"]
    assert [c["Type"] for c in created] == ["COMPANY"]


def test_the_customer_register_creates_updates_and_leaves_alone_by_number(make_bridge, api):
    bridge = make_bridge()
    file_id = send(bridge, "customer_register.csv")
    assert state(bridge, file_id) == "done"
    by_number = {c["CustomerNumber"]: c for c in customers(api)}
    assert by_number["2001"]["Name"] == "Nybygge i Norr AB"
    assert (by_number["1002"]["Email"], by_number["1002"]["TermsOfPayment"]) == (
        "fakturor@byggteknik.example",
        "20",
    )
    steps = {key.split("@")[0]: d["steps"][0] for key, d in documents(bridge, file_id).items()}
    assert [steps[n]["outcome"] for n in ("1001", "1002", "2001")] == ["unchanged", "updated", "created"]
    assert steps["1002"]["changes"] == [
        ["Email", "ekonomi@byggteknik.example", "fakturor@byggteknik.example"],
        ["TermsOfPayment", "30", "20"],
    ]
    text = receipt_text(bridge, "customer_register.csv")
    assert "customer 1001 (Kontorsbolaget Norr AB): unchanged in Fortnox, nothing written" in text
    assert (
        "customer 1002 (Byggteknik i Väst AB): updated in Fortnox: "
        "Email 'ekonomi@byggteknik.example' → 'fakturor@byggteknik.example'; TermsOfPayment '30' → '20'"
    ) in text


def test_an_unchanged_register_costs_no_write(make_bridge, api, mock_http):
    bridge = make_bridge()
    send(bridge, "customer_register.csv")
    mock_http.delete("/mock/requests")
    text = (bridge.settings.workdir / "drop" / "customer_register.csv").read_text()
    file_id = send(bridge, "kunder-igen.csv", text.replace("\n", "\r\n"))  # other bytes, same content
    assert state(bridge, file_id) == "done"
    methods = [r["method"] for r in mock_http.get("/mock/requests").json["requests"]]
    assert methods and set(methods) == {"GET"}


def test_a_lost_answer_to_a_new_register_record_is_found_again(make_bridge, api, mock_app):
    lossy = LoseAnswer(
        httpx.WSGITransport(app=mock_app), lambda r: r.method == "POST" and r.url.path == "/3/customers"
    )
    bridge = make_bridge(lossy)
    file_id = send(bridge, "customer_register.csv")
    assert lossy.lost and state(bridge, file_id) == "done"
    assert [s for s in lossy.sent if s == "POST /3/customers"] == lossy.lost
    assert [c["CustomerNumber"] for c in customers(api)].count("2001") == 1
    outcomes = {key.split("@")[0]: d["outcomes"] for key, d in documents(bridge, file_id).items()}
    assert outcomes["2001"] == ["reconciled"]
