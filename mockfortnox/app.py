"""`create_app(config)`: the Flask application that plays Fortnox.

Config keys: `MOCK_SEEDS` (list of seed names or JSON paths, default `["demo"]`),
`MOCK_STATE_FILE` (persist state there after every change and restore it on start),
`MOCK_RATE_LIMIT` (`"25/5s"` like Fortnox, or `"off"`).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from mockfortnox import auth, control
from mockfortnox.errors import ApiError
from mockfortnox.ratelimit import SlidingWindow, parse_rate
from mockfortnox.resources import BLUEPRINTS
from mockfortnox.resources.common import json_response
from mockfortnox.seed import apply_seed, load_seed
from mockfortnox.state import MockState

__all__ = ["create_app"]

API_PREFIXES = ("/3/", "/api/")
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(MOCK_SEEDS=["demo"], MOCK_STATE_FILE=None, MOCK_RATE_LIMIT="25/5s")
    app.config.update(config or {})
    app.config["MOCK_SEEDS"] = [
        load_seed(s) if isinstance(s, (str, Path)) else s for s in app.config["MOCK_SEEDS"]
    ]

    state = MockState()
    app.extensions["mockfortnox"] = state
    rate = parse_rate(app.config["MOCK_RATE_LIMIT"])
    limiter = SlidingWindow(*rate) if rate else None
    state_file = Path(app.config["MOCK_STATE_FILE"]) if app.config["MOCK_STATE_FILE"] else None

    app.register_blueprint(auth.bp)
    app.register_blueprint(control.bp)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    with app.app_context():
        if state_file and state_file.exists():
            state.load(state_file)
        else:
            for seed in app.config["MOCK_SEEDS"]:
                apply_seed(state, seed)

    @app.before_request
    def guard_api() -> Response | None:
        g.started = time.perf_counter()
        if not request.path.startswith(API_PREFIXES):
            return None
        blueprint = app.blueprints.get(request.blueprint or "")
        denied = auth.authenticate(state, getattr(blueprint, "scope", None))
        if denied is not None:
            return denied
        if limiter is not None:
            allowed, wait = limiter.allow(g.token, time.monotonic())
            if not allowed:
                error = ApiError("rate_limited")
                return json_response(error.body(), 429, {"Retry-After": str(max(1, round(wait)))})
        if blueprint is not None:
            g.tenant_lock = g.tenant.lock
            g.tenant_lock.acquire()
        return None

    @app.teardown_request
    def release_tenant(_exc: BaseException | None) -> None:
        lock = g.pop("tenant_lock", None)
        if lock is not None:
            lock.release()

    @app.after_request
    def fortnox_headers(response: Response) -> Response:
        response.headers["Server"] = "Fortnox"
        response.headers["X-Uid"] = uuid.uuid4().hex[:8]
        response.headers["X-Build"] = "mockfortnox"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        response.headers["X-Rack-Responsetime"] = str(int(elapsed * 1000))
        if state_file and request.method in WRITE_METHODS and response.status_code < 400:
            state.save(state_file)
        return response

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return json_response(error.body(), error.status)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if request.path.startswith(API_PREFIXES):
            # Unknown routes and methods: Fortnox answers with its usual error envelope.
            return json_response(
                {"ErrorInformation": {"error": 1, "message": error.description, "code": 0}}, error.code or 500
            )
        return error.get_response()

    return app
