"""Lines and fields: the SIE lexical rules (`research/sie4.md` §2), nothing about meaning.

A record is one line: a `#LABEL` and fields separated by spaces or tabs. A field is a bare
word, a quoted string (`"` inside written `\\"`, a backslash `\\\\`; any other backslash is kept
as it stands, because Windows paths are full of them), or an object list `{1 "Nord" 6 P1}`.
Voucher rows sit between a `{` line and a `}` line.

`split_record` is the exact tokenizer, used for every line that is not plain. `plain_fields` is
its fast twin for the common line without backslashes or object lists; the reader uses it for
voucher rows, where a big file spends nearly all its time. Both give the same fields for any
line `plain_fields` accepts (a test holds them to it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

__all__ = ["Fields", "iter_line_chunks", "plain_fields", "split_record"]

_CHUNK = 1 << 20

Fields = list[str | tuple[str, ...]]
"""A record's fields after its label: strings, and object lists as flat tuples of strings."""

_TOKEN = re.compile(
    r"""
      " ( (?: [^"\\] | \\.? )* ) (")?     # 1 quoted text, 2 its closing quote
    | ( [{}] )                            # 3 a brace of an object list
    | ( (?: [^\s"{}\\] | \\.? )+ )        # 4 a bare word
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\([\\\"])")
_LABEL = re.compile(r"#[A-Za-z0-9_]*")


def iter_line_chunks(
    stream: BinaryIO, codec: str, inspect: Callable[[str, int], None] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(number of the first line, lines) for each piece of about a megabyte of the stream.

    Pieces end at a line feed, so a multi-byte character is never cut in two. The line feeds
    are removed; a CR before one stays (splitting and stripping treat it as the space it is
    to SIE, and it saves a pass over the text). Memory stays flat however large the file is.
    `inspect(text, first_line)` sees each piece's text before it is split.
    """
    line_number = 1
    rest = b""
    while True:
        data = stream.read(_CHUNK)
        if not data:
            break
        if rest:
            data = rest + data
        cut = data.rfind(b"\n") + 1
        if not cut:  # a line longer than a chunk: keep reading
            rest = data
            continue
        rest = data[cut:]
        lines = _split_lines(data[:cut], codec, line_number, inspect)
        yield line_number, lines
        line_number += len(lines)
    if rest:
        yield line_number, _split_lines(rest, codec, line_number, inspect)


def _split_lines(
    data: bytes, codec: str, first_line: int, inspect: Callable[[str, int], None] | None
) -> list[str]:
    # UTF-8 is only chosen for files that are valid UTF-8 (or announce it with a BOM);
    # whatever slips through becomes U+FFFD, which the reader reports.
    text = data.decode(codec, errors="replace")
    if inspect is not None:
        inspect(text, first_line)
    if "\n" not in text and "\r" in text:  # old Mac line ends
        text = text.replace("\r", "\n")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def split_record(line: str) -> tuple[str, Fields, str, list[str]]:
    """(label, fields, kinds, complaints) of one line.

    `label` is the `#LABEL` in capitals, "{" or "}" for a brace line, "" for a blank line or one
    that is not a record (then `complaints` says so); `kinds` has one letter per field: b (bare), q (quoted), o (object list);
    `complaints` says what could not be split cleanly (the fields are still the best reading).
    """
    text = line.strip()
    if not text:
        return "", [], "", []
    if text[0] != "#":
        if text in ("{", "}"):
            return text, [], "", []
        return "", [], "", [f"the line does not start with a #label: {text[:40]!r}"]
    label_match = _LABEL.match(text)
    assert label_match is not None  # the line starts with '#'
    label = label_match.group().upper()
    rest = text[label_match.end() :]
    if "{" not in rest and "}" not in rest:
        plain_kinds: list[str] = []
        plain = plain_fields(rest, plain_kinds)
        if plain is not None:
            return label, plain, "".join(plain_kinds), []  # type: ignore[return-value]
    fields: Fields = []
    kinds: list[str] = []
    complaints: list[str] = []
    objects: list[str] | None = None
    for token in _TOKEN.finditer(text, label_match.end()):
        kind = token.lastindex
        if kind == 3:
            if token.group(3) == "{":
                if objects is not None:
                    complaints.append("'{' inside an object list")
                objects = []
            elif objects is None:
                complaints.append("'}' without a '{' before it")
            else:
                fields.append(tuple(objects))
                kinds.append("o")
                objects = None
            continue
        value = token.group(1) if kind in (1, 2) else token.group(4)
        if kind == 1:
            if value.endswith('\\"'):  # `#FNR "C:\Företag\"`: a path's last backslash, not an escape
                value = value[:-1]
            else:
                complaints.append("a quoted field is not closed")
        if "\\" in value:
            value = _ESCAPE.sub(r"\1", value)
        if objects is not None:
            objects.append(value)
        else:
            fields.append(value)
            kinds.append("b" if kind == 4 else "q")
    if objects is not None:
        complaints.append("an object list is not closed with '}'")
        fields.append(tuple(objects))
        kinds.append("o")
    return label, fields, "".join(kinds), complaints


def plain_fields(text: str, kinds: list[str] | None = None) -> list[str] | None:
    """The fields of `text` if it holds only bare words and quoted strings without escapes or
    braces — what nearly every voucher row looks like after its object list — else None.
    With `kinds`, appends "b" (bare) or "q" (quoted) for each field."""
    if "\\" in text or "{" in text or "}" in text:
        return None
    if '"' not in text:
        fields = text.split()
        if kinds is not None:
            kinds += "b" * len(fields)
        return fields
    parts = text.split('"')
    if not len(parts) % 2:  # an odd number of quotes: one is not closed
        return None
    fields = parts[0].split()
    if kinds is not None:
        kinds += "b" * len(fields)
    for index in range(1, len(parts), 2):
        fields.append(parts[index])
        bare = parts[index + 1].split()
        fields += bare
        if kinds is not None:
            kinds += "q" + "b" * len(bare)
    return fields
