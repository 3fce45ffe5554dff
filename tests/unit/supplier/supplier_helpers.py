"""Helpers for the supplier-invoice tests: drop a file, read Fortnox back, lose answers."""

from __future__ import annotations

from pathlib import Path

import httpx

from bridge.fortnox import FortnoxClient
from bridge.pipeline.service import Bridge


def send(bridge: Bridge, source: Path, name: str | None = None) -> int:
    """Claim a copy of `source` (as `name`), read it, and send what it holds."""
    work = bridge.settings.workdir / "drop"
    work.mkdir(exist_ok=True)
    path = work / (name or source.name)
    path.write_bytes(source.read_bytes())
    (file,) = bridge.process([path], "default", until_blocked=False)
    return file.id


def supplier_invoices(api: FortnoxClient) -> list[dict]:
    """Every supplier invoice, as full records."""
    return [
        api.get(f"/3/supplierinvoices/{row['GivenNumber']}")["SupplierInvoice"]
        for row in api.iter_pages("/3/supplierinvoices", "SupplierInvoices")
    ]


def connections(api: FortnoxClient, given_number: str) -> list[dict]:
    answer = api.get("/3/supplierinvoicefileconnections", supplierinvoicenumber=given_number)
    return answer["SupplierInvoiceFileConnections"]


class DropAnswer(httpx.BaseTransport):
    """Fortnox acts on the matching request, but its answer is lost (a read timeout)."""

    def __init__(self, inner: httpx.BaseTransport, method: str, path: str, drops: int = 1) -> None:
        self.inner, self.method, self.path, self.drops = inner, method, path, drops
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == self.method and request.url.path == self.path:
            self.calls += 1
            if self.drops:
                self.drops -= 1
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def drop_in_inbox(bridge: Bridge, relative: str, data: bytes, companion: bytes | None = None) -> int:
    """Put a file into the inbox (in a sub-folder if `relative` says so), claim it and send it."""
    path = bridge.settings.inbox_of("default") / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    pdf = None
    if companion is not None:
        pdf = path.with_suffix(".pdf")
        pdf.write_bytes(companion)
    file = bridge.take(path, "default", companion=pdf)
    assert file is not None
    bridge.drain("default", until_blocked=False)
    return file.id
