"""Exact JSON at C speed: msgspec and orjson against the pure-Python `bridge.util.jsonnum`.

Exact means: every `Decimal` written as a JSON number with its digits as given (no float on
the way), and every JSON number with a fraction read back as a `Decimal`. Payloads are the
bridge's own, made in this run:

* ledger: what the ledger stores per voucher of the real 4,434-voucher Fortnox year — its step
  (the voucher's POST, with its look-up) and the document itself;
* client out: the voucher bodies the client sends;
* client in: Fortnox's answers as the client reads them — the recorded Fortnox responses
  (invoices, customers, articles) and full 500-row account pages from the mock.

Candidates, each checked for exactness on the same payloads as it is timed: `bridge.util`
(msgspec: a `Decimal` written as raw JSON by `format_decimal`, numbers with a fraction read by
`float_hook=Decimal`), the standard library's C encoder with a marker trick (what the mock
used), and orjson (Decimal through `default` as a raw `Fragment`; it has no way to read numbers
as Decimal, so its reads are not exact). The baseline is the pure-Python exact encoder and
`json.loads(parse_float=Decimal)`, the bridge's JSON before msgspec (`bench/json_reference.py`).
Times are CPU seconds, best of five.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import json_reference as reference
from bench.report import report
from bridge.util import jsonnum

REF = Path(__file__).resolve().parents[1].parent / "shared/ref"
SIE_YEAR = REF / "sie/keyholder_Fortnox3.60_Bygg_4434ver.se"
RESPONSES = REF / "fortnox/responses/accodeing-fortnox-api"


def ledger_payloads() -> tuple[list[Any], list[Any]]:
    """(what the ledger stores per voucher, the bodies the client sends) for the real year."""
    from bridge.config import load_settings
    from bridge.importers import FileSource, extract_file
    from bridge.model import to_plain
    from bridge.planner import plan_extraction

    settings = load_settings(Path("/nonexistent"), environ={})
    tenant = settings.tenant("default")
    extraction = extract_file(FileSource.open(SIE_YEAR, tenant=tenant.name))
    _, plans = plan_extraction(extraction, tenant, None)
    stored: list[Any] = []
    bodies: list[Any] = []
    for plan, voucher in zip(plans[1:], extraction.documents, strict=True):
        stored += [step.to_json() for step in plan.steps]
        stored.append(to_plain(voucher))
        bodies += [step.body for step in plan.steps]
    return stored, bodies


def fortnox_answers() -> list[bytes]:
    """Recorded real Fortnox bodies, and 500-row account pages as the mock answers them."""
    import yaml

    answers = []
    for cassette in sorted(RESPONSES.rglob("*.yml")):
        for interaction in yaml.safe_load(cassette.read_text("utf-8"))["http_interactions"]:
            body = interaction["response"]["body"]["string"].encode()
            if body[:1] in (b"{", b"["):
                answers.append(body)
    answers += _account_pages()
    return answers


def _account_pages() -> list[bytes]:
    from mockfortnox import create_app

    app = create_app({"MOCK_RATE_LIMIT": "off"})
    client = app.test_client()
    basic = base64.b64encode(b"demo-client:demo-secret").decode()
    token = client.post(
        "/oauth-v1/token",
        data={"grant_type": "client_credentials"},
        headers={"TenantId": "123456", "Authorization": f"Basic {basic}"},
    ).get_json()["access_token"]
    pages = []
    for page in (1, 2):
        answer = client.get(
            f"/3/accounts?limit=500&page={page}", headers={"Authorization": f"Bearer {token}"}
        )
        pages.append(answer.data)
    return pages


# --- candidates ----------------------------------------------------------------------------


def _orjson() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    import orjson

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return orjson.Fragment(jsonnum.format_decimal(value))
        raise TypeError(type(value).__name__)

    return lambda obj: orjson.dumps(obj, default=default), orjson.loads


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def measure(label: str, payloads: list[Any], answers: list[bytes], runs: int = 5) -> None:
    oj_dumps, oj_loads = _orjson()
    exact = [reference.dumps(p).encode() for p in payloads]
    writers = {
        "bridge.util (msgspec, adopted)": jsonnum.dumpb,
        "stdlib C encoder + marks": lambda p: reference.dumps_fast(p).encode(),
        "orjson, Decimal through default": oj_dumps,
    }
    baseline = best_of(runs, lambda: [reference.dumps(p).encode() for p in payloads])
    for name, write in writers.items():
        same = sum(write(p) == e for p, e in zip(payloads, exact, strict=True))
        cost = best_of(runs, lambda write=write: [write(p) for p in payloads])
        report(
            f"{label}: write, {name} ({same}/{len(payloads)} byte-identical)",
            cost * 1000,
            "ms",
            baseline=baseline * 1000,
            baseline_name="pure-Python exact encoder",
            target="fastest that is exact",
        )
    readers = {"bridge.util (msgspec, adopted)": jsonnum.loads, "orjson": oj_loads}
    texts = answers or exact
    expected = [reference.loads(t) for t in texts]
    baseline = best_of(runs, lambda: [reference.loads(t) for t in texts])
    for name, read in readers.items():
        same = sum(_same(read(t), e) for t, e in zip(texts, expected, strict=True))
        cost = best_of(runs, lambda read=read: [read(t) for t in texts])
        report(
            f"{label}: read, {name} ({same}/{len(texts)} exactly equal, Decimal for Decimal)",
            cost * 1000,
            "ms",
            baseline=baseline * 1000,
            baseline_name="json.loads(parse_float=Decimal)",
            target="fastest that is exact",
        )


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1.10 stays Decimal('1.10'))."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    return bool(a == b)


def main() -> None:
    if not SIE_YEAR.is_file():
        print(f"skipped: {SIE_YEAR} is not there (../shared/ref is outside the repository)")
        return
    stored, bodies = ledger_payloads()
    answers = fortnox_answers()
    print(f"payloads: {len(stored):,} ledger values, {len(bodies):,} request bodies, {len(answers)} answers")
    measure("ledger (steps and documents of the real year)", stored, [])
    measure("client (voucher bodies out, Fortnox answers in)", bodies, answers)
