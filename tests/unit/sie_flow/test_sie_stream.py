"""A SIE file of any size is planned in one pass without holding its vouchers (counted, not
timed), queued whole or not at all, and its progress is said while it is sent."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import httpx
from sie_flow_helpers import settings, sie_file

from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.importers import FileSource, open_file
from bridge.model import Voucher
from bridge.pipeline.service import Bridge
from bridge.planner import DocumentPlan, plan_stream
from mockfortnox import create_app


def vouchers(n: int, unbalanced_last: bool = False) -> str:
    text = []
    for i in range(1, n + 1):
        amount = "100.01" if unbalanced_last and i == n else "100.00"
        text.append(
            f'#VER A {i} 20250110 "Pennor {i}"\n{{\n#TRANS 6110 {{}} {amount}\n#TRANS 1930 {{}} -100.00\n}}\n'
        )
    return "".join(text)


def live_vouchers() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Voucher)


def test_the_plan_stream_holds_no_voucher_it_has_planned(tmp_path):
    path = sie_file(tmp_path, vouchers(600))
    stream = open_file(FileSource.open(path, tenant="default"))
    alive: list[int] = []

    def sink(plan: DocumentPlan) -> None:
        if plan.key.source_key.startswith("A 500 "):
            alive.append(live_vouchers())

    _, first = plan_stream(stream, settings(tmp_path), None, sink)  # type: ignore[arg-type]
    assert alive and alive[0] <= 3  # the one being planned, not the 499 before it
    assert [plan.key.kind for plan in first] == ["registers"]


def test_a_file_is_queued_whole_or_not_at_all(tmp_path):
    bridge = Bridge(load_settings(tmp_path, environ={"FORTNOX_URL": "http://127.0.0.1:9"}), {})
    refused = bridge.take(sie_file(tmp_path, vouchers(1200, unbalanced_last=True), name="fel.se"), "default")
    assert refused is not None and str(refused.state) == "failed"
    assert bridge.documents(refused.id) == []
    assert "voucher A 1200 2025-01-10 does not balance" in (refused.error or "")

    queued = bridge.take(sie_file(tmp_path, vouchers(1200), name="rätt.se"), "default")
    assert queued is not None and str(queued.state) == "queued"
    documents = bridge.documents(queued.id)
    assert [d.kind for d in documents[:2]] == ["registers", "voucher"]  # the registers run first
    assert [d.source_key for d in documents[1:]] == [f"A {i} 20250110" for i in range(1, 1201)]
    bridge.close()


def test_a_big_file_says_how_far_it_has_come(tmp_path, caplog):
    app = create_app({"MOCK_RATE_LIMIT": "off"})
    token = app.test_client().post("/mock/tokens", json={"tenant": "demo"}).json["access_token"]
    client = FortnoxClient("http://mock", StaticToken(token), transport=httpx.WSGITransport(app=app))
    bridge = Bridge(load_settings(tmp_path, environ={"FORTNOX_SIE_SERIES": "A"}), {"default": client})
    head = "#FLAGGA 0\n#FORMAT PC8\n#SIETYP 4\n#RAR 0 20250101 20251231\n"
    with caplog.at_level(logging.INFO, logger="bridge"):
        (file,) = bridge.process(
            [sie_file(tmp_path, vouchers(30), head=head)], "default", until_blocked=False
        )
    bridge.close()
    client.close()
    said = [r.getMessage() for r in caplog.records if "documents through" in r.getMessage()]
    assert said[0].startswith("bok.se: 1 of 31 documents through (3%); about 0 min left")
    assert said[-1] == "bok.se: 31 of 31 documents through (100%)"
    assert str(bridge.file(file.id).state) == "done"


def test_a_stream_is_read_again_each_time(tmp_path):
    stream = open_file(FileSource.open(sie_file(tmp_path, vouchers(3)), tenant="default"))
    assert [v.source_key for v in stream] == [v.source_key for v in stream]  # type: ignore[union-attr]
    assert not isinstance(stream, Path)
