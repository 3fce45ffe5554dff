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

import re
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


# msgspec writes a Decimal as `str(value)` with no Python call, which is `format_decimal`'s
# text except for an exponent (1E+3, 1E-7) or a negative zero (-0.00). Those are rare, and
# cheap to rule out in the text (what is searched for first is rarer still: a number is
# written after a colon, a comma or a bracket): when one may be there, the text is written again with every Decimal through `format_decimal`.
_fast = msgspec.json.Encoder(decimal_format="number", enc_hook=_other).encode
_exact = msgspec.json.Encoder(decimal_format=_raw_decimal, enc_hook=_other).encode
_NOT_AS_GIVEN = re.compile(rb"[0-9]E|[:,\[]-0(?:\.0*)?[,}\]]")
_decoder = msgspec.json.Decoder(float_hook=Decimal)


def loads(text: str | bytes) -> Any:
    """Parse JSON; every non-integer number becomes a `Decimal`. Raises ValueError
    (`msgspec.DecodeError`) for anything that is not JSON, NaN and Infinity included."""
    return _decoder.decode(text)


def dumpb(obj: Any, *, indent: int | None = None) -> bytes:
    """`obj` as UTF-8 JSON: compact, or with `indent` spaces per level."""
    try:
        encoded = _fast(obj)
    except ValueError:  # NaN or Infinity: said in our words
        encoded = _exact(obj)
    if (b"E" in encoded or b":-0" in encoded or b",-0" in encoded or b"[-0" in encoded) and (
        _NOT_AS_GIVEN.search(encoded)
    ):
        encoded = _exact(obj)
    return encoded if indent is None else msgspec.json.format(encoded, indent=indent)


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """Serialise `obj` to JSON; `Decimal` becomes a bare number, dates become ISO strings."""
    return dumpb(obj, indent=indent).decode()


dumps_fast = dumps  # the name the mock knows it by, from when the exact encoder was slow
