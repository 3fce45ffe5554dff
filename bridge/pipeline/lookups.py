"""Registers read once per file: a paged list instead of one GET per account or customer.

A file that needs 500 accounts, or 60 invoices for six customers, would ask Fortnox about each
one in turn. While the executor runs one file's documents it keeps a `RegisterIndex`: the
first look-up of a record by its number (`GET /3/accounts/1930?financialyear=1`) reads the
whole register instead (`GET /3/accounts?financialyear=1&limit=500`, page after page) when the
file has at least as many look-ups of that register still to make as the list has pages; the
later ones are answered from it, and what the file creates is added to it.

The index is a hint, never the last word: a record it holds is read again when a later step
needs a field that list rows leave out, and a record it does not hold is looked up once more
when Fortnox refuses to create it (someone else may have created it meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from bridge.fortnox import FortnoxClient

__all__ = ["LISTABLE", "RegisterIndex"]

PAGE = 500

# register → (the list's collection, the field a record is numbered by)
LISTABLE: dict[str, tuple[str, str]] = {
    "accounts": ("Accounts", "Number"),
    "projects": ("Projects", "ProjectNumber"),
    "costcenters": ("CostCenters", "Code"),
    "voucherseries": ("VoucherSeriesCollection", "Code"),
    "customers": ("Customers", "CustomerNumber"),
    "articles": ("Articles", "ArticleNumber"),
    "suppliers": ("Suppliers", "SupplierNumber"),
}

_UNKNOWN = object()


class _Listing:
    """What one list (a register with its parameters) told: its rows by number, and whether
    they are all of it."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.complete = False


class RegisterIndex:
    """The registers one file has read; `lookups_ahead(prefix)` says how many look-ups of
    `/3/<register>/` the file still has to make."""

    def __init__(self, client: FortnoxClient, lookups_ahead: Callable[[str], int]) -> None:
        self.client = client
        self.lookups_ahead = lookups_ahead
        self._lists: dict[_ListKey, _Listing] = {}

    def find(self, path: str, params: dict[str, Any]) -> Any:
        """The record `path` names (its list row), None when the register has no such record,
        or a mark that `unknown` recognises when the index cannot say (then look it up)."""
        place = _place(path, params)
        if place is None:
            return _UNKNOWN
        register, key, number = place
        listing = self._lists.get(key)
        if listing is None:
            listing = self._lists[key] = self._read(register, dict(key[1]))
        row = listing.rows.get(number)
        if row is not None:
            return row
        return None if listing.complete else _UNKNOWN

    def remember(self, path: str, params: dict[str, Any], record: dict[str, Any]) -> None:
        """A record the file created or changed, under the number `path` names."""
        place = _place(path, params)
        if place is not None and place[1] in self._lists:
            self._lists[place[1]].rows[place[2]] = record

    def _read(self, register: str, params: dict[str, str]) -> _Listing:
        listing = _Listing()
        wanted = self.lookups_ahead(f"/3/{register}/")
        if wanted < 2:
            return listing  # one look-up costs what a list costs
        collection, number_field = LISTABLE[register]
        page = 1
        while True:
            answer = self.client.get(f"/3/{register}", **params, limit=PAGE, page=page)
            for row in answer.get(collection, []):
                listing.rows[str(row.get(number_field))] = row
            pages = int((answer.get("MetaInformation") or {}).get("@TotalPages", 0) or 0)
            if page >= pages:
                listing.complete = True
                return listing
            if pages > wanted:  # more pages than look-ups: keep what was read, look up the rest
                return listing
            page += 1

    @staticmethod
    def unknown(answer: object) -> bool:
        return answer is _UNKNOWN


_ListKey = tuple[str, tuple[tuple[str, str], ...]]


def _place(path: str, params: dict[str, Any]) -> tuple[str, _ListKey, str] | None:
    """(register, the list's key, the record's number) for `/3/<register>/<number>[?query]`."""
    route, _, query = path.partition("?")
    parts = route.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "3" or parts[1] not in LISTABLE or not parts[2]:
        return None
    merged = {**dict(parse_qsl(query)), **{k: str(v) for k, v in params.items()}}
    return parts[1], (parts[1], tuple(sorted(merged.items()))), unquote(parts[2])
