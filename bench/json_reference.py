"""The exact JSON encoders the bridge had before msgspec, kept as baselines for `bench_json`:
a pure-Python encoder, and the standard library's C encoder with a marker trick."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bridge.util.jsonnum import format_decimal


def loads(text: str | bytes) -> Any:
    """Parse JSON; every non-integer number becomes a `Decimal`."""
    return json.loads(text, parse_float=Decimal)


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """Serialise `obj` to JSON; `Decimal` becomes a bare number, dates become ISO strings."""
    parts: list[str] = []
    _encode(obj, parts, indent, 0)
    return "".join(parts)


def _encode(obj: Any, out: list[str], indent: int | None, level: int) -> None:
    if obj is None or isinstance(obj, (bool, str, int)):
        out.append(json.dumps(obj, ensure_ascii=False))
    elif isinstance(obj, Decimal):
        out.append(format_decimal(obj))
    elif isinstance(obj, float):
        raise TypeError("floats are not money: convert to Decimal before serialising")
    elif isinstance(obj, (date, datetime)):
        out.append(json.dumps(obj.isoformat()))
    elif isinstance(obj, Mapping):
        _encode_items(
            [(json.dumps(str(k), ensure_ascii=False), v) for k, v in obj.items()],
            "{}",
            out,
            indent,
            level,
        )
    elif isinstance(obj, (list, tuple)):
        _encode_items([(None, v) for v in obj], "[]", out, indent, level)
    else:
        raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def _encode_items(items, brackets: str, out: list[str], indent: int | None, level: int) -> None:
    if not items:
        out.append(brackets)
        return
    out.append(brackets[0])
    pad = "" if indent is None else "\n" + " " * (indent * (level + 1))
    sep = ":" if indent is None else ": "
    for i, (key, value) in enumerate(items):
        if i:
            out.append(",")
        out.append(pad)
        if key is not None:
            out.append(key + sep)
        _encode(value, out, indent, level + 1)
    out.append("" if indent is None else "\n" + " " * (indent * level))
    out.append(brackets[1])


_MARKED = re.compile(r'"\\u0000#([^"]*)"')


def dumps_fast(obj: Any) -> str:
    """The same compact text as `dumps(obj)` at the speed of the standard library's C encoder,
    for hot paths (the mock's answers). Unlike `dumps` it cannot see floats: use it only on
    data that holds none.

    The C encoder hands each Decimal to `default`, which answers a marked string; the marks
    are then turned back into bare numbers. The mark starts with a NUL character, which the
    encoder always escapes; should the data's own text carry the same mark (more marks than
    Decimals), the exact path is taken instead.
    """
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
    return text if found == written else dumps(obj)
