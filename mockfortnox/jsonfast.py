"""JSON bodies fast: the same text as `bridge.jsonnum.dumps` (Decimal as a bare number, never
a float) at the speed of the standard library's C encoder.

The C encoder hands every Decimal to `default`, which answers a marked string; the marked
strings are then turned back into bare numbers. The mark starts with a NUL character, which
the encoder always escapes. Should a body's own text carry the same mark (more marks found
than Decimals written), the exact slow path is taken instead.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bridge.jsonnum import dumps as exact_dumps
from bridge.jsonnum import format_decimal

__all__ = ["dumps"]

_MARKED = re.compile(r'"\\u0000#([^"]*)"')


def dumps(obj: Any) -> str:
    written = 0

    def default(value: Any) -> str:
        nonlocal written
        if isinstance(value, Decimal):
            written += 1
            return "\x00#" + format_decimal(value)
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        raise TypeError(f"cannot serialise {type(value).__name__} to JSON")

    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=default, allow_nan=False)
    text, found = _MARKED.subn(r"\1", text)
    return text if found == written else exact_dumps(obj)
