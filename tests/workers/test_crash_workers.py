"""Three workers share thirty companies over one PostgreSQL while Fortnox misbehaves; random
workers, and the one watching the inbox, are killed with SIGKILL and started again. At the end
every invoice, supplier invoice (with its image) and voucher exists exactly once in its own
company, every file is in exactly one place in outbox/, and the ledger's counts agree."""

from __future__ import annotations

import random
import signal
import time
from dataclasses import dataclass, field

import httpx
import pytest

from tests.e2e.processes import MockProcess, bridge_status, wait_until
from tests.reliability.test_crash import SIE_HEAD, peppol, sie_voucher
from tests.workers.processes import HEADER, WorkerProcess, bureau, drop, invoices_file, workers_listed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COMPANIES = [f"co{n:02}" for n in range(30)]
FAULTS = {
    "seed": 20261202,
    "rules": [
        {"status": 503, "probability": 0.10},
        {"method": "POST", "drop_response": True, "probability": 0.05},
        {"rate_limit": True, "retry_after": 1, "times": 8},  # a burst of 429s at the start
        {"rate_limit": True, "retry_after": 1, "probability": 0.03},
        {"latency_ms": 50},
    ],
}
FILES_PER_COMPANY = 10
KILLS = 15


def plan(rng: random.Random) -> Plan:
    """300 files → name: (company, content), and what each company must end with in Fortnox."""
    files: dict[str, tuple[str, str]] = {}
    plan = Plan(
        files, {c: set() for c in COMPANIES}, {c: set() for c in COMPANIES}, {c: set() for c in COMPANIES}
    )
    for n, company in enumerate(COMPANIES):
        for k in range(FILES_PER_COMPANY):
            name = f"{company}-{k}.csv"
            if k == 4:  # a broken file: to failed/, nothing created
                files[name] = (company, HEADER + f"X-{company};1001;Trasig;inte ett tal;10\n")
                plan.broken.add(name)
            elif k == 7:  # the same bytes as an earlier file: to duplicates/, nothing created twice
                files[name] = files[f"{company}-2.csv"]
                plan.repeated.add(name)
            elif k == 5:  # a supplier's e-invoice with its PDF inside: upload, invoice, connection
                files[f"{company}-{k}.xml"] = (company, peppol(f"KV-{n}-{k}"))
                plan.supplier_invoices[company].add(f"KV-{n}-{k}")
            elif k == 8:  # a SIE file of two vouchers (and its registers, a document of its own)
                vouchers = [sie_voucher(10 * k + i, rng.randint(100, 900)) for i in range(2)]
                files[f"{company}-{k}.se"] = (company, SIE_HEAD + "".join(text for text, _ in vouchers))
                plan.vouchers[company].update(stamp for _, stamp in vouchers)
                plan.sie_files[company] = 1
            else:
                text, stamps = invoices_file(company, k, 2, rng)
                files[name] = (company, text)
                plan.invoices[company].update(stamps)
    return plan


@dataclass
class Plan:
    files: dict[str, tuple[str, str]]
    invoices: dict[str, set[str]]
    supplier_invoices: dict[str, set[str]]
    vouchers: dict[str, set[str]]
    sie_files: dict[str, int] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    repeated: set[str] = field(default_factory=set)

    def documents(self, company: str) -> int:
        """Documents done in the ledger: each invoice, supplier invoice and voucher, and each
        SIE file's registers."""
        return (
            len(self.invoices[company])
            + len(self.supplier_invoices[company])
            + len(self.vouchers[company])
            + self.sie_files.get(company, 0)
        )


@pytest.mark.timeout(1200)  # 2-4 minutes here; a loaded CI machine may take several times that
def test_three_workers_thirty_companies_nothing_lost_nothing_twice_across_kills(tmp_path, postgres_url):
    rng = random.Random(19)
    mock = MockProcess(tmp_path)
    workers: dict[str, WorkerProcess] = {}
    try:
        ids = bureau(
            tmp_path, mock, COMPANIES, postgres_url, "[workers]\nlease_seconds = 4\nslice_seconds = 3\n"
        )
        assert httpx.post(f"{mock.url}/mock/faults", json=FAULTS).status_code in (200, 201)
        planned = plan(rng)
        files, broken, repeated = planned.files, planned.broken, planned.repeated
        pending = list(files.items())
        rng.shuffle(pending)
        # A repeated file comes after its original, so that it is the duplicate, not the original.
        pending.sort(key=lambda item: item[0] in repeated)
        starts = 0
        for name in ("w1", "w2", "w3"):
            workers[name] = WorkerProcess(tmp_path, name, log_name=f"{name}-{starts}.log")
            starts += 1

        per_round = len(pending) // KILLS
        for kill in range(KILLS):
            for name, (company, content) in pending[kill * per_round : (kill + 1) * per_round]:
                drop(tmp_path, company, name, content)
            time.sleep(rng.uniform(0.5, 3.0))
            if kill % 4 == 1:  # the one watching the inbox
                holders = [w["worker"] for w in workers_listed(tmp_path) if w["intake"]]
                victim = holders[0] if holders else rng.choice(sorted(workers))
            else:
                victim = rng.choice(sorted(workers))
            workers[victim].kill()
            workers[victim] = WorkerProcess(tmp_path, victim, log_name=f"{victim}-{starts}.log")
            starts += 1
        for name, (company, content) in pending[KILLS * per_round :]:
            drop(tmp_path, company, name, content)

        outbox = tmp_path / "outbox"

        def placed() -> list[str]:
            return [
                p.name
                for d in ("archive", "failed", "duplicates")
                if (outbox / d).is_dir()
                for p in (outbox / d).iterdir()
                if not p.name.endswith(".error.txt")
            ]

        wait_until(lambda: len(placed()) == len(files), timeout=900, interval=1, what="every file in outbox/")
        for worker in workers.values():
            assert worker.stop() == 0
        httpx.delete(f"{mock.url}/mock/faults")

        # Every file in exactly one place, under its own name.
        where: dict[str, list[str]] = {}
        for folder in ("archive", "failed", "duplicates"):
            for path in (outbox / folder).iterdir() if (outbox / folder).is_dir() else ():
                if not path.name.endswith(".error.txt"):
                    where.setdefault(path.name, []).append(folder)
        assert sorted(where) == sorted(files)
        assert all(len(places) == 1 for places in where.values()), where
        assert {n for n, p in where.items() if p == ["failed"]} == broken
        assert {n for n, p in where.items() if p == ["duplicates"]} == repeated
        assert not [p for p in (tmp_path / "inbox").rglob("*") if p.is_file()]
        assert not [p for p in (tmp_path / ".bridge" / "work").rglob("*") if p.is_file()]

        # Every document exactly once, in its own company.
        for company in COMPANIES:
            api = mock.api(str(ids[company]))
            stamps = [i["ExternalInvoiceReference1"] for i in api.iter_pages("/3/invoices", "Invoices")]
            assert sorted(stamps) == sorted(planned.invoices[company]), f"{company}: invoices"
            received = list(api.iter_pages("/3/supplierinvoices", "SupplierInvoices"))
            numbers = sorted(i["InvoiceNumber"] for i in received)
            assert numbers == sorted(planned.supplier_invoices[company]), f"{company}: supplier invoices"
            for invoice in received:  # each with its image, once
                connected = api.get(
                    "/3/supplierinvoicefileconnections", supplierinvoicenumber=invoice["GivenNumber"]
                )
                assert len(connected["SupplierInvoiceFileConnections"]) == 1, invoice["InvoiceNumber"]
            assert api.get("/3/inbox/inbox_s")["Folder"]["Files"] == [], f"{company}: an upload unconnected"
            comments = [
                v["Comments"]
                for v in api.iter_pages("/3/vouchers", "Vouchers", financialyear=2)
                if v["Comments"].startswith("fnb:")
            ]
            assert sorted(comments) == sorted(planned.vouchers[company]), f"{company}: vouchers"

        # The ledger agrees: nothing queued, every document done once.
        for tenant in bridge_status(tmp_path)["tenants"]:
            assert tenant["queued_documents"] == 0
            assert tenant["documents"].get("done", 0) == planned.documents(tenant["tenant"]), tenant["tenant"]
    finally:
        for worker in workers.values():
            worker.stop(signal.SIGKILL)
        mock.stop()
