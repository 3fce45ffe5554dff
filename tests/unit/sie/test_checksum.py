"""#KSUMMA: verified on read, written on request (research/sie4.md §7)."""

from __future__ import annotations

import io
import zlib

from sie_helpers import codes

from bridge import sie
from bridge.sie.checksum import record_content


def test_what_one_record_adds_to_the_checksum():
    # label and field contents, nothing between: no spaces, quotes or braces
    assert record_content("#TRANS", ["3001", ("6", "SMÅLJ"), "-125.00"]) == "#TRANS30016SMÅLJ-125.00"


def test_a_valid_checksum_verifies(fixture_path):
    document = sie.read(fixture_path("ksumma_valid.se"))
    assert document.checksum.status == sie.ChecksumStatus.VALID
    assert document.checksum.stated == document.checksum.computed == 389528420
    assert document.problems == ()


def test_a_checksum_may_be_written_as_a_signed_number(fixture_path):
    assert sie.read(fixture_path("ksumma_signed_value.se")).checksum.status == "valid"


def test_a_changed_file_fails_its_checksum(fixture_path):
    document = sie.read(fixture_path("ksumma_wrong.se"))
    assert document.checksum.status == sie.ChecksumStatus.INVALID
    assert [(p.code, p.line, p.severity) for p in document.problems] == [("sie.checksum", 15, "error")]


def test_an_opened_checksum_never_closed_means_the_file_was_cut_short(fixture_path):
    document = sie.read(fixture_path("ksumma_truncated.se"))
    assert document.checksum.status == sie.ChecksumStatus.TRUNCATED
    assert codes(document) == ["sie.checksum"]


def test_a_file_without_checksum_is_fine():
    document = sie.read(b"#FLAGGA 0\r\n")
    assert document.checksum.status == sie.ChecksumStatus.ABSENT


def test_a_utf8_file_verifies_over_the_cp437_form_of_its_text():
    text = '#FLAGGA 0\n#KSUMMA\n#FNAMN "Bär AB"\n'
    crc = zlib.crc32("#FNAMNBär AB".encode("cp437"))
    document = sie.read((text + f"#KSUMMA {crc}\n").encode("utf-8"))
    assert document.checksum.status == "valid"
    assert "CP437 form" in document.checksum.note


def test_the_writer_adds_a_checksum_the_reader_verifies(fixture_path):
    document = sie.read(fixture_path("every_label_type4e.se"))
    buffer = io.BytesIO()
    sie.write(document, buffer, checksum=True)
    data = buffer.getvalue()
    assert data.startswith(b"#FLAGGA 0\r\n#KSUMMA\r\n")
    again = sie.read(data)
    assert again.checksum.status == "valid"
    assert again == document


def test_a_written_checksum_covers_exactly_what_was_written(fixture_path):
    data = sie.to_bytes(sie.read(fixture_path("ksumma_valid.se")), checksum=True)
    stated = int(data.rstrip().rsplit(b" ", 1)[1])
    assert stated == 389528420  # the same contents give the same sum, however they were laid out
