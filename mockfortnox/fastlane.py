"""The hot path: `GET /3/<register>/<key>` of one record, answered without Flask's machinery.

A client that syncs reads one record after another, and for those Flask's request context,
URL matching, hooks and response object cost several times what the answer itself does
(`bench/bench_mock.py` measures the mock against a trivial app on the same server). This
layer answers exactly what the Flask route answers — the same checks in the same order, the
same body and headers — for the plain single-record reads only, and hands everything else
to Flask unchanged: any other method, a query string, a path it does not know, and every
request that is not plainly allowed (no or a bad token, a missing licence or scope), so that
refusals keep coming from one place. It sits inside the fault and request-log layer, so faults
and the log see these requests as they see all others.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from bridge.util import dumpb
from mockfortnox.errors import ApiError
from mockfortnox.resources.common import FAST_ROOT, Resource
from mockfortnox.resources.invoices import Invoices
from mockfortnox.state import MockState

__all__ = ["FastReads"]

StartResponse = Callable[..., Any]
# Resources whose `decorate` reads nothing but the record and its view.
PLAIN_DECORATIONS: tuple[type, ...] = (Invoices,)
STATUS_LINES = {200: "200 OK", 404: "404 NOT FOUND", 500: "500 INTERNAL SERVER ERROR"}


class FastReads:
    def __init__(
        self, app: Flask, flask_wsgi: Callable, state: MockState, resources: dict[str, Resource]
    ) -> None:
        self.flask_wsgi = flask_wsgi
        self.app = app
        self.state = state
        self.readers = self._plain_readers(app, resources)

    @staticmethod
    def _plain_readers(
        app: Flask, resources: dict[str, Resource]
    ) -> dict[str, tuple[Resource, str, frozenset]]:
        """Registers whose `/3/<name>/<key>` is the shared single-record route (resource.get, then
        resource.single), with their scope and the fixed paths beside `<key>` that win over it."""
        fixed: dict[str, set[str]] = {}
        for rule in app.url_map.iter_rules():
            parts = rule.rule.split("/")
            if len(parts) == 4 and parts[1] == "3" and "<" not in parts[3]:
                fixed.setdefault(parts[2], set()).add(parts[3])
        readers = {}
        for name, resource in resources.items():
            endpoint = f"{name}.{name}_get"
            view = app.view_functions.get(endpoint)
            blueprint = app.blueprints.get(name)
            if view is None or blueprint is None or view.__qualname__ != "crud_routes.<locals>.single":
                continue
            kind = type(resource)
            if (
                kind.get is not Resource.get
                or kind.single is not Resource.single
                or kind.url is not Resource.url
            ):
                continue  # a lookup or a view of its own (some read the request's arguments)
            if kind.decorate is not Resource.decorate and kind not in PLAIN_DECORATIONS:
                continue
            rules = [r for r in app.url_map.iter_rules(endpoint) if r.rule == f"/3/{name}/<key>"]
            if not rules or "GET" not in (rules[0].methods or ()):
                continue
            readers[name] = (resource, getattr(blueprint, "scope", None), frozenset(fixed.get(name, ())))
        return readers

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return self.flask_wsgi(environ, start_response)
        parts = environ.get("PATH_INFO", "").split("/")
        if len(parts) != 4 or parts[1] != "3" or not parts[3]:
            return self.flask_wsgi(environ, start_response)
        reader = self.readers.get(parts[2])
        if reader is None or parts[3] in reader[2]:
            return self.flask_wsgi(environ, start_response)
        resource, scope, _ = reader
        started = time.perf_counter()
        state = self.state
        header = environ.get("HTTP_AUTHORIZATION", "")
        record = state.access_tokens.get(header[7:].strip()) if header.startswith("Bearer ") else None
        tenant = state.tenants.get(record.tenant_id) if record is not None else None
        if (
            record is None
            or tenant is None
            or record.expires_at <= state.clock.now()
            or not tenant.settings.get("api_licence", True)
            or (scope is not None and (scope not in tenant.licences or scope not in record.scopes))
        ):
            return self.flask_wsgi(environ, start_response)  # refused there, as every refusal is
        limiter = self.app.extensions["mockfortnox.limiter"]
        if limiter is not None:
            key = header[7:].strip() if record.control else f"{record.client_id}\n{tenant.id}"
            allowed, _ = limiter.allow(key, time.monotonic())
            if not allowed:  # a refusal is not counted: the Flask path counts it again and answers
                return self.flask_wsgi(environ, start_response)
        environ["mockfortnox.tenant"] = tenant.id
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        root = FAST_ROOT.set(f"{environ['wsgi.url_scheme']}://{host}{environ.get('SCRIPT_NAME', '')}/")
        try:
            with tenant.lock:
                found = tenant.table(resource.name).get(parts[3])
                if found is None:
                    error = ApiError(resource.not_found)
                    status, body = error.status, dumpb(error.body())
                else:
                    status, body = 200, dumpb({resource.singular: resource.single(found)})
        except Exception:  # as the Flask path answers what it did not foresee
            self.app.logger.exception("unexpected error on GET %s", environ.get("PATH_INFO"))
            status, body = 500, dumpb(ApiError("system_exception").body())
        finally:
            FAST_ROOT.reset(root)
        start_response(
            STATUS_LINES.get(status, f"{status} ERROR"),
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Server", "Fortnox"),
                ("X-Uid", secrets.token_hex(4)),
                ("X-Build", "mockfortnox"),
                ("X-Rack-Responsetime", str(int((time.perf_counter() - started) * 1000))),
            ],
        )
        return [body]
