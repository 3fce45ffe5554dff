"""How a SIE line splits into a label and fields (research/sie4.md §2)."""

from __future__ import annotations

import random

import pytest

from bridge.sie.lexer import plain_fields, split_record


def test_fields_are_separated_by_spaces_or_tabs_in_any_number():
    assert split_record("#KONTO\t\t1930    Bank") == ("#KONTO", ["1930", "Bank"], "bb", [])


def test_quotes_are_needed_only_for_spaces_and_any_field_may_have_them():
    assert split_record('#FORMAT "PC8"')[1] == ["PC8"]
    assert split_record('#KONTO "1930" "Bank och kassa"')[1] == ["1930", "Bank och kassa"]


def test_an_empty_field_is_two_quotes():
    assert split_record('#VER "" "" 20250110 ""')[1] == ["", "", "20250110", ""]


def test_an_escaped_quote_is_a_quote_and_an_escaped_backslash_a_backslash():
    _, fields, _, complaints = split_record(r'#PROSA "sa \"hej\" och \\ en"')
    assert fields == ['sa "hej" och \\ en']
    assert complaints == []


def test_other_backslashes_stay_as_they_are_because_windows_paths_are_full_of_them():
    assert split_record(r'#FNR "C:\ProgramData\SPCS"')[1] == [r"C:\ProgramData\SPCS"]


def test_a_path_ending_in_a_backslash_before_the_closing_quote_is_still_a_path():
    assert split_record('#FNR "C:\\Företag\\"') == ("#FNR", ["C:\\Företag\\"], "q", [])


def test_an_object_list_is_one_field_of_dimension_and_object_pairs():
    _, fields, kinds, _ = split_record('#TRANS 3001 {1 "0123"\t6 "P 104"} -100.00')
    assert fields == ["3001", ("1", "0123", "6", "P 104"), "-100.00"]
    assert kinds == "bob"


@pytest.mark.parametrize("objects", ["{}", "{ }", "{\t}"])
def test_an_empty_object_list_may_hold_spaces(objects):
    assert split_record(f"#TRANS 1930 {objects} 1")[1] == ["1930", (), "1"]


def test_labels_are_read_in_capitals_and_indentation_does_not_matter():
    assert split_record("\t  #trans 1930 {} 1")[0] == "#TRANS"


def test_brace_and_blank_lines():
    assert split_record("  {  ")[0] == "{"
    assert split_record("}")[0] == "}"
    assert split_record("   ") == ("", [], "", [])


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ('#FNAMN "Övningsbolaget AB', "a quoted field is not closed"),
        ("#TRANS 1930 {1 2 -100", "an object list is not closed with '}'"),
        ("#TRANS 1930 } -100", "'}' without a '{' before it"),
        ("#TRANS 1930 {1 {2}} -100", "'{' inside an object list"),
        ("<html>", "the line does not start with a #label: '<html>'"),
    ],
)
def test_what_cannot_be_split_cleanly_is_said(line, complaint):
    assert complaint in split_record(line)[3]


# The reader's fast path splits voucher rows with plain string operations; it must give the same
# fields as the exact tokenizer for every text it accepts.

_PIECES = [
    "1930",
    "-12.50",
    '""',
    '"två ord"',
    '"x"',
    "0",
    "20250110",
    " ",
    "\t",
    '"',
    "\\",
    "{",
    "}",
    "ab",
    '"a"b',
]


def _fields_without_objects(text: str) -> list[str]:
    _, fields, kinds, complaints = split_record("#X " + text)
    return fields if not complaints and "o" not in kinds else None


def test_the_fast_splitter_agrees_with_the_exact_one_on_random_lines():
    chooser = random.Random(20250131)
    accepted = 0
    for _ in range(5000):
        text = " ".join(chooser.choice(_PIECES) for _ in range(chooser.randint(0, 6)))
        fast = plain_fields(text)
        if fast is not None:
            accepted += 1
            assert fast == _fields_without_objects(text), text
    assert accepted > 1000  # the comparison covered many lines, not a handful


def test_the_fast_splitter_declines_what_it_cannot_read_exactly():
    assert plain_fields(r'"a \" b"') is None
    assert plain_fields('{1 "x"}') is None
    assert plain_fields('"not closed') is None
