"""Fortnox is down while files arrive: they are taken, read and queued at once, and go
through exactly once when Fortnox answers again."""

import pytest

from tests.e2e.processes import (
    BridgeProcess,
    MockProcess,
    bridge_config,
    bridge_status,
    free_port,
    wait_until,
)

pytestmark = pytest.mark.e2e


def test_files_wait_for_fortnox_and_then_go_through_once(tmp_path):
    port = free_port()
    bridge_config(tmp_path, f"http://127.0.0.1:{port}")
    bridge = BridgeProcess(tmp_path)
    mock = None
    try:
        inbox = tmp_path / "inbox"
        for n in range(5):
            (inbox / f"f{n}.csv").write_text(
                f"Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nOFF-{n};1001;Konsult;1;{n}00\n"
            )

        def waiting():
            (tenant,) = bridge_status(tmp_path)["tenants"]
            return tenant["waiting_for_fortnox_since"] and tenant["queued_documents"] == 5 and tenant

        tenant = wait_until(waiting, timeout=30, what="the bridge to queue the files while Fortnox is down")
        assert "cannot" in tenant["last_error"]
        assert list(inbox.iterdir()) == []  # taken and safe in the work area, not left behind

        mock = MockProcess(tmp_path, port=port)
        archive = tmp_path / "outbox" / "archive"
        wait_until(
            lambda: archive.is_dir() and len(list(archive.iterdir())) == 5,
            timeout=90,
            what="all five archived",
        )
        api = mock.api()
        stamps = sorted(i["ExternalInvoiceReference1"] for i in api.iter_pages("/3/invoices", "Invoices"))
        assert stamps == [f"fnb:OFF-{n}" for n in range(5)]
        numbers = [
            int(i["DocumentNumber"])
            for i in api.iter_pages("/3/invoices", "Invoices", sortby="documentnumber")
        ]
        stamps_in_number_order = [
            api.get(f"/3/invoices/{n}")["Invoice"]["ExternalInvoiceReference1"] for n in sorted(numbers)
        ]
        assert stamps_in_number_order == stamps  # the queue drained in arrival order
        (tenant,) = bridge_status(tmp_path)["tenants"]
        assert tenant["waiting_for_fortnox_since"] is None and tenant["queued_documents"] == 0
    finally:
        bridge.stop()
        if mock is not None:
            mock.stop()
