"""The loopback receiver takes Fortnox's redirect on the registered address, once, and shows
the browser how connecting ended."""

import socket
import threading

import httpx
import pytest

from bridge.fortnox.callback import CallbackReceiver, answer_from_address


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_redirect_is_taken_and_the_browser_waits_for_the_outcome():
    port = free_port()
    with CallbackReceiver(f"http://127.0.0.1:{port}/callback") as receiver:
        pages = []
        browser = threading.Thread(
            target=lambda: pages.append(httpx.get(f"http://127.0.0.1:{port}/callback?code=c1&state=s1"))
        )
        browser.start()
        assert receiver.wait(10) == {"code": "c1", "state": "s1"}
        assert httpx.get(f"http://127.0.0.1:{port}/elsewhere").status_code == 404
        again = httpx.get(f"http://127.0.0.1:{port}/callback?code=c2&state=s1")
        assert again.status_code == 409  # the first answer counts
        receiver.finish(True, "Bygg AB (556677-8899) is connected.")
        browser.join(10)
    assert pages[0].status_code == 200 and "Bygg AB (556677-8899) is connected." in pages[0].text


def test_nothing_arrives_within_the_time():
    with CallbackReceiver(f"http://127.0.0.1:{free_port()}/cb") as receiver:
        assert receiver.wait(0.05) is None


@pytest.mark.parametrize(
    "uri",
    ["https://127.0.0.1:8765/callback", "http://example.com:8765/callback", "http://127.0.0.1/callback"],
)
def test_only_a_loopback_address_with_a_port_can_receive(uri):
    with pytest.raises(ValueError, match="--paste"):
        CallbackReceiver(uri)


def test_a_pasted_address_or_query_gives_the_answer():
    expected = {"code": "abc", "state": "xyz"}
    assert answer_from_address("http://127.0.0.1:8765/callback?code=abc&state=xyz\n") == expected
    assert answer_from_address("  code=abc&state=xyz") == expected
    assert answer_from_address("?code=abc&state=xyz") == expected
