"""Live updates (Fortnox's WebSocket topics) against the polling they replace.

`fortnox-bridge watch` runs as a real process with `live.enabled` for 20 companies on one
connection to the mock, which keeps Fortnox's real limit (25 calls per 5 s per token). In the
bench process, 1,000 payments are registered and booked — 50 per company, one a second per
company — and the time from each booking's answer to the moment the company's payment export
(`payments-<company>.json`) says the invoice is paid is measured (the files are looked at every
20 ms). Printed: p50, p95 and the largest, and the calls the bridge made per change.

Baseline, same run: polling with `exports.payments_every_minutes`. A change waits for the next
run — on average half the interval, at the 95th percentile 95 % of it — plus the run itself,
whose time is measured here (an incremental `export payments` of one company, paced, over the
same server, after the changes). Shown for the shortest interval the setting allows (1 minute)
and for 15 minutes.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.report import report
from bridge.exporters.payments import export_payments
from bridge.fortnox import ClientCredentials, FortnoxClient, OAuth, Pacer
from bridge.util import loads
from mockfortnox import create_app
from mockfortnox.ratelimit import SlidingWindow
from mockfortnox.server import MockServer
from tests.e2e.processes import BridgeProcess, wait_until

COMPANIES = 20
CHANGES_PER_COMPANY = 50
CHANGE_EVERY = 1.0  # seconds, per company
LOOK_EVERY = 0.02


def _prepare(app) -> dict[str, tuple[int, str, list[dict]]]:
    """COMPANIES companies, each with CHANGES_PER_COMPANY booked invoices: name -> (id, token, invoices)."""
    http = app.test_client()
    companies = {}
    for n in range(COMPANIES):
        name = f"c{n:02}"
        tenant_id = http.post("/mock/tenants", json={"name": name}).json["id"]
        token = http.post("/mock/tokens", json={"tenant": name}).json["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        invoices = []
        for i in range(CHANGES_PER_COMPANY):
            rows = [{"Description": "Konsult", "DeliveredQuantity": 1, "Price": 100 + i}]
            body = {"Invoice": {"CustomerNumber": "1001", "InvoiceDate": "2026-03-02", "InvoiceRows": rows}}
            number = http.post("/3/invoices", json=body, headers=headers).json["Invoice"]["DocumentNumber"]
            invoices.append(http.put(f"/3/invoices/{number}/bookkeep", headers=headers).json["Invoice"])
        companies[name] = (tenant_id, token, invoices)
    return companies


def _config(workdir: Path, server: MockServer, companies: dict) -> None:
    tables = "".join(f'[tenants.{name}.fortnox]\ntenant_id = "{c[0]}"\n' for name, c in companies.items())
    (workdir / "bridge.toml").write_text(
        f'[fortnox]\nurl = "{server.url}"\nclient_id = "demo-client"\n'
        f'[live]\nenabled = true\nexports = "payments"\nurl = "{server.topics.url}"\n{tables}',
        encoding="utf-8",
    )


class _Watch:
    """When each invoice first shows as paid in its company's export."""

    def __init__(self, exports: Path) -> None:
        self.exports = exports
        self.paid: dict[tuple[str, str], float] = {}
        self.stop = threading.Event()
        self._seen: dict[str, int] = {}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            for path in self.exports.glob("payments-c??.json"):
                try:
                    mtime = path.stat().st_mtime_ns
                    if self._seen.get(path.name) == mtime:
                        continue
                    rows = loads(path.read_text(encoding="utf-8"))["invoices"]
                except (OSError, ValueError):
                    continue
                self._seen[path.name] = mtime
                now = time.monotonic()
                company = path.stem.removeprefix("payments-")
                for row in rows:
                    if row["status"] == "paid":
                        self.paid.setdefault((company, row["number"]), now)
            time.sleep(LOOK_EVERY)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def live_against_polling() -> None:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # a busy mock is what we want here
    app = create_app({"MOCK_RATE_LIMIT": "off"})
    companies = _prepare(app)
    app.extensions["mockfortnox.limiter"] = SlidingWindow(25, 5.0)  # from here on, Fortnox's limit
    requests = app.extensions["mockfortnox.requests"]
    server = MockServer(app).start()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        _config(workdir, server, companies)
        bridge = BridgeProcess(workdir)
        exports = workdir / "outbox" / "exports"
        try:
            wait_until(
                lambda: len(list(exports.glob("payments-c??.json"))) == COMPANIES,
                120,
                what="the start sweeps",
            )
            time.sleep(2.0)
            requests.clear()
            watch = _Watch(exports)
            watch.thread.start()
            booked: dict[tuple[str, str], float] = {}
            lock = threading.Lock()

            def change(name: str) -> None:
                _, token, invoices = companies[name]
                with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
                    for invoice in invoices:
                        started = time.monotonic()
                        body = {"InvoicePayment": {"InvoiceNumber": int(invoice["DocumentNumber"]),
                                                   "Amount": str(invoice["Total"])}}  # fmt: skip
                        number = http.post("/3/invoicepayments", json=body).json()["InvoicePayment"]["Number"]
                        http.put(f"/3/invoicepayments/{number}/bookkeep").raise_for_status()
                        with lock:
                            booked[(name, str(invoice["DocumentNumber"]))] = time.monotonic()
                        time.sleep(max(CHANGE_EVERY - (time.monotonic() - started), 0))

            changers = [threading.Thread(target=change, args=(name,)) for name in companies]
            for thread in changers:
                thread.start()
            for thread in changers:
                thread.join()
            total = COMPANIES * CHANGES_PER_COMPANY
            wait_until(lambda: len(watch.paid) >= total, 180, 0.1, "every payment in the exports")
            watch.stop.set()
            bridge_calls = sum(1 for r in requests.entries() if r["method"] == "GET")
            # The polling it replaces: one incremental run of one company, measured now, paced.
            name = next(iter(companies))
            oauth = OAuth(f"{server.url}/oauth-v1", "demo-client", "demo-secret")
            tokens = ClientCredentials(oauth, str(companies[name][0]))
            with FortnoxClient(server.url, tokens, pacer=Pacer(limit=24, seconds=5)) as client:
                export_payments(
                    client, name, workdir / "polled", workdir / "polled-state"
                )  # the first, whole
                started = time.perf_counter()
                export_payments(client, name, workdir / "polled", workdir / "polled-state")
                run_time = time.perf_counter() - started
        finally:
            bridge.stop()
            server.stop()
    latencies = [watch.paid[key] - at for key, at in booked.items()]
    p50, p95 = statistics.median(latencies), _percentile(latencies, 0.95)
    print(f"{len(latencies)} payments in {COMPANIES} companies on one connection, at Fortnox's limit")
    for minutes in (1, 15):
        interval = minutes * 60.0
        report(f"live p50, change → export ({minutes} min polling)", p50, "s",
               baseline=interval / 2 + run_time, baseline_name=f"polling every {minutes} min")  # fmt: skip
        report(f"live p95, change → export ({minutes} min polling)", p95, "s",
               baseline=interval * 0.95 + run_time, baseline_name=f"polling every {minutes} min")  # fmt: skip
    report("live, slowest change → export", max(latencies), "s")
    report("live, API calls per change", bridge_calls / len(latencies), "calls")
    report("polling, one incremental run of one company", run_time, "s")


def main() -> None:
    live_against_polling()


if __name__ == "__main__":
    main()
