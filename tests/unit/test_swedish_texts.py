"""What a Swedish office reads: receipts, error reports and `status` in Swedish (the default,
`ui.language = sv`), while the JSON beside them keeps its language-neutral codes."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.pipeline.lock import StateLock
from bridge.util import loads
from bridge.util.i18n import language, translate_message

GOOD = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nS-1;1001;Konsult;2;1 000,00\nS-2;1001;Resa;1;500\n"
BAD = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nS-3;1001;Konsult;två;100\n"


@pytest.fixture
def office(tmp_path, monkeypatch):
    """A working folder whose settings speak Swedish, as an office's do by default."""
    for name in [k for k in os.environ if k.startswith("FORTNOX_")]:
        monkeypatch.delenv(name)
    (tmp_path / "fakturor.csv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "fel.csv").write_text(BAD, encoding="utf-8")
    return tmp_path


def run(workdir, *args: str):
    return CliRunner().invoke(main, ["--workdir", str(workdir), *args], catch_exceptions=False)


def test_a_receipt_opens_with_the_totals_in_swedish(office) -> None:
    result = run(office, "process", str(office / "fakturor.csv"))
    assert result.exit_code == 0, result.output
    receipt = (office / "outbox" / "receipts" / "fakturor.csv.receipt.txt").read_text()
    assert receipt.splitlines()[:5] == [
        "fakturor.csv — importerad",
        "=========================",
        "",
        "Skapat i Fortnox: 2 kundfakturor (1–2).",
        "Kräver åtgärd: inget.",
    ]
    assert "I detalj:" in receipt and "skapad i Fortnox (nr 1)" in receipt
    assert "fakturor.csv klar     skapade 2 kundfakturor (1–2)" in result.stdout
    data = loads((office / "outbox" / "receipts" / "fakturor.csv.receipt.json").read_text())
    assert data["state"] == "done" and data["summary"]["fortnox"][0]["envelope"] == "Invoice"


def test_an_error_report_says_what_is_wrong_and_what_to_do_in_swedish(office) -> None:
    assert run(office, "process", str(office / "fel.csv")).exit_code == 1
    report = (office / "outbox" / "failed" / "fel.csv.error.txt").read_text()
    assert report.startswith("fel.csv kunde inte importeras.\n")
    assert "Kräver åtgärd: ja" in report
    assert "  - rad 2, kolumn 'Antal': 'två' är inte ett tal\n" in report
    assert "      Åtgärd: skriv ett tal, till exempel 2, 1,5 eller 1 234,50\n" in report
    # The file itself is wrong: it is corrected and dropped again; retrying it as it is cannot help.
    assert "Vad du gör nu:" in report and "Själva filen måste ändras" in report
    assert "fortnox-bridge retry" not in report
    problem = loads((office / "outbox" / "receipts" / "fel.csv.receipt.json").read_text())["problems"][0]
    assert problem["code"] == "csv.bad-value" and problem["message"] == "'två' is not a number"


def test_a_second_bridge_is_told_in_swedish_who_holds_the_state_folder(office) -> None:
    with StateLock(office / ".bridge", "watch"):
        result = run(office, "process", str(office / "fakturor.csv"))
    assert result.exit_code == 2
    assert "watch (pid " in result.output and " arbetar redan i " in result.output
    assert "bara en brygga åt gången får skicka från en tillståndsmapp" in result.output


def test_a_lost_ledger_is_explained_in_swedish(office) -> None:
    assert run(office, "process", str(office / "fakturor.csv")).exit_code == 0
    for ledger in (office / ".bridge").glob("*.sqlite3*"):
        ledger.unlink()
    result = run(office, "process", str(office / "fel.csv"))
    assert result.exit_code == 2
    assert "saknas, men outbox/receipts/ innehåller kvitton" in result.output
    assert "så inget skickas" in result.output and "`fortnox-bridge ledger rebuild` läser" in result.output


def test_status_speaks_swedish(office) -> None:
    run(office, "process", str(office / "fel.csv"))
    result = run(office, "status")
    assert result.output.startswith("Inkorg: ")
    assert "filer: 1 misslyckad" in result.output
    assert "misslyckad: fel.csv: 'två' är inte ett tal" in result.output
    assert "kör sedan `fortnox-bridge retry fel.csv`" in result.output


def test_a_message_built_from_a_template_is_recognised_by_it_and_its_values_kept() -> None:
    with language("sv"):
        assert translate_message("'12,x' is not a number") == "'12,x' är inte ett tal"
        assert translate_message("something nobody marked") == "something nobody marked"
    with language("en"):
        assert translate_message("'12,x' is not a number") == "'12,x' is not a number"


def test_a_label_built_of_labels_is_translated_whole_and_a_sentence_that_only_begins_alike_is_left() -> None:
    with language("sv"):
        assert (
            translate_message("account 1460 (Lager) in financial year 2026-01-01 – 2026-12-31")
            == "konto 1460 (Lager) i räkenskapsåret 2026-01-01 – 2026-12-31"
        )
        assert translate_message("VAT 7 % is not a Swedish rate") == "moms 7 % är ingen svensk momssats"
        unmarked = "voucher A 1 has been changed in Fortnox since the file sent it (rows struck)"
        assert translate_message(unmarked) == unmarked  # not "verifikation A 1 has been changed …"


def test_fortnox_refusals_and_e_invoice_rules_read_swedish_around_what_is_not_ours() -> None:
    with language("sv"):
        assert (
            translate_message("Fortnox refused POST /3/vouchers: Perioden är låst (Fortnox code 2000591)")
            == "Fortnox nekade POST /3/vouchers: Perioden är låst (Fortnox felkod 2000591)"
        )
        # the rule's name stays as the standard writes it
        assert (
            translate_message(
                "[BR-CO-10] the sum of line amounts is 100.00 but the sum of the lines is 90.00"
            )
            == "[BR-CO-10] summan av radbeloppen är 100.00 men summan av raderna är 90.00"
        )


def test_a_long_reason_at_the_end_is_translated_only_when_it_is_itself_a_known_message() -> None:
    with language("sv"):
        assert (
            translate_message(
                "an attachment was left out: its content is none of PDF, PNG, JPEG, CSV, XLSX or ODS"
            )
            == "en bilaga utelämnades: innehållet är varken PDF, PNG, JPEG, CSV, XLSX eller ODS"
        )
        unknown = "an attachment was left out: a reason written somewhere nobody marked it for translation"
        assert translate_message(unknown) == unknown
