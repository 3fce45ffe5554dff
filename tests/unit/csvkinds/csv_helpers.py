"""Helpers for the CSV-kind flow tests: drop a fixture, lose an answer, read Fortnox and the ledger back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    (file,) = bridge.process([path], "default", until_blocked=False)
    return file.id


def state(bridge: Bridge, file_id: int) -> str:
    return str(bridge.file(file_id).state)


def documents(bridge: Bridge, file_id: int) -> dict[str, dict[str, Any]]:
    """The file's documents by source key: state, error, and each step's outcome."""
    return {
        d.source_key: {
            "state": str(d.state),
            "error": d.last_error,
            "outcomes": [s["outcome"] for s in d.result],
            "steps": list(d.result),
        }
        for d in bridge.documents(file_id)
    }


def receipt_text(bridge: Bridge, name: str) -> str:
    return (bridge.settings.outbox / "receipts" / f"{name}.receipt.txt").read_text(encoding="utf-8")


def error_report(bridge: Bridge, name: str) -> str:
    return (bridge.settings.outbox / "failed" / f"{name}.error.txt").read_text(encoding="utf-8")


def invoices_by_stamp(api: FortnoxClient) -> dict[str, dict[str, Any]]:
    """Every invoice as a full record, by the bridge's stamp."""
    return {
        row["ExternalInvoiceReference1"]: api.get(f"/3/invoices/{row['DocumentNumber']}")["Invoice"]
        for row in api.iter_pages("/3/invoices", "Invoices")
    }
