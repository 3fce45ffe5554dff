"""The Fortnox client: typed errors in both key casings, pages, tokens, and what a failure means."""

from decimal import Decimal

import httpx
import pytest

from bridge.fortnox import FortnoxClient, FortnoxError, FortnoxUnreachable, Pacer, StaticToken


def client_answering(handler) -> FortnoxClient:
    return FortnoxClient("https://api.fortnox.se", StaticToken("t"), transport=httpx.MockTransport(handler))


def test_reads_lower_case_error_information():
    def handler(request):
        body = {
            "ErrorInformation": {"error": 1, "message": "Ett ogiltigt filter har använts.", "code": 2000587}
        }
        return httpx.Response(400, json=body)

    with pytest.raises(FortnoxError) as caught:
        client_answering(handler).get("/3/invoices", filter="doesntexist")
    error = caught.value
    assert (error.status, error.code, error.message) == (400, 2000587, "Ett ogiltigt filter har använts.")
    assert not error.transient


def test_reads_capitalised_error_information():
    def handler(request):
        return httpx.Response(
            404,
            json={"ErrorInformation": {"Error": 1, "Message": "Kan inte hitta fakturan.", "Code": 2000434}},
        )

    with pytest.raises(FortnoxError) as caught:
        client_answering(handler).get("/3/invoices/123456789")
    assert (caught.value.code, caught.value.message) == (2000434, "Kan inte hitta fakturan.")
    assert "GET /3/invoices/123456789" in str(caught.value)


def test_a_refused_token_is_renewed_once():
    tokens = []

    class Rotating:
        def __init__(self):
            self.n = 0

        def access_token(self):
            self.n += 1
            return f"token-{self.n}"

        def invalidate(self, token):
            tokens.append(("invalidated", token))

    def handler(request):
        tokens.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer token-1":
            return httpx.Response(401, json={"message": "unauthorized"})
        return httpx.Response(200, json={"Me": {"Name": "x"}})

    client = FortnoxClient("https://x", Rotating(), transport=httpx.MockTransport(handler))
    assert client.get("/3/me") == {"Me": {"Name": "x"}}
    assert tokens == ["Bearer token-1", ("invalidated", "token-1"), "Bearer token-2"]


def test_amounts_come_back_as_decimal():
    client = client_answering(lambda request: httpx.Response(200, content=b'{"Invoice": {"Total": 1562.50}}'))
    assert client.get("/3/invoices/1")["Invoice"]["Total"] == Decimal("1562.50")


def test_a_connection_failure_never_reached_fortnox():
    def handler(request):
        raise httpx.ConnectError("refused")

    with pytest.raises(FortnoxUnreachable) as caught:
        client_answering(handler).post("/3/invoices", {"Invoice": {}})
    assert caught.value.transient and "cannot connect" in str(caught.value)


def test_a_read_timeout_after_sending_may_have_created_the_record():
    def handler(request):
        raise httpx.ReadTimeout("slow")

    with pytest.raises(FortnoxUnreachable) as caught:
        client_answering(handler).post("/3/invoices", {"Invoice": {}})
    assert caught.value.transient and "no complete answer" in str(caught.value)


def test_a_server_error_on_a_write_is_transient_and_ambiguous():
    with pytest.raises(FortnoxError) as caught:
        client_answering(lambda r: httpx.Response(503, text="busy")).post("/3/invoices", {"Invoice": {}})
    assert caught.value.transient and caught.value.status == 503


def test_429_slows_the_pacer_and_is_transient():
    now = [100.0]
    pacer = Pacer(limit=25, seconds=5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    client = FortnoxClient(
        "https://x",
        StaticToken("t"),
        pacer=pacer,
        transport=httpx.MockTransport(lambda r: httpx.Response(429)),
    )
    with pytest.raises(FortnoxError) as caught:
        client.get("/3/customers")
    assert caught.value.status == 429 and caught.value.transient
    with pacer.slot():
        assert now[0] == pytest.approx(105.0)  # held back one window before the next request


def test_pacer_keeps_under_the_window():
    now = [0.0]
    pacer = Pacer(limit=3, seconds=5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    for _ in range(7):
        with pacer.slot():
            pass
    assert now[0] == pytest.approx(10.0)  # requests 4-6 wait for the first window, 7 for the second


def test_a_request_holds_its_place_until_five_seconds_after_its_answer():
    """Fortnox counts a request when it arrives, somewhere between our sending and its answer."""
    now = [0.0]
    pacer = Pacer(limit=2, seconds=5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    with pacer.slot():
        now[0] += 3.0  # a slow answer: Fortnox may have counted it at any moment up to 3.0
    with pacer.slot():
        pass
    with pacer.slot():
        started = now[0]
    assert started == pytest.approx(8.0)  # five seconds after the slow answer, not after its sending


def test_requests_in_flight_are_never_forgotten():
    now, waits = [0.0], []
    pacer = Pacer(limit=1, seconds=5, clock=lambda: now[0])
    first = pacer.slot()
    first.__enter__()
    now[0] = 60.0  # a minute without an answer

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:
            first.__exit__(None, None, None)  # the answer comes while the next request waits
        now[0] += seconds

    pacer._sleep = sleep
    with pacer.slot():
        assert waits[0] < 1 and now[0] == pytest.approx(65.0)  # its window began when its answer came


def test_iterates_every_page(api):
    for n in range(7):
        api.post("/3/customers", {"Customer": {"Name": f"Kund {n}"}})
    names = [c["Name"] for c in api.iter_pages("/3/customers", "Customers", limit=2)]
    assert len(names) == 10  # three from the demo company plus seven
    assert len(set(names)) == 10


def test_pages_of_an_empty_list(api):
    assert list(api.iter_pages("/3/customers", "Customers", name="nobody by that name")) == []


def test_a_download_is_bytes_even_when_they_look_like_json():
    content = b'{"Invoice": "a file someone archived"}' * 20_000

    def handler(request):
        assert request.headers["Accept"] == "*/*"
        return httpx.Response(200, content=content, headers={"Content-Type": "application/json"})

    received = bytearray()
    media_type = client_answering(handler).download("/3/archive/abc", received.extend)
    assert (bytes(received), media_type) == (content, "application/json")


def test_a_download_that_fails_is_a_typed_error_and_writes_nothing():
    def handler(request):
        return httpx.Response(
            404, json={"ErrorInformation": {"Message": "Kan inte hitta filen.", "Code": 2999112}}
        )

    received = bytearray()
    with pytest.raises(FortnoxError) as caught:
        client_answering(handler).download("/3/archive/gone", received.extend)
    assert (caught.value.status, caught.value.code, received) == (404, 2999112, bytearray())


def test_a_download_cut_short_is_unreachable_not_a_short_file():
    def handler(request):
        raise httpx.ReadError("connection reset")

    with pytest.raises(FortnoxUnreachable) as caught:
        client_answering(handler).download("/3/archive/abc", lambda chunk: None)
    assert caught.value.transient


def test_query_parameters_as_fortnox_reads_them():
    seen = []

    def handler(request):
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    client = client_answering(handler)
    client.get("/3/invoices", filter="unpaid", sent=True, name="Bygg & Måleri AB", page=None)
    client.get("/3/accounts?financialyear=2", limit=500, page=1)  # a path's own query is kept
    assert seen == [
        "https://api.fortnox.se/3/invoices?filter=unpaid&sent=true&name=Bygg+%26+M%C3%A5leri+AB&page=",
        "https://api.fortnox.se/3/accounts?financialyear=2&limit=500&page=1",
    ]


def test_a_file_goes_as_multipart_form_data():
    received = {}

    def handler(request):
        received["type"] = request.headers["Content-Type"]
        received["body"] = request.read()
        return httpx.Response(201, json={"File": {"Id": "f-1"}})

    pdf = b"%PDF-1.4 \x00\xff binary"
    answer = client_answering(handler).request(
        "POST", "/3/inbox?folderId=inbox_s", files={"file": ("kvitto.pdf", pdf, "application/pdf")}
    )
    assert answer == {"File": {"Id": "f-1"}}
    assert received["type"].startswith("multipart/form-data; boundary=")
    assert (
        b'name="file"; filename="kvitto.pdf"\r\nContent-Type: application/pdf\r\n\r\n' + pdf
        in received["body"]
    )
