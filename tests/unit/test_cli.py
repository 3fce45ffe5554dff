"""The command line, as a person or a script uses it (click's CliRunner, embedded mock)."""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.util import loads

GOOD = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nC-1;1001;Konsult;2;1 000,00\n"
BAD = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nC-2;1001;Konsult;två;100\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("FORTNOX_") and k != "FORTNOX_UI_LANGUAGE"]:
        monkeypatch.delenv(name)
    (tmp_path / "good.csv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.csv").write_text(BAD, encoding="utf-8")
    return tmp_path


def run(workdir: Path, *args: str):
    return CliRunner().invoke(main, ["--workdir", str(workdir), *args], catch_exceptions=False)


def test_check_prints_the_planned_calls_and_sends_nothing(workdir):
    result = run(workdir, "check", str(workdir / "good.csv"), "--json")
    assert result.exit_code == 0
    (report,) = loads(result.output)["files"]
    assert report["ok"] and report["importer"] == "csv-invoices"
    calls = report["documents"][0]["calls"]
    assert [(c["kind"], c["method"], c["path"]) for c in calls] == [
        ("ensure", "POST", "/3/customers"),
        ("create", "POST", "/3/invoices"),
    ]
    assert calls[1]["body"]["Invoice"]["ExternalInvoiceReference1"] == "fnb:C-1"
    assert not (workdir / ".bridge").exists()  # nothing started, nothing recorded


def test_check_names_line_and_column_and_exits_1(workdir):
    result = run(workdir, "check", str(workdir / "bad.csv"))
    assert result.exit_code == 1
    assert "REFUSED" in result.output
    assert "line 2, column 'Antal': 'två' is not a number" in result.output


def test_process_sends_and_answers(workdir):
    result = run(workdir, "process", str(workdir / "good.csv"))
    assert result.exit_code == 0, result.output
    assert "done   created 1 customer invoice (1)" in result.output
    assert (workdir / "good.csv").exists()  # outside the inbox: copied, not moved
    receipt = loads((workdir / "outbox" / "receipts" / "good.csv.receipt.json").read_text())
    assert receipt["state"] == "done"


def test_process_exits_1_when_a_file_fails(workdir):
    result = run(workdir, "process", str(workdir / "bad.csv"))
    assert result.exit_code == 1
    assert (workdir / "outbox" / "failed" / "bad.csv.error.txt").exists()


def test_status_for_scripts(workdir):
    run(workdir, "process", str(workdir / "good.csv"), str(workdir / "bad.csv"))
    result = run(workdir, "status", "--json")
    assert result.exit_code == 0
    (tenant,) = loads(result.output)["tenants"]
    assert tenant["files"] == {"done": 1, "failed": 1}
    assert tenant["failed_files"][0]["file"] == "bad.csv"


def test_usage_errors_exit_2(workdir):
    assert run(workdir, "retry").exit_code == 2
    (workdir / "bridge.toml").write_text("[watch]\nsettle_seconds = 'soon'\n")
    result = run(workdir, "status")
    assert result.exit_code == 2
    assert "watch.settle_seconds must be a float" in result.output


def test_process_for_scripts_says_the_totals_and_fortnox_numbers_as_json(workdir):
    result = run(workdir, "process", str(workdir / "good.csv"), "--json")
    assert result.exit_code == 0, result.output
    (file,) = loads(result.stdout)["files"]
    assert file["state"] == "done" and file["tenant"] == "default"
    assert {"envelope": "Invoice", "outcome": "created", "count": 1, "numbers": ["1"]} in file["summary"][
        "fortnox"
    ]


def test_watch_once_takes_what_is_there_and_does_not_ask_for_ctrl_c(workdir):
    (workdir / "inbox").mkdir()
    (workdir / "inbox" / "good.csv").write_text(GOOD, encoding="utf-8")
    result = CliRunner().invoke(main, ["--workdir", str(workdir), "watch", "--once", "--json"])
    assert result.exit_code == 0, result.output
    assert "Ctrl-C" not in result.output
    assert [f["file"] for f in loads(result.stdout)["files"]] == ["good.csv"]


def test_status_of_one_company(workdir):
    result = run(workdir, "status", "--json", "--tenant", "default")
    assert [t["tenant"] for t in loads(result.output)["tenants"]] == ["default"]
    assert run(workdir, "status", "--tenant", "nobody").exit_code == 2
