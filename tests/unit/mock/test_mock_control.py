"""The control API: reset, tenants, state, faults, request log, clock."""

from __future__ import annotations

from bridge.util import loads


def test_reset_returns_to_the_seeded_start(fortnox):
    fortnox.post("/3/customers", {"Customer": {"Name": "Tillfällig"}})
    assert len(fortnox.get("/3/customers").body["Customers"]) == 4
    fortnox.control("POST", "/mock/reset")
    fortnox.token = fortnox.new_token()
    assert len(fortnox.get("/3/customers").body["Customers"]) == 3
    assert fortnox.control("POST", "/mock/reset", {"empty": True}).body["tenants"] == []


def test_tenants_from_the_demo_seed_and_from_json(fortnox):
    demo = fortnox.control("POST", "/mock/tenants", {"name": "second"})
    assert demo.status == 201
    assert demo.body["credentials"] == {
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "tenant_id": demo.body["id"],
    }
    spec = {
        "name": "tiny",
        "company": {"CompanyName": "Tiny AB"},
        "licences": ["customer"],
        "customers": [{"Name": "Kund"}],
    }
    tiny = fortnox.control("POST", "/mock/tenants", {"seed": spec}).body
    token = fortnox.new_token("tiny")
    assert [c["Name"] for c in fortnox.get("/3/customers", token=token).body["Customers"]] == ["Kund"]
    dumped = fortnox.control("GET", f"/mock/state?tenant={tiny['id']}").body
    assert dumped["name"] == "tiny" and "1" in dumped["tables"]["customers"]
    bad = fortnox.control("POST", "/mock/tenants", {"seed": {"name": "x", "colours": []}})
    assert bad.status == 400 and "colours" in bad.body["error"]


def test_a_status_fault_answers_without_running_the_request(fortnox):
    rules = {"rules": [{"method": "POST", "path": "/3/customers", "status": 503, "times": 1}]}
    assert fortnox.control("POST", "/mock/faults", rules).status == 201
    body = {"Customer": {"Name": "Feltest"}}
    failed = fortnox.post("/3/customers", body)
    assert failed.status == 503 and failed.error() == (1000003, "System exception")
    assert len(fortnox.get("/3/customers").body["Customers"]) == 3  # nothing was written
    assert fortnox.post("/3/customers", body).status == 201  # `times` used up
    assert fortnox.control("GET", "/mock/faults").body["rules"][0]["fired"] == 1


def test_probability_with_a_seed_is_reproducible(fortnox):
    def run() -> list[int]:
        fortnox.control(
            "POST",
            "/mock/faults",
            {"seed": 7, "rules": [{"path": "/3/customers", "status": 500, "probability": 0.5}]},
        )
        return [fortnox.get("/3/customers").status for _ in range(20)]

    first = run()
    assert first == run() and set(first) == {200, 500}
    fortnox.control("DELETE", "/mock/faults")
    assert {fortnox.get("/3/customers").status for _ in range(5)} == {200}


def test_a_rate_limit_burst(fortnox):
    fortnox.control("POST", "/mock/faults", {"rules": [{"rate_limit": True, "times": 2, "retry_after": 3}]})
    burst = [fortnox.get("/3/customers") for _ in range(3)]
    assert [a.status for a in burst] == [429, 429, 200]
    assert burst[0].headers["Retry-After"] == "3"
    assert burst[0].error() == (2999429, "För många anrop. Försök igen om en stund.")


def test_latency(fortnox):
    import time

    fortnox.control("POST", "/mock/faults", {"rules": [{"latency_ms": 150}]})
    started = time.perf_counter()
    fortnox.get("/3/customers")
    assert time.perf_counter() - started >= 0.15


def test_bad_fault_rules_are_refused(fortnox):
    answer = fortnox.control("POST", "/mock/faults", {"rules": [{"path": "/3/x"}]})
    assert answer.status == 400 and "needs one of" in answer.body["error"]


def test_the_request_log(fortnox):
    fortnox.control("DELETE", "/mock/requests")
    fortnox.get("/3/customers?name=ab")
    fortnox.post("/3/customers", {"Customer": {"Name": "Loggad"}})
    log = fortnox.control("GET", "/mock/requests").body["requests"]
    assert [(e["method"], e["path"], e["status"], e["tenant"]) for e in log] == [
        ("GET", "/3/customers", 200, 123456),
        ("POST", "/3/customers", 201, 123456),
    ]
    assert log[0]["query"] == "name=ab" and "time" in log[0]
    assert len(fortnox.control("GET", "/mock/requests?method=post").body["requests"]) == 1
    fortnox.control("DELETE", "/mock/requests")
    assert fortnox.control("GET", "/mock/requests").body["requests"] == []


def test_the_clock(fortnox):
    frozen = fortnox.control("POST", "/mock/clock", {"freeze": "2026-06-01T12:00:00"}).body
    assert frozen == {"now": "2026-06-01T12:00:00+00:00", "frozen": True}
    assert fortnox.control("POST", "/mock/clock", {"advance": 60}).body["now"] == "2026-06-01T12:01:00+00:00"
    assert fortnox.control("POST", "/mock/clock", {"unfreeze": True}).body["frozen"] is False


def test_the_served_spec_lists_what_is_implemented(fortnox):
    spec = loads(fortnox.http.get("/openapi.json").data)
    assert {"get", "post"} <= set(spec["paths"]["/3/vouchers"])
    assert "put" not in spec["paths"]["/3/vouchers/{series}/{number}"]
    assert "/3/supplierinvoices/{key}/approvalpayment" in spec["paths"]
    listed = spec["paths"]["/3/invoices"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "InvoiceRows" not in listed["properties"]["Invoices"]["items"]["properties"]
