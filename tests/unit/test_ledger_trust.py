"""The ledger is never silently new: missing beside earlier work, emptied, cut or overwritten,
the bridge stops with a sentence and the way out; `ledger backup` copies it whole while others
write; `ledger rebuild` reads back from Fortnox what the bridge made, so that files dropped
again find their documents instead of creating them twice."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import httpx
import psycopg
import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.pipeline.ledger import Ledger, LedgerTrouble
from bridge.pipeline.rebuild import (
    earlier_work,
    finish_rebuild,
    ledger_path,
    rebuild_company,
    start_rebuild,
)
from bridge.pipeline.service import Bridge

INVOICES = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nF-1;1001;Konsult;2;1000\nF-2;1002;Resa;1;500\n"
JOURNAL = (
    "Datum;Verifikation;Konto;Debet;Kredit;Text\n"
    "2026-01-10;J-1;6110;100,00;;Papper\n2026-01-10;J-1;1930;;100,00;Bank\n"
)


class Posts(httpx.BaseTransport):
    """The mock behind the WSGI transport, counting what is created."""

    def __init__(self, app) -> None:
        self.inner = httpx.WSGITransport(app=app)
        self.posts: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts.append(request.url.path)
        return self.inner.handle_request(request)


def sent(tmp_path: Path, bridge: Bridge) -> None:
    for name, text in (("fakturor.csv", INVOICES), ("kassa.csv", JOURNAL)):
        (tmp_path / "inbox").mkdir(exist_ok=True)
        (tmp_path / "inbox" / name).write_text(text, encoding="utf-8")
    files = bridge.process(sorted((tmp_path / "inbox").iterdir()), "default", until_blocked=False)
    assert [f.state for f in files] == ["done", "done"]


def lose_ledger(tmp_path: Path, ledger_url: str = "") -> None:
    """The ledger gone: its SQLite files deleted, or its PostgreSQL database emptied."""
    if ledger_url:
        empty(ledger_url)
        return
    for leftover in (tmp_path / ".bridge").glob("ledger.sqlite3*"):
        leftover.unlink()


def empty(url: str) -> None:
    """What a restore gone wrong, or a careless DROP, leaves: the database, without the ledger."""
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("DROP SCHEMA public CASCADE")
        db.execute("CREATE SCHEMA public")


def test_a_first_start_makes_a_new_ledger_without_a_word(tmp_path, make_bridge):
    make_bridge()
    assert (tmp_path / ".bridge" / "ledger.sqlite3").exists()


def test_a_missing_ledger_beside_receipts_stops_the_bridge(tmp_path, make_bridge):
    bridge = make_bridge()
    sent(tmp_path, bridge)
    bridge.close()
    lose_ledger(tmp_path)
    with pytest.raises(LedgerTrouble) as trouble:
        make_bridge()
    message = str(trouble.value)
    assert "is missing, yet outbox/receipts/ holds receipts" in message
    assert "`fortnox-bridge ledger rebuild`" in message
    assert not (tmp_path / ".bridge" / "ledger.sqlite3").exists()  # no new ledger was made


def test_an_emptied_ledger_stops_the_bridge(tmp_path, make_bridge):
    bridge = make_bridge()
    sent(tmp_path, bridge)
    bridge.close()
    (tmp_path / ".bridge" / "ledger.sqlite3").write_bytes(b"")
    with pytest.raises(LedgerTrouble, match="is empty, yet"):
        make_bridge()


def test_a_missing_ledger_beside_a_backup_names_the_backup(tmp_path, make_bridge):
    bridge = make_bridge()
    copy = bridge.ledger.rolling_backup(keep=3)
    bridge.close()
    lose_ledger(tmp_path)
    with pytest.raises(LedgerTrouble, match=f"ledger rebuild --from {copy}"):
        make_bridge()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut-in-half"),
        pytest.param(lambda data: b"not a database at all " * 200, id="overwritten"),
        pytest.param(lambda data: data[:4096] + b"\x00" * 4096 + data[8192:], id="a-page-zeroed"),
    ],
)
def test_a_damaged_ledger_stops_the_bridge_with_a_sentence(tmp_path, make_bridge, monkeypatch, damage):
    bridge = make_bridge()
    sent(tmp_path, bridge)
    bridge.ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    bridge.close()
    path = tmp_path / ".bridge" / "ledger.sqlite3"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(LedgerTrouble, match="is damaged"):
        Bridge(load_settings(tmp_path, environ={}), full_check=True).close()

    monkeypatch.chdir(tmp_path)
    answer = CliRunner().invoke(main, ["status"])
    assert answer.exit_code == 2
    assert "is damaged" in answer.output and "ledger rebuild" in answer.output
    assert "Traceback" not in answer.output


def test_an_interrupted_rebuild_is_not_taken_for_a_ledger(tmp_path, make_bridge, ledger_url):
    made, _ = start_rebuild(ledger_path(load_settings(tmp_path, environ={})), url=ledger_url)
    made.close()
    with pytest.raises(LedgerTrouble, match=r"rebuild of the ledger .* was interrupted"):
        make_bridge(ledger_url=ledger_url)


def test_a_backup_is_a_whole_copy_taken_while_the_ledger_is_written(tmp_path, make_bridge):
    bridge = make_bridge()
    sent(tmp_path, bridge)
    writer = sqlite3.connect(tmp_path / ".bridge" / "ledger.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # someone is writing: the copy does not wait for it, nor take half
    writer.execute("INSERT INTO notices VALUES ('x', NULL, 'half-written', 'now')")
    copy = bridge.ledger.backup(tmp_path / "copy.sqlite3")
    writer.execute("ROLLBACK")
    writer.close()
    assert copy.stat().st_mode & 0o777 == 0o600
    kept = Ledger(copy)
    assert [f.name for f in kept.files()] == ["fakturor.csv", "kassa.csv"]
    assert kept.notices() == []
    kept.close()


def test_rolling_backups_keep_the_newest(tmp_path, make_bridge):
    bridge = make_bridge()
    copies = [bridge.ledger.rolling_backup(keep=2) for _ in range(4)]
    assert sorted((tmp_path / ".bridge" / "backups").iterdir()) == copies[-2:]


def test_backup_command_writes_a_copy(tmp_path, make_bridge, monkeypatch):
    bridge = make_bridge()
    sent(tmp_path, bridge)
    monkeypatch.chdir(tmp_path)
    answer = CliRunner().invoke(main, ["ledger", "backup", "--out", "kopia.sqlite3"])
    assert answer.exit_code == 0, answer.output
    assert [f.name for f in Ledger(tmp_path / "kopia.sqlite3").files()] == ["fakturor.csv", "kassa.csv"]


def test_the_archive_dropped_again_after_a_rebuild_creates_nothing_twice(
    tmp_path, make_bridge, mock_app, demo_token, ledger_url
):
    """On SQLite (the ledger's file lost) and on PostgreSQL (its database emptied)."""
    bridge = make_bridge(ledger_url=ledger_url)
    sent(tmp_path, bridge)
    bridge.close()
    lose_ledger(tmp_path, ledger_url)
    settings = load_settings(tmp_path, environ={"FORTNOX_LEDGER_URL": ledger_url})
    assert earlier_work(settings) == "outbox/receipts/ holds receipts"
    refusal = "holds no ledger" if ledger_url else "is missing, yet outbox/receipts/ holds receipts"
    with pytest.raises(LedgerTrouble, match=refusal):
        Bridge(settings)

    made, aside = start_rebuild(ledger_path(settings), url=ledger_url)
    assert aside is None  # nothing to set aside: the file was lost; the old database is the operator's
    made.close()
    wire = Posts(mock_app)
    client = FortnoxClient("http://mock", StaticToken(demo_token), transport=wire)
    with Bridge(settings, {"default": client}, rebuilding=True) as rebuilt:
        found = rebuild_company(rebuilt.ledger, client, "default")
        finish_rebuild(rebuilt.ledger)
    assert (found.invoices, found.vouchers) == (2, 1)
    assert wire.posts == []

    again = make_bridge(wire, ledger_url=ledger_url)
    for name in ("fakturor.csv", "kassa.csv"):
        shutil.copy(tmp_path / "outbox" / "archive" / name, tmp_path / "inbox" / name)
    files = again.process(sorted((tmp_path / "inbox").iterdir()), "default", until_blocked=False)
    assert [f.state for f in files] == ["done", "done"]
    assert wire.posts == []  # every invoice and voucher found by its stamp
    outcomes = [step["outcome"] for f in files for d in again.documents(f.id) for step in d.result]
    assert outcomes.count("reconciled") == 3


def test_a_damaged_ledger_is_set_aside_by_the_rebuild(tmp_path, make_bridge):
    bridge = make_bridge()
    sent(tmp_path, bridge)
    bridge.close()
    path = tmp_path / ".bridge" / "ledger.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    made, aside = start_rebuild(path)
    made.close()
    assert aside is not None and aside.read_bytes() == b"garbage" * 1000


def test_backup_without_a_ledger_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    answer = CliRunner().invoke(main, ["ledger", "backup"])
    assert answer.exit_code == 2
    assert "there is no ledger at" in answer.output
