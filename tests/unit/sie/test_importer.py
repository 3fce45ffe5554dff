"""The SIE importer: which files it claims, and the vouchers and facts it extracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sie_helpers import FIXTURES, sie_bytes

from bridge.importers import IMPORTERS, FileSource, extract_file, identify
from bridge.importers.csv_invoices import CsvInvoiceImporter
from bridge.importers.sie import SieImporter
from bridge.model import Severity, Voucher, VoucherRow, to_plain
from bridge.util import dumps, loads

SIE = SieImporter()


@dataclass(frozen=True)
class Dropped:
    path: Path
    name: str
    head: bytes
    tenant: str = "default"


def dropped(tmp_path: Path, name: str, data: bytes) -> Dropped:
    path = tmp_path / name
    path.write_bytes(data)
    return Dropped(path, name, data[:8192])


SIE_TEXT = sie_bytes(
    """
    #VER A 12 20250131 "Kontorsmaterial" 20250201
    {
    #TRANS 6110 {1 "N" 6 "P1" 20 "7"} 800.00 "" "Pennor" 10
    #TRANS 2640 {} 200.00
    #TRANS 1930 {} -1000.00
    }
    """,
    head=True,
)


@pytest.mark.parametrize("name", ["export.se", "IMPORT.SI", "bok.sie", "bokslut", "bokslut.txt"])
def test_sie_is_recognised_by_its_content_whatever_the_name(tmp_path, name):
    source = dropped(tmp_path, name, SIE_TEXT)
    assert isinstance(identify(source), SieImporter)


def test_a_csv_file_is_not_sie_and_sie_is_not_csv(tmp_path):
    csv = dropped(tmp_path, "fakturor.csv", b"Fakturanummer;Kundnummer;Antal;Pris\n1;2;3;4\n")
    assert not SIE.identify(csv)
    assert not CsvInvoiceImporter().identify(dropped(tmp_path, "export.txt", SIE_TEXT))


def test_exactly_one_importer_claims_each_sample(tmp_path):
    for path in sorted(FIXTURES.glob("*.s[ei]")):
        claims = [importer.name for importer in IMPORTERS if importer.identify(FileSource.open(path))]
        assert claims == ["sie"], path.name


def test_an_html_page_saved_as_se_is_refused_with_a_clear_problem():
    extraction = extract_file(FileSource.open(FIXTURES / "html_saved_as.se"))
    assert extraction.importer == "sie" and extraction.documents == ()
    (problem,) = extraction.problems
    assert problem.message == "html_saved_as.se is an HTML page (404 Not Found)"
    assert "fetch the SIE file again" in problem.hint


def test_a_text_file_that_is_not_sie_is_left_to_others(tmp_path):
    assert not SIE.identify(dropped(tmp_path, "notes.txt", b"Hej!\n"))


def test_each_voucher_becomes_a_voucher_with_its_rows_objects_texts_and_quantities(tmp_path):
    extraction = SIE.extract(dropped(tmp_path, "export.se", SIE_TEXT))
    assert extraction.errors == ()
    (voucher,) = extraction.documents
    assert voucher == Voucher(
        source_key="A 12 20250131",
        transaction_date=date(2025, 1, 31),
        description="Kontorsmaterial",
        series="A",
        source_number="12",
        registration_date=date(2025, 2, 1),
        line=8,
        rows=(
            VoucherRow(
                account=6110,
                amount=Decimal("800.00"),
                text="Pennor",
                cost_center="N",
                project="P1",
                quantity=Decimal(10),
                line=10,
                objects=(("1", "N"), ("6", "P1"), ("20", "7")),
            ),
            VoucherRow(account=2640, amount=Decimal("200.00"), line=11),
            VoucherRow(account=1930, amount=Decimal("-1000.00"), line=12),
        ),
    )


def test_rows_are_the_booked_ones(fixture_path):
    extraction = SIE.extract(FileSource.open(fixture_path("rtrans_replaces_following_trans.se")))
    (voucher,) = extraction.documents
    assert [(row.account, row.text) for row in voucher.rows] == [(5410, None), (2640, None), (2440, "rättad")]
    assert voucher.rows[2].transaction_date == date(2025, 1, 15)


def test_a_voucher_without_number_is_known_by_its_content_and_twins_are_both_kept(fixture_path):
    extraction = SIE.extract(FileSource.open(fixture_path("voucher_without_number.si")))
    first, second = (voucher.source_key for voucher in extraction.documents)
    assert first.startswith("- 20250225 ") and len(first) == len("- 20250225 ") + 20
    assert second == first + "/2"
    again = SIE.extract(FileSource.open(fixture_path("voucher_without_number.si")))
    assert [v.source_key for v in again.documents] == [first, second]  # stable between runs


def test_a_file_with_errors_yields_no_vouchers_but_every_problem(fixture_path):
    extraction = SIE.extract(FileSource.open(fixture_path("unbalanced_voucher.se")))
    assert extraction.documents == ()
    assert [p.code for p in extraction.errors] == ["sie.unbalanced"]
    assert extraction.facts["counts"]["vouchers"] == 2


def test_a_voucher_number_used_twice_is_an_error(tmp_path):
    twice = SIE_TEXT + SIE_TEXT[SIE_TEXT.index(b"#VER") :]
    extraction = SIE.extract(dropped(tmp_path, "twice.se", twice))
    assert [p.code for p in extraction.errors] == ["sie.duplicate-voucher"]


def test_fortnox_limits_are_named(tmp_path):
    data = sie_bytes(
        """
        #VER A 1 20250131 "Fel för Fortnox"
        {
        #TRANS 193 {} 100.005
        #TRANS 3001 {} -100.005
        }
        """,
        head=True,
    )
    problems = SIE.extract(dropped(tmp_path, "x.se", data)).problems
    assert [(p.code, p.severity) for p in problems] == [
        ("sie.account-digits", Severity.WARNING),
        ("sie.amount-decimals", Severity.ERROR),
        ("sie.amount-decimals", Severity.ERROR),
    ]


def test_types_1_to_3_give_master_data_and_a_warning_not_vouchers(fixture_path):
    extraction = SIE.extract(FileSource.open(fixture_path("type1_balances_only.se")))
    assert extraction.documents == ()
    (problem,) = extraction.problems
    assert problem.code == "sie.no-vouchers" and problem.severity is Severity.WARNING
    assert "not vouchers: nothing is booked" in problem.message
    assert "master_data" not in extraction.facts  # facts report; declarations are what plans
    master = to_plain(extraction.declarations)
    assert master["accounts"][1] == {
        "number": 2099,
        "name": "Årets resultat",
        "type": "S",
        "unit": None,
        "sru": ["7302"],
    }
    assert master["years"][0] == {"index": 0, "start": date(2025, 1, 1), "end": date(2025, 12, 31)}
    assert master["balances"][0] == {
        "kind": "IB",
        "year_index": 0,
        "account": 1930,
        "amount": Decimal("50000.00"),
        "quantity": None,
        "period": None,
        "objects": [],
    }


def test_a_4e_file_says_its_balances_are_not_imported(fixture_path):
    extraction = SIE.extract(FileSource.open(fixture_path("every_label_type4e.se")))
    assert [p.code for p in extraction.problems] == ["sie.balances-not-imported"]
    assert extraction.facts["sie_type"] == "4E"


def test_facts_are_plain_json_and_match_the_golden_file(fixture_path, golden):
    extraction = SIE.extract(FileSource.open(fixture_path("every_label_type4e.se")))
    text = dumps(extraction.facts, indent=2) + "\n"
    golden(FIXTURES / "golden" / "every_label_type4e.facts.json", text)
    declarations = dumps(to_plain(extraction.declarations), indent=2) + "\n"
    golden(FIXTURES / "golden" / "every_label_type4e.declarations.json", declarations)
    assert loads(text)["counts"] == {
        "accounts": 2,
        "dimensions": 3,
        "objects": 3,
        "vouchers": 1,
        "rows": 6,
        "balances": 8,
        "unknown_records": 0,
    }


def test_facts_name_type_encoding_program_and_checksum(fixture_path):
    facts = SIE.extract(FileSource.open(fixture_path("ksumma_valid.se"))).facts
    assert (facts["sie_type"], facts["encoding"], facts["program"]) == (
        "4I",
        "cp437",
        "fortnox-bridge tests 1.0",
    )
    assert facts["checksum"] == {"status": "valid", "stated": 389528420, "computed": 389528420}
