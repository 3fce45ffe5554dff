"""Writing SIE files: CP437, CRLF, `#FORMAT PC8`, one deterministic order.

    problems = write(document, "export.se")                  # the standard layout
    problems = write(document, "export.se", style=FORTNOX)   # shaped like a Fortnox 3.60 export
    with SieWriter(handle, style=FORTNOX) as writer:         # or streaming, voucher by voucher
        writer.write_header(document_without_vouchers)
        for voucher in vouchers:
            writer.write_voucher(voucher)

A character CP437 lacks (€, ø, …) is written as `?` and reported; control characters become
spaces. Nothing is dropped silently. With `checksum=True` the file carries #KSUMMA.

Two styles. `STANDARD` quotes a field only where it must (spaces, quotes, braces, backslashes,
empty fields before others) and leaves out empty trailing fields. `FORTNOX` copies what Fortnox
3.60 writes (`research/fortnox-api.md`, "SIE export"): its header order, every text quoted,
`"" "" 0` after each row's amount, a quantity of 0 on balances, blank lines between sections and
no line end after the last `}`. A file read and written again in either style comes out byte
for byte the same.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from bridge.sie.checksum import Crc
from bridge.sie.document import SieDocument
from bridge.sie.encodings import encode_cp437, to_cp437
from bridge.sie.problems import ProblemLog, SieProblem
from bridge.sie.records import Balance, ObjectBalance, ObjectList, PeriodBalance, Transaction, Voucher
from bridge.util import AtomicFile

__all__ = ["FORTNOX", "STANDARD", "SieWriter", "Style", "to_bytes", "write"]


@dataclass(frozen=True)
class Style:
    """How a file is laid out; the content is the same in every style."""

    name: str
    header_order: tuple[str, ...]  # after #FLAGGA, which always comes first
    quote_text: bool  # quote text fields even where no quote is needed
    row_quantity: str | None  # written for a row or balance without a quantity; None: leave out
    blank_lines: bool  # an empty line after each section, three before the vouchers
    final_line_end: bool
    fortnox_balances: bool = False  # Fortnox's interleaving of #IB/#UB, #PSALDO and #RES
    trailing_space: frozenset[str] = frozenset()  # labels whose line ends with a space


STANDARD = Style(
    "standard",
    (
        "#PROGRAM",
        "#FORMAT",
        "#GEN",
        "#SIETYP",
        "#PROSA",
        "#FTYP",
        "#FNR",
        "#ORGNR",
        "#BKOD",
        "#ADRESS",
        "#FNAMN",
        "#RAR",
        "#TAXAR",
        "#OMFATTN",
        "#KPTYP",
        "#VALUTA",
    ),
    quote_text=False,
    row_quantity=None,
    blank_lines=False,
    final_line_end=True,
)

FORTNOX = Style(
    "fortnox",
    (
        "#FORMAT",
        "#SIETYP",
        "#PROGRAM",
        "#GEN",
        "#PROSA",
        "#FTYP",
        "#FNR",
        "#FNAMN",
        "#ADRESS",
        "#RAR",
        "#ORGNR",
        "#BKOD",
        "#TAXAR",
        "#OMFATTN",
        "#KPTYP",
        "#VALUTA",
    ),
    quote_text=True,
    row_quantity="0",
    blank_lines=True,
    final_line_end=False,
    fortnox_balances=True,
    trailing_space=frozenset({"#ADRESS"}),
)

_NEEDS_QUOTES = re.compile(r'[\s"{}\\]|^$')
_BACKSLASH_TO_ESCAPE = re.compile(r'\\(?=[\\"]|$)')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FLUSH_LINES = 8192

# Fields are given to `_record` in three shapes: a str is text (quoted in the FORTNOX style), a
# 1-tuple `(content,)` is a word that is never text (a number, a date, a code), and an object
# list is a tuple of (dimension, id) pairs.


def write(
    document: SieDocument,
    target: str | os.PathLike[str] | BinaryIO,
    *,
    style: Style = STANDARD,
    checksum: bool = False,
) -> tuple[SieProblem, ...]:
    """Write `document` to a path or binary file; returns what could not be written as it was.

    A path is written under a temporary name beside it and renamed when complete, so no reader
    ever sees half a file."""
    if isinstance(target, (str, os.PathLike)):
        with AtomicFile(Path(target)) as pending:
            problems = write(document, pending.handle, style=style, checksum=checksum)
            pending.commit()
        return problems
    with SieWriter(target, style=style, checksum=checksum) as writer:
        writer.write_header(document)
        for voucher in document.vouchers:
            writer.write_voucher(voucher)
    return writer.problems


def to_bytes(document: SieDocument, *, style: Style = STANDARD, checksum: bool = False) -> bytes:
    """The file `write` would write, as bytes (problems are dropped: use `write` to see them)."""
    buffer = io.BytesIO()
    write(document, buffer, style=style, checksum=checksum)
    return buffer.getvalue()


class SieWriter:
    """Writes records to a binary stream; see the module docstring. Use it as a context manager
    (or call `close()`), which writes the closing #KSUMMA and flushes."""

    def __init__(self, target: BinaryIO, *, style: Style = STANDARD, checksum: bool = False) -> None:
        self.style = style
        self._target = target
        self._log = ProblemLog()
        self._crc = Crc("cp437") if checksum else None
        self._pending: list[str] = []
        self._lines = 0  # lines written or pending
        self._vouchers_started = False
        self._objects: dict[ObjectList, str] = {}
        self._row_tails: dict[tuple, str] = {}

    @property
    def problems(self) -> tuple[SieProblem, ...]:
        return self._log.problems

    def __enter__(self) -> SieWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the document, section by section --------------------------------------------------

    def write_header(self, document: SieDocument) -> None:
        """Everything in `document` except its vouchers: identification, chart, balances.

        Records with labels SIE 4 does not define are not written (a writer may only use the
        standard's labels); a warning says how many were left out."""
        if document.unknown:
            labels = ", ".join(sorted({record.label for record in document.unknown}))
            self._log.warn(
                "sie.unknown-label",
                f"{len(document.unknown)} record(s) with labels SIE 4 does not define ({labels}) were not written",
            )
        self._emit(f"#FLAGGA {document.flag or 0}")  # before the opening #KSUMMA: not summed
        if self._crc is not None:
            self._emit("#KSUMMA")
        for label in self.style.header_order:
            for fields in self._header_fields(label, document):
                self._record(label, fields)
        self._end_section()
        self._accounts(document)
        self._end_section()
        self._dimensions(document)
        self._end_section()
        if self.style.fortnox_balances:
            self._fortnox_balances(document)
        else:
            for balance in document.every_balance:
                self._balance(balance)

    def write_voucher(self, voucher: Voucher) -> None:
        if not self._vouchers_started:
            self._vouchers_started = True
            if self._lines:  # Fortnox leaves three empty lines before the vouchers
                self._end_section()
                self._end_section()
        head = [
            (voucher.series,),
            (voucher.number,),
            (_date(voucher.date),),
            voucher.text,
            (_date(voucher.registration_date),),
            voucher.signature,
        ]
        if self._crc is None and "#VER" not in self.style.trailing_space:
            # The usual voucher, formatted without the general record path: one line per voucher
            # and per row is the bulk of a large file.
            self._pending += (
                " ".join(("#VER", *self._fields(head))),
                "{",
                *map(self._row_line, voucher.rows),
            )
            self._lines += len(voucher.rows) + 2
            self._emit("}")
            return
        self._record("#VER", head)
        self._emit("{")
        if self._crc is None:
            self._pending.extend(map(self._row_line, voucher.rows))
            self._lines += len(voucher.rows)
        else:
            for row in voucher.rows:
                self._record(row.label, self._row_fields(row))
        self._emit("}")

    def close(self) -> None:
        if self._target is None:
            return
        if self._crc is not None:
            self._emit(f"#KSUMMA {self._crc.value}")
        self._flush(final=True)
        self._target = None  # type: ignore[assignment]

    # -- fields ----------------------------------------------------------------------------

    def _header_fields(self, label: str, document: SieDocument) -> Iterable[list]:
        d = document
        if label == "#FORMAT":
            yield [("PC8",)]
        elif label == "#PROGRAM" and d.program:
            yield [d.program.name, (d.program.version,)]
        elif label == "#GEN" and d.generated:
            yield [(_date(d.generated.date),), d.generated.signature]
        elif label == "#SIETYP" and d.sie_type is not None:
            yield [(str(d.sie_type),)]
        elif label == "#ORGNR" and d.org_number:
            yield [(d.org_number.number,), (d.org_number.acquisition,), (d.org_number.activity,)]
        elif label == "#ADRESS" and d.address:
            yield [d.address.contact, d.address.street, d.address.postal, d.address.phone]
        elif label == "#RAR":
            for year in d.financial_years:
                yield [(str(year.year),), (_date(year.start),), (_date(year.end),)]
        elif label == "#OMFATTN" and d.balances_until:
            yield [(_date(d.balances_until),)]
        elif label == "#TAXAR" and d.tax_year is not None:
            yield [(str(d.tax_year),)]
        else:
            value = {
                "#PROSA": d.prosa,
                "#FTYP": (d.company_type,),
                "#FNR": (d.company_id,),
                "#BKOD": (d.industry_code,),
                "#FNAMN": d.company_name,
                "#KPTYP": (d.chart_type,),
                "#VALUTA": (d.currency,),
            }.get(label)
            if value is not None and value != (None,):
                yield [value]

    def _accounts(self, document: SieDocument) -> None:
        for account in document.accounts:
            if account.name is not None:
                self._record("#KONTO", [(account.number,), account.name])
            if account.type is not None:
                self._record("#KTYP", [(account.number,), (account.type,)])
            if account.unit is not None:
                self._record("#ENHET", [(account.number,), account.unit])
            for code in account.sru:
                self._record("#SRU", [(account.number,), (code,)])

    def _dimensions(self, document: SieDocument) -> None:
        for dimension in document.dimensions:
            if dimension.parent is None:
                self._record("#DIM", [(str(dimension.number),), dimension.name])
            else:
                self._record(
                    "#UNDERDIM", [(str(dimension.number),), dimension.name, (str(dimension.parent),)]
                )
        for item in document.objects:
            self._record("#OBJEKT", [(str(item.dimension),), item.number, item.name])

    def _fortnox_balances(self, document: SieDocument) -> None:
        # Fortnox 3.60, year by year (0, -1): #IB/#UB, then (after the first year's) every
        # account's monthly #PSALDO, then #RES; then, year by year again, what is per object.
        # Every year section ends with an empty line, even an empty section.
        years = [year.year for year in document.financial_years]
        years += [b.year for b in document.every_balance]
        years = list(dict.fromkeys(years))
        totals = [balance for balance in document.period_balances if not balance.objects]
        for year in years:
            for balance in document.balances:
                if balance.year == year and balance.label != "#RES":
                    self._balance(balance)
            for total in totals:
                self._balance(total)
            totals = []
            for balance in document.balances:
                if balance.year == year and balance.label == "#RES":
                    self._balance(balance)
            self._end_section()
        per_object: tuple[ObjectBalance | PeriodBalance, ...] = (
            *document.object_balances,
            *document.period_balances,
        )
        for year in years:
            for of_object in per_object:
                if of_object.year == year and of_object.objects:
                    self._balance(of_object)
            self._end_section()

    def _balance(self, balance: Balance | ObjectBalance | PeriodBalance) -> None:
        if self._crc is None and balance.label not in self.style.trailing_space:
            self._emit(self._balance_line(balance))
            return
        fields: list = [(str(balance.year),)]
        if isinstance(balance, PeriodBalance):
            fields.append((balance.period,))
        fields.append((balance.account,))
        if not isinstance(balance, Balance):
            fields.append(balance.objects)
        fields.append((_amount(balance.amount),))
        if balance.quantity is not None:
            fields.append((_amount(balance.quantity),))
        elif self.style.row_quantity is not None:
            fields.append((self.style.row_quantity,))
        self._record(balance.label, fields)

    def _balance_line(self, balance: Balance | ObjectBalance | PeriodBalance) -> str:
        # What `_record` makes of `_balance`'s fields, in fewer steps: a file's #PSALDO lines
        # are many. Amounts and years never need quotes.
        texts = [balance.label, str(balance.year)]
        if isinstance(balance, PeriodBalance):
            texts.append(_bare(balance.period))
        texts.append(_bare(balance.account))
        if not isinstance(balance, Balance):
            objects = self._objects.get(balance.objects)
            if objects is None:
                if len(self._objects) > 4096:
                    self._objects.clear()
                objects = self._objects[balance.objects] = self._field(balance.objects)
            texts.append(objects)
        texts.append(_amount(balance.amount) or '""')
        if balance.quantity is not None:
            texts.append(_amount(balance.quantity))
        elif self.style.row_quantity is not None:
            texts.append(_bare(self.style.row_quantity))
        while texts[-1] == '""':  # empty fields at the end are left out
            texts.pop()
        return " ".join(texts)

    def _row_fields(self, row: Transaction) -> list:
        quantity = _amount(row.quantity) if row.quantity is not None else self.style.row_quantity or ""
        return [
            (row.account,),
            row.objects,
            (_amount(row.amount),),
            (_date(row.date),),
            row.text,
            (quantity,),
            row.signature,
        ]

    def _row_line(self, row: Transaction) -> str:
        # The bulk of any file: object lists and what follows the amount repeat, so both are
        # formatted once and remembered.
        objects = self._objects.get(row[2])
        if objects is None:
            if len(self._objects) > 4096:
                self._objects.clear()
            objects = self._objects[row.objects] = self._field(row.objects)
        tail_key = row[4:8]  # date, text, quantity, signature
        tail = self._row_tails.get(tail_key)
        if tail is None:
            if len(self._row_tails) > 4096:
                self._row_tails.clear()
            tail = self._row_tails[tail_key] = " ".join(["", *self._fields(self._row_fields(row)[3:])])
        account = row.account if row.account and row.account.isdigit() else self._field((row.account,))
        amount = _amount(row.amount) or '""'
        return f"{row.label} {account} {objects} {amount}{tail}"

    # -- lines -------------------------------------------------------------------------------

    def _end_section(self) -> None:
        if self.style.blank_lines:
            self._emit("")

    def _record(self, label: str, fields: list) -> None:
        if self._crc is not None:
            self._crc.add(label, [_content(field) for field in fields])
        line = " ".join((label, *self._fields(fields)))
        if label in self.style.trailing_space:
            line += " "
        self._emit(line)

    def _fields(self, fields: list) -> list[str]:
        texts = [self._field(field) for field in fields]
        while texts and texts[-1] == '""':  # empty fields at the end are left out
            texts.pop()
        return texts

    def _field(self, field: str | tuple) -> str:
        if isinstance(field, str):  # text
            if self.style.quote_text:
                return _quoted(field)
            return field if field.isalnum() else _word(field)
        if not field or isinstance(field[0], tuple):  # an object list
            inner = " ".join(f"{dim} {self._field(number)}" for dim, number in field)
            return "{" + inner + "}"
        return _bare(field[0])

    def _emit(self, line: str) -> None:
        self._pending.append(line)
        self._lines += 1
        if len(self._pending) >= _FLUSH_LINES:
            self._flush()

    def _flush(self, *, final: bool = False) -> None:
        # The last line waits for the next flush: only then is it known whether a line end
        # follows it (FORTNOX style ends the file without one).
        lines = self._pending if final else self._pending[:-1]
        if not lines:
            return
        first = self._lines - len(self._pending) + 1
        try:
            data = to_cp437("\r\n".join(lines))
        except UnicodeEncodeError:
            data = b"\r\n".join(self._encode_reporting(first + i, line) for i, line in enumerate(lines))
        if not final or self.style.final_line_end:
            data += b"\r\n"
        self._target.write(data)
        self._pending = [] if final else self._pending[-1:]

    def _encode_reporting(self, number: int, line: str) -> bytes:
        data, missing = encode_cp437(line)
        if missing:
            self._log.warn(
                "sie.write-encoding",
                f"CP437 has no {', '.join(repr(ch) for ch in missing)}; written as '?'",
                line=number,
                label=line.split(" ", 1)[0],
            )
        return data


def _content(field: str | tuple) -> str | tuple[str, ...]:
    """What a field contributes to #KSUMMA: its text as written, object lists flattened."""
    if isinstance(field, str):
        return to_cp437(_clean(field), "replace").decode("cp437")
    if field and isinstance(field[0], tuple):
        return tuple(str(part) for pair in field for part in pair)
    return field[0] or "" if field else ()


def _bare(content: str | None) -> str:
    """A field that is never text (a number, a date, a code), as it is written."""
    if content is None:
        return '""'
    return content if content.isalnum() else _word(content)


def _word(text: str) -> str:
    """A field as written where quotes are not asked for: quoted only when it must be."""
    return _quoted(text) if _NEEDS_QUOTES.search(text) else _clean(text)


def _quoted(text: str) -> str:
    text = _clean(text)
    if "\\" in text:
        text = _BACKSLASH_TO_ESCAPE.sub(r"\\\\", text)
    return '"' + text.replace('"', '\\"') + '"'


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text) if not text.isprintable() else text


_DATES: dict[date, str] = {}


def _date(value: date | None) -> str:
    if value is None:
        return ""
    text = _DATES.get(value)
    if text is None:
        if len(_DATES) > 4096:
            _DATES.clear()
        text = _DATES[value] = f"{value.year:04d}{value.month:02d}{value.day:02d}"
    return text


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = str(value)  # as read: "-2200", "11441.2"; only computed values may need format()
    return format(value, "f") if "E" in text else text
