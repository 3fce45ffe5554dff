"""Writing SIE: CP437, CRLF, #FORMAT PC8, quotes only where needed, one deterministic order."""

from __future__ import annotations

import io
import os
import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sie_helpers import FIXTURES, read_text

from bridge import sie

GOLDEN = FIXTURES / "golden"
OWN_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.s[ei]") if p.name != "html_saved_as.se")


def _golden(name: str, data: bytes) -> None:
    """Compare with the golden file; `SIE_GOLDEN=write` writes it instead (review the diff)."""
    path = GOLDEN / name
    if os.environ.get("SIE_GOLDEN") == "write":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    assert path.is_file(), f"no golden file {path}; run with SIE_GOLDEN=write and review it"
    assert data == path.read_bytes(), f"output differs from {path}"


def _company() -> sie.SieDocument:
    """A small company built in code, the way the mock builds its exports."""
    rows = (
        sie.Transaction("#TRANS", "1930", (), Decimal("1250.00")),
        sie.Transaction("#TRANS", "3001", ((1, "N"), (6, "P1")), Decimal("-1000.00")),
        sie.Transaction("#TRANS", "2611", (), Decimal("-250.00"), text="Moms 25 %"),
    )
    return sie.SieDocument(
        flag=0,
        program=sie.Program("Fortnox", "3.60.16"),
        generated=sie.Generated(date(2026, 3, 30)),
        sie_type=4,
        company_id="330348",
        company_name="Övningsbolaget AB",
        address=sie.Address("Anna Berg", "Ängarna 1", "830 13 Åre", "0701234567"),
        financial_years=(
            sie.Year(0, date(2025, 1, 1), date(2025, 12, 31)),
            sie.Year(-1, date(2024, 1, 1), date(2024, 12, 31)),
        ),
        org_number=sie.OrgNumber("556334-3689"),
        balances_until=date(2025, 12, 31),
        chart_type="EUBAS97",
        accounts=(
            sie.Account("1930", "Företagskonto", sru=("7281",)),
            sie.Account("2611", "Utgående moms 25 %", sru=("7369",)),
            sie.Account("3001", "Försäljning", sru=("7410",)),
        ),
        dimensions=(sie.Dimension(1, "Kostnadsställe"), sie.Dimension(6, "Projekt")),
        objects=(sie.DimensionObject(1, "N", "Nord"), sie.DimensionObject(6, "P1", "Projekt ett")),
        balances=(
            sie.Balance("#IB", 0, "1930", Decimal("5000")),
            sie.Balance("#UB", 0, "1930", Decimal("6250")),
            sie.Balance("#RES", 0, "3001", Decimal("-1000")),
            sie.Balance("#IB", -1, "1930", Decimal("0")),
            sie.Balance("#UB", -1, "1930", Decimal("5000")),
        ),
        period_balances=(
            sie.PeriodBalance("#PSALDO", 0, "202501", "3001", (), Decimal("-1000")),
            sie.PeriodBalance("#PSALDO", 0, "202501", "3001", ((6, "P1"),), Decimal("-1000")),
        ),
        vouchers=(
            sie.Voucher("A", "1", date(2025, 1, 7), "Försäljning kontant", date(2025, 1, 8), rows=rows),
        ),
    )


def test_a_document_built_in_code_writes_as_a_fortnox_export():
    data = sie.to_bytes(_company(), style=sie.FORTNOX)
    _golden("company_fortnox_style.se", data)
    text = data.decode("cp437")
    assert text.startswith(
        '#FLAGGA 0\r\n#FORMAT PC8\r\n#SIETYP 4\r\n#PROGRAM "Fortnox" 3.60.16\r\n#GEN 20260330\r\n'
    )
    assert '#ADRESS "Anna Berg" "Ängarna 1" "830 13 Åre" "0701234567" \r\n' in text
    assert '#TRANS 3001 {1 "N" 6 "P1"} -1000.00 "" "" 0\r\n' in text
    assert text.endswith("}")  # Fortnox ends without a line end


def test_the_standard_style_quotes_only_where_needed():
    data = sie.to_bytes(_company())
    _golden("company_standard_style.se", data)
    text = data.decode("cp437")
    assert "#KONTO 3001 Försäljning\r\n" in text
    assert '#KONTO 2611 "Utgående moms 25 %"\r\n' in text
    assert "#TRANS 3001 {1 N 6 P1} -1000.00\r\n" in text
    assert '#TRANS 2611 {} -250.00 "" "Moms 25 %"\r\n' in text  # an empty field before a full one
    assert text.endswith("}\r\n")


def test_what_was_written_reads_back_the_same():
    document = _company()
    assert sie.read(sie.to_bytes(document)) == document


def test_the_fortnox_style_writes_a_quantity_of_zero_where_none_is_given_as_fortnox_does():
    company, zero = _company(), Decimal(0)
    expected = replace(
        company,
        balances=tuple(balance._replace(quantity=zero) for balance in company.balances),
        period_balances=tuple(balance._replace(quantity=zero) for balance in company.period_balances),
        vouchers=tuple(
            voucher._replace(rows=tuple(row._replace(quantity=zero) for row in voucher.rows))
            for voucher in company.vouchers
        ),
    )
    assert sie.read(sie.to_bytes(company, style=sie.FORTNOX)) == expected


@pytest.mark.parametrize("name", OWN_FIXTURES)
@pytest.mark.parametrize("style", [sie.STANDARD, sie.FORTNOX], ids=lambda s: s.name)
def test_a_file_we_wrote_is_byte_identical_after_a_round_trip(name, style):
    written = sie.to_bytes(sie.read(FIXTURES / name), style=style)
    assert sie.to_bytes(sie.read(written), style=style) == written


@pytest.mark.parametrize("name", [name for name in OWN_FIXTURES if not name.startswith("damaged_")])
def test_read_write_read_gives_an_equal_document(name):
    document = sie.read(FIXTURES / name)
    assert sie.differences(document, sie.read(sie.to_bytes(document))) == []


def test_text_damaged_before_it_reached_us_is_written_with_question_marks_and_reported(fixture_path):
    document = sie.read(fixture_path("damaged_replacement_characters.se"))
    buffer = io.BytesIO()
    problems = sie.write(document, buffer)
    again = sie.read(buffer.getvalue())
    assert again.company_name == document.company_name.replace("\ufffd", "?") == "?vningsbolaget AB"
    assert {problem.code for problem in problems} == {"sie.write-encoding"}


_ALPHABET = ['"', "\\", " ", "\t", "{", "}", "a", "Ö", "ä", "1", "#", "'", ";", "-"]


def test_any_text_survives_quoting_and_escaping():
    chooser = random.Random(7)
    for _ in range(500):
        text = "".join(chooser.choice(_ALPHABET) for _ in range(chooser.randint(0, 8))).replace("\t", " ")
        document = sie.SieDocument(
            flag=0, company_name=text, prosa="x", accounts=(sie.Account("1930", text),)
        )
        again = sie.read(sie.to_bytes(document))
        assert (again.company_name, again.accounts[0].name) == (text, text), repr(text)


def test_escapes_follow_the_spec_and_windows_paths_stay_readable():
    document = sie.SieDocument(flag=0, company_id="C:\\Program\\Företag\\", prosa='sa "hej"')
    text = sie.to_bytes(document).decode("cp437")
    assert '#FNR "C:\\Program\\Företag\\\\"\r\n' in text  # only a backslash before the end doubles
    assert '#PROSA "sa \\"hej\\""\r\n' in text


def test_characters_cp437_lacks_are_replaced_visibly_and_reported():
    document = sie.SieDocument(flag=0, company_name="Café € AB", prosa="Smørrebrød")
    buffer = io.BytesIO()
    problems = sie.write(document, buffer)
    assert b"#PROSA Sm?rrebr?d\r\n" in buffer.getvalue()
    assert b'#FNAMN "Caf\x82 ? AB"\r\n' in buffer.getvalue()
    assert [(p.code, p.line, p.label) for p in problems] == [
        ("sie.write-encoding", 3, "#PROSA"),
        ("sie.write-encoding", 4, "#FNAMN"),
    ]
    assert "'€'" in problems[1].message


def test_control_characters_are_never_written():
    data = sie.to_bytes(sie.SieDocument(flag=0, company_name="Rad1\nRad2\tslut"))
    assert b'#FNAMN "Rad1 Rad2 slut"\r\n' in data


def test_every_file_says_format_pc8_and_uses_crlf():
    data = sie.to_bytes(sie.SieDocument())
    assert data == b"#FLAGGA 0\r\n#FORMAT PC8\r\n"


def test_the_order_is_the_same_however_the_document_was_put_together():
    one = sie.SieDocument(company_name="A", sie_type=4, program=sie.Program("P", "1"), flag=0)
    two = sie.SieDocument(flag=0, program=sie.Program("P", "1"), sie_type=4, company_name="A")
    assert sie.to_bytes(one) == sie.to_bytes(two)
    assert sie.to_bytes(one).split(b"\r\n")[:5] == [
        b"#FLAGGA 0",
        b"#PROGRAM P 1",
        b"#FORMAT PC8",
        b"#SIETYP 4",
        b"#FNAMN A",
    ]


def test_vouchers_can_be_written_one_at_a_time(tmp_path: Path):
    company = _company()
    path = tmp_path / "export.se"
    with path.open("wb") as handle, sie.SieWriter(handle, style=sie.FORTNOX) as writer:
        writer.write_header(company)
        for voucher in company.vouchers:
            writer.write_voucher(voucher)
    assert path.read_bytes() == sie.to_bytes(company, style=sie.FORTNOX)


def test_a_row_without_an_amount_is_written_with_an_empty_one():
    document = read_text(
        """
        #VER A 1 20250110 "Trasig"
        {
        #TRANS 1930
        }
        """
    )
    assert b'#TRANS 1930 {} ""\r\n' in sie.to_bytes(document)


def test_records_with_unknown_labels_are_not_written_and_that_is_said(fixture_path):
    document = sie.read(fixture_path("unknown_label_kept.se"))
    buffer = io.BytesIO()
    problems = sie.write(document, buffer)
    assert b"#MOMSKOD" not in buffer.getvalue()
    assert [p.message for p in problems] == [
        "2 record(s) with labels SIE 4 does not define (#MOMSKOD, #XTRA) were not written"
    ]
