"""Leases on a real PostgreSQL: one worker per company at a time, taken over once expired, and
the fence in the database that refuses a worker's writes once it lost the company."""

from __future__ import annotations

import time

import psycopg
import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.pipeline.ledger import open_ledger
from bridge.pipeline.lock import LockHeld, StateLock
from bridge.workers.leases import FENCE_ERROR, INTAKE, Leases, fenced_url, install_fence, list_workers
from bridge.workers.worker import is_fenced, share_sending

# A ledger's two fenced tables as far as the fence needs them (the ledger makes the real ones).
LEDGER = """
CREATE TABLE documents (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, state TEXT NOT NULL);
CREATE TABLE steps (id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL, state TEXT NOT NULL);
CREATE TABLE files (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL);
INSERT INTO documents VALUES (1, 'acme', 'queued');
INSERT INTO steps VALUES (1, 1, 'pending');
"""


def test_a_company_is_served_by_one_worker_until_its_lease_expires(postgres_url):
    one, two = Leases(postgres_url, "one", 1.0), Leases(postgres_url, "two", 1.0)
    one.register()
    two.register()
    first = one.take("acme")
    assert first is not None and first.valid()
    assert two.take("acme") is None  # one serves it
    one.beat()
    assert two.take("acme") is None
    time.sleep(1.1)  # one stops beating: its lease runs out, in the database and in its own process
    assert not first.valid()
    second = two.take("acme")
    assert second is not None and second.generation == first.generation + 1
    assert not one.holds(first)
    assert one.beat() == ["acme"]  # one learns it lost the company and does not renew it


def test_a_lease_its_slice_gave_up_on_is_not_kept_alive(postgres_url):
    one, two = Leases(postgres_url, "one", 1.0), Leases(postgres_url, "two", 1.0)
    lease = one.take("acme")
    assert lease is not None
    lease.lost = True  # the slice stopped trusting it (paused past it, or the database was slow)
    one.beat()
    time.sleep(1.1)
    assert two.take("acme") is not None


def test_a_company_given_back_carries_its_recent_calls_to_the_next_worker(postgres_url):
    one, two = Leases(postgres_url, "one", 30.0), Leases(postgres_url, "two", 30.0)
    lease = one.take("acme")
    assert lease is not None
    one.give_back(lease, [0.5, 2.0])
    time.sleep(0.3)
    after = two.take("acme")
    assert after is not None
    assert [round(a, 1) for a in after.calls] == [0.8, 2.3]  # aged by the time in between


def test_an_access_check_by_one_worker_holds_for_the_company_s_next_worker(postgres_url):
    one, two = Leases(postgres_url, "one", 30.0), Leases(postgres_url, "two", 30.0)
    lease = one.take("acme")
    assert lease is not None and lease.access_checked_ago is None  # never asked: ask Fortnox
    one.access_checked(lease)
    one.give_back(lease, [])
    after = two.take("acme")
    assert after is not None and after.access_checked_ago is not None
    assert 0 <= after.access_checked_ago < 5  # just asked: the next worker need not ask again


def test_the_fence_refuses_a_worker_writes_for_a_company_it_no_longer_holds(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(LEDGER)
        assert install_fence(admin)
    leases = Leases(postgres_url, "one", 30.0)
    leases.register()
    with psycopg.connect(fenced_url(postgres_url, "one"), autocommit=True) as ledger:
        with pytest.raises(psycopg.Error) as refused:
            ledger.execute("UPDATE steps SET state = 'sending' WHERE id = 1")
        assert refused.value.sqlstate == FENCE_ERROR
        lease = leases.take("acme")
        assert lease is not None
        ledger.execute("UPDATE steps SET state = 'sending' WHERE id = 1")
        ledger.execute("UPDATE documents SET state = 'sending' WHERE id = 1")
        leases.give_back(lease, [])
        with pytest.raises(psycopg.Error):
            ledger.execute("UPDATE documents SET state = 'done' WHERE id = 1")
        with pytest.raises(psycopg.Error):  # a file is recorded under the intake's lease only
            ledger.execute("INSERT INTO files VALUES (1, 'acme')")
        leases.take(INTAKE)
        ledger.execute("INSERT INTO files VALUES (1, 'acme')")
    with psycopg.connect(postgres_url, autocommit=True) as person:  # `retry`, `status`: no worker
        person.execute("UPDATE documents SET state = 'queued' WHERE id = 1")


def test_workers_lists_each_worker_with_its_companies_and_heartbeat(postgres_url):
    one, two = Leases(postgres_url, "one", 30.0), Leases(postgres_url, "two", 30.0)
    one.register()
    two.register()
    one.take("acme")
    one.take(INTAKE)
    two.take("bygg")
    two.stop()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        rows = {row.worker: row for row in list_workers(db, 30.0)}
    assert rows["one"].companies == ("acme",) and rows["one"].intake and rows["one"].alive
    assert rows["two"].companies == () and rows["two"].stopped and not rows["two"].alive


def cli(workdir, *args: str):
    return CliRunner().invoke(main, ["--workdir", str(workdir), *args], catch_exceptions=False)


def test_workers_says_who_serves_what(tmp_path, postgres_url):
    (tmp_path / "bridge.toml").write_text(f'[ledger]\nurl = "{postgres_url}"\n', encoding="utf-8")
    assert "No worker has started yet" in cli(tmp_path, "workers").output
    leases = Leases(postgres_url, "kontor-1", 30.0)
    leases.register()
    leases.take("acme")
    leases.take(INTAKE)
    lines = cli(tmp_path, "workers").output.splitlines()
    assert lines[0].startswith("kontor-1 on ") and ": alive, last heartbeat" in lines[0]
    assert lines[1] == "  serving: inbox, acme"


def test_worker_mode_without_a_shared_ledger_says_what_to_set(tmp_path):
    for command in (["watch", "--worker-id", "w1"], ["workers"]):  # ledger.url empty: SQLite's
        result = cli(tmp_path, *command)
        assert result.exit_code == 2
        assert (
            "worker mode (--worker-id) needs the ledger on PostgreSQL that all workers share" in result.output
        )
        assert 'ledger.url = "postgresql://…"' in result.output


def test_a_ledger_url_of_another_kind_is_refused_by_the_settings_before_worker_mode(tmp_path):
    (tmp_path / "bridge.toml").write_text('[ledger]\nurl = "mysql://db/ledger"\n', encoding="utf-8")
    result = cli(tmp_path, "watch", "--worker-id", "w1")
    assert result.exit_code == 2
    assert "ledger.url must be empty (SQLite in the state folder) or a PostgreSQL URL" in result.output


def test_a_single_bridge_never_sends_beside_the_workers(tmp_path, postgres_url):
    (tmp_path / "bridge.toml").write_text(
        f'[fortnox]\nurl = "http://127.0.0.1:9"\n[ledger]\nurl = "{postgres_url}"\n', encoding="utf-8"
    )
    ledger = open_ledger(tmp_path / "ledger.sqlite3", lambda: None, url=postgres_url)
    worker = share_sending(ledger, "w1")
    result = cli(tmp_path, "retry", "--failed")  # sends now: it needs the ledger to itself
    assert result.exit_code == 2
    assert "watch --worker-id w1 is already sending from the ledger" in result.output
    worker.close()
    with StateLock(tmp_path / ".bridge", "watch", postgres_url), pytest.raises(LockHeld) as refused:
        share_sending(ledger, "w2")
    assert "a single bridge is sending from this ledger; workers cannot send beside it" in str(refused.value)
    ledger.close()


def test_the_ledger_itself_cannot_record_a_step_for_a_company_its_worker_does_not_hold(
    tmp_path, postgres_url
):
    ledger = open_ledger(tmp_path / "ledger.sqlite3", lambda: None, url=postgres_url)
    file_id = ledger.add_file("acme", "a.csv", "0" * 64, 1, tmp_path / "a.csv")
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        (document_id,) = admin.execute(
            "INSERT INTO documents (file_id, tenant, kind, source_key, content_hash, summary, document,"
            " state, created_at) VALUES (%s, 'acme', 'invoice', 'K-1', '', '', '{}', 'queued', '')"
            " RETURNING id",
            (file_id,),
        ).fetchone()
        (step_id,) = admin.execute(
            "INSERT INTO steps (document_id, position, spec, state) VALUES (%s, 0, '{}', 'pending')"
            " RETURNING id",
            (document_id,),
        ).fetchone()
        assert install_fence(admin)
    ledger.close()
    leases = Leases(postgres_url, "w1", 30.0)
    worker_ledger = open_ledger(tmp_path / "ledger.sqlite3", lambda: None, url=fenced_url(postgres_url, "w1"))
    with pytest.raises(Exception) as refused:  # the intent to send is not recorded: nothing is sent
        worker_ledger.step_sending(step_id, document_id)
    assert is_fenced(refused.value)
    assert leases.take("acme") is not None
    worker_ledger.step_sending(step_id, document_id)
    worker_ledger.close()
