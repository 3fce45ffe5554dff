"""Which characters the bytes of a SIE file stand for.

SIE allows one character set, IBM PC-8 (code page 437), and says so with `#FORMAT PC8`. Real
files disagree: some are UTF-8 throughout, some are CP437 with a few Windows-1252 fields copied
in from elsewhere (Windows paths in #FNR, an object name), some went through a lossy
conversion and carry U+FFFD where å, ä and ö were. The policy, from `research/sie4.md` §3:

* a UTF-8 byte-order mark, or a file that is strict UTF-8 and has multi-byte sequences → UTF-8;
* otherwise CP437, except a field that holds the Windows-1252 bytes of Swedish letters and none
  of CP437's is read as Windows-1252.

All SIE syntax is ASCII, so a file can be split into records and fields before any of this
matters, and every decoding here keeps ASCII as it is.
"""

from __future__ import annotations

import codecs
import re
from encodings import cp437
from typing import BinaryIO

__all__ = ["FieldDecoder", "encode_cp437", "sniff_encoding", "to_cp437"]

UTF8_BOM = codecs.BOM_UTF8
_SNIFF_CHUNK = 1 << 20

# The CP437 readings of the Windows-1252 bytes for ä å ö Ä Å Ö é ü (E4 E5 F6 C4 C5 D6 E9 FC) …
_WINDOWS_1252_SIGN_CHARS = "Σσ÷─┼╓Θⁿ"
_WINDOWS_1252_SIGNS = re.compile(f"[{_WINDOWS_1252_SIGN_CHARS}]")
# … and the letters themselves as CP437 writes them (84 86 94 8E 8F 99 82 81).
_CP437_LETTERS = re.compile("[äåöÄÅÖéü]")


def sniff_encoding(stream: BinaryIO) -> str:
    """'utf-8-sig', 'utf-8', 'ascii' or 'cp437' for the rest of a seekable binary stream.

    Reads ahead as far as it must (to the first byte that is not UTF-8, which in a CP437 file is
    usually its first Swedish letter) and puts the stream back where it was.
    """
    start = stream.tell()
    try:
        if stream.read(len(UTF8_BOM)) == UTF8_BOM:
            return "utf-8-sig"
        stream.seek(start)
        decoder = codecs.getincrementaldecoder("utf-8")()
        multibyte = False
        try:
            while chunk := stream.read(_SNIFF_CHUNK):
                decoder.decode(chunk)
                multibyte = multibyte or not chunk.isascii()
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp437"
        return "utf-8" if multibyte else "ascii"
    finally:
        stream.seek(start)


def codec_for(encoding: str) -> str:
    """The Python codec that decodes a file of the sniffed `encoding`."""
    return "cp437" if encoding in ("ascii", "cp437") else encoding


class FieldDecoder:
    """Second look at the text fields of a file.

    `inspect` sees each piece of the file first: it notes U+FFFD (text damaged before the file
    reached us) and whether any Windows-1252 field can be in the piece at all, so that `text`
    costs next to nothing in the usual file. It counts what it found, so the reader can say
    which encoding the file turned out to have.
    """

    def __init__(self, file_encoding: str) -> None:
        self.file_encoding = file_encoding
        self.active = file_encoding == "cp437"
        self.suspect = self.active  # this piece may hold Windows-1252 fields
        self.cp437_fields = 0
        self.windows_1252_fields = 0
        self.first_windows_1252_line: int | None = None
        self.damaged_lines = 0
        self.first_damaged_line: int | None = None

    def inspect(self, text: str, first_line: int) -> None:
        if "\ufffd" in text:
            self.damaged_lines += sum("\ufffd" in line for line in text.split("\n"))
            if self.first_damaged_line is None:
                self.first_damaged_line = first_line + text.count("\n", 0, text.index("\ufffd"))
        if self.active:
            # `in` is a fast scan, and instant when the text holds no character above U+00FF
            self.suspect = any(sign in text for sign in _WINDOWS_1252_SIGN_CHARS)
            if not self.suspect and not text.isascii():
                self.cp437_fields += 1

    def text(self, value: str, line: int) -> str:
        """`value` as its writer meant it; call only for text that is not plain ASCII."""
        if not self.suspect:
            return value
        if _WINDOWS_1252_SIGNS.search(value) and not _CP437_LETTERS.search(value):
            try:
                fixed = value.encode("cp437").decode("cp1252")
            except UnicodeDecodeError:  # a byte Windows-1252 leaves undefined: not 1252 after all
                pass
            else:
                self.windows_1252_fields += 1
                if self.first_windows_1252_line is None:
                    self.first_windows_1252_line = line
                return fixed
        self.cp437_fields += 1
        return value

    @property
    def encoding(self) -> str:
        """What the file turned out to be: 'cp437', 'ascii', 'utf-8', 'utf-8-sig',
        'windows-1252' (every 8-bit field was) or 'cp437+windows-1252' (some were)."""
        if not self.windows_1252_fields:
            return self.file_encoding
        return "cp437+windows-1252" if self.cp437_fields else "windows-1252"


# Python's own cp437 codec encodes through a dict, six times slower than the table the other
# code pages use; the same table built once makes writing large files much faster.
_CP437_TABLE = codecs.charmap_build(cp437.decoding_table)


def to_cp437(text: str, errors: str = "strict") -> bytes:
    """`text.encode("cp437", errors)`, only faster."""
    return codecs.charmap_encode(text, errors, _CP437_TABLE)[0]


def encode_cp437(text: str) -> tuple[bytes, str]:
    """CP437 bytes of `text`, with '?' for each character CP437 lacks, and those characters."""
    try:
        return to_cp437(text), ""
    except UnicodeEncodeError:
        missing = "".join(dict.fromkeys(ch for ch in text if not _encodable(ch)))
        return to_cp437(text, "replace"), missing


def _encodable(ch: str) -> bool:
    try:
        to_cp437(ch)
    except UnicodeEncodeError:
        return False
    return True
