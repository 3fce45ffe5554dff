"""`/openapi.json`: an OpenAPI 3 description of what this mock implements, derived at run time
from its own routes and resource definitions (field names and types from each resource's
template, list rows from its list fields).

Why derived, not Fortnox's own file: the official spec carries no licence that allows
redistributing it, and the mock must run without the reference folder beside the repository.
The contract tests check the mock against the official spec itself.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app

from mockfortnox.resources import RESOURCES
from mockfortnox.resources.common import Resource, json_response
from mockfortnox.resources.files import CONNECTIONS
from mockfortnox.resources.vouchers import vouchers

bp = Blueprint("openapi", __name__)

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "ErrorInformation": {
            "type": "object",
            "description": "Keys are capitalised on 404 answers and lower case otherwise, as in Fortnox.",
        }
    },
}


def _schema_of(value: Any) -> dict:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, Decimal):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        return {"type": "array", "items": {}}
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: _schema_of(v) for k, v in value.items()}}
    return {"nullable": True}


def _record_schema(resource: Resource, fields: tuple[str, ...] | None = None) -> dict:
    names = fields if fields is not None else tuple(resource.template)
    properties = {"@url": {"type": "string"}}
    properties.update({n: _schema_of(resource.template.get(n)) for n in names})
    return {"type": "object", "properties": properties}


def _resources_by_path() -> dict[str, Resource]:
    everything = {**RESOURCES, vouchers.name: vouchers, **{c.name: c for c in CONNECTIONS}}
    return {f"/3/{name}": resource for name, resource in everything.items()}


def build_spec() -> dict:
    by_path = _resources_by_path()
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith(("/3/", "/api/")):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([A-Za-z_]+)>", r"{\1}", rule.rule)
        resource = next((r for p, r in by_path.items() if path == p or path.startswith(p + "/")), None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": rule.endpoint,
                "responses": {
                    "default": {
                        "description": "Fortnox error",
                        "content": {"application/json": {"schema": ERROR_SCHEMA}},
                    }
                },
            }
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"{([A-Za-z_]+)}", path)
            ]
            if parameters:
                operation["parameters"] = parameters
            if resource is not None:
                single = {"type": "object", "properties": {resource.singular: _record_schema(resource)}}
                if method == "GET" and path == f"/3/{resource.name}":
                    fields = getattr(resource, "list_fields", None)
                    listing = {
                        "type": "object",
                        "properties": {
                            "MetaInformation": {"type": "object"},
                            resource.plural: {"type": "array", "items": _record_schema(resource, fields)},
                        },
                    }
                    operation["responses"]["200"] = _json("List", listing)
                elif method == "DELETE":
                    operation["responses"]["204"] = {"description": "Deleted"}
                elif method == "POST" and path == f"/3/{resource.name}":
                    operation["requestBody"] = {"content": {"application/json": {"schema": single}}}
                    operation["responses"]["201"] = _json("Created", single)
                else:
                    if method == "PUT":
                        operation["requestBody"] = {"content": {"application/json": {"schema": single}}}
                    operation["responses"]["200"] = _json("The record", single)
            else:
                operation["responses"]["200"] = {"description": "OK"}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "mockfortnox",
            "version": "1",
            "description": "The part of the Fortnox API this mock implements; derived from its own code.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
    }


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@bp.get("/openapi.json")
def openapi_json():
    return json_response(build_spec())
