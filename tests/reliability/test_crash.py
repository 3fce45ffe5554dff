"""Kill the bridge with SIGKILL at random moments while Fortnox misbehaves; at the end every
file is in exactly one place and every source document exists exactly once in Fortnox —
invoices, their credits (Fortnox's own credit of a booked invoice, and credit invoices),
supplier invoices, SIE vouchers and journal CSV vouchers with their rounding rows.

Three companies (tenants) share the run, so their queues also proceed side by side.
"""

from __future__ import annotations

import random
import re
import signal
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import BridgeProcess, MockProcess, bridge_status, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FAULTS = {
    "seed": 20261122,
    "rules": [
        {"status": 503, "probability": 0.10},
        {"method": "POST", "drop_response": True, "probability": 0.05},
        {"rate_limit": True, "retry_after": 1, "times": 8},  # a burst of 429s at the start
        {"rate_limit": True, "retry_after": 1, "probability": 0.03},
        {"method": "PUT", "path": "/3/invoices/*/credit", "drop_response": True, "probability": 0.5},
        {"latency_ms": 300},
    ],
}
TENANTS = ("acme", "bygg", "cafe")
HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"
REPO = Path(__file__).resolve().parents[2]
# A supplier's Peppol invoice to the demo company, with its PDF inside (upload + connection).
PEPPOL = (REPO / "fixtures" / "samples" / "leverantorsfaktura-kontorsvaror.xml").read_text(encoding="utf-8")
_IMAGE = re.search(
    r"  <cac:AdditionalDocumentReference>.*?</cac:AdditionalDocumentReference>\n",
    (REPO / "fixtures" / "einvoice" / "peppol-bis3-invoice-two-rates-rounding-pdf.xml").read_text(
        encoding="utf-8"
    ),
    re.S,
)[0]
PEPPOL = PEPPOL.replace("  <cac:AccountingSupplierParty>", _IMAGE + "  <cac:AccountingSupplierParty>", 1)


def peppol(number: str) -> str:
    return PEPPOL.replace("<cbc:ID>KV-2026-1187</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>", 1)


SIE_HEAD = '#FLAGGA 0\n#PROGRAM "Kassan" 1.0\n#SIETYP 4\n#FNAMN "Demobolaget i Sverige AB"\n#RAR 0 20260101 20261231\n'


def sie_voucher(number: int, amount: int) -> tuple[str, str]:
    """A #VER (paper bought in cash) and the stamp its Fortnox voucher must carry."""
    day = f"202601{10 + number % 15:02d}"
    text = f'#VER A {number} {day} "Kontorsmaterial {number}"\n{{\n#TRANS 6110 {{}} {amount}.00\n#TRANS 1930 {{}} -{amount}.00\n}}\n'
    return text, f"fnb:A {number} {day}"


JOURNAL_HEAD = "Datum;Verifikation;Konto;Debet;Kredit;Text\n"
CREDIT_HEAD = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris;Krediterar\n"


def journal(n: int, rng: random.Random) -> tuple[str, list[str]]:
    """Two till vouchers; the first is 0,37 kr off and gets a rounding row on 3740."""
    day = f"202601{1 + n % 28:02d}"
    date = f"{day[:4]}-{day[4:6]}-{day[6:]}"
    a, b = rng.randint(100, 900), rng.randint(100, 900)
    text = (
        f"{date};J{n}-1;6110;{a},37;;Papper\n{date};J{n}-1;1930;;{a},00;Bank\n"
        f"{date};J{n}-2;6110;{b},00;;Pennor\n{date};J{n}-2;1930;;{b},00;Bank\n"
    )
    return JOURNAL_HEAD + text, [f"fnb:J{n}-1 {day}", f"fnb:J{n}-2 {day}"]


def plan_files(
    rng: random.Random,
) -> tuple[
    dict[str, tuple[str, str]],
    dict[str, set[str]],
    dict[str, set[str]],
    dict[str, set[str]],
    dict[str, tuple[str, str, str]],
]:
    """100 files per the mix below → name: (tenant, content), and the invoices, supplier invoices
    and vouchers that must exist per tenant, and each credit file's (original file, original
    credited whole, original credited in part)."""
    files: dict[str, tuple[str, str]] = {}
    expected: dict[str, set[str]] = {t: set() for t in TENANTS}
    supplier_expected: dict[str, set[str]] = {t: set() for t in TENANTS}
    vouchers: dict[str, set[str]] = {t: set() for t in TENANTS}
    credits: dict[str, tuple[str, str, str]] = {}
    invoice_files: dict[str, list[tuple[str, list[tuple[str, str, int, int]]]]] = {t: [] for t in TENANTS}
    number = 0
    for n in range(100):
        tenant = TENANTS[n % 3]
        if n % 25 == 19:  # a journal CSV of two vouchers, one with a rounding row
            text, stamps = journal(n, rng)
            files[f"f{n:03}.csv"] = (tenant, text)
            vouchers[tenant].update(stamps)
            continue
        if n % 25 == 21 and n > 40:  # credits of an invoice file two batches or more back
            original_file, originals = invoice_files[tenant].pop(0)
            (whole, customer, quantity, price), (part, part_customer, _, _) = originals[:2]
            text = CREDIT_HEAD + (
                f"KR-{n}-1;{customer};Kredit;-{quantity};{price},50;{whole}\n"
                f"KR-{n}-2;{part_customer};Delkredit;1;100,00;{part}\n"
            )
            files[f"f{n:03}.csv"] = (tenant, text)
            expected[tenant].update({f"fnb:KR-{n}-1", f"fnb:KR-{n}-2"})
            credits[f"f{n:03}.csv"] = (original_file, whole, part)
            continue
        if n % 25 == 13:  # a SIE file of two vouchers; the last one repeats one of the first's
            texts = [sie_voucher(n * 10 + i, rng.randint(100, 900)) for i in range(2)]
            if n == 88:
                texts[0] = sie_voucher(130, int(files["f013.se"][1].split("6110 {} ")[1].split(".")[0]))
            files[f"f{n:03}.se"] = (tenant, SIE_HEAD + "".join(text for text, _ in texts))
            vouchers[tenant].update(stamp for _, stamp in texts)
            continue
        if n == 64:  # the same SIE file again, under a new name
            files["f064.se"] = files["f013.se"]
            continue
        if n % 25 == 7:  # a broken file: goes to failed/, creates nothing
            files[f"f{n:03}.csv"] = (tenant, HEADER + f"X-{n};1001;Trasig;inte ett tal;10\n")
            continue
        if n % 20 == 11 and n >= 20:  # the same bytes again under a new name: a duplicate
            earlier = next(name for name in files if name.startswith(f"f{n - 9:03}."))
            if files[earlier][0] == tenant:
                files[f"f{n:03}{Path(earlier).suffix}"] = files[earlier]
                continue
        if n % 10 == 2:  # a supplier's e-invoice with its PDF inside
            files[f"f{n:03}.xml"] = (tenant, peppol(f"KV-{n}"))
            supplier_expected[tenant].add(f"KV-{n}")
            continue
        rows = []
        written = []
        for _ in range(3):
            number += 1
            customer = rng.choice(("1001", "1002", "1003"))
            quantity, price = rng.randint(1, 9), rng.randint(100, 2000)
            rows.append(f"K-{number};{customer};Konsult;{quantity};{price},50\n")
            written.append((f"K-{number}", customer, quantity, price))
            expected[tenant].add(f"fnb:K-{number}")
        files[f"f{n:03}.csv"] = (tenant, HEADER + "".join(rows))
        invoice_files[tenant].append((f"f{n:03}.csv", written))
    return files, expected, supplier_expected, vouchers, credits


def persist(call, *args, **kwargs):
    """Fortnox misbehaves for everyone in this test, the office included: try again."""
    for _ in range(50):
        try:
            return call(*args, **kwargs)
        except Exception:
            time.sleep(0.2)
    return call(*args, **kwargs)


def book_before_crediting(api, stamp: str) -> None:
    """The office books the invoice that the next file credits in whole, as SGX's users do."""
    number = next(
        i["DocumentNumber"]
        for i in persist(
            lambda: list(api.iter_pages("/3/invoices", "Invoices", externalinvoicereference1=stamp))
        )
        if i["ExternalInvoiceReference1"] == stamp
    )
    if not persist(api.get, f"/3/invoices/{number}")["Invoice"]["Booked"]:
        persist(api.put, f"/3/invoices/{number}/bookkeep")


def test_nothing_lost_nothing_twice_across_kills(tmp_path, ledger_url):
    """On SQLite and on PostgreSQL (`ledger.url`): a kill mid-commit loses nothing on either."""
    rng = random.Random(7)
    mock = MockProcess(tmp_path)
    try:
        ids = {"acme": 123456}
        for tenant in TENANTS[1:]:
            ids[tenant] = httpx.post(f"{mock.url}/mock/tenants", json={"name": tenant}).json()["id"]
        config = f'[fortnox]\nurl = "{mock.url}"\nclient_id = "demo-client"\ntimeout_seconds = 5\n'
        for tenant, tenant_id in ids.items():
            config += f'[tenants.{tenant}.fortnox]\ntenant_id = "{tenant_id}"\n'
        # One outbox for the three companies (folders.shared_outbox): every file in exactly one place.
        config += "[folders]\nshared_outbox = true\n[watch]\nsettle_seconds = 0.3\n"
        config += f'[ledger]\nurl = "{ledger_url}"\n'
        (tmp_path / "bridge.toml").write_text(config, encoding="utf-8")
        answer = httpx.post(f"{mock.url}/mock/faults", json=FAULTS)
        assert answer.status_code in (200, 201), answer.text

        files, expected, supplier_expected, vouchers, credits = plan_files(rng)
        pending = list(files.items())
        kills = 0
        bridge = BridgeProcess(tmp_path)
        while kills < 12 or pending:
            for name, (tenant, content) in pending[:12]:
                if name in credits:  # a credit comes after its invoice is in Fortnox and booked
                    original_file, whole, _ = credits[name]
                    wait_until(
                        lambda f=original_file: (tmp_path / "outbox" / "archive" / f).exists(),
                        timeout=300,
                        interval=0.5,
                        what=f"{original_file}, which {name} credits, to be archived",
                    )
                    book_before_crediting(mock.api(str(ids[tenant])), f"fnb:{whole}")
                folder = tmp_path / "inbox" / tenant
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{name}.tmp").write_text(content, encoding="utf-8")
                (folder / f"{name}.tmp").rename(folder / name)
            pending = pending[12:]
            time.sleep(rng.uniform(0.3, 3.0))
            bridge.stop(signal.SIGKILL)
            kills += 1
            bridge = BridgeProcess(tmp_path)

        outbox = tmp_path / "outbox"

        def settled():
            places = [
                p
                for d in ("archive", "failed", "duplicates")
                if (outbox / d).is_dir()
                for p in (outbox / d).iterdir()
            ]
            return len([p for p in places if not p.name.endswith(".error.txt")]) == len(files)

        wait_until(settled, timeout=600, interval=1, what="every file to reach its place")
        bridge.stop()
        httpx.delete(f"{mock.url}/mock/faults")

        # Every file is in exactly one place, under its own name.
        where: dict[str, list[str]] = {}
        for folder in ("archive", "failed", "duplicates"):
            for path in (outbox / folder).iterdir():
                if not path.name.endswith(".error.txt"):
                    where.setdefault(path.name, []).append(folder)
        assert sorted(where) == sorted(files)
        assert all(len(places) == 1 for places in where.values()), where
        assert not [p for p in (tmp_path / "inbox").rglob("*") if p.is_file()]
        assert not [p for p in (tmp_path / ".bridge" / "work").rglob("*") if p.is_file()]
        assert not list(outbox.rglob(".*"))  # no half-written leftovers from the kills
        broken = {n for n, (_, c) in files.items() if "inte ett tal" in c}
        assert {n for n, p in where.items() if p == ["failed"]} == broken

        # Every source invoice exists exactly once in its own company.
        for tenant in TENANTS:
            stamps = [
                i["ExternalInvoiceReference1"]
                for i in mock.api(str(ids[tenant])).iter_pages("/3/invoices", "Invoices")
            ]
            assert sorted(stamps) == sorted(expected[tenant]), f"{tenant}: missing or doubled invoices"
            api = mock.api(str(ids[tenant]))
            received = list(api.iter_pages("/3/supplierinvoices", "SupplierInvoices"))
            numbers = sorted(i["InvoiceNumber"] for i in received)
            assert numbers == sorted(supplier_expected[tenant]), (
                f"{tenant}: missing or doubled supplier invoices"
            )
            for invoice in received:  # each with its image, once
                connected = api.get(
                    "/3/supplierinvoicefileconnections", supplierinvoicenumber=invoice["GivenNumber"]
                )
                assert len(connected["SupplierInvoiceFileConnections"]) == 1, invoice["InvoiceNumber"]
            assert api.get("/3/inbox/inbox_s")["Folder"]["Files"] == [], (
                f"{tenant}: an upload left unconnected"
            )
            comments = [
                v["Comments"]
                for v in api.iter_pages("/3/vouchers", "Vouchers", financialyear=2)
                if v["Comments"].startswith("fnb:")
            ]
            assert sorted(comments) == sorted(vouchers[tenant]), f"{tenant}: missing or doubled vouchers"
            rounded = [
                v
                for v in api.iter_pages("/3/vouchers", "Vouchers", financialyear=2)
                if v["Comments"].startswith("fnb:J") and v["Comments"].split()[0].endswith("-1")
            ]
            for voucher in rounded:  # each journal's first voucher with its rounding row, once
                path = f"/3/vouchers/A/{voucher['VoucherNumber']}"
                rows = persist(api.get, path, financialyear=2)["Voucher"]["VoucherRows"]
                assert [(r["Account"], r["Credit"]) for r in rows if r["Account"] == 3740] == [
                    (3740, Decimal("0.37"))
                ]

        # Every credit once, pointing at what it credits; the whole one is Fortnox's own credit.
        for name, (_, whole, part) in credits.items():
            api = mock.api(str(ids[files[name][0]]))
            numbers = {
                i["ExternalInvoiceReference1"]: i["DocumentNumber"]
                for i in api.iter_pages("/3/invoices", "Invoices")
            }
            credit = name[1:4].lstrip("0")
            whole_credit, part_credit, original, partly = (
                persist(api.get, f"/3/invoices/{numbers[stamp]}")["Invoice"]
                for stamp in (f"fnb:KR-{credit}-1", f"fnb:KR-{credit}-2", f"fnb:{whole}", f"fnb:{part}")
            )
            assert whole_credit["CreditInvoiceReference"] == original["DocumentNumber"]
            assert original["CreditInvoiceReference"] == whole_credit["DocumentNumber"], name
            assert whole_credit["Total"] == -original["Total"]
            assert part_credit["CreditInvoiceReference"] == partly["DocumentNumber"]

        # And the ledger agrees: every document done, each SIE file's registers included.
        sie_files = {t: {c for n, (tt, c) in files.items() if tt == t and n.endswith(".se")} for t in TENANTS}
        for tenant in bridge_status(tmp_path)["tenants"]:
            name = tenant["tenant"]
            assert tenant["queued_documents"] == 0
            done = (
                len(expected[name])
                + len(supplier_expected[name])
                + len(vouchers[name])
                + len(sie_files[name])
            )
            assert tenant["documents"].get("done", 0) == done
    finally:
        mock.stop()


COMPANIES = tuple(f"co{n:02}" for n in range(30))
BUREAU_FAULTS = {
    "seed": 20261202,
    "rules": [
        {"status": 503, "probability": 0.10},
        {"method": "POST", "drop_response": True, "probability": 0.05},
        {"latency_ms": 100},
    ],
}


def test_thirty_companies_on_the_shared_workers_nothing_lost_nothing_twice_across_kills(tmp_path):
    """A bureau's companies share a few sending workers: kills while all of them send at once
    still leave every invoice in its own company exactly once, and every file in one place."""
    rng = random.Random(30)
    mock = MockProcess(tmp_path)
    try:
        config = f'[fortnox]\nurl = "{mock.url}"\nclient_id = "demo-client"\ntimeout_seconds = 5\n'
        ids = {}
        for company in COMPANIES:
            ids[company] = httpx.post(f"{mock.url}/mock/tenants", json={"name": company}).json()["id"]
            config += f'[tenants.{company}.fortnox]\ntenant_id = "{ids[company]}"\n'
        (tmp_path / "bridge.toml").write_text(
            # One outbox for all (folders.shared_outbox): every file in exactly one place.
            config + "[folders]\nshared_outbox = true\n[watch]\nsettle_seconds = 0.3\nworkers = 4\n",
            "utf-8",
        )
        answer = httpx.post(f"{mock.url}/mock/faults", json=BUREAU_FAULTS)
        assert answer.status_code in (200, 201), answer.text

        files = {}
        expected: dict[str, set[str]] = {c: set() for c in COMPANIES}
        for company in COMPANIES:
            for k in range(3):
                rows = [
                    f"{company}-{k}-{r};{rng.choice(('1001', '1002'))};Konsult;1;{rng.randint(100, 900)}\n"
                    for r in range(2)
                ]
                files[f"{company}-{k}.csv"] = (company, HEADER + "".join(rows))
                expected[company].update(f"fnb:{company}-{k}-{r}" for r in range(2))
        pending = list(files.items())
        rng.shuffle(pending)
        bridge = BridgeProcess(tmp_path)
        for batch in range(6):
            for name, (company, content) in pending[batch * 15 : (batch + 1) * 15]:
                folder = tmp_path / "inbox" / company
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{name}.tmp").write_text(content, encoding="utf-8")
                (folder / f"{name}.tmp").rename(folder / name)
            time.sleep(rng.uniform(0.5, 3.0))
            bridge.stop(signal.SIGKILL)
            bridge = BridgeProcess(tmp_path)

        archive = tmp_path / "outbox" / "archive"
        wait_until(
            lambda: archive.is_dir() and len(list(archive.iterdir())) == len(files),
            timeout=600,
            interval=1,
            what="every file to be archived",
        )
        bridge.stop()
        httpx.delete(f"{mock.url}/mock/faults")

        assert sorted(p.name for p in archive.iterdir()) == sorted(files)
        assert not [p for p in (tmp_path / "inbox").rglob("*") if p.is_file()]
        for company in COMPANIES:
            stamps = [
                i["ExternalInvoiceReference1"]
                for i in mock.api(str(ids[company])).iter_pages("/3/invoices", "Invoices")
            ]
            assert sorted(stamps) == sorted(expected[company]), f"{company}: missing or doubled invoices"
    finally:
        mock.stop()
