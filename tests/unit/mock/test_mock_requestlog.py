"""The request log shows the whole exchange, hides the secrets in it, filters, and exports HAR."""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import UTC, datetime

from haralyzer import HarParser

from mockfortnox import create_app
from mockfortnox.faults import RequestLog

CUSTOMER = {"Customer": {"Name": "Loggat AB"}}


def _log(fortnox, query: str = "") -> list[dict]:
    answer = fortnox.control("GET", f"/mock/requests{query}")
    assert answer.status == 200, answer.body
    return answer.body["requests"]


def test_an_entry_has_both_sides_headers_bodies_and_duration(fortnox):
    fortnox.post("/3/customers", CUSTOMER)
    entry = _log(fortnox, "?method=POST")[-1]
    assert entry["status"] == 201 and entry["tenant"] == 123456 and entry["ms"] >= 0
    assert entry["request"]["headers"]["Content-Type"] == "application/json"
    assert json.loads(entry["request"]["body"]["text"]) == CUSTOMER
    assert entry["response"]["headers"]["Location"] == "customers"
    assert json.loads(entry["response"]["body"]["text"])["Customer"]["Name"] == "Loggat AB"


def test_the_bearer_token_is_masked(fortnox):
    fortnox.get("/3/customers")
    shown = _log(fortnox)[-1]["request"]["headers"]["Authorization"]
    assert shown == "Bearer ********" and fortnox.token not in json.dumps(_log(fortnox))


def test_oauth_secrets_in_bodies_are_masked(fortnox):
    basic = base64.b64encode(b"demo-client:demo-secret").decode()
    answer = fortnox.http.post("/oauth-v1/token", data={"grant_type": "client_credentials"},
                               headers={"Authorization": f"Basic {basic}", "TenantId": "123456"})  # fmt: skip
    token = answer.get_json()["access_token"]
    fortnox.http.post("/oauth-v1/token", data={"grant_type": "refresh_token", "refresh_token": "r-secret"},
                      headers={"Authorization": f"Basic {basic}"})  # fmt: skip
    shown = json.dumps(_log(fortnox, "?path=/oauth-v1/"))
    assert (
        token not in shown and "r-secret" not in shown and "demo-secret" not in shown and basic not in shown
    )
    assert "refresh_token=********" in shown


def test_a_fired_fault_is_named(fortnox):
    fortnox.control("POST", "/mock/faults", {"rules": [{"path": "/3/articles", "status": 503, "times": 1}]})
    fortnox.get("/3/articles")
    entry = _log(fortnox, "?path=/3/articles")[-1]
    assert entry["status"] == 503 and entry["fault"] == "status"


def test_filters_by_status_class_path_tenant_and_sequence(fortnox):
    fortnox.get("/3/customers/1001")
    fortnox.get("/3/customers/nobody")
    assert [e["path"] for e in _log(fortnox, "?status=4xx")] == ["/3/customers/nobody"]
    assert len(_log(fortnox, "?status=200&path=/3/customers/")) == 1
    assert len(_log(fortnox, "?tenant=demo")) == 2
    first = _log(fortnox)[0]["seq"]
    assert [e["path"] for e in _log(fortnox, f"?after={first}")] == ["/3/customers/nobody"]
    assert fortnox.control("GET", "/mock/requests?status=teapot").status == 400


def test_filters_by_time(fortnox):
    fortnox.get("/3/customers")
    later = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    fortnox.get("/3/articles")
    assert [e["path"] for e in _log(fortnox, f"?since={later}")] == ["/3/articles"]
    assert [e["path"] for e in _log(fortnox, f"?until={later}")] == ["/3/customers"]


def test_bodies_are_kept_up_to_a_limit_even_when_the_request_is_refused_unread():
    app = create_app({"MOCK_RATE_LIMIT": "off"})
    app.extensions["mockfortnox.requests"].body_limit = 100
    http = app.test_client()
    http.post("/3/customers", data=b"x" * 5000, content_type="application/json")  # no token: 401
    http.post("/3/customers", data=b"y" * 50, content_type="application/json")
    big, small = (e["request"]["body"] for e in http.get("/mock/requests").get_json()["requests"])
    assert big["size"] == 100 and big["truncated"] is True
    assert small["text"] == "y" * 50 and small["truncated"] is False


def test_the_har_export_opens_in_a_har_reader(fortnox):
    invoice = {"CustomerNumber": "1001", "InvoiceRows": [{"ArticleNumber": "KONS", "DeliveredQuantity": "1"}]}
    number = fortnox.post("/3/invoices", {"Invoice": invoice}).body["Invoice"]["DocumentNumber"]
    fortnox.get(f"/3/invoices/{number}/preview")  # a binary body goes as base64
    answer = fortnox.http.get("/mock/requests?format=har")
    assert "attachment" in answer.headers["Content-Disposition"]
    har = answer.get_json()
    assert har["log"]["version"] == "1.2"
    parser = HarParser(har)
    entries = parser.har_data["entries"]
    assert [e["request"]["method"] for e in entries] == ["POST", "GET"]
    assert entries[0]["response"]["status"] == 201 and entries[0]["response"]["redirectURL"] == "invoices"
    assert entries[0]["request"]["postData"]["mimeType"] == "application/json"
    pdf = entries[1]["response"]["content"]
    assert pdf["encoding"] == "base64" and base64.b64decode(pdf["text"])[:5] == b"%PDF-"
    assert all(
        h["value"] == "Bearer ********"
        for h in entries[0]["request"]["headers"]
        if h["name"] == "Authorization"
    )


def test_the_control_api_itself_is_not_logged(fortnox):
    fortnox.control("GET", "/mock/tenants")
    assert _log(fortnox) == []


def test_the_log_keeps_the_newest_entries():
    log = RequestLog(size=2)
    for n in range(3):
        log.add({"n": n})
    assert [e["n"] for e in log.entries()] == [1, 2]


def test_a_body_past_the_limit_still_reaches_the_app_whole(fortnox):
    content = b"%PDF-1.4\n" + b"0" * 200_000
    answer = fortnox.post("/3/inbox?folderId=inbox_s", data={"file": (io.BytesIO(content), "stor.pdf")},
                          content_type="multipart/form-data")  # fmt: skip
    assert answer.status == 201 and answer.body["File"]["Size"] == len(content)
    assert _log(fortnox, "?method=POST")[-1]["request"]["body"]["truncated"] is True
