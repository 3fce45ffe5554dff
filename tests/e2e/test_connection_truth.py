"""A connection that tells the truth: a revoked consent, a refused secret, a company not
connected yet and a missing licence are states with a sentence and a command, never a silent
retry loop. Files keep being taken and queued, nothing lands in `failed/`, and once a person
has acted everything goes through, each document once."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import pytest

from bridge.util import loads
from mockfortnox.auth import ALL_SCOPES
from tests.e2e.bureau import CLIENT_ID, COMPANIES, SECRET, Bureau, WatchProcess, bridge
from tests.e2e.processes import wait_until
from tests.unit.connect.conftest import consent_over_http

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ACME, BYGG = COMPANIES["acme"][0], COMPANIES["bygg"][0]


@pytest.fixture
def bureau(tmp_path):
    world = Bureau(tmp_path)
    yield world
    world.stop()


def connect_by_paste(bureau: Bureau, tenant: str, company_id: int, *extra: str) -> str:
    """`connect --paste`: the administrator approves from the printed link; the address the
    browser ends on is pasted back."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bridge", "connect", "--tenant", tenant, "--paste", *extra],
        cwd=bureau.workdir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "FORTNOX_CLIENT_SECRET": SECRET},
    )
    printed = ""
    while "oauth-v1/auth?" not in printed:
        printed += process.stdout.readline()
    link = re.search(r"(http://\S+/oauth-v1/auth\?\S+)", printed)[1]
    address = consent_over_http(link, company_id)
    rest, _ = process.communicate(address + "\n", timeout=60)
    assert process.returncode == 0, printed + rest
    return printed + rest


def status_of(bureau: Bureau, tenant: str) -> dict:
    answer = bridge(bureau.workdir, "status", "--json")
    assert answer.returncode == 0, answer.stderr
    return next(t for t in loads(answer.stdout)["tenants"] if t["tenant"] == tenant)


def nothing_failed(bureau: Bureau) -> bool:
    return not any(bureau.workdir.glob("outbox/*/failed/*"))  # each company answers in outbox/<company>/


def test_a_revoked_consent_queues_files_until_connect_and_then_each_goes_once(bureau):
    bureau.configure()
    connect_by_paste(bureau, "bygg", BYGG, "--personal")
    stored = loads((bureau.workdir / ".bridge" / "connections" / "bygg.json").read_text())
    for token, hint in ((stored["refresh_token"], "refresh_token"), (stored["access_token"], "access_token")):
        revoked = httpx.post(
            f"{bureau.url}/oauth-v1/revoke",
            data={"token": token, "token_type_hint": hint},
            auth=(CLIENT_ID, SECRET),
        )
        assert revoked.json() == {"revoked": True}  # the company withdrew the consent
    watch = WatchProcess(bureau.workdir)
    try:
        bureau.drop_invoice("bygg", "RV-1")
        bureau.drop_invoice("bygg", "RV-2")

        def reconnect_needed():
            tenant = status_of(bureau, "bygg")
            return (
                tenant["connection"]["state"] == "reconnect needed"
                and tenant["queued_documents"] == 2
                and tenant
            )

        tenant = wait_until(reconnect_needed, 60, what="reconnect needed with two documents queued")
        [notice] = tenant["connection"]["notices"]
        assert notice["command"] == "fortnox-bridge connect --tenant bygg --personal"
        assert "no longer accepts the bridge's consent" in notice["message"]
        human = bridge(bureau.workdir, "status").stdout
        assert "reconnect needed" in human and "fortnox-bridge connect --tenant bygg --personal" in human
        assert (
            "reconnect needed" in watch.output()
            and "fortnox-bridge connect --tenant bygg --personal" in watch.output()
        )
        assert nothing_failed(bureau)
        listed = loads(bridge(bureau.workdir, "tenants", "--json").stdout)["tenants"]
        assert [t["state"] for t in listed if t["tenant"] == "bygg"] == ["reconnect needed"]

        connect_by_paste(bureau, "bygg", BYGG, "--personal")  # sending resumes on its own
        archive = bureau.workdir / "outbox" / "bygg" / "archive"
        wait_until(lambda: (archive / "RV-1.csv").exists() and (archive / "RV-2.csv").exists(), 60)
    finally:
        watch.stop()
    assert bureau.invoices("bygg") == ["fnb:RV-1", "fnb:RV-2"]
    assert nothing_failed(bureau)
    assert status_of(bureau, "bygg")["connection"]["state"] == "connected"


def test_a_refused_secret_queues_files_and_says_what_to_do(bureau):
    bureau.configure(f'[tenants.bygg.fortnox]\ntenant_id = "{BYGG}"\n')
    watch = WatchProcess(bureau.workdir, secret="an-old-secret")
    try:
        bureau.drop_invoice("bygg", "WS-1")
        tenant = wait_until(
            lambda: (
                (t := status_of(bureau, "bygg"))["connection"]["state"] == "reconnect needed"
                and t["queued_documents"] == 1
                and t
            ),
            60,
        )
        [notice] = tenant["connection"]["notices"]
        assert notice["problem"] == "secret" and "client secret" in notice["message"]
        assert "FORTNOX_CLIENT_SECRET" in notice["command"]
        assert nothing_failed(bureau)
    finally:
        watch.stop()
    connect_by_paste(bureau, "bygg", BYGG)
    watch = WatchProcess(bureau.workdir, log="watch2.log")
    try:
        wait_until(lambda: (bureau.workdir / "outbox" / "bygg" / "archive" / "WS-1.csv").exists(), 60)
    finally:
        watch.stop()
    assert bureau.invoices("bygg") == ["fnb:WS-1"] and nothing_failed(bureau)


def test_a_company_not_connected_yet_keeps_its_files_until_it_is(bureau):
    bureau.configure(f'[tenants.acme.fortnox]\ntenant_id = "{ACME}"\n[tenants.bygg]\n')
    watch = WatchProcess(bureau.workdir)
    try:
        bureau.drop_invoice("bygg", "NC-1")
        tenant = wait_until(
            lambda: (
                (t := status_of(bureau, "bygg"))["connection"]["state"] == "not connected"
                and t["queued_documents"] == 1
                and t
            ),
            60,
        )
        assert tenant["connection"]["notices"][0]["command"].startswith(
            "fortnox-bridge connect --tenant bygg"
        )
        connect_by_paste(bureau, "bygg", BYGG)
        wait_until(lambda: (bureau.workdir / "outbox" / "bygg" / "archive" / "NC-1.csv").exists(), 60)
    finally:
        watch.stop()
    assert bureau.invoices("bygg") == ["fnb:NC-1"] and bureau.invoices("acme") == []


def test_a_missing_licence_is_named_before_any_file_is_tried(bureau):
    licences = [s for s in ALL_SCOPES if s != "invoice"]  # the company has no invoicing module
    httpx.patch(f"{bureau.url}/mock/tenants/bygg", json={"licences": licences}).raise_for_status()
    bureau.configure('[tenants.bygg.fortnox]\nflows = "invoices"\n')
    said = connect_by_paste(bureau, "bygg", BYGG)
    assert "has no licence for Fakturering (invoicing) in Fortnox" in said
    watch = WatchProcess(bureau.workdir)
    try:
        wait_until(lambda: "Fakturering (invoicing)" in watch.output(), 30, what="the licence notice")
        notice_at = watch.output().index("Fakturering (invoicing)")
        bureau.drop_invoice("bygg", "LI-1")
        tenant = wait_until(
            lambda: (t := status_of(bureau, "bygg"))["queued_documents"] == 1 and t, 30, what="LI-1 queued"
        )
        [notice] = tenant["connection"]["notices"]
        assert notice["problem"] == "licence" and notice["flows"] == ["invoices"]
        assert "LI-1" not in watch.output()[:notice_at]
        assert not [r for r in bureau.requests("/3/invoices") if r["method"] == "POST"]
        assert nothing_failed(bureau)

        httpx.patch(f"{bureau.url}/mock/tenants/bygg", json={"licences": [*licences, "invoice"]})
        assert bridge(bureau.workdir, "tenants").returncode == 0  # checks again; watch goes on
        wait_until(lambda: (bureau.workdir / "outbox" / "bygg" / "archive" / "LI-1.csv").exists(), 60)
    finally:
        watch.stop()
    assert bureau.invoices("bygg") == ["fnb:LI-1"]
