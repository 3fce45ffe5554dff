"""Reading SIE files: records one at a time, vouchers whole, in constant memory.

    reader = SieReader("bokslut.se")
    for record in reader:          # Value, Program, AccountFact, …, Voucher (with its rows)
        ...
    reader.problems, reader.encoding, reader.checksum

The reader is lenient: whatever is wrong becomes a `SieProblem` with its line, label and field,
and reading goes on with the best reading of the line. `strict=True` raises `SieError` at the
first error instead. `bridge.sie.read()` builds a whole `SieDocument` from a reader.

Speed. A big file is almost all voucher rows, so a voucher whose block holds only plain #TRANS
rows is read whole, and rows, #VER lines, balances, #KONTO and #SRU have fast paths of their own
(`bridge.sie.fast`). Anything a fast path is not sure about goes through the exact tokenizer,
which also does all the reporting.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import BinaryIO

from bridge.sie.checks import check_file, check_record
from bridge.sie.checksum import ChecksumResult, ChecksumStatus, Crc
from bridge.sie.encodings import FieldDecoder, codec_for, sniff_encoding
from bridge.sie.fast import FastPaths
from bridge.sie.labels import LABELS, ROW_LABELS, build_record
from bridge.sie.lexer import iter_line_chunks, split_record
from bridge.sie.problems import ProblemLog, SieProblem
from bridge.sie.records import Checksum, Record, Transaction, UnknownRecord, Voucher, book_rows
from bridge.util.i18n import N_

__all__ = ["SieReader", "Source"]

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO

_AMOUNT = itemgetter(3)
_ZERO = Decimal(0)
_new = tuple.__new__  # builds a record from a tuple without the Python-level __new__

# What the first four characters of a line say about the fast path to take.
_ROW, _CORRECTION, _VER, _OPEN, _CLOSE, _BALANCE, _FACT = range(7)
_FAST = {
    "#TRA": _ROW,
    "#RTR": _CORRECTION,
    "#BTR": _CORRECTION,
    "#VER": _VER,
    "{": _OPEN,
    "{\r": _OPEN,
    "}": _CLOSE,
    "}\r": _CLOSE,
    **dict.fromkeys(("#IB ", "#IB\t", "#UB ", "#UB\t", "#RES", "#OIB", "#OUB", "#PSA", "#PBU"), _BALANCE),
    **dict.fromkeys(("#KON", "#SRU"), _FACT),
}


class SieReader:
    """An iterable over the records of one SIE file; see the module docstring."""

    def __init__(self, source: Source, *, strict: bool = False) -> None:
        self.source = source
        self.log = ProblemLog(strict=strict)
        self.encoding: str | None = None
        self.checksum = ChecksumResult()
        self.counts: Counter[str] = Counter()  # records read by label, vouchers and rows aside
        self.vouchers = 0
        self.rows = 0
        self.sie_type: int | None = None
        self._started = False
        self._decoder = FieldDecoder("cp437")

    @property
    def problems(self) -> tuple[SieProblem, ...]:
        return self.log.problems

    def __iter__(self) -> Iterator[Record]:
        if self._started:
            raise RuntimeError("a SieReader reads its source once; make a new one")
        self._started = True
        with _binary(self.source) as stream:
            file_encoding = sniff_encoding(stream)
            self._decoder = FieldDecoder(file_encoding)
            self.encoding = file_encoding
            yield from self._records(stream, codec_for(file_encoding))
        self.encoding = self._decoder.encoding
        self._report_encoding()

    # -- the loop ------------------------------------------------------------------------

    def _records(self, stream: BinaryIO, codec: str) -> Iterator[Record]:
        log = self.log
        fast = _FAST
        head: tuple | None = None  # the open voucher's #VER fields …
        head_line = 0  # … and where it stands
        rows: list[Transaction] | None = None  # its rows, once its '{' was read
        corrected = False  # it has #RTRANS/#BTRANS rows
        skipping = False  # inside a '{ }' block that belongs to an unknown record
        after_unknown = False
        crc: Crc | None = None
        started = False
        line = ""
        number = 0
        vouchers = rows_read = 0  # counted here, added to self.vouchers/self.rows per chunk
        fast_paths = FastPaths(self._decoder)
        fast_row, fast_head, fast_balance = fast_paths.row, fast_paths.head, fast_paths.balance
        fast_block, fast_fact = fast_paths.block, fast_paths.account_fact
        for first, lines in iter_line_chunks(stream, codec, self._decoder.inspect):
            self.vouchers += vouchers
            self.rows += rows_read
            vouchers = rows_read = 0
            number = first - 1
            line_iter = iter(lines)
            for line in line_iter:
                number += 1
                kind = fast.get(line[:4])
                if kind is None and line[:1] in (" ", "\t"):
                    line = line.strip()
                    kind = fast.get(line[:4])
                if kind is _VER:
                    if started and not skipping:
                        new_head = fast_head(line, number)
                        if new_head is not None:
                            after_unknown = False
                            if head is not None:
                                yield self._voucher(head, head_line, rows, corrected, False)
                            block_rows = fast_block(lines, number - first + 1, number + 1)
                            if block_rows is None:
                                head, head_line, rows = new_head, number, None
                                continue
                            # The whole voucher at once: its '{', plain #TRANS rows and '}'.
                            voucher = _new(Voucher, (*new_head, block_rows, number))
                            if sum(map(_AMOUNT, block_rows), _ZERO):
                                self._check_balance(voucher)
                            vouchers += 1
                            rows_read += len(block_rows)
                            taken = len(block_rows) + 2
                            next(islice(line_iter, taken, taken), None)  # past the block's lines
                            number += taken
                            head, rows = None, None
                            yield voucher
                            continue
                elif kind is _ROW:
                    if rows is not None:
                        row = fast_row(line, number)
                        if row is not None:
                            rows.append(row)
                            continue
                elif kind is _CLOSE:  # the line is "}" (perhaps with its CR): nothing else is that short
                    if rows is not None:
                        if rows and not corrected:  # the usual voucher, closed here to save calls
                            voucher = _new(Voucher, (*head, tuple(rows), head_line))  # type: ignore[misc]
                            try:
                                if sum(map(_AMOUNT, rows), _ZERO):
                                    self._check_balance(voucher)
                            except TypeError:  # a row without an amount, reported when read
                                self._check_balance(voucher)
                            vouchers += 1
                            rows_read += len(rows)
                            yield voucher
                        else:
                            yield self._voucher(head, head_line, rows, corrected, True)  # type: ignore[arg-type]
                        head, rows = None, None
                        continue
                elif kind is _OPEN:
                    if head is not None and rows is None:
                        rows, corrected = [], False
                        continue
                elif kind is _CORRECTION:
                    if rows is not None:
                        row = fast_row(line, number)
                        if row is not None:
                            rows.append(row)
                            corrected = True
                            continue
                elif kind is _BALANCE and head is None and started and not skipping:
                    balance = fast_balance(line, number)
                    if balance is not None:
                        self.counts[balance.label] += 1
                        after_unknown = False
                        yield balance
                        continue
                elif kind is _FACT and head is None and started and not skipping:
                    fact = fast_fact(line, number)
                    if fact is not None:
                        self.counts[fact.label] += 1
                        after_unknown = False
                        yield fact
                        continue

                # The exact path: everything else, and whatever the fast path declined.
                label, fields, kinds, complaints = split_record(line)
                if not started:
                    if not label:
                        if complaints:
                            log.add("sie.not-sie", "this is not a SIE file: " + complaints[0], line=number)
                            return
                        continue
                    if label[0] != "#":
                        log.add(
                            "sie.not-sie", f"this is not a SIE file: it starts with {label!r}", line=number
                        )
                        return
                    started = True
                    if label != "#FLAGGA":
                        log.warn(
                            "sie.structure", "#FLAGGA should be the first record", line=number, label=label
                        )
                if complaints:
                    for complaint in complaints:
                        log.add("sie.syntax", complaint, line=number, label=label)
                if not label:
                    continue
                if skipping:
                    skipping = label != "}"
                    continue
                if crc is not None and label not in ("{", "}", "#KSUMMA"):
                    crc.add(label, fields)

                if label == "{":
                    if head is not None and rows is None:
                        rows, corrected = [], False
                    elif after_unknown:
                        skipping = True
                    else:
                        log.add("sie.structure", "a '{' block with no #VER before it; skipped", line=number)
                        skipping = True
                elif label == "}":
                    if rows is not None:
                        yield self._voucher(head, head_line, rows, corrected, True)  # type: ignore[arg-type]
                        head, rows = None, None
                    else:
                        log.add("sie.structure", "a '}' with no '{' before it", line=number)
                elif label in ROW_LABELS:
                    row = build_record(label, fields, kinds, number, log, self._decoder)
                    if rows is None and head is not None:
                        log.warn(
                            "sie.structure",
                            "the '{' before this voucher's rows is missing",
                            line=number,
                            label=label,
                        )
                        rows, corrected = [], False
                    if rows is None:
                        log.add(
                            "sie.structure", f"{label} outside a voucher; ignored", line=number, label=label
                        )
                    else:
                        rows.append(row)
                        corrected = corrected or label != "#TRANS"
                else:
                    if head is not None:
                        yield self._voucher(head, head_line, rows, corrected, False)
                        head, rows = None, None
                    after_unknown = label not in LABELS
                    if label == "#VER":
                        head, head_line = (
                            build_record(label, fields, kinds, number, log, self._decoder),
                            number,
                        )
                        continue
                    if after_unknown:
                        log.warn(
                            "sie.unknown-label",
                            f"{label} is not a SIE 4 label; kept, not used",
                            line=number,
                            label=label,
                        )
                        self.counts[label] += 1
                        yield UnknownRecord(label, tuple(fields), number)
                        continue
                    record = build_record(label, fields, kinds, number, log, self._decoder)
                    self.counts[label] += 1
                    check_record(record, log)
                    if label == "#SIETYP" and self.sie_type is None:
                        self.sie_type = record.value
                    if label == "#KSUMMA":
                        crc = self._checksum(record, crc, codec)
                        fast = _FAST if crc is None else {}  # the checksum needs every field as written
                    yield record
        if head is not None:
            yield self._voucher(head, head_line, rows, corrected, False)
        self.vouchers += vouchers
        self.rows += rows_read
        if crc is not None:
            self.checksum = ChecksumResult(ChecksumStatus.TRUNCATED)
            log.add(
                "sie.checksum",
                "the file opens a #KSUMMA checksum but never closes it: it was cut short",
                line=number,
            )
        if not started:
            log.add("sie.not-sie", "this is not a SIE file: it has no records", line=number or None)
        else:
            check_file(self.counts, self.sie_type, self.vouchers, log)

    # -- vouchers, checksum, encoding --------------------------------------------------------

    def _voucher(
        self, head: tuple, line: int, rows: list[Transaction] | None, corrected: bool, closed: bool
    ) -> Voucher:
        voucher = _new(Voucher, (*head, tuple(rows or ()), line))
        self.vouchers += 1
        self.rows += len(voucher.rows)
        if rows is not None and not closed:
            self.log.add(
                "sie.structure", f"voucher {voucher.key} is not closed with '}}'", line=line, label="#VER"
            )
        elif not rows:
            self.log.warn("sie.structure", f"voucher {voucher.key} has no rows", line=line, label="#VER")
        if corrected:
            self._check_twins(book_rows(voucher.rows)[1])
        self._check_balance(voucher)
        return voucher

    def _check_balance(self, voucher: Voucher) -> None:
        total = voucher.balance
        if total:
            self.log.add(
                "sie.unbalanced",
                f"voucher {voucher.key} does not balance: its rows sum to {total}",
                line=voucher.line,
                label="#VER",
                hint=N_("the amounts of a voucher's #TRANS rows must add up to 0"),
            )

    def _check_twins(self, pairs: list[tuple[Transaction, Transaction | None]]) -> None:
        for added, twin in pairs:
            if twin is None:
                self.log.warn(
                    "sie.rtrans-twin",
                    "no #TRANS twin follows this #RTRANS; it is booked as an added row",
                    line=added.line,
                    label="#RTRANS",
                )
                continue
            differences = [
                f"{name} {getattr(added, name)} vs {getattr(twin, name)}"
                for name in ("account", "objects", "amount", "quantity")
                if getattr(added, name) != getattr(twin, name)
            ]
            if differences:
                self.log.warn(
                    "sie.rtrans-twin",
                    f"this #RTRANS and the #TRANS after it differ ({'; '.join(differences)}); the #RTRANS is booked",
                    line=added.line,
                    label="#RTRANS",
                )

    def _checksum(self, record: Checksum, crc: Crc | None, codec: str) -> Crc | None:
        if record.value is None:
            if crc is not None:
                self.log.warn(
                    "sie.checksum",
                    "a second opening #KSUMMA; the sum goes on",
                    line=record.line,
                    label="#KSUMMA",
                )
            return crc or Crc(codec)
        if crc is None:
            self.checksum = ChecksumResult(
                ChecksumStatus.UNVERIFIABLE, record.value, note="no opening #KSUMMA"
            )
            self.log.warn(
                "sie.checksum",
                "a closing #KSUMMA without an opening one cannot be checked",
                line=record.line,
                label="#KSUMMA",
            )
            return None
        self.checksum = crc.result(record.value)
        status = self.checksum.status
        if status is ChecksumStatus.INVALID:
            self.log.add(
                "sie.checksum",
                f"the #KSUMMA checksum does not match (file says {record.value}, contents give "
                f"{self.checksum.computed}): the file was changed after it was written",
                line=record.line,
                label="#KSUMMA",
            )
        elif status is ChecksumStatus.UNVERIFIABLE:
            self.log.warn(
                "sie.checksum",
                f"#KSUMMA cannot be checked: {self.checksum.note}",
                line=record.line,
                label="#KSUMMA",
            )
        return None

    def _report_encoding(self) -> None:
        decoder = self._decoder
        if decoder.damaged_lines:
            self.log.warn(
                "sie.encoding",
                f"{decoder.damaged_lines} line(s) hold U+FFFD replacement characters: letters such as å, ä, ö "
                "were lost before the file reached us",
                line=decoder.first_damaged_line,
                hint=N_("ask for a new export from the program that wrote the file"),
            )
        if decoder.file_encoding.startswith("utf-8"):
            self.log.warn(
                "sie.encoding",
                "the file is UTF-8, but SIE files are CP437 (#FORMAT PC8); read as UTF-8",
                hint=N_("most programs read such files with garbled å, ä, ö; ask for a CP437 export"),
            )
        elif decoder.windows_1252_fields:
            self.log.warn(
                "sie.encoding",
                f"{decoder.windows_1252_fields} text field(s) are Windows-1252, not CP437; read as Windows-1252",
                line=decoder.first_windows_1252_line,
            )


@contextmanager
def _binary(source: Source) -> Iterator[BinaryIO]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            yield handle
    elif source.seekable():
        yield source
    else:  # a pipe: the encoding sniff needs to look ahead, so take it in
        yield io.BytesIO(source.read())
