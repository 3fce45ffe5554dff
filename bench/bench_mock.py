"""mockfortnox throughput: single-record GETs per second, rate limit off, from a concurrent
client on loopback, beside the same client against a trivial WSGI app on the same waitress
server in the same run. Each server runs in its own process (the client in this one), so the
two compete for the machine's cores the same way.

The trivial app is measured twice: answering a tiny body, and answering byte for byte what
the mock answers (its body and headers, taken from the mock at start), so that the client's
cost of reading a bigger answer is not counted against the mock; the second is the baseline
of the target.

The servers run for the whole benchmark and are measured in turns (trivial, mock, trivial,
mock, …), so that a change in the machine's load during the run touches both alike; the
figure is the median of the rounds, and the ratio the median of the rounds' ratios.

Target (issue 17): at least 0.9 of the trivial app's rate.
"""

from __future__ import annotations

import multiprocessing
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.report import report

CONNECTIONS = 8
SECONDS = 2.0
ROUNDS = 5
PATH = "/3/customers/1001"


def _trivial_app(environ: dict, start_response: Callable) -> list[bytes]:
    body = b'{"Customer":{"CustomerNumber":"1001"}}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _same_answer_app(app: Any) -> Callable:
    """A trivial app answering exactly the mock's answer to PATH, recorded once."""
    client = app.test_client()
    token = client.post("/mock/tokens", json={"tenant": "demo"}).get_json()["access_token"]
    recorded = client.get(PATH, headers={"Authorization": f"Bearer {token}"})
    body, headers = recorded.get_data(), list(recorded.headers.items())

    def same_answer(environ: dict, start_response: Callable) -> list[bytes]:
        start_response("200 OK", headers)
        return [body]

    return same_answer


def _serve(kind: str, ports: multiprocessing.Queue) -> None:
    import logging

    from mockfortnox import create_app
    from mockfortnox.server import MockServer

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load is the point
    app = create_app({"MOCK_RATE_LIMIT": "off"})
    server = MockServer(app)
    # The same waitress server class and settings, serving a trivial app instead.
    if kind == "trivial":
        server._server.application = _trivial_app
    elif kind == "same answer":
        server._server.application = _same_answer_app(app)
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


def _start(kind: str) -> tuple[multiprocessing.process.BaseProcess, str, dict]:
    context = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue = context.Queue()
    process = context.Process(target=_serve, args=(kind, ports), daemon=True)
    process.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}"
    headers = {}
    if kind == "mock":
        token = httpx.post(f"{url}/mock/tokens", json={"tenant": "demo"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
    return process, url, headers


KINDS = ("trivial", "same answer", "mock")


def main() -> None:
    servers = {kind: _start(kind) for kind in KINDS}
    try:
        rates: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for _ in range(ROUNDS):
            for kind, (_, url, headers) in servers.items():
                rates[kind].append(_measure(url, headers))
    finally:
        for process, _, _ in servers.values():
            process.terminate()
            process.join(timeout=10)
    mock = statistics.median(rates["mock"])
    for kind, name, target in (
        ("same answer", "trivial WSGI app answering the mock's bytes, same server", "ratio >= 0.90"),
        ("trivial", "trivial WSGI app with a tiny body, same server", ""),
    ):
        report(
            f"mockfortnox GET {PATH} ({CONNECTIONS} connections, rate limit off, median of {ROUNDS} rounds)",
            mock,
            "requests/s",
            baseline=statistics.median(rates[kind]),
            baseline_name=name,
            target=target,
        )
        ratios = sorted(m / t for m, t in zip(rates["mock"], rates[kind], strict=True))
        print(
            f"  ratio per round (in turns): {', '.join(f'{r:.2f}' for r in ratios)}; "
            f"median {statistics.median(ratios):.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
