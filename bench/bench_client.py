"""The bridge's own `FortnoxClient.get` against `mockfortnox serve` in a process of its own:
calls per second and the client's CPU per call, from 1 and from 8 threads, through the pool the
bridge uses (`bridge.fortnox.transport.Pool`, HTTP/1.1 of its own in `wire`).

Baselines, same run, the same client over: urllib3's pool (which carried the calls before),
httpx's own pool (`httpx.HTTPTransport` through the transport seam's httpx adapter), and, for
the CPU, the calls as they went before the seam: through an `httpx.Client` (its request
building, URL merging, cookies) over that pool. Rounds alternate between them so that a
neighbour's load falls on all alike; the median round is printed.

The CPU is this process's (`time.process_time`, every thread): the mock's is its own. On a
bureau's run the bridge's CPU is what bounds the pace (bench_bureau), so CPU per call is the
figure that matters; calls per second also carry the mock's share of the machine.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import urllib3

from bench.report import report
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.fortnox.transport import Answer, HttpxTransport, Pool, Streamed, Transport
from tests.e2e.processes import MockProcess

CALLS = 1600  # per round, shared among the threads
ROUNDS = 3
THREADS = (1, 8)
CONNECTIONS = 16  # as the bridge's shared pool: more than the threads that send


def _httpx_pool() -> httpx.HTTPTransport:
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    return httpx.HTTPTransport(limits=limits)


class _HttpxClient:
    """The calls as they went before the seam: an `httpx.Client` over httpx's pool."""

    def __init__(self) -> None:
        self.http = httpx.Client(transport=_httpx_pool(), timeout=30)

    def send(self, method: str, url: str, headers, body: bytes | None, timeout: float) -> Answer:
        response = self.http.request(method, url, headers=headers, content=body)
        return Answer(response.status_code, response.headers, response.content)

    def stream(self, url: str, headers, timeout: float) -> AbstractContextManager[Streamed]:
        raise NotImplementedError("only `get` is measured")

    def close(self) -> None:
        self.http.close()


class _Urllib3:
    """The calls as they went over urllib3's pool."""

    def __init__(self) -> None:
        self.http = urllib3.PoolManager(maxsize=CONNECTIONS, block=True, retries=False)

    def send(self, method: str, url: str, headers, body: bytes | None, timeout: float) -> Answer:
        response = self.http.urlopen(method, url, body=body, headers=headers, timeout=timeout, redirect=False)
        return Answer(response.status, response.headers, response.data)

    def stream(self, url: str, headers, timeout: float) -> AbstractContextManager[Streamed]:
        raise NotImplementedError("only `get` is measured")

    def close(self) -> None:
        self.http.clear()


TRANSPORTS: dict[str, Callable[[], Transport]] = {
    "httpx": lambda: HttpxTransport(_httpx_pool()),
    "httpx.Client": _HttpxClient,
    "urllib3": _Urllib3,
    "pool": lambda: Pool(CONNECTIONS),
}


def _round(client: FortnoxClient, threads: int) -> tuple[float, float]:
    """calls/s and CPU µs per call for CALLS calls from `threads` threads."""
    each = CALLS // threads
    start = threading.Barrier(threads + 1)

    def work() -> None:
        start.wait()
        for _ in range(each):
            client.get("/3/customers", limit=1)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    cpu, wall = time.process_time(), time.perf_counter()
    start.wait()
    for worker in workers:
        worker.join()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    calls = each * threads
    return calls / wall, cpu / calls * 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        mock = MockProcess(Path(tmp), "--rate-limit", "off", "--threads", "8")
        try:
            token = httpx.post(f"{mock.url}/mock/tokens", json={"tenant": "demo"}).json()["access_token"]
            clients = {
                name: FortnoxClient(mock.url, StaticToken(token), transport=make())
                for name, make in TRANSPORTS.items()
            }
            for client in clients.values():  # connections made, code warm
                for _ in range(200):
                    client.get("/3/customers", limit=1)
            figures: dict[tuple[str, int], list[tuple[float, float]]] = {}
            for _ in range(ROUNDS):
                for threads in THREADS:
                    for name, client in clients.items():
                        figures.setdefault((name, threads), []).append(_round(client, threads))
            for client in clients.values():
                client.close()
        finally:
            mock.stop()
    for threads in THREADS:
        new = figures[("pool", threads)]
        label = f"{threads} thread{'s' if threads > 1 else ''}"
        report(
            f"the bridge's pool, {label}: calls per second",
            statistics.median(r for r, _ in new),
            "calls/s",
            baseline=statistics.median(r for r, _ in figures[("urllib3", threads)]),
            baseline_name="urllib3 pool",
        )
        for baseline, name in (
            (figures[("urllib3", threads)], "urllib3 pool"),
            (figures[("httpx", threads)], "httpx pool"),
            (figures[("httpx.Client", threads)], "httpx.Client"),
        ):
            report(
                f"the bridge's pool, {label}: client CPU per call",
                statistics.median(c for _, c in new),
                "µs",
                baseline=statistics.median(c for _, c in baseline),
                baseline_name=name,
            )


if __name__ == "__main__":
    main()
