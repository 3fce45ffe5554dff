"""A CSV invoice dropped into inbox/ of a running bridge ends as one Fortnox invoice.

Real processes: `mockfortnox serve` and `fortnox-bridge watch`, on a loopback socket, with
real file-system events.
"""

import os
import time
from decimal import Decimal

import pytest

from tests.e2e.processes import BridgeProcess, MockProcess, bridge_config, wait_until

pytestmark = pytest.mark.e2e

CSV = (
    "Fakturanummer;Fakturadatum;Kundnummer;Kundnamn;Organisationsnummer;Beskrivning;Antal;À-pris;Moms\n"
    "E2E-1;2026-11-20;2001;Nykund i Norr AB;556000-0001;Konsulttimmar;12,5;1 250,00;25\n"
    "E2E-1;2026-11-20;2001;Nykund i Norr AB;556000-0001;Resa;1;2 437,50;25\n"
    "E2E-1;2026-11-20;2001;Nykund i Norr AB;556000-0001;Bok;3;349,33;6\n"
)
SLOW_CSV = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris;Moms\n" + "".join(
    f"E2E-2;2001;Rad {n};1;{n},50;25\n" for n in range(1, 41)
)


@pytest.fixture
def running(tmp_path):
    mock = MockProcess(tmp_path)
    bridge_config(tmp_path, mock.url)
    bridge = BridgeProcess(tmp_path)
    yield tmp_path, mock, bridge
    bridge.stop()
    mock.stop()


def invoices(api):
    return {i["ExternalInvoiceReference1"]: i for i in api.iter_pages("/3/invoices", "Invoices")}


def test_dropped_csv_becomes_one_invoice_once(running):
    workdir, mock, _bridge = running
    api = mock.api()
    inbox, outbox = workdir / "inbox", workdir / "outbox"

    # A well-behaved sender: write under a temporary name, then rename into place.
    (inbox / "fakturor.csv.tmp").write_text(CSV, encoding="utf-8")
    os.rename(inbox / "fakturor.csv.tmp", inbox / "fakturor.csv")
    wait_until(lambda: (outbox / "archive" / "fakturor.csv").exists(), what="the file to be archived")
    assert (outbox / "receipts" / "fakturor.csv.receipt.json").exists()

    listed = invoices(api)
    assert list(listed) == ["fnb:E2E-1"]
    invoice = api.get(f"/3/invoices/{listed['fnb:E2E-1']['DocumentNumber']}")["Invoice"]
    assert invoice["CustomerNumber"] == "2001"
    assert [
        (r["Description"], r["DeliveredQuantity"], r["Price"], r["VAT"]) for r in invoice["InvoiceRows"]
    ] == [
        ("Konsulttimmar", "12.5", Decimal("1250"), 25),
        ("Resa", "1", Decimal("2437.5"), 25),
        ("Bok", "3", Decimal("349.33"), 6),
    ]
    assert invoice["Net"] == Decimal("19110.49")  # 15625 + 2437.50 + 1047.99
    assert invoice["TotalVAT"] == Decimal("4578.50")  # 25 % of 18062.50 + 6 % of 1047.99 = 4578.5044
    assert (invoice["Total"], invoice["RoundOff"]) == (Decimal("23689"), Decimal("0.01"))
    customers = [c for c in api.iter_pages("/3/customers", "Customers") if c["CustomerNumber"] == "2001"]
    assert [c["Name"] for c in customers] == ["Nykund i Norr AB"]

    # A slow sender writing straight into the inbox: the file is taken only when complete.
    with (inbox / "langsam.csv").open("w", encoding="utf-8") as handle:
        for start in range(0, len(SLOW_CSV), 200):
            handle.write(SLOW_CSV[start : start + 200])
            handle.flush()
            time.sleep(0.15)
    wait_until(lambda: (outbox / "archive" / "langsam.csv").exists(), what="the slow file to be archived")
    slow = api.get(f"/3/invoices/{invoices(api)['fnb:E2E-2']['DocumentNumber']}")["Invoice"]
    assert len(slow["InvoiceRows"]) == 40

    # The same file again: recognised, nothing new in Fortnox.
    (inbox / "fakturor igen.csv").write_text(CSV, encoding="utf-8")
    wait_until(
        lambda: (outbox / "duplicates" / "fakturor igen.csv").exists(), what="the copy to be set aside"
    )
    assert sorted(invoices(api)) == ["fnb:E2E-1", "fnb:E2E-2"]
    customers = [c for c in api.iter_pages("/3/customers", "Customers") if c["CustomerNumber"] == "2001"]
    assert len(customers) == 1
    assert list((workdir / "inbox").iterdir()) == []
