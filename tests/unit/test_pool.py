"""The pool of sending workers shared by every company: round-robin turns over the companies
that are ready, one worker per company at a time, and waiting that costs no worker."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from bridge.config import load_settings
from bridge.fortnox import ClientCredentials, FortnoxClient, OAuth
from bridge.fortnox.oauth import Tokens
from bridge.pipeline import Bridge, DocumentState, FileState
from bridge.pipeline.pool import CompanyPool, Turn
from bridge.pipeline.watcher import Watcher
from tests.e2e.processes import wait_until


class Companies:
    """Companies with documents to send, one per turn; records every document sent, in order."""

    def __init__(self, queues: dict[str, int]) -> None:
        self.left = dict(queues)
        self.sent: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.inside: set[str] = set()
        self.overlaps = 0

    def turn(self, company: str) -> Turn:
        with self.lock:
            if company in self.inside:
                self.overlaps += 1
            self.inside.add(company)
        time.sleep(0.0005)  # a call's worth of waiting, so that the workers really overlap
        with self.lock:
            self.inside.discard(company)
            if not self.left[company]:
                return Turn(done=True)
            number = sum(1 for c, _ in self.sent if c == company)
            self.sent.append((company, number))
            self.left[company] -= 1
            return Turn(more=True)


def test_fifty_small_companies_finish_long_before_the_big_one():
    queues = {"big": 2000, **{f"small{n:02}": 1 for n in range(50)}}
    companies = Companies(queues)
    CompanyPool(queues, companies.turn, workers=8, once=True).run()

    assert len(companies.sent) == 2050  # everything was sent
    last_small = max(i for i, (company, _) in enumerate(companies.sent) if company != "big")
    big_before = sum(1 for company, _ in companies.sent[:last_small] if company == "big")
    assert big_before <= 8 * 2, "the big company had at most a turn or two per worker meanwhile"
    assert companies.sent[-1][0] == "big"


def test_each_company_is_in_one_workers_hands_and_its_documents_go_in_order():
    queues = {f"c{n}": 40 for n in range(6)}
    companies = Companies(queues)
    CompanyPool(queues, companies.turn, workers=4, once=True).run()

    assert companies.overlaps == 0
    for company in queues:
        assert [n for c, n in companies.sent if c == company] == list(range(40))


def test_a_company_that_must_wait_holds_no_worker():
    """One worker, and a company whose window is full for a while: the others go meanwhile."""
    order: list[str] = []
    waited = {"slow": False}

    def turn(company: str) -> Turn:
        if company == "slow" and not waited["slow"]:
            waited["slow"] = True
            return Turn(at=time.monotonic() + 0.3)  # its pacer: room again in 0.3 s
        order.append(company)
        return Turn(done=True)

    CompanyPool(["slow", "a", "b", "c"], turn, workers=1, once=True).run()
    assert order == ["a", "b", "c", "slow"]


def test_a_kick_makes_an_idle_company_ready_and_stop_ends_the_workers():
    stop = threading.Event()
    turns: list[str] = []
    first_two, third = threading.Event(), threading.Event()

    def turn(company: str) -> Turn:
        turns.append(company)
        (third if len(turns) > 2 else first_two if len(turns) == 2 else threading.Event()).set()
        return Turn()  # nothing to do: idle until kicked

    pool = CompanyPool(["a", "b"], turn, workers=2, stop=stop)
    workers = pool.start()
    assert first_two.wait(10)
    pool.kick("a")  # a file arrived for it (even while its turn still ends: it gets another)
    assert third.wait(10)
    stop.set()
    for worker in workers:
        worker.join(10)
    assert not any(w.is_alive() for w in workers)
    assert sorted(turns[:2]) == ["a", "b"] and turns[2:] == ["a"]


# --- the bridge's companies on the pool, against the mock ----------------------------------------

HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"


def open_bureau(tmp_path, mock_app, names, *, secrets=None):
    """A bureau folder of these companies, each connected as a service account to its own
    company in the mock (through OAuth, over the WSGI transport); `secrets` gives some of them a
    client secret of their own (a wrong one: the token endpoint answers 401)."""
    http = mock_app.test_client()
    transport = httpx.WSGITransport(app=mock_app)
    tables, clients = "", {}
    for name in names:
        tenant_id = http.post("/mock/tenants", json={"name": name}).json["id"]
        tables += f'[tenants.{name}.fortnox]\ntenant_id = "{tenant_id}"\n'
        secret = (secrets or {}).get(name, "demo-secret")
        oauth = OAuth("http://mock/oauth-v1", "demo-client", secret, transport=transport)
        tokens = ClientCredentials(oauth, str(tenant_id), tenant=name)
        clients[name] = FortnoxClient("http://mock", tokens, transport=transport)
    (tmp_path / "bridge.toml").write_text(f"[watch]\nsettle_seconds = 0.1\n{tables}", encoding="utf-8")
    return Bridge(load_settings(tmp_path, environ={}), clients)


def drop(tmp_path, company: str, name: str, rows: list[str]) -> None:
    folder = tmp_path / "inbox" / company
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(HEADER + "".join(rows), encoding="utf-8")


def done_files(bridge: Bridge, company: str) -> int:
    return len(bridge.files(states=[FileState.DONE], tenant=company))


@pytest.mark.slow
def test_a_big_file_of_one_company_does_not_hold_back_the_invoices_of_fifty_others(tmp_path, mock_app):
    small = [f"s{n:02}" for n in range(50)]
    bridge = open_bureau(tmp_path, mock_app, ["big", *small])
    drop(tmp_path, "big", "year.csv", [f"B-{n};1001;Konsult;1;100\n" for n in range(2000)])
    for company in small:
        drop(tmp_path, company, "invoice.csv", [f"{company}-1;1002;Konsult;1;1500\n"])
    watcher = Watcher(bridge, poll=True)
    running = threading.Thread(target=watcher.run)
    running.start()
    try:
        wait_until(lambda: all(done_files(bridge, c) for c in small), 300, what="the small companies")
        big = bridge.files(tenant="big")[0]
        sent_meanwhile = sum(d.state == DocumentState.DONE for d in bridge.documents(big.id))
    finally:
        watcher.stop.set()
        watcher.wake.set()
        running.join(60)
    assert sent_meanwhile < 200, "the small ones were done when a tenth of the big file was"
    documents = bridge.documents(big.id)
    assert len(documents) == 2000
    states = [d.state for d in sorted(documents, key=lambda d: d.id)]
    sent = states.count(DocumentState.DONE)
    assert 0 < sent < 2000 and states[:sent] == [DocumentState.DONE] * sent  # in arrival order
    bridge.close()


def test_a_company_whose_token_is_refused_does_not_delay_the_others(tmp_path, mock_app):
    others = [f"c{n}" for n in range(10)]
    bridge = open_bureau(tmp_path, mock_app, ["refused", *others], secrets={"refused": "wrong"})
    for company in ["refused", *others]:
        for n in range(2):
            drop(tmp_path, company, f"{company}-{n}.csv", [f"{company}-{n};1002;Konsult;1;1500\n"])
    watcher = Watcher(bridge)
    waits = watcher.run(once=True)

    assert [done_files(bridge, c) for c in others] == [2] * 10
    assert done_files(bridge, "refused") == 0
    assert bridge.status()["tenants"][0]["queued_documents"] == 2  # waiting, not failed
    assert len(waits) == 1 and waits[0].startswith("refused: 2 document(s) queued")
    refused_id = str(mock_app.extensions["mockfortnox"].tenant("refused").id)
    asked = [
        r for r in mock_app.test_client().get("/mock/requests?path=/oauth-v1/token").json["requests"]
        if r["request"]["headers"].get("Tenantid") == refused_id
    ]  # fmt: skip
    assert 1 <= len(asked) <= 2, "asked once (and once more at most), not once per file"
    bridge.close()


# --- tokens: renewed ahead of need, each company at a moment of its own ----------------------------


class CountingOAuth:
    """Fortnox's token endpoint for a service account: an hour's token each time it is asked."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.fetched = 0

    def client_credentials(self, tenant_id: str) -> Tokens:
        self.fetched += 1
        now = self.clock()
        return Tokens(f"token-{self.fetched}", now, now + 3600, ("invoice",))


def test_service_tokens_are_renewed_ahead_of_expiry_at_moments_spread_over_ten_minutes():
    now = [1_000_000.0]
    companies = []
    for n in range(20):
        oauth = CountingOAuth(lambda: now[0])
        tokens = ClientCredentials(oauth, str(n), clock=lambda: now[0])
        assert tokens.renew_in() is None  # nothing to renew before the first token
        tokens.access_token()
        companies.append((oauth, tokens))
    moments = [tokens.renew_in() for _, tokens in companies]
    assert all(3600 - 60 - 600 <= m <= 3600 - 60 for m in moments)
    assert len(set(moments)) == 20  # fetched together, renewed apart

    oauth, tokens = companies[0]
    tokens.renew()  # not due yet: nothing fetched
    assert oauth.fetched == 1
    now[0] += moments[0] + 0.001
    tokens.renew()
    assert oauth.fetched == 2 and tokens.access_token() == "token-2"
    assert 3600 - 60 - 600 <= tokens.renew_in() <= 3600 - 60  # the next renewal an hour later, spread again
