"""The shared corpus: 39 SIE files from a dozen programs (../shared/ref/sie, README there).

Every well-formed file reads without errors and comes back the same after writing; the files
broken on purpose say what their names announce.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sie_helpers import assert_fast_paths_agree, voucher_lines

from bridge import sie
from bridge.sie import lexer as lexer_module

NOT_SIE = "jsisie_HAS4E_1412_NOT_SIE_html404.Se"
DAMAGED = "jsisie_SIE4_Exempelfil_med_underdim_DAMAGED.SE"
# Files that carry errors, each for the reason given.
WITH_ERRORS = {
    NOT_SIE: "an HTML 404 page saved under a SIE name",
    "jsisie_Avendo_transaktioner_ovnbolag-bad-balance.se": "one row changed so a voucher does not balance",
    "barsoom_unknown_label_MOMSKOD.se": "a hand-made test file whose voucher A 1 sums to -40",
    "jsisie_SoftOne_Sie4.se": "SoftOne writes the non-numeric accounts DIFF and FEL",
    "sie4j_BLBLOV_SIE4_UTF_8_IMBALANCED.SI": "broken on purpose",
    "sie4j_BLBLOV_SIE4_UTF_8_with_critical_voucher_date_error.SI": "broken on purpose",
    "sie4j_BLBLOV_SIE4_UTF_8_with_faulty_transaction.SI": "broken on purpose",
    "sie4j_BLBLOV_SIE4_UTF_8_with_missing_account_numbers_in_transaction.SI": "broken on purpose",
    "sie4j_BLBLOV_SIE2_UTF_8_with_multiple_errors.SE": "broken on purpose (account 11AF)",
}


def _files(corpus) -> list:
    return sorted(path for path in corpus.iterdir() if path.name != "README.md")


def test_the_corpus_is_all_there(sie_corpus):
    assert len(_files(sie_corpus)) == 39


def test_every_well_formed_file_reads_without_errors(sie_corpus):
    failures = {}
    for path in _files(sie_corpus):
        if path.name in WITH_ERRORS:
            continue
        found = [f"{p.where()}: {p.message}" for p in sie.read(path).problems if p.is_error]
        if found:
            failures[path.name] = found[:3]
    assert failures == {}


def test_every_real_file_comes_back_the_same_after_writing_and_what_we_wrote_stays_byte_identical(sie_corpus):
    failures = {}
    for path in _files(sie_corpus):
        if path.name in (NOT_SIE, DAMAGED):
            continue
        document = sie.read(path)
        written = sie.to_bytes(document)
        again = sie.read(written)
        if sie.differences(document, again) or sie.to_bytes(again) != written:
            failures[path.name] = sie.differences(document, again)[:3]
    assert failures == {}


def test_the_damaged_file_differs_after_writing_only_where_its_letters_were_already_lost(sie_corpus):
    document = sie.read(sie_corpus / DAMAGED)
    again = sie.read(sie.to_bytes(document))
    assert again.company_name == document.company_name.replace("\ufffd", "?") == "?vningsbolaget AB"
    assert len(again.vouchers) == len(document.vouchers) == 295


@pytest.mark.parametrize(
    "name",
    [
        "keyholder_Fortnox3.60_Bygg_4434ver.se",
        "keyholder_Fortnox3.60_RevILAB.se",
        "keyholder_Fortnox3.60_SkataSwedenAB.se",
    ],
)
def test_a_fortnox_export_written_in_the_fortnox_style_is_byte_identical_to_the_original(sie_corpus, name):
    original = (sie_corpus / name).read_bytes()
    assert sie.to_bytes(sie.read(original), style=sie.FORTNOX) == original


def test_the_big_fortnox_file_balances_on_trans_rows_as_booked(sie_corpus):
    document = sie.read(sie_corpus / "keyholder_Fortnox3.60_Bygg_4434ver.se")
    assert document.problems == ()
    assert (len(document.vouchers), document.rows) == (4434, 13528 + 393 + 307)
    labels = [row.label for voucher in document.vouchers for row in voucher.rows]
    assert (labels.count("#RTRANS"), labels.count("#BTRANS")) == (393, 307)
    assert all(voucher.balance == 0 for voucher in document.vouchers)
    unbalanced_if_every_row_counted = sum(1 for v in document.vouchers if sum(r.amount for r in v.rows) != 0)
    assert unbalanced_if_every_row_counted == 237  # the error other readers make (research/sie4.md §6)


def test_the_bad_balance_file_reports_exactly_the_unbalanced_voucher(sie_corpus):
    document = sie.read(sie_corpus / "jsisie_Avendo_transaktioner_ovnbolag-bad-balance.se")
    (problem,) = [p for p in document.problems if p.is_error]
    assert (problem.code, problem.line, problem.label) == ("sie.unbalanced", 3905, "#VER")
    assert problem.message == "voucher B 1 2011-01-07 does not balance: its rows sum to -12771.00"


def test_the_html_page_saved_as_se_is_refused_as_not_sie(sie_corpus):
    reader = sie.SieReader(sie_corpus / NOT_SIE)
    assert list(reader) == []
    assert [(p.code, p.line) for p in reader.problems] == [("sie.not-sie", 1)]


def _errors(document):
    return [(p.line, p.label, p.field, p.code) for p in document.problems if p.is_error]


def test_sie4j_imbalanced_reports_both_unbalanced_vouchers(sie_corpus):
    document = sie.read(sie_corpus / "sie4j_BLBLOV_SIE4_UTF_8_IMBALANCED.SI")
    assert _errors(document) == [(8, "#VER", None, "sie.unbalanced"), (14, "#VER", None, "sie.unbalanced")]


def test_sie4j_critical_voucher_date_error_reports_the_date(sie_corpus):
    document = sie.read(sie_corpus / "sie4j_BLBLOV_SIE4_UTF_8_with_critical_voucher_date_error.SI")
    assert _errors(document) == [(8, "#VER", "date", "sie.bad-date")]
    assert "'rappakalja' is not a date" in document.problems[1].message


def test_sie4j_faulty_transaction_reports_the_row_without_objects_and_amount(sie_corpus):
    document = sie.read(sie_corpus / "sie4j_BLBLOV_SIE4_UTF_8_with_faulty_transaction.SI")
    assert _errors(document)[:2] == [
        (10, "#TRANS", "objects", "sie.missing-field"),
        (10, "#TRANS", "amount", "sie.missing-field"),
    ]


def test_sie4j_missing_account_numbers_reports_each_row(sie_corpus):
    name = "sie4j_BLBLOV_SIE4_UTF_8_with_missing_account_numbers_in_transaction.SI"
    document = sie.read(sie_corpus / name)
    assert _errors(document) == [
        (10, "#TRANS", "account", "sie.missing-field"),
        (16, "#TRANS", "account", "sie.missing-field"),
    ]


def test_sie4j_multiple_errors_reports_each_kind_of_slip(sie_corpus):
    document = sie.read(sie_corpus / "sie4j_BLBLOV_SIE2_UTF_8_with_multiple_errors.SE")
    assert _errors(document) == [(218, "#SRU", "account", "sie.bad-account")]
    warnings = {p.code for p in document.problems if not p.is_error}
    assert warnings == {
        "sie.orgnr",
        "sie.syntax",
        "sie.type-content",
        "sie.encoding",
    }  # no {} on #PBUDGET, no #OMFATTN


def test_sie4j_latin9_file_reads_like_its_cp437_twin(sie_corpus):
    document = sie.read(sie_corpus / "sie4j_BLBLOV_SIE4_ISO_8859_15.SI")
    assert document.encoding == "windows-1252"
    assert document.company_name == "Övningsbolaget AB"
    assert document.vouchers[0].text == "Försäljning 25% (DF:157)"
    assert not [p for p in document.problems if p.is_error]


def test_sie4j_quotes_test_keeps_escaped_quotes(sie_corpus):
    document = sie.read(sie_corpus / "sie4j_Quotes_test.si")
    assert document.program == sie.Program("Kassasystem", '1.0 - "Oblique Ozelot" - alpha')
    assert document.vouchers[0].text == 'Försäljning 25% "DF:157"'


def test_sie4j_missing_program_version_still_reads_its_vouchers(sie_corpus):
    document = sie.read(sie_corpus / "sie4j_SIE_with_missing_program_version.se")
    assert document.program == sie.Program("SIR", "")
    assert len(document.vouchers) == 3
    assert document.vouchers[0].text == "Dagsrapport 110000775"
    assert {p.code for p in document.problems} == {"sie.missing-field", "sie.format"}


def test_ksumma_verifies_on_every_file_that_has_one(sie_corpus):
    with_checksum = [path for path in _files(sie_corpus) if b"#KSUMMA" in path.read_bytes()]
    assert len(with_checksum) == 7
    assert {path.name: str(sie.read(path).checksum.status) for path in with_checksum} == {
        path.name: "valid" for path in with_checksum
    }


def test_mixed_encodings_are_read_field_by_field(sie_corpus):
    official = sie.read(sie_corpus / "siegruppen_SIE4_Exempelfil.SE")
    assert official.company_id == "C:\\ProgramData\\SPCS\\SPCS Administration\\Företag\\Ovnbol2000"
    assert official.company_name == "Övningsbolaget AB"
    visma = sie.read(sie_corpus / "jsisie_VismaBokforing_Sie_1_mixedenc.SE")
    assert visma.company_id.endswith("\\SPCS Bokföring\\Företag\\Övningsbolaget")
    bl = sie.read(sie_corpus / "jsisie_BL0001_typ4.SE")
    assert sie.DimensionObject(6, "Å1", bl.objects[-1].name) in bl.objects


def test_bl_twins_that_differ_only_in_date_and_signature_are_not_warned_about(sie_corpus):
    document = sie.read(sie_corpus / "jsisie_BL0001_typ4.SE")
    labels = [row.label for voucher in document.vouchers for row in voucher.rows]
    assert (labels.count("#RTRANS"), labels.count("#BTRANS")) == (6, 3)
    assert not [p for p in document.problems if p.code == "sie.rtrans-twin"]
    voucher = next(v for v in document.vouchers if v.series == "A" and v.number == "8")
    assert voucher.booked_rows[0].date == date(2010, 10, 7)  # the #RTRANS, not its twin dated 20091210
    assert voucher.booked_rows[0].amount == Decimal(0)


def test_underdimensions_are_read(sie_corpus):
    document = sie.read(sie_corpus / DAMAGED)
    assert sie.Dimension(61, "Kubernetesdrift", parent=6) in document.dimensions


def test_the_fast_paths_read_every_file_exactly_like_the_exact_tokenizer(sie_corpus, monkeypatch):
    assert_fast_paths_agree(_files(sie_corpus), monkeypatch)


@pytest.mark.parametrize("piece", [61, 1000])
def test_every_file_reads_the_same_in_small_pieces(sie_corpus, monkeypatch, piece):
    whole = {path.name: sie.read(path) for path in _files(sie_corpus)}
    monkeypatch.setattr(lexer_module, "_CHUNK", piece)  # vouchers and rows cut at every place
    for path in _files(sie_corpus):
        pieces = sie.read(path)
        assert sie.differences(pieces, whole[path.name]) == [], path.name
        assert pieces.problems == whole[path.name].problems, path.name
        assert voucher_lines(pieces) == voucher_lines(whole[path.name]), path.name
