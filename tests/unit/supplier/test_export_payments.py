"""`export payments`: the status of supplier and customer invoices, full and incremental."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from supplier_helpers import send, supplier_invoices

from bridge.cli import main
from bridge.exporters.payments import export_payments, payment_rows, render_csv
from bridge.util import loads

REPO = Path(__file__).resolve().parents[3]
INVOICE = REPO / "fixtures" / "einvoice" / "peppol-bis3-invoice-two-rates-rounding-pdf.xml"
GOLDEN = REPO / "fixtures" / "exports" / "payments-full.csv"


def test_full_then_only_what_changed(make_bridge, api, mock_http, tmp_path, golden):
    bridge = make_bridge(supplierinvoices_bookkeep="definitive")
    send(bridge, INVOICE)
    api.post(
        "/3/invoices",
        {
            "Invoice": {
                "CustomerNumber": "1001",
                "InvoiceDate": "2026-11-20",
                "DueDate": "2026-12-20",
                "ExternalInvoiceReference1": "fnb:C-9",
                "InvoiceRows": [{"Description": "Konsult", "DeliveredQuantity": "2", "Price": 500}],
            }
        },
    )
    golden(GOLDEN, render_csv(payment_rows(api, None, date(2026, 12, 1))))
    outbox, state = tmp_path / "outbox", tmp_path / ".bridge"

    def mock_now(advance: int) -> datetime:  # move Fortnox's clock on by whole minutes
        mock_http.post("/mock/clock", json={"advance": advance})
        mock_now.offset += advance
        return datetime.now().astimezone() + timedelta(seconds=mock_now.offset)

    mock_now.offset = 0
    first = mock_now(120)
    full = export_payments(api, "default", outbox, state, now=first)
    assert [r["type"] for r in full.rows] == ["supplier", "customer"]
    assert full.csv_path.read_text(encoding="utf-8") == render_csv(full.rows)
    assert loads(full.json_path.read_text())["invoices"][0]["balance"] == Decimal("181")

    second = mock_now(120)
    [invoice] = supplier_invoices(api)
    payment = api.post(
        "/3/supplierinvoicepayments",
        {
            "SupplierInvoicePayment": {
                "InvoiceNumber": invoice["GivenNumber"],
                "Amount": 181,
                "PaymentDate": "2026-12-01",
            }
        },
    )["SupplierInvoicePayment"]
    api.put(f"/3/supplierinvoicepayments/{payment['Number']}/bookkeep")

    later = export_payments(api, "default", outbox, state, now=second)
    assert later.since == first.strftime("%Y-%m-%d %H:%M")
    [paid] = later.rows
    assert (paid["type"], paid["status"], paid["balance"], paid["final_pay_date"]) == (
        "supplier",
        "paid",
        Decimal(0),
        "2026-12-01",
    )
    assert len(list((outbox / "exports").glob("payments-default-*.csv"))) == 2
    assert not list((outbox / "exports").glob(".*"))  # no temporaries left behind

    again = export_payments(api, "default", outbox, state, full=True, now=mock_now(60))
    assert len(again.rows) == 2 and again.since is None


def test_export_payments_command(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("FORTNOX_") and k != "FORTNOX_UI_LANGUAGE"]:
        monkeypatch.delenv(name)
    runner = CliRunner()
    result = runner.invoke(main, ["--workdir", str(tmp_path), "export", "payments", "--json"])
    assert result.exit_code == 0, result.output
    [item] = loads(result.stdout)["exports"]
    assert Path(item["csv"]).exists() and Path(item["json"]).exists()
    assert item["changed_since"] is None
    second = runner.invoke(main, ["--workdir", str(tmp_path), "export", "payments", "--json"])
    assert loads(second.stdout)["exports"][0]["changed_since"]


def test_watch_writes_the_export_on_its_schedule(make_bridge):
    bridge = make_bridge(exports_payments_every_minutes="60")
    assert bridge.run_scheduled("default") == pytest.approx(3600, abs=5)  # what `watch` runs
    assert bridge.run_scheduled("default") == pytest.approx(3600, abs=5)  # the next one is an hour away
    assert len(list((bridge.settings.outbox / "exports").glob("payments-default-*.csv"))) == 1
