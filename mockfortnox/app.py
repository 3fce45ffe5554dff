"""`create_app(config)`: the Flask application that plays Fortnox.

Config keys: `MOCK_SEEDS` (list of seed names, JSON paths or seed dicts; default `["demo"]`),
`MOCK_STATE_FILE` (keep the state in this file — a snapshot plus a journal of every answered
write — and restore it on start; see `mockfortnox.persist`), `MOCK_RATE_LIMIT` (`"25/5s"`
like Fortnox, or `"off"`).

Every `/3/` and `/api/` request is authenticated (bearer token → tenant), checked against the
company's licences and the token's scopes, counted by the rate limiter, and then runs holding
its tenant's lock, so one company's requests are atomic and companies never wait for each other.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from mockfortnox import auth, control, openapi, topics_server, ui
from mockfortnox.errors import ApiError
from mockfortnox.faults import FaultInjector, RequestLog, WsgiLayer
from mockfortnox.persist import StateFile
from mockfortnox.ratelimit import SlidingWindow, parse_rate
from mockfortnox.resources import BLUEPRINTS
from mockfortnox.resources.common import json_response
from mockfortnox.seed import apply_seed, load_seed
from mockfortnox.state import MockState
from mockfortnox.topics import TopicLog

__all__ = ["create_app"]

API_PREFIXES = ("/3/", "/api/")
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(MOCK_SEEDS=["demo"], MOCK_STATE_FILE=None, MOCK_RATE_LIMIT="25/5s")
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

    @app.before_request
    def guard_api() -> Response | None:
        context = g._get_current_object()  # one proxy lookup instead of one per attribute
        context.started = time.perf_counter()
        current = request._get_current_object()  # type: ignore[attr-defined]
        if not current.path.startswith(API_PREFIXES):
            return None
        blueprint = app.blueprints.get(current.blueprint or "")
        denied = auth.authenticate(state, getattr(blueprint, "scope", None))
        if denied is not None:
            return denied
        tenant = context.tenant
        current.environ["mockfortnox.tenant"] = tenant.id
        limiter = app.extensions["mockfortnox.limiter"]
        if limiter is not None:
            allowed, wait = limiter.allow(context.token, time.monotonic())
            if not allowed:
                error = ApiError("rate_limited")
                return json_response(error.body(), 429, {"Retry-After": str(max(1, round(wait + 0.5)))})
        if blueprint is not None:
            tenant.lock.acquire()
            context.locked_tenant = tenant
            tenant.writes.clear()  # seeds and control calls are not news on the topics
        return None

    @app.teardown_request
    def release_tenant(_exc: BaseException | None) -> None:
        tenant = g.pop("locked_tenant", None)
        entries = state_file.collect(tenant) if state_file and tenant is not None else []
        if tenant is not None:
            try:
                topics.publish(tenant)  # in the order the tenant's writes happened
            finally:
                tenant.lock.release()
        if state_file:
            # Before the answer leaves the server: a client never sees a write that a crash loses.
            state_file.commit(entries)

    @app.after_request
    def fortnox_headers(response: Response) -> Response:
        headers = response.headers
        headers["Server"] = "Fortnox"
        headers["X-Uid"] = secrets.token_hex(4)
        headers["X-Build"] = "mockfortnox"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        headers["X-Rack-Responsetime"] = str(int(elapsed * 1000))
        return response

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return json_response(error.body(), error.status)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if request.path.startswith(API_PREFIXES):
            name = {404: "unknown_route", 405: "method_not_allowed", 413: "no_data"}.get(error.code or 0)
            if name is not None:
                return api_error(ApiError(name, status=error.code))
            return json_response(ApiError("no_data").body(), error.code or 400)
        return error.get_response()

    app.wsgi_app = WsgiLayer(app.wsgi_app, faults, log)  # type: ignore[method-assign]
    return app
