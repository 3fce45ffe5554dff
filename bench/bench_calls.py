"""The fewest calls Fortnox allows, counted by the mock's own request log.

* SIE: the real 4,434-voucher Fortnox year (../shared/ref/sie) dropped into an empty company
  that lets the bridge create the year, the chart and the objects.
* CSV invoices: 60 invoices in one file, for 6 customers and 4 articles.
* E-invoices: the sample Peppol invoice with its PDF beside it.

The minimum is what cannot be left out: every write (each create, each voucher, each
booking) and one read of each list the run needed (a register, or one financial year's chart;
one page each here, at 500 rows a page), once. Target ≤ 1.02× the minimum. At Fortnox's limit (25 requests per 5 s) a year
takes calls ÷ 5 seconds, printed too.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from bench.report import report
from bridge import sie
from bridge.config import load_settings
from bridge.fortnox import FortnoxClient, Pacer, StaticToken
from bridge.pipeline.service import Bridge
from mockfortnox import create_app

REF = Path(__file__).resolve().parents[1].parent / "shared/ref"
SIE_YEAR = REF / "sie/keyholder_Fortnox3.60_Bygg_4434ver.se"
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures/samples"
FORTNOX_PER_SECOND = 25 / 5

SIE_SETTINGS = {
    "FORTNOX_SIE_CREATE_FINANCIAL_YEARS": "true",
    "FORTNOX_SIE_CREATE_ACCOUNTS": "all",
    "FORTNOX_SIE_CREATE_OBJECTS": "all",
}


class Company:
    """A mock with one company, our client for it, and its request log."""

    def __init__(self, spec: dict | None = None) -> None:
        self.app = create_app({"MOCK_RATE_LIMIT": "off", **({"MOCK_SEEDS": []} if spec else {})})
        control = self.app.test_client()
        tenant = "demo"
        if spec:
            tenant = "bench"
            answer = control.post("/mock/tenants", json={"name": tenant, "seed": spec})
            assert answer.status_code == 201, answer.get_json()
        token = control.post("/mock/tokens", json={"tenant": tenant}).json["access_token"]
        self.client = FortnoxClient(
            "http://mock",
            StaticToken(token),
            transport=httpx.WSGITransport(app=self.app),
            pacer=Pacer(limit=1_000_000),
        )
        self.log = self.app.extensions["mockfortnox.requests"]
        self.log.clear()

    def calls(self) -> list[dict]:
        return self.log.entries()

    def close(self) -> None:
        self.client.close()


def run_files(
    company: Company, paths: list[Path], environ: dict[str, str], companion: Path | None = None
) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        bridge = Bridge(load_settings(Path(tmp), environ=environ), {"default": company.client})
        started = time.perf_counter()
        for path in paths:
            bridge.take(path, "default", copy=True, companion=companion)
        bridge.drain("default", until_blocked=False)
        elapsed = time.perf_counter() - started
        states = Counter(str(file.state) for file in bridge.files())
        bridge.close()
    print(f"  files: {dict(states)}; {elapsed:.1f} s on the in-process mock")
    return elapsed


def minimum(calls: list[dict]) -> int:
    """Every successful write, and each list read once (a register with its filters; a
    record fetched by its number counts as a read of its register's list)."""
    writes = sum(1 for c in calls if c["method"] != "GET" and (c["status"] or 0) < 400)
    lists = {
        ("/".join(c["path"].strip("/").split("/")[:2]), _filters(c["query"]))
        for c in calls
        if c["method"] == "GET"
    }
    return writes + len(lists)


def _filters(query: str) -> tuple:
    return tuple(sorted((k, v) for k, v in parse_qsl(query) if k not in ("page", "limit")))


def describe(calls: list[dict]) -> None:
    families = Counter(
        f"{c['method']} /{'/'.join(c['path'].strip('/').split('/')[:2])}"
        + (f" ({c['status']})" if (c["status"] or 0) >= 400 else "")
        for c in calls
    )
    print("  " + ", ".join(f"{n} {family}" for family, n in families.most_common()))


def figure(label: str, calls: list[dict]) -> None:
    least = minimum(calls)
    describe(calls)
    report(f"{label}: calls", len(calls), "calls", baseline=least, baseline_name="minimum", target="≤ 1.02×")
    print(f"  at Fortnox's limit ({FORTNOX_PER_SECOND:g}/s): {len(calls) / FORTNOX_PER_SECOND / 60:.1f} min")


def sie_year() -> None:
    if not SIE_YEAR.is_file():
        print(f"skipped the SIE year: {SIE_YEAR} is not there (../shared/ref is outside the repository)")
        return
    original = sie.read(SIE_YEAR)
    spec = {
        "company": {"CompanyName": original.company_name, "OrganizationNumber": original.org_number.number},
        "licences": ["bookkeeping", "companyinformation", "costcenter", "project", "settings"],
    }
    company = Company(spec)
    run_files(company, [SIE_YEAR], SIE_SETTINGS)
    calls = company.calls()
    company.close()
    figure("SIE year, 4,434 vouchers, into an empty company", calls)


def csv_invoices(invoices: int = 60) -> None:
    customers = ("1001", "1002", "1003", "1004", "1005", "1006")
    articles = ("KONS", "BOK", "LIVS", "RESA")
    lines = ["Fakturanummer;Fakturadatum;Kundnummer;Kundnamn;Artikelnummer;Beskrivning;Antal;À-pris;Moms"]
    for n in range(invoices):
        customer = customers[n % len(customers)]
        for article in articles[: 1 + n % len(articles)]:
            lines.append(
                f"B-{n};2026-11-20;{customer};Kund {customer} AB;{article};{article} arbete;1;100,00;25"
            )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fakturor.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        company = Company()
        run_files(company, [path], {})
    calls = company.calls()
    company.close()
    figure(f"CSV, {invoices} invoices for {len(customers)} customers", calls)


def e_invoices() -> None:
    company = Company()
    run_files(
        company,
        [SAMPLES / "leverantorsfaktura-kontorsvaror.xml"],
        {},
        SAMPLES / "leverantorsfaktura-kontorsvaror.pdf",
    )
    calls = company.calls()
    company.close()
    figure("an e-invoice with its PDF", calls)


def main() -> None:
    sie_year()
    csv_invoices()
    e_invoices()


if __name__ == "__main__":
    main()
