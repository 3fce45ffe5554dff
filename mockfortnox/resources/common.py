"""What every Fortnox resource shares: envelopes, list views, pagination, search, partial PUT.

A resource module describes its records (a `Resource` subclass holding the rules) and gets
thin routes from `crud_routes`; anything special (actions such as `bookkeep`) it adds itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, request

from bridge.util import dumps, dumps_fast, loads
from mockfortnox.errors import ApiError
from mockfortnox.state import MockState, Tenant

__all__ = [
    "API_BLANK",
    "FAST_ROOT",
    "NUMERIC_FIELDS",
    "Resource",
    "action_route",
    "api_root",
    "check_currency",
    "check_numbers",
    "check_rows",
    "check_value",
    "crud_routes",
    "current_state",
    "decimal",
    "excerpt",
    "in_range",
    "iso_date",
    "json_response",
    "list_response",
    "lower_args",
    "money",
    "numeric",
    "paginate",
    "read_body",
    "read_optional_body",
    "stamp",
    "today",
]

API_BLANK = "API_BLANK"
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(dumps_fast(payload), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def money(value: Any) -> Decimal:
    """A Decimal without trailing zeros, as Fortnox prints amounts (10, 1250.5)."""
    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    normal = number.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def decimal(value: Any) -> Decimal:
    """A number from a body or a record, however loosely typed (`"1250.50"`, 1250, null)."""
    if value in (None, ""):
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return numeric(value)


def read_optional_body(envelope: str) -> dict[str, Any]:
    """Actions such as `bookkeep` take an optional body with fields to change first."""
    if not request.get_data(cache=True).strip():
        return {}
    return read_body(envelope)


def read_body(envelope: str) -> dict[str, Any]:
    """The record inside `{"<Envelope>": {...}}`, or the Fortnox error for a bad body."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError("no_data")
    if request.mimetype and "json" not in request.mimetype:
        raise ApiError("invalid_content_type")  # docs: JSON only (XML is no longer served)
    try:
        body = loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
        raise ApiError("bad_json") from None
    if not isinstance(body, dict) or not isinstance(body.get(envelope), dict):
        raise ApiError("no_data")
    return check_numbers(body[envelope])


class Resource:
    """Rules for one kind of record. Subclasses fill in the class attributes and hooks."""

    name: ClassVar[str]  # path segment and table name, e.g. "customers"
    singular: ClassVar[str]  # envelope of one record, e.g. "Customer"
    plural: ClassVar[str]  # envelope of a list, e.g. "Customers"
    key: ClassVar[str]  # identifying field, e.g. "CustomerNumber"
    scope: ClassVar[str]
    not_found: ClassVar[str]  # name in errors.ERRORS
    location: ClassVar[str]  # the Location header Fortnox sends on create
    list_fields: ClassVar[tuple[str, ...]]
    template: ClassVar[dict[str, Any]]  # every field with its default; defines the known fields
    read_only: ClassVar[frozenset[str]] = frozenset()
    filters: ClassVar[dict[str, Callable[[dict], bool]]] = {}
    search: ClassVar[dict[str, str]] = {}  # query parameter -> field, matched as "contains"
    sort: ClassVar[dict[str, str]] = {}  # sortby value -> field
    date_field: ClassVar[str | None] = None  # what fromdate/todate compare
    deletable: ClassVar[bool] = False
    list_strings: ClassVar[tuple[str, ...]] = ()  # numbers Fortnox prints as strings in list rows
    created_status: ClassVar[int] = 201  # a few families answer a create with 200 (spec)
    deleted_status: ClassVar[int] = 204  # and a few a delete with an empty 200 (spec)
    body_envelope: ClassVar[str | None] = None  # when requests wrap the record unlike answers

    # --- hooks for subclasses ------------------------------------------------------------

    first_number: ClassVar[int] = 1

    def new_key(self, tenant: Tenant, body: dict) -> str:
        """The next number of the register's series that no record holds yet."""
        taken = tenant.table(self.name)
        while True:
            number = str(tenant.next_number(self.name, start=self.first_number))
            if number not in taken:
                return number

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        """Fill defaults and derived fields, check the rules; raise ApiError when broken."""

    def url(self, record: dict) -> str:
        return f"{api_root()}3/{self.name}/{quote(str(record[self.key]), safe='')}"

    def decorate(self, record: dict, view: dict) -> dict:
        return view

    # --- behaviour shared by every resource ------------------------------------------------

    def get(self, tenant: Tenant, key: str) -> dict:
        record = tenant.table(self.name).get(str(key))
        if record is None:
            raise ApiError(self.not_found)
        return record

    def create(self, tenant: Tenant, body: dict) -> dict:
        self.check_fields(body)
        check_currency(tenant, body.get("Currency"))
        record = self.fresh_template()
        record.update(self.apply_blanks(body, record))
        if not body.get(self.key):
            record[self.key] = self.new_key(tenant, body)
        record[self.key] = str(record[self.key])
        self.complete(tenant, record, creating=True)
        record["_created"] = record["_modified"] = stamp()
        return tenant.put(self.name, str(record[self.key]), record)

    def update(self, tenant: Tenant, record: dict, body: dict) -> dict:
        self.check_fields(body)
        check_currency(tenant, body.get("Currency"))
        changes = {k: v for k, v in self.apply_blanks(body, record).items() if k != self.key}
        candidate = {**record, **changes}
        self.complete(tenant, candidate, creating=False)
        record.clear()
        record.update(candidate)
        return self.save(tenant, record)

    def save(self, tenant: Tenant, record: dict) -> dict:
        """A record changed in place: stamp it (for `lastmodified`) and remember it for the state file."""
        record["_modified"] = stamp()
        tenant.touch(self.name, str(record[self.key]))
        return record

    def delete(self, tenant: Tenant, record: dict) -> None:
        tenant.remove(self.name, str(record[self.key]))

    def fresh_template(self) -> dict:
        return loads(dumps(self.template))

    def check_fields(self, body: dict) -> None:
        for field_name, value in body.items():
            if field_name.startswith("@") or field_name in self.read_only:
                continue
            if field_name not in self.template:
                raise ApiError("unknown_field", field=field_name)
            check_value(field_name, self.template[field_name], value)

    def apply_blanks(self, body: dict, record: dict) -> dict:
        """Writable fields of `body`; `API_BLANK` empties a field."""
        out = {}
        for field_name, value in body.items():
            if field_name.startswith("@") or field_name in self.read_only:
                continue
            out[field_name] = "" if value == API_BLANK else value
        return out

    def single(self, record: dict) -> dict:
        view = {"@url": self.url(record)}
        view.update({k: v for k, v in record.items() if k[0] != "_"})
        return self.decorate(record, view)

    def list_row(self, record: dict) -> dict:
        view = {"@url": self.url(record)}
        view.update((k, record.get(k)) for k in self.list_fields)
        for field_name in self.list_strings:
            if isinstance(view.get(field_name), (int, Decimal)) and not isinstance(view[field_name], bool):
                view[field_name] = str(view[field_name])
        return view

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        return self.filter_query(tenant.table(self.name).values(), args)

    def filter_query(self, records: Iterable[dict], args: dict[str, str]) -> list[dict]:
        """`filter`, search fields, `lastmodified`, `fromdate`/`todate`, then `sortby`."""
        if "filter" in args:
            predicate = self.filters.get(args["filter"])
            if predicate is None:
                raise ApiError("invalid_filter")
            records = [r for r in records if predicate(r)]
        for param, field_name in self.search.items():
            if param in args:
                needle = args[param].casefold()
                records = [r for r in records if needle in str(r.get(field_name) or "").casefold()]
        if "lastmodified" in args:
            since = _parse_timestamp(args["lastmodified"])
            records = [r for r in records if r.get("_modified", "") > since]
        if self.date_field:
            if "fromdate" in args:
                records = [r for r in records if str(r.get(self.date_field) or "") >= args["fromdate"]]
            if "todate" in args:
                records = [r for r in records if str(r.get(self.date_field) or "") <= args["todate"]]
        return self.ordered(list(records), args)

    def ordered(self, records: list[dict], args: dict[str, str]) -> list[dict]:
        sort_field = self.key
        if "sortby" in args:
            if args["sortby"] not in self.sort:
                raise ApiError("invalid_parameter")
            sort_field = self.sort[args["sortby"]]
        reverse = args.get("sortorder", "ascending") == "descending"
        return sorted(records, key=lambda r: _sort_key(r.get(sort_field)), reverse=reverse)


def _sort_key(value: Any) -> tuple:
    text = "" if value is None else str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text.casefold())


class CancelledNotDeleted:
    """Documents Fortnox never deletes: an unbooked one is cancelled, a booked one credited."""

    def cancel(self, tenant: Tenant, record: dict, body: dict) -> dict:
        if record["Booked"]:
            raise ApiError("document_booked")
        if record["Cancelled"]:
            raise ApiError("document_cancelled")
        record["Cancelled"] = True
        tenant.mark(self.name, str(record[self.key]), "cancelled")
        return self.save(tenant, record)


# The root of a request answered outside Flask (`mockfortnox.fastlane`), where `g` is not there.
FAST_ROOT: ContextVar[str | None] = ContextVar("FAST_ROOT", default=None)


def api_root() -> str:
    """`http://host:port/` of this request, as `@url` links start (werkzeug's `url_root`
    costs more than the rest of a small GET, so it is built once per request from the environ)."""
    root = FAST_ROOT.get()
    if root is not None:
        return root
    root = g.get("api_root")
    if root is None:
        environ = request.environ
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        root = g.api_root = f"{environ['wsgi.url_scheme']}://{host}{environ.get('SCRIPT_NAME', '')}/"
    return root


def current_state() -> MockState:
    return current_app.extensions["mockfortnox"]


def stamp() -> str:
    return current_state().clock.now().astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")


def _parse_timestamp(text: str) -> str:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).strftime("%Y-%m-%d %H:%M:%S.%f")
        except ValueError:
            continue
    raise ApiError("invalid_parameter")


# Fields that carry a number whatever their template default says (None, or "0" where Fortnox
# prints the number as a string): a body's value must read as one.
NUMERIC_FIELDS = frozenset(
    {
        "Account", "AccountNumber", "Amount", "AmountCurrency", "Credit", "CreditCurrency", "Debit",
        "DebitCurrency", "DeliveredQuantity", "Discount", "Freight", "Price", "Quantity", "Total", "VAT",
    }
)  # fmt: skip
# The largest magnitude and the finest fraction a body's number may have. Fortnox stores amounts
# and quantities as decimals far inside these; beyond them a number cannot be an amount, and
# written out in full (1e999999 is a million digits) it would be a denial of service.
MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 12
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def excerpt(value: Any, limit: int = 40) -> str:
    """A value as an error message quotes it: short, whatever was sent."""
    text = (
        value if isinstance(value, str) else dumps(value) if isinstance(value, (dict, list)) else str(value)
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def in_range(number: Decimal) -> bool:
    if not number.is_finite():
        return False
    if number.is_zero():
        return True
    exponent = number.as_tuple().exponent
    return number.adjusted() < MAX_INTEGER_DIGITS and -int(exponent) <= MAX_FRACTION_DIGITS


def check_numbers(body: Any) -> Any:
    """Every number anywhere in a parsed body within range, or 2000108 naming the first that is
    not (a number in a text field is stored and written back out, so all of them count)."""
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif _is_number(item) and not in_range(Decimal(item)):
            raise ApiError("not_numeric", value=excerpt(item))
    return body


def _is_number(item: Any) -> bool:
    return isinstance(item, Decimal) or (isinstance(item, int) and not isinstance(item, bool))


def numeric(value: Any) -> Decimal:
    """A body's number (1250, "1250.50") as a Decimal, or Fortnox's 2000108 naming the value."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise ApiError("not_numeric", value=excerpt(value))
    try:
        number = Decimal(value) if isinstance(value, int) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ApiError("not_numeric", value=excerpt(value)) from None
    if not in_range(number):
        raise ApiError("not_numeric", value=excerpt(value))
    return number


def iso_date(field_name: str, value: Any) -> str:
    """A date as Fortnox takes it, YYYY-MM-DD and a day the calendar has."""
    text = value if isinstance(value, str) else ""
    try:
        if _ISO_DATE.fullmatch(text):
            date.fromisoformat(text)
            return text
    except ValueError:
        pass
    raise ApiError("invalid_value", field=field_name, value=excerpt(value))


def check_value(field_name: str, default: Any, value: Any) -> None:
    """One field of a body against its template default: the right shape and form, or the
    Fortnox error that names it (never an exception further in, which would answer a 500)."""
    if value is None or value == API_BLANK:
        return
    if isinstance(default, bool):
        if not (isinstance(value, bool) or str(value).lower() in ("true", "false")):
            raise ApiError("not_boolean", value=excerpt(value))
    elif (
        isinstance(default, (int, Decimal)) and not isinstance(default, bool)
    ) or field_name in NUMERIC_FIELDS:
        if value != "":
            numeric(value)
    elif isinstance(default, dict):
        if not isinstance(value, dict):
            raise ApiError("no_data")
    elif isinstance(default, list):
        if not isinstance(value, list):
            raise ApiError("no_data")
    elif isinstance(value, (dict, list)):
        raise ApiError("no_data")  # a text field given an object or a list
    elif field_name.endswith("Date") and value != "":
        iso_date(field_name, value)


# ISO 4217's active codes: a currency Fortnox knows even before the company's register lists it.
ISO_CURRENCIES = frozenset(
    {
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
        "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
        "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
        "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG",
        "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF",
        "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
        "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO",
        "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
        "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
        "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD",
        "UYU", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL",
    }
)  # fmt: skip


def check_currency(tenant: Tenant, code: Any) -> None:
    """A currency named in a body must exist: an ISO 4217 code or one in the company's register."""
    if code in (None, "", API_BLANK):
        return
    if not isinstance(code, str) or (code not in ISO_CURRENCIES and code not in tenant.table("currencies")):
        raise ApiError("currency_not_found", status=400)


def check_rows(rows: Any, template: dict[str, Any], also: frozenset[str] = frozenset()) -> list[dict]:
    """A body's list of rows: a list of objects whose fields the row template (or `also`) knows,
    each of the right form."""
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ApiError("no_data")
    for row in rows:
        for field_name, value in row.items():
            if field_name not in template and field_name not in also:
                raise ApiError("unknown_field", field=field_name)
            check_value(field_name, template.get(field_name), value)
    return rows


def paginate(rows: list[dict], args: dict[str, str]) -> tuple[list[dict], dict]:
    """One page of `rows` and its MetaInformation, as Fortnox counts them."""
    try:
        limit = min(max(int(args.get("limit", DEFAULT_LIMIT)), 1), MAX_LIMIT)
        page = max(int(args.get("page", 1)), 1)
        offset = max(int(args.get("offset", 0)), 0)
    except ValueError:
        raise ApiError("invalid_parameter") from None
    total = len(rows)
    start = offset + (page - 1) * limit
    pages = -(-max(total - offset, 0) // limit)
    meta = {"@TotalResources": total, "@TotalPages": pages, "@CurrentPage": page}
    return rows[start : start + limit], meta


def lower_args() -> dict[str, str]:
    # Fortnox asks for lower-case parameter names but its own spec mixes cases.
    return {k.lower(): v for k, v in request.args.items()}


def list_response(resource: Resource, records: list[dict]) -> Response:
    page, meta = paginate(records, lower_args())
    # MetaInformation first, as recorded (and as at least one client depends on).
    return json_response({"MetaInformation": meta, resource.plural: [resource.list_row(r) for r in page]})


def crud_routes(resource: Resource, *, update: bool = True, create: bool = True) -> Blueprint:
    """Thin list/get/create/update/delete routes for a resource; the rules live in `resource`."""
    bp = Blueprint(resource.name, __name__)
    base = f"/3/{resource.name}"

    def listing():
        return list_response(resource, resource.query(g.tenant, lower_args()))

    def single(key: str):
        return json_response({resource.singular: resource.single(resource.get(g.tenant, key))})

    def creating():
        record = resource.create(g.tenant, read_body(resource.body_envelope or resource.singular))
        return json_response(
            {resource.singular: resource.single(record)},
            resource.created_status,
            {"Location": resource.location},
        )

    def updating(key: str):
        record = resource.get(g.tenant, key)
        resource.update(g.tenant, record, read_body(resource.body_envelope or resource.singular))
        return json_response({resource.singular: resource.single(record)})

    def deleting(key: str):
        resource.delete(g.tenant, resource.get(g.tenant, key))
        return Response(status=resource.deleted_status, mimetype="application/json")

    bp.add_url_rule(base, f"{resource.name}_list", listing, methods=["GET"], strict_slashes=False)
    bp.add_url_rule(f"{base}/<key>", f"{resource.name}_get", single, methods=["GET"], strict_slashes=False)
    if create:
        bp.add_url_rule(base, f"{resource.name}_create", creating, methods=["POST"], strict_slashes=False)
    if update:
        bp.add_url_rule(
            f"{base}/<key>", f"{resource.name}_update", updating, methods=["PUT"], strict_slashes=False
        )
    if resource.deletable:
        bp.add_url_rule(
            f"{base}/<key>", f"{resource.name}_delete", deleting, methods=["DELETE"], strict_slashes=False
        )
    bp.scope = resource.scope  # read by the app's scope check
    return bp


def action_route(bp: Blueprint, resource: Resource, action: str, method: str = "PUT") -> None:
    """`METHOD /3/<name>/<key>/<action>` → `resource.<action>(tenant, record, body)`; the answer
    is the record (or, for documents such as PDFs, whatever Response the action returns)."""

    def run(key: str):
        record = resource.get(g.tenant, key)
        body = read_optional_body(resource.singular) if method == "PUT" else {}
        answer = getattr(resource, action)(g.tenant, record, body)
        if isinstance(answer, Response):
            return answer
        return json_response({resource.singular: resource.single(answer)})

    bp.add_url_rule(
        f"/3/{resource.name}/<key>/{action}",
        f"{resource.name}_{action}",
        run,
        methods=[method],
        strict_slashes=False,
    )


def today() -> date:
    return current_state().clock.today()
