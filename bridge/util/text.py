"""Text from files, made safe to show: a short excerpt of a value, control characters visible.

A message about a bad value quotes only its start (a 100 MB cell must not become a 100 MB
error report), and a file name or value holding a newline, a tab, an escape sequence or a
bidirectional override never reaches a log line, a receipt or a terminal raw: it is written
as `\\n`, `\\x1b`, `\\u202e`, which a person can read and no terminal acts on.
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import PurePath

__all__ = ["EXCERPT_CHARS", "PrintableArguments", "excerpt", "printable"]

EXCERPT_CHARS = 40


def printable(text: str) -> str:
    """`text` with every control or format character (C0, C1, DEL, bidi marks) escaped."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable() or char == " ":
            out.append(char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif unicodedata.category(char) in ("Zs",):  # no-break and other spaces read as spaces
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    return "".join(out)


def excerpt(value: str, limit: int = EXCERPT_CHARS, *, quote: bool = True) -> str:
    """A value as a message quotes it: in quotes (unless `quote` is false: a number or a name
    the message frames itself), at most `limit` characters, then how long it really was;
    control characters escaped."""
    mark = "'" if quote else ""
    if len(value) <= limit:
        return mark + printable(value) + mark
    return f"{mark}{printable(value[:limit])}…{mark} ({len(value):,} characters)"


class PrintableArguments(logging.Filter):
    """A log handler's filter: the text arguments of a message (file names, values from files)
    with their control characters escaped, so that a name holding a newline cannot forge a
    log line and one holding an escape sequence cannot drive the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                printable(str(a)) if isinstance(a, (str, PurePath)) else a for a in record.args
            )
        return True
