"""mockfortnox throughput: single-record GETs per second, rate limit off, from a concurrent
client on loopback, beside the same client against a trivial WSGI app on the same waitress
server in the same run. Each server runs in its own process (the client in this one), so the
two compete for the machine's cores the same way.

Targets (issue 4): at least 500 requests/s on a 2-core machine, and at least half the rate of
the trivial app.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable

import httpx

from bench.report import report

CONNECTIONS = 8
SECONDS = 4.0
PATH = "/3/customers/1001"


def _trivial_app(environ: dict, start_response: Callable) -> list[bytes]:
    body = b'{"Customer":{"CustomerNumber":"1001"}}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _serve(kind: str, ports: multiprocessing.Queue) -> None:
    import logging

    from mockfortnox import create_app
    from mockfortnox.server import MockServer

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load is the point
    app = create_app({"MOCK_RATE_LIMIT": "off"})
    server = MockServer(app)
    if kind == "trivial":
        # The same waitress server class and settings, serving the trivial app instead.
        server._server.application = _trivial_app
    ports.put(server.port)
    server.serve_forever()


def _measure(url: str, headers: dict) -> float:
    """Requests per second over SECONDS from CONNECTIONS keep-alive connections."""
    counts = [0] * CONNECTIONS
    stop = time.perf_counter() + SECONDS

    def worker(index: int) -> None:
        with httpx.Client(base_url=url, headers=headers) as client:
            client.get(PATH).raise_for_status()  # warm the connection
            while time.perf_counter() < stop:
                client.get(PATH).raise_for_status()
                counts[index] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def _rate_against(kind: str) -> float:
    context = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue = context.Queue()
    process = context.Process(target=_serve, args=(kind, ports), daemon=True)
    process.start()
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=30)}"
        headers = {}
        if kind == "mock":
            token = httpx.post(f"{url}/mock/tokens", json={"tenant": "demo"}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
        return _measure(url, headers)
    finally:
        process.terminate()
        process.join(timeout=10)


def main() -> None:
    trivial = _rate_against("trivial")
    mock = _rate_against("mock")
    report(
        f"mockfortnox GET {PATH} ({CONNECTIONS} connections, rate limit off)",
        mock,
        "requests/s",
        baseline=trivial,
        baseline_name="trivial WSGI app on the same waitress server",
        target=">= 500 requests/s and ratio >= 0.50",
    )


if __name__ == "__main__":
    main()
