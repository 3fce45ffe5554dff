"""The service's promises about when it talks to Fortnox: taking a file never does; the
company's worker fetches the registers a file is judged against, then plans and sends it."""

from __future__ import annotations

import httpx

from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline import Bridge, FileState

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class Counting(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)


def test_taking_a_file_asks_fortnox_nothing_the_worker_fetches_the_registers_first(
    tmp_path, mock_app, demo_token
):
    wire = Counting(httpx.WSGITransport(app=mock_app))
    client = FortnoxClient("http://mock", StaticToken(demo_token), transport=wire)
    (tmp_path / "kvitto.pdf").write_bytes(PDF)
    with Bridge(load_settings(tmp_path, environ={}), {"default": client}) as bridge:
        taken = bridge.take(tmp_path / "kvitto.pdf", "default", copy=True)
        assert taken is not None and taken.state == FileState.CLAIMED  # read, not judged yet
        assert wire.paths == []

        bridge.drain("default", until_blocked=False)  # the company's worker
        assert bridge.file(taken.id).state == FileState.DONE
    assert wire.paths[0] == "/3/companyinformation"  # the registers first, then the upload
    assert "/3/inbox" in wire.paths
    assert (tmp_path / ".bridge" / "masterdata" / "default.json").exists()


def test_without_a_client_a_file_is_judged_at_once_with_what_is_known(tmp_path):
    (tmp_path / "kvitto.pdf").write_bytes(PDF)
    with Bridge(load_settings(tmp_path, environ={})) as bridge:
        taken = bridge.take(tmp_path / "kvitto.pdf", "default", copy=True)
        assert taken is not None and taken.state == FileState.QUEUED
