"""Export benchmarks (issue: Fortnox out to files).

Documents export of a year with 300 files (150 voucher documents, 100 supplier invoice images,
50 customer invoice PDFs) from the mock over real HTTP at Fortnox's real limit (25 calls per
5 s), through the bridge's own pacer:

1. calls made against the minimum the job needs — one call per list page (voucher file
   connections, the year's supplier invoices, their file connections, customer invoices) and
   one download per file. Target: ratio ≤ 1.05.
2. time against calls ÷ 5 per second, the time Fortnox's limit itself allows those calls.
3. 429 answers (target 0), and the calls of a second run (nothing new: lists only).
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import report
from bridge.exporters.documents import export_documents
from bridge.fortnox import ClientCredentials, FortnoxClient, OAuth, Pacer, StaticToken
from mockfortnox import create_app
from mockfortnox.ratelimit import SlidingWindow
from mockfortnox.server import MockServer
from tests.exports_company import fill_year

ALLOWED_PER_SECOND = 25 / 5
PAGE = 500


def documents_export(vouchers: int = 150, supplier_invoices: int = 100, invoices: int = 50) -> None:
    app = create_app({"MOCK_RATE_LIMIT": "off"})
    token = app.test_client().post("/mock/tokens", json={"tenant": "demo"}).json["access_token"]
    with FortnoxClient("http://mock", StaticToken(token), transport=httpx.WSGITransport(app=app)) as setup:
        fill_year(setup, vouchers=vouchers, supplier_invoices=supplier_invoices, invoices=invoices)
    app.extensions["mockfortnox.limiter"] = SlidingWindow(25, 5.0)  # from here on, Fortnox's limit
    log = app.extensions["mockfortnox.requests"]
    server = MockServer(app).start()
    files = vouchers + supplier_invoices + invoices
    lists = math.ceil(vouchers / PAGE) + math.ceil(supplier_invoices / PAGE) * 2 + math.ceil(invoices / PAGE)
    minimum = lists + files
    try:
        tokens = ClientCredentials(OAuth(f"{server.url}/oauth-v1", "demo-client", "demo-secret"), "123456")
        pacer = Pacer(limit=24, seconds=5)
        with FortnoxClient(server.url, tokens, pacer=pacer) as client, tempfile.TemporaryDirectory() as tmp:
            log.clear()
            started = time.perf_counter()
            [result] = export_documents(client, "demo", Path(tmp), year=2026)
            elapsed = time.perf_counter() - started
            first = [e for e in log.entries() if e["path"].startswith("/3/")]
            log.clear()
            export_documents(client, "demo", Path(tmp), year=2026)
            second = [e for e in log.entries() if e["path"].startswith("/3/")]
    finally:
        server.stop()
    print(f"{len(result.mirror.entries)} files, {sum(e.size for e in result.mirror.entries):,} bytes; "
          f"{len(first)} calls in {elapsed:.1f} s (minimum {minimum}: {lists} list pages + {files} downloads)")  # fmt: skip
    report("documents export: calls", len(first), "calls", baseline=minimum, baseline_name="minimum",
           target="ratio ≤ 1.05")  # fmt: skip
    report("documents export: time", elapsed, "s", baseline=len(first) / ALLOWED_PER_SECOND,
           baseline_name="calls ÷ 5 per second", target="ratio ≈ 1")  # fmt: skip
    report(
        "documents export: 429 answers", sum(1 for e in first + second if e["status"] == 429), "", target="0"
    )
    report("documents export again, nothing new: calls", len(second), "calls", baseline=lists + 1,
           baseline_name="list pages + the years", target="no downloads")  # fmt: skip


def main() -> None:
    documents_export()


if __name__ == "__main__":
    main()
