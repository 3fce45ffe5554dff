"""Helpers for the CSV-kind flow tests: drop a fixture, lose an answer, read Fortnox and the ledger back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from bridge.fortnox import FortnoxClient
from bridge.pipeline.service import Bridge

CASES = Path(__file__).resolve().parents[3] / "fixtures" / "csv"


class LoseAnswer(httpx.BaseTransport):
    """Fortnox acts on the first request that `matches`, but its answer is lost (a read timeout)."""

    def __init__(self, inner: httpx.BaseTransport, matches: Callable[[httpx.Request], bool]) -> None:
        self.inner, self.matches = inner, matches
        self.lost: list[str] = []
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.sent.append(f"{request.method} {request.url.path}")
        if not self.lost and self.matches(request):
            self.lost.append(f"{request.method} {request.url.path}")
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def send(bridge: Bridge, name: str, text: str | None = None) -> int:
    """Drop the fixture `name` (or `text` under that name), read it and send what it holds."""
    drop = bridge.settings.workdir / "drop"
    drop.mkdir(exist_ok=True)
    path = drop / name
    path.write_text(
        text if text is not None else (CASES / name).read_text(encoding="utf-8"), encoding="utf-8"
    )
    file_id = bridge.claim(path, "default", copy=True)
    assert file_id is not None
    bridge.ingest(file_id)
    bridge.drain("default", until_blocked=False)
    return file_id


def state(bridge: Bridge, file_id: int) -> str:
    return bridge.ledger.file(file_id)["state"]


def documents(bridge: Bridge, file_id: int) -> dict[str, dict]:
    """The file's documents by source key: state, error, and each step's outcome."""
    from bridge.util import loads

    out = {}
    for d in bridge.ledger.documents_of(file_id):
        steps = loads(d["result"]) if d["result"] else []
        out[d["source_key"]] = {
            "state": d["state"],
            "error": d["last_error"] or "",
            "outcomes": [s["outcome"] for s in steps],
            "steps": steps,
        }
    return out


def receipt_text(bridge: Bridge, name: str) -> str:
    return (bridge.settings.outbox / "receipts" / f"{name}.receipt.txt").read_text(encoding="utf-8")


def error_report(bridge: Bridge, name: str) -> str:
    return (bridge.settings.outbox / "failed" / f"{name}.error.txt").read_text(encoding="utf-8")


def invoices_by_stamp(api: FortnoxClient) -> dict[str, dict]:
    """Every invoice as a full record, by the bridge's stamp."""
    return {
        row["ExternalInvoiceReference1"]: api.get(f"/3/invoices/{row['DocumentNumber']}")["Invoice"]
        for row in api.iter_pages("/3/invoices", "Invoices")
    }
