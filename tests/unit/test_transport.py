"""The bridge's pool over real loopback sockets: what each way a call can fail tells the executor
(nothing sent, or maybe acted on), and the mock served for real in both transports."""

from __future__ import annotations

import gzip
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import httpx
import pytest

from bridge.fortnox import FortnoxClient, FortnoxError, FortnoxUnreachable, Pacer, StaticToken
from bridge.fortnox.client import multipart
from bridge.fortnox.transport import HttpxTransport, Pool, Unanswered, Unsent, _tls
from mockfortnox import create_app
from mockfortnox.server import MockServer

Behaviour = Callable[[socket.socket], None]


@contextmanager
def server(behaviour: Behaviour) -> Iterator[tuple[str, list[int]]]:
    """A server on loopback that treats each connection as `behaviour` says; yields its address
    and a list that counts the connections it accepted."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            threading.Thread(target=_handle, args=(connection, behaviour), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join()
        listener.close()


def _handle(connection: socket.socket, behaviour: Behaviour) -> None:
    with connection, suppress(OSError):  # the client went away: nothing more to do
        behaviour(connection)


def read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        body += connection.recv(65536)
    return data


def answering(*answers: bytes) -> Behaviour:
    """Answers each request on a connection with the next of `answers`, keeping it open."""

    def behaviour(connection: socket.socket) -> None:
        for answer in answers:
            if not read_request(connection):
                return
            connection.sendall(answer)

    return behaviour


def cut_short(connection: socket.socket) -> None:
    read_request(connection)
    connection.sendall(
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Invo'
    )


def silent(connection: socket.socket) -> None:
    read_request(connection)
    connection.recv(1)  # until the client gives up and closes


def hangs_up(connection: socket.socket) -> None:
    read_request(connection)


def refused_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # bound, then closed: nobody listens there


def client(url: str, transport=None, **kwargs) -> FortnoxClient:
    return FortnoxClient(url, StaticToken("t"), transport=transport or Pool(2), timeout=0.5, **kwargs)


def json_answer(body: bytes, status: str = "200 OK", extra: bytes = b"") -> bytes:
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + extra + b"\r\n" + body


def test_a_refused_port_is_cannot_connect():
    with pytest.raises(FortnoxUnreachable) as caught:
        client(refused_address()).post("/3/invoices", {"Invoice": {}})
    assert (
        caught.value.transient
        and "cannot connect: " in str(caught.value)
        and "ConnectionRefusedError" in str(caught.value)
    )


def test_an_answer_cut_short_may_have_created_the_record():
    with server(cut_short) as (url, _), pytest.raises(FortnoxUnreachable) as caught:
        client(url).post("/3/invoices", {"Invoice": {}})
    assert "no complete answer: the answer was cut short, 94 bytes still to come" in str(caught.value)


def test_a_server_that_never_answers_is_a_read_timeout_after_sending():
    with server(silent) as (url, _), pytest.raises(FortnoxUnreachable) as caught:
        client(url).post("/3/invoices", {"Invoice": {}})
    assert "no complete answer: no answer in time (the read timed out)" in str(caught.value)


def test_a_connection_closed_without_an_answer_may_have_created_the_record():
    with server(hangs_up) as (url, _), pytest.raises(FortnoxUnreachable) as caught:
        client(url).post("/3/invoices", {"Invoice": {}})
    assert "no complete answer: the connection was closed without an answer" in str(caught.value)


def test_a_connection_reset_while_the_request_is_written_may_have_created_the_record():
    def resets(connection: socket.socket) -> None:
        connection.recv(1024)  # the head and a little of the body, then a reset
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    pdf = b"%PDF" * 2_000_000  # more than the socket buffers hold
    with server(resets) as (url, _), pytest.raises(FortnoxUnreachable) as caught:
        client(url).request("POST", "/3/inbox", files={"file": ("big.pdf", pdf, "application/pdf")})
    assert "no complete answer: ConnectionResetError" in str(caught.value)


def test_a_kept_connection_the_server_closed_meanwhile_is_replaced_not_an_error():
    closed = threading.Event()

    def once(connection: socket.socket) -> None:
        answering(json_answer(b"{}"))(connection)
        connection.close()  # as a server does with a connection idle too long
        closed.set()

    with server(once) as (url, accepted):
        fortnox = client(url)
        assert fortnox.get("/3/me") == {}
        assert closed.wait(5)
        assert fortnox.get("/3/me") == {}
    assert accepted == [1, 1]


def _tls_server_context(tmp_path) -> tuple[ssl.SSLContext, object]:
    """A server's TLS with a certificate of its own for 127.0.0.1, and that certificate's file."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = ["-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    names = ["-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        ["openssl", "req", *made, *names, "-keyout", key, "-out", cert], check=True, capture_output=True
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    return tls, cert


def test_a_certificate_nobody_vouches_for_is_cannot_connect(tmp_path):
    """Verified in the TLS handshake, before a byte of the request is written."""
    tls, _ = _tls_server_context(tmp_path)
    refusing = server(lambda c: tls.wrap_socket(c, server_side=True))
    with refusing as (url, _), pytest.raises(FortnoxUnreachable) as caught:
        client(url.replace("http:", "https:")).post("/3/invoices", {"Invoice": {}})
    said = str(caught.value)
    assert "cannot connect: " in said and "CERTIFICATE_VERIFY_FAILED" in said


def test_calls_over_tls_to_a_trusted_certificate_share_one_connection(tmp_path, monkeypatch):
    tls, cert = _tls_server_context(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the roots the pool trusts, as for httpx
    _tls.cache_clear()
    answers = answering(json_answer(b'{"n": 1}'), json_answer(b'{"n": 2}'))
    try:
        with server(lambda c: answers(tls.wrap_socket(c, server_side=True))) as (url, accepted):
            fortnox = client(url.replace("http:", "https:"))
            assert [fortnox.get("/3/me"), fortnox.get("/3/me")] == [{"n": 1}, {"n": 2}]
        assert accepted == [1]
    finally:
        _tls.cache_clear()


def test_no_connection_free_in_time_is_cannot_connect():
    pool = Pool(1)
    half_sent = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    with server(half_sent) as (url, _):
        held = pool.stream(f"{url}/3/archive/a", {}, timeout=5)  # holds the one connection
        with held, pytest.raises(Unsent, match=r"came free in 0\.2 s"):
            pool.send("GET", f"{url}/3/customers", {}, None, timeout=0.2)


def test_a_download_cut_short_is_unreachable_and_gives_its_connection_back():
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 1000000\r\n\r\n"
    pool = Pool(1)
    cut = server(lambda c: (read_request(c), c.sendall(head + b"%PDF" * 100)))
    with (
        cut as (url, _),
        pytest.raises(FortnoxUnreachable, match="no complete answer: the answer was cut short"),
    ):
        client(url, pool).download("/3/archive/abc", lambda chunk: None)
    with server(answering(json_answer(b'{"ok": true}'))) as (url, _):
        assert pool.send("GET", f"{url}/3/me", {}, None, timeout=1).status == 200  # the one place is free


def test_a_download_stopped_by_its_writer_gives_its_connection_back():
    pool = Pool(1)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 600000\r\n\r\n"
    with server(answering(head + b"x" * 600_000, json_answer(b"{}"))) as (url, _):

        def full_disk(chunk: bytes) -> None:
            raise OSError("no space left on device")

        with pytest.raises(OSError, match="no space"):
            client(url, pool).download("/3/archive/abc", full_disk)
        assert pool.send("GET", f"{url}/3/me", {}, None, timeout=1).status == 200


def test_calls_share_one_kept_alive_connection_and_read_headers_in_any_case():
    answers = [json_answer(b'{"Customers": []}')] * 3
    with server(answering(*answers)) as (url, accepted):
        fortnox = client(url)
        for _ in range(3):
            assert fortnox.get("/3/customers") == {"Customers": []}  # json by a lower-case content-type
    assert accepted == [1]


def test_a_lower_case_retry_after_slows_the_pacer():
    now = [100.0]
    pacer = Pacer(limit=25, seconds=5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    busy = server(answering(json_answer(b"{}", "429 Too Many Requests", b"retry-after: 7\r\n")))
    with busy as (url, _), pytest.raises(FortnoxError) as caught:
        client(url, pacer=pacer).get("/3/customers")
    assert caught.value.status == 429
    with pacer.slot():
        assert now[0] == pytest.approx(107.0)


@pytest.fixture(scope="module")
def served_mock() -> Iterator[tuple[str, str]]:
    app = create_app({"MOCK_RATE_LIMIT": "off"})
    token = app.test_client().post("/mock/tokens", json={"tenant": "demo"}).json["access_token"]
    mock = MockServer(app).start()
    yield mock.url, token
    mock.stop()


@pytest.mark.parametrize("transport", ["pool", "httpx"])
def test_a_file_goes_up_as_multipart_and_comes_back_byte_for_byte(served_mock, transport):
    url, token = served_mock
    wire = Pool(2) if transport == "pool" else HttpxTransport(httpx.HTTPTransport())
    fortnox = FortnoxClient(url, StaticToken(token), transport=wire)
    content = bytes(range(256)) * 2000  # half a megabyte, every byte value
    uploaded = fortnox.request(
        "POST", "/3/inbox?folderId=inbox_s", files={"file": ("kvitto å.pdf", content, "application/pdf")}
    )["File"]
    assert uploaded["Name"] == "kvitto å.pdf"
    received = bytearray()
    media_type = fortnox.download(f"/3/inbox/{uploaded['Id']}", received.extend)
    assert bytes(received) == content and media_type.startswith("application/pdf")
    fortnox.close()


def test_seam_failures_are_the_two_kinds_only():
    pool = Pool(1)
    with pytest.raises(Unsent):
        pool.send("GET", f"{refused_address()}/3/me", {}, None, timeout=1)
    with server(cut_short) as (url, _), pytest.raises(Unanswered):
        pool.send("GET", f"{url}/3/me", {}, None, timeout=1)


def _chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x;note=1\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\nX-Trailer: t\r\n\r\n"


def test_a_chunked_answer_is_read_whole_and_its_connection_kept():
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    answers = [head + _chunked(b'{"Customers"', b": [1, ", b"2]}"), json_answer(b"{}")]
    with server(answering(*answers)) as (url, accepted):
        fortnox = client(url)
        assert fortnox.get("/3/customers") == {"Customers": [1, 2]}
        assert fortnox.get("/3/me") == {}
    assert accepted == [1]


@pytest.mark.parametrize(
    "encoding, packed",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the standard says
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw, as some send
    ],
)
def test_a_compressed_answer_is_unpacked(encoding, packed):
    body = packed(b'{"Invoices": [' + b"1, " * 5000 + b"2]}")
    answer = json_answer(body, extra=f"content-encoding: {encoding}\r\n".encode())
    with server(answering(answer)) as (url, _):
        assert client(url).get("/3/invoices") == {"Invoices": [1] * 5000 + [2]}


def test_an_answer_without_a_length_ends_with_its_connection_which_is_not_kept():
    def to_the_close(connection: socket.socket) -> None:
        read_request(connection)
        connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"a": 1}')

    with server(to_the_close) as (url, accepted):
        fortnox = client(url)
        assert fortnox.get("/3/me") == {"a": 1}
        assert fortnox.get("/3/me") == {"a": 1}
    assert accepted == [1, 1]


def test_a_connection_the_server_says_it_closes_is_not_kept():
    with server(answering(json_answer(b"{}", extra=b"Connection: close\r\n"))) as (url, accepted):
        fortnox = client(url)
        assert fortnox.get("/3/me") == {}
        assert fortnox.get("/3/me") == {}
    assert accepted == [1, 1]


def test_an_interim_answer_is_passed_over_and_repeated_headers_are_joined():
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    answer = json_answer(b"{}", "429 Too Many Requests", b"Retry-After: 7\r\nX-Seen: a\r\nx-seen: b\r\n")
    with server(answering(interim + answer)) as (url, _):
        reply = Pool(1).send("GET", f"{url}/3/me", {}, None, timeout=1)
    assert (reply.status, reply.headers["X-SEEN"], reply.headers.get("retry-after")) == (429, "a, b", "7")


def test_a_path_with_letters_beyond_ascii_is_sent_percent_encoded():
    seen: list[bytes] = []

    def records(connection: socket.socket) -> None:
        seen.append(read_request(connection))
        connection.sendall(json_answer(b"{}"))

    with server(records) as (url, _):
        client(url).get("/3/customers/Å 1")
    assert seen[0].startswith(b"GET /3/customers/%C3%85%201 HTTP/1.1\r\nHost: 127.0.0.1:")


def test_an_answer_that_is_not_http_may_have_created_the_record():
    def garbage(connection: socket.socket) -> None:
        read_request(connection)
        connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

    with server(garbage) as (url, _), pytest.raises(Unanswered, match="not an HTTP answer"):
        Pool(1).send("POST", f"{url}/3/invoices", {}, b"{}", timeout=1)


def test_a_file_name_in_a_form_keeps_its_letters_and_quotes_its_quotes():
    body, media_type = multipart({"file": ('kvitto "å".pdf', b"%PDF", "application/pdf")})
    boundary = media_type.removeprefix("multipart/form-data; boundary=")
    assert (
        body
        == (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="kvitto %22å%22.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n%PDF\r\n--{boundary}--\r\n"
        ).encode()
    )


@pytest.mark.parametrize(
    "url", ["ftp://example.com/3/me", "http://example.com:port/3/me", "http://[::1/3/me", "example.com/3/me"]
)
def test_an_address_the_bridge_cannot_call_is_cannot_connect(url):
    with pytest.raises(Unsent, match="not a URL the bridge can call"):
        Pool(1).send("GET", url, {}, None, timeout=1)
