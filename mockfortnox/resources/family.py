"""Declarative families: a resource described by its fields and rules, served by shared routes.

A family module names its fields in one compact string (taken from the record's schema in
Fortnox's spec), the fields a client must send, the registers its references must exist in,
and its actions; `crud_routes` (classic `/3/` API: envelopes, `@url`, MetaInformation) or
`service_routes` (the newer `/api/` services: bare camelCase JSON) serve it.

Field string tokens: `Name` text (""), `Name:n` number (0), `Name:i` integer (0),
`Name:b` / `Name:B` boolean (false / true), `Name:d` date (null), `Name:[]` list,
`Name:{}` object (null), `Name=VALUE` text with a default; a leading `!` marks a field the
client cannot write (the spec's response has it, its request body does not).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from flask import Blueprint, Response, g, request

from bridge.util import loads
from mockfortnox.errors import ApiError
from mockfortnox.resources.common import (
    Resource,
    check_numbers,
    json_response,
    list_response,
    lower_args,
    money,
)
from mockfortnox.state import Tenant

__all__ = ["Family", "Service", "fields", "list_only_route", "service_action", "service_routes"]

_KINDS: dict[str, Callable[[], Any]] = {
    "": str,
    "n": lambda: Decimal(0),
    "i": int,
    "b": lambda: False,
    "B": lambda: True,
    "d": lambda: None,
    "[]": list,
    "{}": lambda: None,
}


def fields(spec: str) -> tuple[dict[str, Any], frozenset[str], dict[str, str]]:
    """(template, read-only names, kind per name) from a field string (see the module doc)."""
    template: dict[str, Any] = {}
    read_only, kinds = set(), {}
    for token in spec.split():
        if token.startswith("!"):
            token = token[1:]
            name = token.partition(":")[0].partition("=")[0]
            read_only.add(name)
        name, _, default = token.partition("=")
        name, _, kind = name.partition(":")
        if kind not in _KINDS:
            raise ValueError(f"unknown field kind {kind!r} in {token!r}")
        template[name] = _KINDS[kind]() if not default else int(default) if kind == "i" else default
        kinds[name] = kind
    return template, frozenset(read_only), kinds


MAX_NUMBER = Decimal(10) ** 15  # past any amount or quantity a company books (invented bound)


def _coerce(kind: str, value: Any) -> Any:
    """A loosely typed value ("12", 12.0, "true") as the field's kind, the way Fortnox echoes
    it; ValueError when it is not one."""
    if value is None or value == "":
        return None if kind in ("d", "{}") else ({"n": Decimal(0), "i": 0}.get(kind, value))
    if kind in ("n", "i"):
        if isinstance(value, bool):
            raise ValueError(value)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(value) from None
        if (
            not number.is_finite()
            or abs(number) >= MAX_NUMBER
            or (kind == "i" and number != number.to_integral())
        ):
            raise ValueError(value)
        return money(number) if kind == "n" else int(number)
    if kind in ("b", "B"):
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise ValueError(value)
    if kind == "d":
        text = str(value)
        if len(text) != 10 or text[4] != "-" or text[7] != "-" or not text.replace("-", "").isdigit():
            raise ValueError(value)
    if kind == "[]" and not isinstance(value, list):
        raise ValueError(value)
    if kind == "" and isinstance(value, (dict, list)):
        raise ValueError(value)
    return value


class Family(Resource):
    """A resource whose fields come from a field string and whose rules are data:
    `required` (must be sent, non-blank), `references` (field → register that must hold
    the value), `unique` (no two records share the value), `choices` (field → allowed values),
    plus `rules()` for whatever is special."""

    fields: ClassVar[str]
    kinds: ClassVar[dict[str, str]]
    required: ClassVar[tuple[str, ...]] = ()
    references: ClassVar[dict[str, str]] = {}
    unique: ClassVar[tuple[str, ...]] = ()
    choices: ClassVar[dict[str, tuple[str, ...]]] = {}
    list_fields: ClassVar[tuple[str, ...]] = ()
    # The error answered for each broken rule (the newer services answer their own shape).
    errors: ClassVar[dict[str, str]] = {
        "required": "required_field", "invalid": "invalid_value", "reference": "reference_missing",
        "taken": "code_taken",
    }  # fmt: skip

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "fields" in cls.__dict__:
            cls.template, read_only, cls.kinds = fields(cls.fields)
            cls.read_only = read_only | cls.__dict__.get("read_only", frozenset())
        if "location" not in cls.__dict__ and "name" in cls.__dict__:
            cls.location = cls.name

    def create(self, tenant: Tenant, body: dict) -> dict:
        if self.key in self.read_only:  # a number the register gives, whatever the body says
            body = {k: v for k, v in body.items() if k != self.key}
        return super().create(tenant, body)

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        errors = self.errors
        for name, kind in self.kinds.items():
            if name in record and name != self.key:
                try:
                    record[name] = _coerce(kind, record[name])
                except ValueError:
                    raise ApiError(errors["invalid"], field=name, value=record[name]) from None
        for name in self.required:
            if record.get(name) in (None, "", []):
                raise ApiError(errors["required"], field=name)
        for name, allowed in self.choices.items():
            if record.get(name) not in (None, "", *allowed):
                raise ApiError(errors["invalid"], field=name, value=record[name])
        for name, table in self.references.items():
            value = record.get(name)
            if value not in (None, "", 0) and str(value) not in tenant.table(table):
                raise ApiError(errors["reference"], field=name, value=value)
        for name in self.unique:
            clash = any(
                str(other.get(name)).casefold() == str(record.get(name)).casefold()
                and str(other[self.key]) != str(record[self.key])
                for other in tenant.table(self.name).values()
            )
            if clash:
                raise ApiError(errors["taken"], field=name, value=record.get(name))
        if creating and str(record[self.key]) in tenant.table(self.name):
            raise ApiError(errors["taken"], field=self.key, value=record[self.key])
        if self.kinds.get(self.key) == "i":
            record[self.key] = int(record[self.key])
        self.rules(tenant, record, creating=creating)

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        """What is special about this family; raise ApiError when broken."""

    def list_row(self, record: dict) -> dict:
        if not self.list_fields:
            row = self.single(record)
            for name in self.list_strings:
                if isinstance(row.get(name), (int, Decimal)) and not isinstance(row[name], bool):
                    row[name] = str(row[name])
            return row
        return super().list_row(record)


def list_only_route(resource: Resource, produce: Callable[[Tenant], list[dict]] | None = None) -> Blueprint:
    """`GET /3/<name>` for a register that is only read (charts, print templates …)."""
    bp = Blueprint(resource.name, __name__)

    def listing():
        records = produce(g.tenant) if produce else resource.query(g.tenant, lower_args())
        return list_response(resource, records)

    bp.add_url_rule(
        f"/3/{resource.name}", f"{resource.name}_list", listing, methods=["GET"], strict_slashes=False
    )
    bp.scope = resource.scope
    return bp


# --- the newer /api/ services ----------------------------------------------------------------


class Service(Family):
    """A record of one of the newer services (warehouse, time reporting): camelCase JSON with
    no envelope, lists as bare arrays, `id` numbered from 1, errors as `{"error", "message", "id"}`.
    Fields never set are left out of the answer rather than sent as null."""

    key = "id"
    singular = plural = location = ""
    search: ClassVar[dict[str, str]] = {}
    not_found = "service_not_found"
    errors: ClassVar[dict[str, str]] = {
        "required": "service_required", "invalid": "service_invalid", "reference": "service_invalid",
        "taken": "service_invalid",
    }  # fmt: skip

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "fields" in cls.__dict__:  # unset text is left out of the answer, not sent as ""
            cls.template = {k: None if v == "" and cls.kinds[k] == "" else v for k, v in cls.template.items()}

    def url(self, record: dict) -> str:
        return ""

    def single(self, record: dict) -> dict:
        return self.decorate(record, {k: v for k, v in record.items() if k[0] != "_" and v not in (None, {})})

    def list_row(self, record: dict) -> dict:
        return self.single(record)

    def get(self, tenant: Tenant, key: str) -> dict:
        record = tenant.table(self.name).get(str(key))
        if record is None:
            raise ApiError(self.not_found)
        return record

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        records = list(tenant.table(self.name).values())
        for param, field_name in self.search.items():
            if param in args:
                wanted = args[param].casefold()
                records = [r for r in records if str(r.get(field_name) or "").casefold() == wanted]
        key = self.key
        return sorted(
            records, key=lambda r: (0, int(r[key]), "") if str(r[key]).isdigit() else (1, 0, str(r[key]))
        )

    def check_fields(self, body: dict) -> None:
        """The newer services ignore properties they do not know or that are theirs to set
        (invented: not recorded); the rest is checked by kind in `complete`."""
        for name in list(body):
            if name not in self.template or name in self.read_only or body[name] is None:
                body.pop(name)


def read_json(kind: type = dict, error: str = "service_bad_body") -> Any:
    """A bare JSON body (no envelope) of the given type, or the error `error`."""
    raw = request.get_data(cache=True)
    try:
        body = loads(raw) if raw.strip() else None
    except (ValueError, RecursionError):
        raise ApiError(error) from None
    if not isinstance(body, kind):
        raise ApiError(error)
    try:
        return check_numbers(body)
    except ApiError as refused:
        raise ApiError("service_invalid", field="number", value=refused.values.get("value")) from None


def service_routes(
    resource: Service,
    base: str,
    *,
    create: bool = True,
    update: bool = True,
    patch: bool = False,
    delete: bool = False,
    listing: bool = True,
) -> Blueprint:
    bp = Blueprint(resource.name.replace("/", "_"), __name__)
    endpoint = resource.name.replace("/", "_")

    def list_all():
        return json_response([resource.list_row(r) for r in resource.query(g.tenant, lower_args())])

    def single(key: str):
        return json_response(resource.single(resource.get(g.tenant, key)))

    def creating():
        return json_response(resource.single(resource.create(g.tenant, read_json())), 201)

    def updating(key: str):
        record = resource.get(g.tenant, key)
        return json_response(resource.single(resource.update(g.tenant, record, read_json())))

    def deleting(key: str):
        resource.delete(g.tenant, resource.get(g.tenant, key))
        return Response(status=204)

    if listing:
        bp.add_url_rule(base, f"{endpoint}_list", list_all, methods=["GET"])
    if create:
        bp.add_url_rule(base, f"{endpoint}_create", creating, methods=["POST"])
    bp.add_url_rule(f"{base}/<key>", f"{endpoint}_get", single, methods=["GET"])
    if update:
        bp.add_url_rule(f"{base}/<key>", f"{endpoint}_update", updating, methods=["PUT"])
    if patch:
        bp.add_url_rule(f"{base}/<key>", f"{endpoint}_patch", updating, methods=["PATCH"])
    if delete:
        bp.add_url_rule(f"{base}/<key>", f"{endpoint}_delete", deleting, methods=["DELETE"])
    bp.scope = resource.scope
    return bp


def service_action(
    bp: Blueprint,
    resource: Service,
    rule: str,
    run: Callable[[Tenant, dict], Any],
    method: str = "PUT",
) -> None:
    """`METHOD <rule>` (with `<key>`) → `run(tenant, record)`; the record itself answers 200
    with its view, None answers 204, anything else is sent as JSON."""

    def handler(key: str):
        record = resource.get(g.tenant, key)
        answer = run(g.tenant, record)
        if answer is None:
            return Response(status=204)
        if isinstance(answer, Response):
            return answer
        return json_response(resource.single(answer) if answer is record else answer)

    name = rule.strip("/").replace("/", "_").replace("<", "").replace(">", "")
    bp.add_url_rule(rule, f"{name}_{method.lower()}", handler, methods=[method])


def extra_action(
    bp: Blueprint,
    resource: Resource,
    action: str,
    run: Callable[[Tenant, dict], Any],
    method: str = "GET",
) -> None:
    """`METHOD /3/<name>/<key>/<action>` → `run(tenant, record)`, for an action that lives
    outside the resource's class; answers the record (or the Response `run` returns)."""

    def handler(key: str):
        record = resource.get(g.tenant, key)
        answer = run(g.tenant, record)
        if isinstance(answer, Response):
            return answer
        return json_response({resource.singular: resource.single(record)})

    bp.add_url_rule(
        f"/3/{resource.name}/<key>/{action}", f"{resource.name}_{action}", handler, methods=[method]
    )
