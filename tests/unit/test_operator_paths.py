"""Operator paths that cannot wedge: failed files moved away by staff, `dismiss`, `retry
--failed` past a bad file, `process` ahead of the queue, an outbox per company, a file at the
root of a shared inbox, modes that let people read what is for them, and a "what to do" that
offers `retry` only where retrying can help."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.importers.cancel import cancellation
from bridge.pipeline import FileState, service
from bridge.pipeline.service import Bridge, RequestError
from tests.conftest import token_for

REPO = Path(__file__).resolve().parents[2]
HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"
BROKEN = HEADER + "X-1;1001;Trasig;inte ett tal;10\n"


def invoice(number: str, customer: str = "1001") -> str:
    return HEADER + f"{number};{customer};Konsult;1;100\n"


def drop(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def send(bridge: Bridge, *paths: Path):
    return bridge.process(list(paths), until_blocked=False)


def report(tmp_path: Path, name: str) -> str:
    return (tmp_path / "outbox" / "failed" / f"{name}.error.txt").read_text(encoding="utf-8")


# --- failed files that staff move, delete or want forgotten ---------------------------------


def test_a_failed_file_moved_out_of_failed_is_dropped_from_the_list(tmp_path, make_bridge, caplog):
    bridge = make_bridge()
    send(bridge, drop(tmp_path / "inbox", "a.csv", BROKEN), drop(tmp_path / "inbox", "b.csv", BROKEN))
    shutil.move(tmp_path / "outbox" / "failed" / "a.csv", tmp_path / "a-fixed-elsewhere.csv")

    listed = [f["file"] for f in bridge.status()["tenants"][0]["failed_files"]]
    assert listed == ["b.csv"]
    assert "a.csv is no longer in" in caplog.text
    retried = bridge.retry(bridge.failed_files())
    assert [f.name for f in retried] == ["b.csv"]  # and no crash on the one that is gone


def test_dismiss_forgets_a_failed_file_on_purpose(tmp_path, make_bridge):
    bridge = make_bridge()
    send(bridge, drop(tmp_path / "inbox", "a.csv", BROKEN))
    assert bridge.dismiss("a.csv").name == "a.csv"
    assert bridge.failed_files() == []
    assert bridge.status()["tenants"][0]["files"] == {"dismissed": 1}
    assert (tmp_path / "outbox" / "failed" / "a.csv").exists()  # the file itself is left alone
    with pytest.raises(RequestError, match=r"no failed file named 'a\.csv'"):
        bridge.dismiss("a.csv")


def test_a_dismissed_file_dropped_again_sends_what_is_missing(tmp_path, make_bridge):
    bridge = make_bridge(invoices_create_customers="never")
    two = HEADER + "D-1;1001;Konsult;1;100\nD-2;5555;Konsult;1;100\n"  # 5555 does not exist
    (first,) = send(bridge, drop(tmp_path / "inbox", "a.csv", two))
    assert first.state == FileState.PARTIAL
    bridge.dismiss("a.csv")
    (again,) = send(bridge, drop(tmp_path / "inbox", "a.csv", two))
    assert again.duplicate_of is None  # not "the same file again": D-2 is tried once more
    assert [d.state for d in bridge.documents(again.id)] == ["duplicate", "failed"]


def test_retry_failed_goes_on_past_a_file_it_cannot_take_back(tmp_path, make_bridge, caplog, monkeypatch):
    bridge = make_bridge()
    send(bridge, drop(tmp_path / "inbox", "a.csv", BROKEN), drop(tmp_path / "inbox", "b.csv", BROKEN))
    failed = tmp_path / "outbox" / "failed"
    (failed / "b.csv").write_text(invoice("B-1"), encoding="utf-8")  # corrected where it lies
    real_move = service.move_file

    def move(source: Path, target: Path) -> None:
        if source.name == "a.csv":  # a network share that drops out under this one file
            raise OSError(5, "Input/output error")
        real_move(source, target)

    monkeypatch.setattr(service, "move_file", move)

    retried = bridge.retry(bridge.failed_files())
    assert [(f.name, f.state) for f in retried] == [("b.csv", FileState.DONE)]
    assert "a.csv cannot be retried" in caplog.text


# --- `process FILE` goes ahead of the queue --------------------------------------------------


def test_process_sends_its_files_ahead_of_what_is_queued(tmp_path, make_bridge):
    bridge = make_bridge()
    waiting = bridge.take(drop(tmp_path / "inbox", "big.csv", invoice("Q-1")), "default")
    assert waiting is not None  # taken, not sent: `watch` was stopped before it got there
    (now,) = send(bridge, drop(tmp_path / "inbox", "now.csv", invoice("N-1")))
    assert now.state == FileState.DONE
    assert bridge.file(waiting.id).state in (FileState.CLAIMED, FileState.QUEUED)  # waits for `watch`
    bridge.drain("default", until_blocked=False)
    assert bridge.file(waiting.id).state == FileState.DONE


# --- several companies ----------------------------------------------------------------------


@pytest.fixture
def two_companies(tmp_path, mock_app, mock_http):
    answer = mock_http.post("/mock/tenants", json={"name": "beta"})
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)
    (tmp_path / "bridge.toml").write_text("[tenants.acme]\n[tenants.beta]\n", encoding="utf-8")
    opened: list[Bridge] = []

    def make(**environ: str) -> Bridge:
        clients = {
            name: FortnoxClient(
                "http://mock",
                StaticToken(token_for(mock_app, tenant)),
                transport=httpx.WSGITransport(app=mock_app),
            )
            for name, tenant in (("acme", "demo"), ("beta", "beta"))
        }
        bridge = Bridge(load_settings(tmp_path, environ=environ), clients)
        opened.append(bridge)
        return bridge

    yield make
    for bridge in opened:
        bridge.close()


def test_each_company_answers_in_an_outbox_of_its_own(tmp_path, two_companies):
    bridge = two_companies()
    send(bridge, drop(tmp_path / "inbox" / "acme", "f.csv", invoice("A-1")))
    send(bridge, drop(tmp_path / "inbox" / "beta", "f.csv", invoice("B-1")))
    for company in ("acme", "beta"):
        assert (tmp_path / "outbox" / company / "archive" / "f.csv").exists()
        assert (tmp_path / "outbox" / company / "receipts" / "f.csv.receipt.txt").exists()
    assert not (tmp_path / "outbox" / "archive").exists()


def test_a_shared_outbox_is_a_setting_away(tmp_path, two_companies):
    bridge = two_companies(FORTNOX_FOLDERS_SHARED_OUTBOX="true")
    send(bridge, drop(tmp_path / "inbox" / "acme", "f.csv", invoice("A-1")))
    send(bridge, drop(tmp_path / "inbox" / "beta", "f.csv", invoice("B-1")))
    assert sorted(p.name for p in (tmp_path / "outbox" / "archive").iterdir()) == ["f (2).csv", "f.csv"]


def test_a_file_at_the_root_of_a_shared_inbox_is_answered_with_where_to_put_it(tmp_path, two_companies):
    bridge = two_companies()
    stray = drop(tmp_path / "inbox", "faktura.csv", invoice("S-1"))
    bridge.answer_strays()
    bridge.answer_strays()  # said once
    receipt = tmp_path / "outbox" / "receipts" / "faktura.csv.receipt.txt"
    text = receipt.read_text(encoding="utf-8")
    assert "several companies are configured" in text
    assert "inbox/acme/, inbox/beta/" in text
    assert [n.message for n in bridge.notices()] == [text.strip()]
    assert stray.exists()  # left where it is

    (tmp_path / "inbox" / "acme").mkdir()
    stray.rename(tmp_path / "inbox" / "acme" / "faktura.csv")
    bridge.answer_strays()
    assert bridge.notices() == []
    assert not receipt.exists()


# --- modes: the outbox is for people, the state is not --------------------------------------


def test_answers_follow_the_umask_and_the_state_stays_private(tmp_path, make_bridge):
    old = os.umask(0o022)
    try:
        bridge = make_bridge()
        send(
            bridge,
            drop(tmp_path / "inbox", "ok.csv", invoice("U-1")),
            drop(tmp_path / "inbox", "bad.csv", BROKEN),
        )
    finally:
        os.umask(old)
    outbox = tmp_path / "outbox"
    for path in (
        outbox / "receipts" / "ok.csv.receipt.txt",
        outbox / "receipts" / "ok.csv.receipt.json",
        outbox / "failed" / "bad.csv.error.txt",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    for private in (tmp_path / ".bridge").rglob("*"):  # the ledger, its journal, the registers …
        if private.is_file() and private.name != "lock":
            assert stat.S_IMODE(private.stat().st_mode) == 0o600, private


# --- what to do: retry only where retrying can help -----------------------------------------


def test_a_file_that_must_be_corrected_is_not_offered_a_retry(tmp_path, make_bridge):
    send(make_bridge(), drop(tmp_path / "inbox", "bad.csv", BROKEN))
    text = report(tmp_path, "bad.csv")
    assert "correct what is named above in the program that wrote it" in text
    assert "fortnox-bridge retry" not in text


def test_an_einvoice_for_another_company_is_not_offered_a_retry(tmp_path, make_bridge, mock_http):
    answer = mock_http.patch("/mock/tenants/demo", json={"company": {"OrganizationNumber": "556000-0005"}})
    assert answer.status_code == 200
    sample = REPO / "fixtures" / "samples" / "leverantorsfaktura-kontorsvaror.xml"
    (inbox := tmp_path / "inbox").mkdir()
    (file,) = send(make_bridge(), Path(shutil.copy(sample, inbox / "annan.xml")))
    assert file.state == FileState.FAILED
    text = report(tmp_path, "annan.xml")
    assert "This file is for another company" in text
    assert "fortnox-bridge retry" not in text


def test_a_missing_series_is_fixed_in_fortnox_and_then_retried(tmp_path, make_bridge):
    journal = (
        "Datum;Verifikation;Konto;Debet;Kredit;Text\n"
        "2026-01-10;J-1;6110;100,00;;Papper\n2026-01-10;J-1;1930;;100,00;Bank\n"
    )
    bridge = make_bridge(vouchers_series="Q")
    (file,) = send(bridge, drop(tmp_path / "inbox", "kassa.csv", journal))
    assert file.state == FileState.FAILED
    text = report(tmp_path, "kassa.csv")
    assert 'fortnox-bridge retry "kassa.csv"' in text
    assert "in Fortnox or in the bridge's settings" in text


def test_a_document_fortnox_refused_is_retried_after_the_fix(tmp_path, make_bridge):
    bridge = make_bridge(invoices_create_customers="never")
    (file,) = send(bridge, drop(tmp_path / "inbox", "ny.csv", invoice("C-1", customer="5555")))
    assert file.state == FileState.FAILED
    text = report(tmp_path, "ny.csv")
    assert "customer 5555 does not exist" in text
    assert 'fortnox-bridge retry "ny.csv"' in text


def test_a_command_that_fails_leaves_no_failed_file_behind(tmp_path, make_bridge):
    bridge = make_bridge()
    wanted = cancellation("99", None)
    assert not isinstance(wanted, Exception)
    file = bridge.cancel(wanted)
    assert file.state == FileState.FAILED
    failed = tmp_path / "outbox" / "failed"
    assert not failed.exists() or list(failed.iterdir()) == []
    assert bridge.failed_files() == []  # the command said why; nothing waits for `retry`
    assert [d.last_error for d in bridge.documents(file.id)] == [
        "supplier invoice 99 does not exist in Fortnox: check the number"
    ]


def test_dismiss_of_a_name_that_never_failed_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    answer = CliRunner().invoke(main, ["dismiss", "nothing.csv"])
    assert answer.exit_code == 2
    assert "no failed file named 'nothing.csv'" in answer.output
