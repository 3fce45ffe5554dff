"""The export commands on the embedded mock: thin over the exporters, JSON for programs,
usage errors for what cannot be asked."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.util import loads


@pytest.fixture
def run(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("FORTNOX_") and k != "FORTNOX_UI_LANGUAGE"]:
        monkeypatch.delenv(name)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, ["--workdir", str(tmp_path), "export", *args])

    return invoke


def test_master_data_then_nothing_changed(run):
    first = run("masterdata", "--json")
    assert first.exit_code == 0, first.output
    [item] = loads(first.stdout)["exports"]
    assert item["registers"]["suppliers"] == 2 and item["changes_file"]
    again = loads(run("masterdata", "--registers", "currencies,suppliers", "--json").stdout)["exports"][0]
    assert set(again["registers"]) == {"currencies", "suppliers"} and again["changes_file"] is None


def test_the_two_latest_years_and_supplier_invoices(run, tmp_path):
    years = run("year", "--json")
    assert years.exit_code == 0, years.output
    assert [y["label"] for y in loads(years.stdout)["exports"]] == ["2025", "2026"]
    assert (tmp_path / "outbox/exports/documents/default/2026/5599000006_2026_SIE4.se").exists()
    invoices = run("supplierinvoices", "--since", "2026-01-01")
    assert invoices.exit_code == 0 and "0 supplier invoices since 2026-01-01" in invoices.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("documents", "--kinds", "vouchers,receipts"), "choose among vouchers, supplierinvoices, invoices"),
        (("masterdata", "--registers", "nothing"), "choose among financialyears"),
        (("documents", "--year", "1999"), "no financial year begins in 1999"),
        (("supplierinvoices",), "Missing option '--since'"),
    ],
)
def test_what_cannot_be_asked_is_a_usage_error(run, args, says):
    answer = run(*args)
    assert answer.exit_code == 2 and says in answer.output
