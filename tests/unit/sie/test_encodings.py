"""Which characters the bytes are: CP437 by default, UTF-8 when the whole file is, Windows-1252
for single fields copied in from elsewhere (research/sie4.md §3)."""

from __future__ import annotations

import io

from sie_helpers import codes, sie_bytes

from bridge import sie
from bridge.sie.encodings import encode_cp437, sniff_encoding


def test_cp437_is_the_default():
    document = sie.read(sie_bytes('#FLAGGA 0\n#FNAMN "Åkesson & Öberg i Älmhult"\n'))
    assert document.company_name == "Åkesson & Öberg i Älmhult"
    assert document.encoding == "cp437"


def test_a_file_of_plain_ascii_says_so():
    assert sie.read(b"#FLAGGA 0\r\n#FNAMN Test\r\n").encoding == "ascii"


def test_a_strict_utf8_file_with_multibyte_letters_is_read_as_utf8_and_warned_about(fixture_path):
    document = sie.read(fixture_path("utf8_file.se"))
    assert document.encoding == "utf-8"
    assert document.vouchers[0].text == "Kaffe på Café Ör"
    assert codes(document) == ["sie.encoding"]


def test_a_utf8_byte_order_mark_means_utf8():
    document = sie.read(b"\xef\xbb\xbf" + sie_bytes('#FLAGGA 0\n#FNAMN "Bär"\n', encoding="utf-8"))
    assert (document.encoding, document.company_name, document.flag) == ("utf-8-sig", "Bär", 0)


def test_one_windows_1252_field_in_a_cp437_file_is_read_as_windows_1252(fixture_path):
    document = sie.read(fixture_path("windows1252_field_in_cp437_file.se"))
    assert document.company_id == "C:\\Företag\\Övningsbolaget"
    assert document.company_name == "Övningsbolaget AB"  # CP437, like the rest of the file
    assert document.encoding == "cp437+windows-1252"
    (problem,) = document.problems
    assert (problem.code, problem.line) == ("sie.encoding", 7)


def test_a_file_whose_every_8_bit_field_is_windows_1252_says_windows_1252():
    data = '#FLAGGA 0\r\n#FNAMN "Övningsbolaget AB"\r\n#PROSA "Försäljning"\r\n'.encode("cp1252")
    document = sie.read(data)
    assert (document.company_name, document.prosa) == ("Övningsbolaget AB", "Försäljning")
    assert document.encoding == "windows-1252"


def test_text_damaged_before_it_reached_us_is_reported_once_with_a_count(fixture_path):
    document = sie.read(fixture_path("damaged_replacement_characters.se"))
    damaged = [p for p in document.problems if "U+FFFD" in p.message]
    assert len(damaged) == 1
    assert damaged[0].message.startswith("6 line(s)")
    assert damaged[0].line == 6


def test_sniffing_stops_at_the_first_byte_that_is_not_utf8_and_rewinds():
    stream = io.BytesIO(b"#FLAGGA 0\r\n#FNAMN \x99vning\r\n" + b"x" * 5_000_000)
    assert sniff_encoding(stream) == "cp437"
    assert stream.tell() == 0


def test_writing_replaces_what_cp437_lacks_visibly_and_says_what():
    assert encode_cp437("Kaffe 25 €, smørrebrød") == (b"Kaffe 25 ?, sm?rrebr?d", "€ø")
    assert encode_cp437("Åkesson") == ("Åkesson".encode("cp437"), "")
