"""`create_app(config)`: the Flask application that plays Fortnox.

Config keys: `MOCK_SEEDS` (list of seed names, JSON paths or seed dicts; default `["demo"]`),
`MOCK_STATE_FILE` (keep the state in this file — a snapshot plus a journal of every answered
write — and restore it on start; see `mockfortnox.persist`), `MOCK_RATE_LIMIT` (`"25/5s"`
like Fortnox, or `"off"`), `MOCK_CONTROL_TOKEN` (when set, the control API under `/mock/` and its
page answer only requests that carry it: header `X-Mock-Token`, or `?token=` once in a browser,
which leaves a cookie).

Every `/3/` and `/api/` request is authenticated (bearer token → tenant), checked against the
company's licences and the token's scopes, counted by the rate limiter, and then runs holding
its tenant's lock, so one company's requests are atomic and companies never wait for each other.
"""

from __future__ import annotations

import hmac
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from mockfortnox import auth, control, openapi, topics_server, ui
from mockfortnox.errors import ApiError
from mockfortnox.fastlane import FastReads
from mockfortnox.faults import FaultInjector, RequestLog, WsgiLayer
from mockfortnox.persist import StateFile
from mockfortnox.ratelimit import SlidingWindow, parse_rate
from mockfortnox.resources import BLUEPRINTS, RESOURCES
from mockfortnox.resources.common import json_response
from mockfortnox.seed import apply_seed, load_seed
from mockfortnox.state import MockState
from mockfortnox.topics import TopicLog

__all__ = ["create_app"]

API_PREFIXES = ("/3/", "/api/")
CONTROL_PREFIX = "/mock/"
TOKEN_HEADER, TOKEN_COOKIE = "X-Mock-Token", "mockfortnox_token"
# What a rule meeting a body it did not foresee raises (a list where a text was expected, …).
BODY_ERRORS = (TypeError, ValueError, KeyError, AttributeError, ArithmeticError, IndexError)
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        MOCK_SEEDS=["demo"], MOCK_STATE_FILE=None, MOCK_RATE_LIMIT="25/5s", MOCK_CONTROL_TOKEN=None
    )
    app.config.update(config or {})
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES
    app.config["MOCK_SEEDS"] = [
        load_seed(s) if isinstance(s, (str, Path)) else s for s in app.config["MOCK_SEEDS"]
    ]

    state = MockState()
    app.extensions["mockfortnox"] = state
    rate = parse_rate(app.config["MOCK_RATE_LIMIT"])
    app.extensions["mockfortnox.limiter"] = SlidingWindow(*rate) if rate else None
    faults, log = FaultInjector(), RequestLog()
    app.extensions["mockfortnox.faults"] = faults
    app.extensions["mockfortnox.requests"] = log
    state_file = (
        StateFile(Path(app.config["MOCK_STATE_FILE"]), state) if app.config["MOCK_STATE_FILE"] else None
    )
    app.extensions["mockfortnox.statefile"] = state_file
    topics = app.extensions["mockfortnox.topics"] = TopicLog(state.clock)

    app.register_blueprint(auth.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(topics_server.bp)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    with app.app_context():
        if state_file and state_file.exists():
            state_file.load()
        else:
            for seed in app.config["MOCK_SEEDS"]:
                apply_seed(state, seed)
            if state_file:
                state_file.snapshot()

    control_token = app.config["MOCK_CONTROL_TOKEN"]
    # Every view and hook here is synchronous: Flask's check for coroutines on each hook call
    # (inspect, four times a request) was a tenth of a small GET's time in the app.
    app.ensure_sync = _synchronous  # type: ignore[method-assign]

    @app.before_request
    def guard_api() -> Response | None:
        context = g._get_current_object()  # one proxy lookup instead of one per attribute
        context.started = time.perf_counter()
        current = request._get_current_object()  # type: ignore[attr-defined]
        if not current.path.startswith(API_PREFIXES):
            if control_token and current.path.startswith(CONTROL_PREFIX):
                return _control_denied(current, control_token)
            return None
        blueprint = app.blueprints.get(current.blueprint or "")
        denied = auth.authenticate(state, getattr(blueprint, "scope", None))
        if denied is not None:
            return denied
        tenant = context.tenant
        current.environ["mockfortnox.tenant"] = tenant.id
        limiter = app.extensions["mockfortnox.limiter"]
        if limiter is not None:
            allowed, wait = limiter.allow(context.rate_key, time.monotonic())
            if not allowed:
                error = ApiError("rate_limited")
                return json_response(error.body(), 429, {"Retry-After": str(max(1, round(wait + 0.5)))})
        if blueprint is not None:
            tenant.lock.acquire()
            context.locked_tenant = tenant
            context.counters = dict(tenant.counters)
            tenant.writes.clear()  # seeds and control calls are not news on the topics
        return None

    @app.teardown_request
    def release_tenant(_exc: BaseException | None) -> None:
        tenant = g.pop("locked_tenant", None)
        entries: list[dict] = []
        try:
            if tenant is not None:
                if state_file:
                    entries = state_file.collect(tenant)
                topics.publish(tenant)  # in the order the tenant's writes happened
        finally:
            if tenant is not None:  # whatever happened above: a held lock would wedge the company
                tenant.lock.release()
        if state_file:
            # Before the answer leaves the server: a client never sees a write that a crash loses.
            state_file.commit(entries)

    @app.after_request
    def fortnox_headers(response: Response) -> Response:
        tenant = g.get("locked_tenant")
        if tenant is not None and response.status_code >= 400 and not tenant.writes:
            # A refused request wrote nothing, so it gives back any number it drew: Fortnox's
            # series have no gaps from refused creates.
            tenant.counters = g.counters
        if control_token and request.args.get("token") == control_token:
            response.set_cookie(TOKEN_COOKIE, control_token, httponly=True, samesite="Strict", path="/mock")
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        # Appended as they are (none of them is set before): werkzeug's item assignment looks
        # for an earlier value to replace first.
        response.headers.extend(
            (
                ("Server", "Fortnox"),
                ("X-Uid", secrets.token_hex(4)),
                ("X-Build", "mockfortnox"),
                ("X-Rack-Responsetime", str(int(elapsed * 1000))),
            )
        )
        return response

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return json_response(error.body(), error.status)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        """Nothing a client sends may break the mock: a body the rules above did not foresee is
        Fortnox's "no or wrong type of data"; anything else Fortnox's system exception, in its
        body. Either way the traceback goes to the log, for the mock's maintainers."""
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        if not request.path.startswith(API_PREFIXES):
            return json_response({"error": f"the mock failed: {type(error).__name__}"}, 500)
        if request.method in ("POST", "PUT", "PATCH") and isinstance(error, BODY_ERRORS):
            return api_error(ApiError("no_data"))
        return json_response(ApiError("system_exception").body(), 500)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if request.path.startswith(API_PREFIXES):
            name = {404: "unknown_route", 405: "method_not_allowed", 413: "no_data"}.get(error.code or 0)
            if name is not None:
                return api_error(ApiError(name, status=error.code))
            return json_response(ApiError("no_data").body(), error.code or 400)
        return error.get_response()

    flask_wsgi = app.wsgi_app
    if app.config.get("MOCK_FAST_READS", True):
        flask_wsgi = FastReads(app, flask_wsgi, state, RESOURCES)
    app.wsgi_app = WsgiLayer(flask_wsgi, faults, log)  # type: ignore[method-assign]
    return app


def _synchronous(func: Any) -> Any:
    return func


def _control_denied(current: Any, token: str) -> Response | None:
    """The control API answers only the holder of the token given at start."""
    given = (
        current.headers.get(TOKEN_HEADER)
        or current.args.get("token")
        or current.cookies.get(TOKEN_COOKIE)
        or ""
    )
    if hmac.compare_digest(given.encode(), token.encode()):
        return None
    return json_response(
        {
            "error": f"the control API needs the token given to `mockfortnox serve --control-token` (header {TOKEN_HEADER})"
        },
        401,
    )
