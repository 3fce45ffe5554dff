"""Every SIE 4 label, its fields in order, and how split fields become a record.

The table below is the field list of `research/sie4.md` §4. A field spec is (name, kind,
severity when missing — None when it may be left out). Kinds: text, int, year, dim, date,
period, amount, quantity, account, objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from bridge.model import Severity
from bridge.sie.encodings import FieldDecoder
from bridge.sie.lexer import Fields
from bridge.sie.problems import ProblemLog
from bridge.sie.records import (
    AccountFact,
    Address,
    Balance,
    Checksum,
    Dimension,
    DimensionObject,
    Generated,
    ObjectBalance,
    ObjectList,
    OrgNumber,
    PeriodBalance,
    Program,
    Transaction,
    Value,
    Year,
)
from bridge.sie.values import (
    parse_account,
    parse_amount,
    parse_date,
    parse_dimension,
    parse_int,
    parse_objects,
    parse_period,
)

__all__ = ["LABELS", "ROW_LABELS", "LabelSpec", "build_record", "decode_object_ids"]

E, W = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class LabelSpec:
    build: Callable[..., Any]  # the record class, called with the converted fields and line=
    fields: tuple[tuple[str, str, Severity | None], ...]
    join_last_text: bool = False  # `#FNAMN Övningsbolaget AB`: read unquoted words as one text
    with_label: bool = False  # the record's first field is the label itself (#IB/#UB/#RES …)


def _voucher_head(*values: Any, line: int) -> tuple:
    """#VER's own fields; the reader adds the rows and the line when the block closes."""
    return values


def _value(kind: str, missing: Severity | None = E, join: bool = False) -> LabelSpec:
    return LabelSpec(Value, (("value", kind, missing),), join, True)


_BALANCE = (
    ("year", "year", E),
    ("account", "account", E),
    ("amount", "amount", E),
    ("quantity", "quantity", None),
)
_OBJECT_BALANCE = (*_BALANCE[:2], ("objects", "objects", E), *_BALANCE[2:])
_PERIOD_BALANCE = (_BALANCE[0], ("period", "period", E), *_OBJECT_BALANCE[1:])
_ROW = (
    ("account", "account", E),
    ("objects", "objects", E),
    ("amount", "amount", E),
    ("date", "date", None),
    ("text", "text", None),
    ("quantity", "quantity", None),
    ("signature", "text", None),
)
_FACT = (("account", "account", E),)

LABELS: dict[str, LabelSpec] = {
    "#FLAGGA": _value("int"),
    "#FORMAT": _value("text", W),
    "#SIETYP": _value("int"),
    "#PROSA": _value("text", None, join=True),
    "#FTYP": _value("text", W),
    "#FNR": _value("text", W, join=True),
    "#BKOD": _value("text", W),
    "#FNAMN": _value("text", W, join=True),
    "#TAXAR": _value("int"),
    "#OMFATTN": _value("date"),
    "#KPTYP": _value("text", W),
    "#VALUTA": _value("text", W),
    "#PROGRAM": LabelSpec(Program, (("name", "text", W), ("version", "text", W))),
    "#GEN": LabelSpec(Generated, (("date", "date", E), ("signature", "text", None))),
    "#ORGNR": LabelSpec(
        OrgNumber, (("number", "text", W), ("acquisition", "text", None), ("activity", "text", None))
    ),
    "#ADRESS": LabelSpec(
        Address,
        (
            ("contact", "text", None),
            ("street", "text", None),
            ("postal", "text", None),
            ("phone", "text", None),
        ),
    ),
    "#RAR": LabelSpec(Year, (("year", "year", E), ("start", "date", W), ("end", "date", W))),
    "#KONTO": LabelSpec(AccountFact, (*_FACT, ("name", "text", None)), True, True),
    "#KTYP": LabelSpec(AccountFact, (*_FACT, ("type", "text", E)), with_label=True),
    "#ENHET": LabelSpec(AccountFact, (*_FACT, ("unit", "text", W)), True, True),
    "#SRU": LabelSpec(AccountFact, (*_FACT, ("code", "text", E)), with_label=True),
    "#DIM": LabelSpec(Dimension, (("number", "dim", E), ("name", "text", W)), True),
    "#UNDERDIM": LabelSpec(Dimension, (("number", "dim", E), ("name", "text", W), ("parent", "dim", E))),
    "#OBJEKT": LabelSpec(
        DimensionObject, (("dimension", "dim", E), ("number", "text", E), ("name", "text", W)), True
    ),
    "#IB": LabelSpec(Balance, _BALANCE, with_label=True),
    "#UB": LabelSpec(Balance, _BALANCE, with_label=True),
    "#RES": LabelSpec(Balance, _BALANCE, with_label=True),
    "#OIB": LabelSpec(ObjectBalance, _OBJECT_BALANCE, with_label=True),
    "#OUB": LabelSpec(ObjectBalance, _OBJECT_BALANCE, with_label=True),
    "#PSALDO": LabelSpec(PeriodBalance, _PERIOD_BALANCE, with_label=True),
    "#PBUDGET": LabelSpec(PeriodBalance, _PERIOD_BALANCE, with_label=True),
    "#VER": LabelSpec(
        _voucher_head,
        (
            ("series", "text", None),
            ("number", "text", None),
            ("date", "date", E),
            ("text", "text", None),
            ("registration_date", "date", None),
            ("signature", "text", None),
        ),
    ),
    "#TRANS": LabelSpec(Transaction, _ROW, with_label=True),
    "#RTRANS": LabelSpec(Transaction, _ROW, with_label=True),
    "#BTRANS": LabelSpec(Transaction, _ROW, with_label=True),
    "#KSUMMA": LabelSpec(Checksum, (("value", "int", None),)),
}

ROW_LABELS = frozenset({"#TRANS", "#RTRANS", "#BTRANS"})

_EMPTY: dict[str, Any] = {"text": "", "objects": ()}  # what an absent field reads as; else None

_PARSERS: dict[str, Callable[[Any], Any]] = {
    "int": parse_int,
    "year": parse_int,
    "dim": parse_dimension,
    "date": parse_date,
    "period": parse_period,
    "amount": parse_amount,
    "quantity": parse_amount,
    "account": parse_account,
}
_CODES = {"date": "sie.bad-date", "period": "sie.bad-period", "account": "sie.bad-account"}


def decode_object_ids(objects: ObjectList, decoder: FieldDecoder, line: int) -> ObjectList:
    """Object ids are text too: read Windows-1252 ids as such (`#OBJEKT 6 "Å1"` in BL's files)."""
    if all(number.isascii() for _, number in objects):
        return objects
    return tuple((dim, number if number.isascii() else decoder.text(number, line)) for dim, number in objects)


def build_record(
    label: str, fields: Fields, kinds: str, line: int, log: ProblemLog, decoder: FieldDecoder
) -> Any:
    """The record `fields` make for `label` (which must be in LABELS); problems go to `log`.

    Always returns a record: a field that cannot be read is reported and left empty (None).
    """
    spec = LABELS[label]
    specs = spec.fields
    fields, kinds = _tolerate_missing_braces(label, spec, fields, kinds, line, log)
    if len(fields) > len(specs):
        fields = _extra_fields(label, spec, fields, kinds, line, log, decoder)
    values: list[Any] = [label] if spec.with_label else []
    for index, (name, kind, missing) in enumerate(specs):
        raw = fields[index] if index < len(fields) else None
        if raw is not None and isinstance(raw, tuple) is not (kind == "objects"):
            shown = "{" + " ".join(raw) + "}" if isinstance(raw, tuple) else repr(raw)
            log.add("sie.syntax", f"{label} {name} cannot be {shown}", line=line, label=label, field=name)
            raw = None
        if raw is None or raw == "":
            if missing is not None:
                log.add(
                    "sie.missing-field",
                    f"{label} {name} is missing",
                    line=line,
                    label=label,
                    field=name,
                    severity=missing,
                )
            values.append(_EMPTY.get(kind))
        elif kind == "text":
            text = cast(str, raw)  # a tuple is only ever an object list (checked above)
            values.append(text if text.isascii() else decoder.text(text, line))
        elif kind == "objects":
            try:
                values.append(decode_object_ids(parse_objects(cast(tuple[str, ...], raw)), decoder, line))
            except ValueError as exc:
                log.add("sie.bad-objects", f"{label} {name}: {exc}", line=line, label=label, field=name)
                values.append(())
        else:
            try:
                values.append(_PARSERS[kind](raw))
            except ValueError as exc:
                log.add(
                    _CODES.get(kind, "sie.bad-number"),
                    f"{label} {name}: {exc}",
                    line=line,
                    label=label,
                    field=name,
                )
                # An account number that is not one still names the account: keep it as written.
                values.append(raw if kind == "account" else _EMPTY.get(kind))
    return spec.build(*values, line=line)


def _tolerate_missing_braces(
    label: str, spec: LabelSpec, fields: Fields, kinds: str, line: int, log: ProblemLog
) -> tuple[Fields, str]:
    # `#PBUDGET 0 201701 119 -1666.00`: the mandatory `{}` left out. When the fields only make
    # sense with an empty object list in its place, read them so and say so.
    names = [name for name, _, _ in spec.fields]
    if "objects" not in names:
        return fields, kinds
    at = names.index("objects")
    if len(kinds) > at and kinds[at] != "o" and "o" not in kinds:
        log.warn(
            "sie.syntax",
            "the object list {} is missing; read as empty",
            line=line,
            label=label,
            field="objects",
        )
        return [*fields[:at], (), *fields[at:]], kinds[:at] + "o" + kinds[at:]
    return fields, kinds


def _extra_fields(
    label: str, spec: LabelSpec, fields: Fields, kinds: str, line: int, log: ProblemLog, decoder: FieldDecoder
) -> Fields:
    last = len(spec.fields) - 1
    if spec.join_last_text and kinds[last] == "b" and set(kinds[last + 1 :]) == {"b"}:
        text = " ".join(str(field) for field in fields[last:])
        shown = text if text.isascii() else decoder.text(text, line)
        log.warn(
            "sie.unquoted-text",
            f"text with spaces should be quoted; read as {shown!r}",
            line=line,
            label=label,
        )
        return [*fields[:last], text]
    log.warn(
        "sie.extra-field",
        f"{len(fields) - len(spec.fields)} more field(s) than SIE 4 defines for {label}; ignored",
        line=line,
        label=label,
    )
    return fields[: len(spec.fields)]
