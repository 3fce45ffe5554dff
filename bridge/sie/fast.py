"""The reader's fast paths: voucher rows, #VER lines and balances without the exact tokenizer.

A large file is nearly all voucher rows, and most lines look alike: `#TRANS 1930 {} -2200 "" "" 0`.
Each function here reads one kind of line with plain string splitting and remembers what it has
converted before (dates, what comes before a row's amount, what follows it), and returns None
for anything it is not sure about — those lines then go through the exact tokenizer, which also
does all the reporting. The corpus tests hold every path to the same result on every real file.

`block` reads a voucher's rows from '{' to '}' in one tight loop. It exists because the
interpreter's cost per line (dispatch, a call per row) was most of the reader's time; a row in a
block costs one partition, one split, two cache look-ups and the Decimal. Measured alternatives
that were slower here: one regular expression over a whole chunk (the `re` engine alone costs
more per row than this loop) and column-wise `map`/`zip` pipelines (they keep a chunk's worth
of tuples alive, and the cyclic garbage collector walks them over and over).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from bridge.sie.encodings import FieldDecoder
from bridge.sie.labels import ROW_LABELS, decode_object_ids
from bridge.sie.lexer import plain_fields
from bridge.sie.records import (
    AccountFact,
    Balance,
    ObjectBalance,
    ObjectList,
    PeriodBalance,
    Transaction,
)
from bridge.sie.values import AMOUNT_CHARS, DIGITS, parse_date, parse_objects

__all__ = ["FastPaths"]

_CACHE_LIMIT = 4096  # entries per conversion cache: enough for any real file's repetition
_new = tuple.__new__  # builds a record from a tuple without the Python-level __new__

# (label, fields before the amount) of a balance record, and what it makes
_BALANCE_KINDS = {
    **{(label, 3): Balance for label in ("#IB", "#UB", "#RES")},
    **{(label, 3): ObjectBalance for label in ("#OIB", "#OUB")},
    **{(label, 4): PeriodBalance for label in ("#PSALDO", "#PBUDGET")},
}


class FastPaths:
    """The fast readers of one file, with their caches (kept small: memory stays flat)."""

    def __init__(self, decoder: FieldDecoder) -> None:
        self._decoder = decoder
        self._dates: dict[str, date] = {}
        self._objects: dict[str, ObjectList] = {}
        self._tails: dict[str, tuple] = {}
        self._prefixes: dict[str, tuple] = {}  # a row's text before its amount → label, account, objects
        self._years = {str(year): year for year in range(-20, 1)}  # financial year indexes

    def row(self, line: str, number: int) -> Transaction | None:
        """A voucher row, if it is plain; None sends the line to the exact path."""
        left, _, right = line.partition("}")
        head, brace, inside = left.partition("{")
        rest = right.split(None, 1)
        try:
            label, account = head.split()
            amount_text = rest[0]
        except (ValueError, IndexError):
            return None
        if not brace or label not in ROW_LABELS:
            return None
        if account.strip(DIGITS) or not account:
            account = _plain_token(account)  # type: ignore[assignment]
            if not account or account.strip(DIGITS):
                return None
        if amount_text.strip(AMOUNT_CHARS):
            amount_text = _plain_token(amount_text)  # type: ignore[assignment]
            if not amount_text or amount_text.strip(AMOUNT_CHARS):
                return None
        try:
            amount = Decimal(amount_text)
        except InvalidOperation:
            return None
        objects = (self._objects.get(inside) or self._objects_of(inside, number)) if inside else ()
        tail = rest[1] if len(rest) == 2 else ""
        known = self._tails.get(tail) or self._tail(tail, number)
        if objects is None or known is None:
            return None
        return _new(Transaction, (label, account, objects, amount, *known, number))

    def block(self, lines: list[str], start: int, number: int) -> tuple[Transaction, ...] | None:
        """The #TRANS rows of the voucher block that opens with `lines[start]` (line `number`)
        and closes on the line after them; None when the block is not all plain #TRANS rows, or
        does not end in `lines` — the reader then reads it line by line."""
        opening = lines[start] if start < len(lines) else None
        if opening == "{\r":
            closing = "}\r"
        elif opening == "{":
            closing = "}"
        else:
            return None
        try:
            end = lines.index(closing, start + 1)
        except ValueError:
            return None
        prefixes, tails, new, row = self._prefixes, self._tails, _new, Transaction
        rows: list[Transaction] = []
        append = rows.append
        try:
            for line in lines[start + 1 : end]:
                number += 1
                left, _, right = line.partition("}")
                prefix = prefixes.get(left) or self._prefix(left, number)
                rest = right.split(None, 1)
                amount_text = rest[0]
                tail = rest[1] if len(rest) == 2 else ""
                known = tails.get(tail) or self._tail(tail, number)
                if prefix is None or known is None or amount_text.strip(AMOUNT_CHARS):
                    return None
                label, account, objects = prefix
                when, text, quantity, signature = known
                append(
                    new(
                        row,
                        (
                            label,
                            account,
                            objects,
                            Decimal(amount_text),
                            when,
                            text,
                            quantity,
                            signature,
                            number,
                        ),
                    )
                )
        except (IndexError, InvalidOperation):  # no amount; an amount Decimal does not take
            return None
        if not rows:
            return None  # a voucher without rows is reported by the exact path
        return tuple(rows)

    def _prefix(self, left: str, number: int) -> tuple | None:
        """Label, account and objects from a #TRANS row's text up to its object list's '}'."""
        head, brace, inside = left.partition("{")
        words = head.split()
        if not brace or len(words) != 2 or words[0] != "#TRANS":
            return None
        account = _plain_token(words[1])
        if not account or account.strip(DIGITS):
            return None
        objects = (self._objects.get(inside) or self._objects_of(inside, number)) if inside else ()
        if objects is None:
            return None
        value = ("#TRANS", account, objects)
        _remember(self._prefixes, left, value)
        return value

    def balance(self, line: str, number: int) -> Balance | ObjectBalance | PeriodBalance | None:
        """#IB, #UB, #RES, #OIB, #OUB, #PSALDO or #PBUDGET, if the line is plain."""
        left, brace, right = line.partition("{")
        inside, closing, rest = right.partition("}")
        head = plain_fields(left)
        money = plain_fields(rest) if brace else []
        if head is None or money is None or (brace and not closing):
            return None
        if not brace:  # #IB/#UB/#RES: label, year, account, amount [quantity]
            head, money = head[:3], head[3:]
        label = head[0]
        kind = _BALANCE_KINDS.get((label, len(head)))
        if kind is None or not 1 <= len(money) <= 2 or (kind is Balance) is bool(brace):
            return None
        account = head[-1]
        year = self._years.get(head[1])
        if year is None or not account or account.strip(DIGITS):
            return None
        if kind is PeriodBalance:
            period = head[2]
            if len(period) != 6 or period.strip(DIGITS) or not "01" <= period[4:] <= "12":
                return None
        objects = (self._objects.get(inside) or self._objects_of(inside, number)) if inside.strip() else ()
        amount = self._amount(money[0])
        quantity = self._amount(money[1]) if len(money) == 2 else None
        if objects is None or amount is None or (quantity is None and len(money) == 2):
            return None
        if kind is Balance:
            return _new(Balance, (label, year, account, amount, quantity, number))
        if kind is ObjectBalance:
            return _new(ObjectBalance, (label, year, account, objects, amount, quantity, number))
        return _new(PeriodBalance, (label, year, head[2], account, objects, amount, quantity, number))

    def account_fact(self, line: str, number: int) -> AccountFact | None:
        """#KONTO 1930 "Bank" or #SRU 1930 7281, if the line is that plain; else None."""
        before, quote, rest = line.partition('"')
        words = before.split()
        if quote:  # `#KONTO 1930 "Bank"`: one quoted text, nothing after it
            text, closing, after = rest.partition('"')
            if len(words) != 2 or words[0] != "#KONTO" or not closing or after.strip() or "\\" in text:
                return None
            label, account = words
        elif (
            len(words) == 3
            and words[0] == "#SRU"
            and "\\" not in line
            and "{" not in line
            and "}" not in line
        ):
            label, account, text = words
        else:
            return None
        if not account or account.strip(DIGITS) or not text:
            return None
        if not text.isascii():
            text = self._decoder.text(text, number)
        return _new(AccountFact, (label, account, text, number))

    @staticmethod
    def _amount(text: str) -> Decimal | None:
        if not text or text.strip(AMOUNT_CHARS):
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            return None

    def _objects_of(self, inside: str, number: int) -> ObjectList | None:
        items = plain_fields(inside)
        if items is None:
            return None
        try:
            objects = decode_object_ids(parse_objects(tuple(items)), self._decoder, number)
        except ValueError:
            return None
        _remember(self._objects, inside, objects)
        return objects

    def _tail(self, tail: str, number: int) -> tuple | None:
        """Row date, text, quantity and signature from what follows the amount."""
        fields = plain_fields(tail)
        if fields is None or len(fields) > 4:
            return None
        fields += [""] * (4 - len(fields))
        when_text, text, quantity_text, signature = fields
        when = (self._dates.get(when_text) or self._date(when_text)) if when_text else None
        if when_text and when is None:
            return None
        quantity = self._amount(quantity_text) if quantity_text else None
        if quantity_text and quantity is None:
            return None
        decode = self._decoder.text
        values = (
            when,
            text if text.isascii() else decode(text, number),
            quantity,
            signature if signature.isascii() else decode(signature, number),
        )
        _remember(self._tails, tail, values)
        return values

    def head(self, line: str, number: int) -> tuple | None:
        """#VER's fields, if the line is plain; None sends it to the exact path."""
        before, _, rest = line.partition('"')
        text, closed, after = rest.partition('"')
        words = before.split()
        if (  # the usual line, `#VER A 12 20250131 "text" 20250205`, in as few steps as it takes
            closed
            and len(words) == 4
            and '"' not in after
            and "\\" not in line
            and "{" not in line
            and "}" not in line
            and before.isascii()
        ):
            label, series, voucher_number, date_text = words
            registration_text = after.strip()
            when = self._dates.get(date_text) or self._date(date_text)
            registered = (
                (self._dates.get(registration_text) or self._date(registration_text))
                if registration_text
                else None
            )
            if label == "#VER" and when is not None and (registered is not None or not registration_text):
                if not text.isascii():
                    text = self._decoder.text(text, number)
                return series, voucher_number, when, text, registered, ""
        parts = line.split('"')
        if len(parts) == 3 and "\\" not in line and "{" not in line and "}" not in line:
            fields = parts[0].split()  # the usual line: only the voucher text is quoted
            fields.append(parts[1])
            fields += parts[2].split()
        else:
            fields = plain_fields(line)  # type: ignore[assignment]
            if fields is None:
                return None
        if not 4 <= len(fields) <= 7 or fields[0] != "#VER":
            return None
        fields += [""] * (7 - len(fields))
        _, series, voucher_number, date_text, text, registration_text, signature = fields
        when = self._dates.get(date_text) or self._date(date_text)
        registered = (
            (self._dates.get(registration_text) or self._date(registration_text))
            if registration_text
            else None
        )
        if when is None or (registration_text and registered is None):
            return None
        if not text.isascii():
            text = self._decoder.text(text, number)
        if not (series + voucher_number + signature).isascii():
            decode = self._decoder.text
            series, voucher_number, signature = (
                v if v.isascii() else decode(v, number) for v in (series, voucher_number, signature)
            )
        return series, voucher_number, when, text, registered, signature

    def _date(self, text: str) -> date | None:
        try:
            when = parse_date(text)
        except ValueError:
            return None
        _remember(self._dates, text, when)
        return when


def _plain_token(token: str) -> str | None:
    """A bare word, or a quoted one without escapes: its text; None for anything else."""
    if '"' in token:
        if len(token) < 2 or token[0] != '"' or token[-1] != '"' or token.count('"') != 2:
            return None
        token = token[1:-1]
    if "\\" in token or "{" in token or "}" in token:
        return None
    return token


def _remember(cache: dict, key: str, value: object) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
