"""A SmartDok-style day through a running bridge and a running mock: the registers in the
morning, then invoices naming new articles and a new project, an invoice re-sent after it was
changed, and a whole and a partial credit. At the end each document is in Fortnox once, and
the credits point at what they credit.

Real processes (`mockfortnox serve`, `fortnox-bridge watch`), real sockets, real file events.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.processes import BridgeProcess, MockProcess, bridge_config, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CUSTOMERS = """\
Kundnummer;Namn;Organisationsnummer;Adress;Postnummer;Ort;E-post;Betalningsvillkor
3001;Bergbygg i Kiruna AB;556811-2233;Malmvägen 2;981 31;Kiruna;faktura@bergbygg.example;30
1002;Byggteknik i Väst AB;556987-6543;Hamngatan 12;411 14;Göteborg;fakturor@byggteknik.example;30
"""
PROJECTS = """\
Projektnummer;Projektnamn;Startdatum;Slutdatum;Projektledare;Status
300;Skola Kiruna, etapp 1;2026-04-01;2026-12-31;Lisa Larsson;Pågående
"""
ARTICLES = """\
Artikelnummer;Benämning;Enhet;Moms;Försäljningspris;Typ
MASK-12;Minigrävare, timme;h;25;850,00;Tjänst
"""
INVOICES = """\
Fakturanummer;Fakturadatum;Kundnummer;Artikelnummer;Beskrivning;Antal;Enhet;À-pris;Moms;Projekt
SD-1001;2026-04-30;3001;MASK-12;Minigrävare, timme;12;h;850,00;25;300
SD-1001;2026-04-30;3001;SPIK-75;Spik 75 mm, 1 kg;5;st;95,00;25;300
SD-1002;2026-04-30;1002;SPIK-75;Spik 75 mm, 1 kg;10;st;95,00;25;
SD-1002;2026-04-30;1002;;Transport;1;st;1 200,00;25;
"""
CREDITS = """\
Fakturanummer;Fakturadatum;Kundnummer;Beskrivning;Antal;À-pris;Moms;Krediterar
SD-1101;2026-05-05;3001;Minigrävare, timme;-12;850,00;25;SD-1001
SD-1101;2026-05-05;3001;Spik 75 mm, 1 kg;-5;95,00;25;SD-1001
SD-1102;2026-05-05;1002;Transport, återbetald;1;1 200,00;25;SD-1002
"""


@pytest.fixture
def running(tmp_path):
    mock = MockProcess(tmp_path)
    bridge_config(tmp_path, mock.url)
    bridge = BridgeProcess(tmp_path)
    yield tmp_path, mock
    bridge.stop()
    mock.stop()


def drop(workdir: Path, name: str, text: str, folder: str = "archive") -> None:
    """Write the file as a careful sender does (temporary name, then rename) and wait until the
    bridge has answered it."""
    inbox = workdir / "inbox"
    (inbox / f"{name}.tmp").write_text(text, encoding="utf-8")
    os.rename(inbox / f"{name}.tmp", inbox / name)
    wait_until(lambda: (workdir / "outbox" / folder / name).exists(), timeout=60, what=f"{name} in {folder}/")


def test_a_smartdok_day_leaves_each_document_once_with_its_links(running):
    workdir, mock = running
    api = mock.api()

    drop(workdir, "kunder.csv", CUSTOMERS)
    drop(workdir, "projekt.csv", PROJECTS)
    drop(workdir, "artiklar.csv", ARTICLES)
    drop(workdir, "fakturor-30-april.csv", INVOICES)

    def invoices() -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for row in api.iter_pages("/3/invoices", "Invoices"):
            record = api.get(f"/3/invoices/{row['DocumentNumber']}")["Invoice"]
            found.setdefault(record["ExternalInvoiceReference1"], []).append(record)
        return found

    sent = invoices()
    first, second = sent["fnb:SD-1001"][0], sent["fnb:SD-1002"][0]
    assert first["CustomerNumber"] == "3001" and [r["Project"] for r in first["InvoiceRows"]] == [
        "300",
        "300",
    ]
    for invoice in (first, second):  # the office books them in Fortnox
        api.put(f"/3/invoices/{invoice['DocumentNumber']}/bookkeep")

    # SmartDok's user takes SD-1002 back, changes it and finishes it again: not sent again.
    drop(workdir, "fakturor-igen.csv", INVOICES.replace("Transport;1;st;1 200,00", "Transport;1;st;1 450,00"))
    receipt = (workdir / "outbox" / "receipts" / "fakturor-igen.csv.receipt.txt").read_text(encoding="utf-8")
    assert "not sent again" in receipt and "rows[2].price: 1200.00 → 1450.00" in receipt

    drop(workdir, "krediteringar.csv", CREDITS)

    final = invoices()
    assert {stamp: len(records) for stamp, records in final.items()} == {
        "fnb:SD-1001": 1,
        "fnb:SD-1002": 1,
        "fnb:SD-1101": 1,
        "fnb:SD-1102": 1,
    }
    (first,), (second,) = final["fnb:SD-1001"], final["fnb:SD-1002"]
    (whole,), (partial,) = final["fnb:SD-1101"], final["fnb:SD-1102"]
    assert first["CreditInvoiceReference"] == whole["DocumentNumber"]  # Fortnox's own credit, linked
    assert whole["CreditInvoiceReference"] == first["DocumentNumber"] and whole["Credit"] == "true"
    assert whole["Total"] == -first["Total"]
    assert partial["CreditInvoiceReference"] == second["DocumentNumber"]  # a credit invoice of ours
    assert partial["Total"] == Decimal("-1500") and second["CreditInvoiceReference"] == "0"

    customers = [c["CustomerNumber"] for c in api.iter_pages("/3/customers", "Customers")]
    assert customers.count("3001") == 1
    assert api.get("/3/customers/1002")["Customer"]["Email"] == "fakturor@byggteknik.example"
    projects = [p["ProjectNumber"] for p in api.iter_pages("/3/projects", "Projects")]
    assert projects.count("300") == 1
    articles = [a["ArticleNumber"] for a in api.iter_pages("/3/articles", "Articles")]
    assert articles.count("MASK-12") == 1 and articles.count("SPIK-75") == 1
    spikes = api.get("/3/articles/SPIK-75")["Article"]
    assert (spikes["Description"], spikes["Unit"]) == ("Spik 75 mm, 1 kg", "st")
    assert (
        not list((workdir / "outbox" / "failed").glob("*"))
        if (workdir / "outbox" / "failed").exists()
        else True
    )
