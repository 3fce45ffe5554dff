"""`export sie`: Fortnox's own export of each year, published only after it passed its check."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bridge import sie
from bridge.cli import main
from bridge.exporters.sie import ExportRequestError, choose_years, export_name, export_sie
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.model import FinancialYear
from bridge.util import loads

YEARS = [
    FinancialYear(1, date(2024, 1, 1), date(2024, 12, 31)),
    FinancialYear(2, date(2025, 1, 1), date(2025, 12, 31)),
    FinancialYear(3, date(2026, 1, 1), date(2026, 12, 31)),
]
TODAY = date(2025, 6, 1)


@pytest.fixture
def demo(mock_app, demo_token):
    """The demo company with one voucher in 2026."""
    client = FortnoxClient(
        "http://mock", StaticToken(demo_token), transport=httpx.WSGITransport(app=mock_app)
    )
    rows = [{"Account": 6110, "Debit": 500, "Project": "100"}, {"Account": 1930, "Credit": 500}]
    client.post("/3/vouchers", {"Voucher": {"Description": "Pennor", "TransactionDate": "2026-02-03",
                "VoucherSeries": "A", "VoucherRows": rows}})  # fmt: skip
    yield client
    client.close()


class Tampered:
    """Fortnox as a client sees it, but the file it answers has been changed on the way."""

    def __init__(self, client: FortnoxClient, change) -> None:
        self.client, self.change = client, change

    def get(self, path: str, **params):
        answer = self.client.get(path, **params)
        return self.change(answer) if path.startswith("/3/sie/") else answer

    def iter_pages(self, *args, **params):
        return self.client.iter_pages(*args, **params)


def test_the_two_latest_years_are_exported_and_named_by_company_year_and_type(tmp_path, demo):
    results = export_sie(demo, tmp_path, years=2, today=date(2026, 11, 1))
    assert [r.name for r in results] == ["5599000006_2025_SIE4.se", "5599000006_2026_SIE4.se"]
    assert all(r.ok for r in results) and sorted(p.name for p in tmp_path.iterdir()) == [
        r.name for r in results
    ]
    exported = sie.read(tmp_path / "5599000006_2026_SIE4.se")
    assert exported.program.name == "Fortnox" and exported.sie_type == 4
    (voucher,) = exported.vouchers
    assert (voucher.series, voucher.number, voucher.text) == ("A", "1", "Pennor")
    assert voucher.rows[0].objects == ((6, "100"),)
    assert results[1].vouchers == 1 and results[1].rows == 2


@pytest.mark.parametrize("sie_type", [1, 2, 3, 4])
def test_every_type_is_exported_as_asked(tmp_path, demo, sie_type):
    (result,) = export_sie(demo, tmp_path, year=2026, sie_type=sie_type)
    assert result.name == f"5599000006_2026_SIE{sie_type}.se"
    assert sie.read(result.path).sie_type == sie_type


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda data: data.replace(b"-500", b"-499"), "does not balance"),
        (lambda data: data.replace(b"#SIETYP 4", b"#SIETYP 3"), "#SIETYP 3, not the type 4"),
        (lambda data: data.replace(b"#RAR 0 20260101", b"#RAR 0 20260201"), "#RAR 0 says 2026-02-01"),
        (lambda data: data.replace(b"20260203", b"20270203"), "dated outside the financial year"),
        (
            lambda data: data.replace(b"#FORMAT PC8", b"#KSUMMA\r\n#FORMAT PC8") + b"\r\n#KSUMMA 1",
            "#KSUMMA is invalid",
        ),
        (lambda data: b"<html><title>502 Bad Gateway</title></html>", "not a SIE file"),
    ],
)
def test_an_export_that_fails_its_check_is_not_published(tmp_path, demo, change, reason):
    (result,) = export_sie(Tampered(demo, change), tmp_path, year=2026)
    assert not result.ok and result.path is None
    assert any(reason in problem for problem in result.problems), result.problems
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary copy


def test_the_file_is_checked_under_a_temporary_name_and_then_renamed(tmp_path, demo):
    seen = []

    def progress(text: str) -> None:
        seen.append((text, sorted(p.name for p in tmp_path.iterdir())))

    export_sie(demo, tmp_path, year=2026, progress=progress)
    checking = next(files for text, files in seen if "checking" in text)
    assert checking and all(
        name.startswith(".5599000006_2026_SIE4.se.") and name.endswith(".tmp") for name in checking
    )
    assert seen[-1][1] == ["5599000006_2026_SIE4.se"] and "1 vouchers" in seen[-1][0]


def test_years_are_chosen_by_the_year_they_begin_in():
    assert choose_years(YEARS, 2025, 1, TODAY) == [YEARS[1]]
    assert choose_years(YEARS, 2026, 2, TODAY) == YEARS[1:]
    assert choose_years(YEARS, None, 2, TODAY) == YEARS[:2]  # 2026 has not begun
    assert choose_years(YEARS, 2025, 5, TODAY) == YEARS[:2]
    with pytest.raises(
        ExportRequestError, match="no financial year begins in 2019; the company has: 2024-01-01"
    ):
        choose_years(YEARS, 2019, 1, TODAY)


def test_a_year_that_is_not_a_calendar_year_is_named_by_its_dates():
    broken = FinancialYear(4, date(2024, 7, 1), date(2025, 6, 30))
    assert export_name("5564401452", broken, 4) == "5564401452_20240701-20250630_SIE4.se"


def run(workdir: Path, *args: str):
    return CliRunner().invoke(main, ["--workdir", str(workdir), *args], catch_exceptions=False)


def test_the_command_exports_into_outbox_and_answers_with_exit_codes(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("FORTNOX_") and k != "FORTNOX_UI_LANGUAGE"]:
        monkeypatch.delenv(name)
    result = run(tmp_path, "export", "sie", "--year", "2026", "--years", "2", "--json")
    assert result.exit_code == 0, result.output
    exports = loads(result.output[result.output.index("{") :])["exports"]
    assert [Path(e["file"]).name for e in exports] == ["5599000006_2025_SIE4.se", "5599000006_2026_SIE4.se"]
    assert all(Path(e["file"]).parent == tmp_path / "outbox" / "exports" for e in exports)
    out = tmp_path / "bokslut" / "2025.se"
    assert run(tmp_path, "export", "sie", "--year", "2025", "--type", "1", "--out", str(out)).exit_code == 0
    assert sie.read(out).sie_type == 1
    assert run(tmp_path, "export", "sie", "--year", "1999").exit_code == 2
    assert run(tmp_path, "export", "sie", "--years", "2", "--out", str(out)).exit_code == 2
