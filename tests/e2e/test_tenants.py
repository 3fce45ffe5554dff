"""A bureau serving several companies: `inbox/<tenant>/` per company, each sent to its own
Fortnox company, side by side."""

import httpx
import pytest

from tests.e2e.processes import BridgeProcess, MockProcess, wait_until

pytestmark = pytest.mark.e2e


def test_each_company_gets_its_own_files(tmp_path):
    mock = MockProcess(tmp_path)
    try:
        beta = httpx.post(f"{mock.url}/mock/tenants", json={"name": "beta"}).json()
        (tmp_path / "bridge.toml").write_text(
            f'[fortnox]\nurl = "{mock.url}"\nclient_id = "demo-client"\n'
            f'[tenants.acme.fortnox]\ntenant_id = "123456"\n'
            f'[tenants.beta.fortnox]\ntenant_id = "{beta["id"]}"\n'
            '[tenants.beta.invoices]\ncreate_customers = "never"\n',
            encoding="utf-8",
        )
        bridge = BridgeProcess(tmp_path)
        try:
            header = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"
            (tmp_path / "inbox" / "acme" / "a.csv").write_text(header + "A-1;1001;Konsult;1;100\n")
            (tmp_path / "inbox" / "beta" / "b.csv").write_text(header + "B-1;1002;Konsult;1;200\n")
            (tmp_path / "inbox" / "beta" / "ny.csv").write_text(header + "B-2;5555;Konsult;1;300\n")
            outbox = tmp_path / "outbox"  # each company answers in a folder of its own
            failed = outbox / "beta" / "failed"
            wait_until(lambda: (outbox / "acme" / "archive" / "a.csv").exists())
            wait_until(lambda: (outbox / "beta" / "archive" / "b.csv").exists())
            wait_until(lambda: (failed / "ny.csv").exists())
        finally:
            bridge.stop()

        def stamps(tenant):
            return sorted(
                i["ExternalInvoiceReference1"] for i in mock.api(tenant).iter_pages("/3/invoices", "Invoices")
            )

        assert stamps("demo") == ["fnb:A-1"]
        assert stamps("beta") == ["fnb:B-1"]  # beta may not create customers: B-2 waits in failed/
        assert "customer 5555 does not exist" in (failed / "ny.csv.error.txt").read_text()
    finally:
        mock.stop()
