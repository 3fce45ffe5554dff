"""JSON with exact money: numbers are read as `Decimal` and `Decimal` is written as a number.

The standard library would turn 0.1 into a float on the way in and refuse `Decimal` on the
way out; Fortnox bodies carry amounts as JSON numbers, so both directions need care.

Both directions run in msgspec's C code (`bench/bench_json.py` measures it against the
pure-Python encoder this replaced and against orjson, which cannot read numbers as Decimal):
a number with a fraction or an exponent is handed to `Decimal` as written, and a `Decimal` is
written as `format_decimal` writes it, so its digits are never a float's. Dates and times
are ISO strings (a UTC time ends in "Z"). The encoder writes
what it is given: a float would be written as a number, so money must never be one — Python's
`Decimal` refuses to mix with floats, and every reader here makes `Decimal`. Dataclasses are
written as objects of their fields, in order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

__all__ = ["dumpb", "dumps", "dumps_fast", "format_decimal", "loads"]


def format_decimal(value: Decimal) -> str:
    """A JSON number for `value`: no exponent, trailing zeros kept only as given."""
    if not value.is_finite():
        raise ValueError(f"{value} cannot be written as a JSON number")
    return format(abs(value) if value.is_zero() else value, "f")


def _raw_decimal(value: Decimal) -> msgspec.Raw:
    return msgspec.Raw(format_decimal(value).encode())


def _other(value: Any) -> Any:
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


# A Decimal is handed to `_raw_decimal`, which writes it as `format_decimal` does. (msgspec's own
# `decimal_format="number"` would write `str(value)`: 1E+3 for 1000, -0.00 for a zero; ruling
# those out in the text afterwards cost more than the call per Decimal, measured on the ledger's
# payloads.)
_encoder = msgspec.json.Encoder(decimal_format=_raw_decimal, enc_hook=_other)
_decoder = msgspec.json.Decoder(float_hook=Decimal)


def loads(text: str | bytes) -> Any:
    """Parse JSON; every non-integer number becomes a `Decimal`. Raises ValueError
    (`msgspec.DecodeError`) for anything that is not JSON, NaN and Infinity included."""
    return _decoder.decode(text)


def dumpb(obj: Any, *, indent: int | None = None) -> bytes:
    """`obj` as UTF-8 JSON: compact, or with `indent` spaces per level."""
    encoded = _encoder.encode(obj)
    return encoded if indent is None else msgspec.json.format(encoded, indent=indent)


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """Serialise `obj` to JSON; `Decimal` becomes a bare number, dates become ISO strings."""
    return dumpb(obj, indent=indent).decode()


dumps_fast = dumps  # the name the mock knows it by, from when the exact encoder was slow
