"""`create_app`: the console's Flask application over one open `Bridge`.

Security lives here, before any route runs: the login (when one is required), the CSRF token
every POST must carry, the language of the request, and headers that keep the pages out of
frames and the callback's code out of referrers.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash

from bridge.console.text import _, ngettext
from bridge.console.work import Work
from bridge.pipeline import Bridge
from bridge.util.i18n import LANGUAGES, language

__all__ = ["create_app"]

CSRF_FIELD = "csrf_token"
# Pages anyone may open: the login itself, the stylesheet and script, and the callback a
# company's Fortnox administrator lands on (it only accepts an answer to a link this console made).
OPEN_ENDPOINTS = frozenset({"console.login", "console.connect_callback", "static"})


def create_app(
    bridge: Bridge,
    *,
    public_url: str,
    login_required: bool,
    kick: Callable[[str], None] | None = None,
) -> Flask:
    """The console for `bridge`, reached by browsers at `public_url`. With `kick` (the watcher's
    wake-up for a company) a retry is sent by the company's worker; without it, by the console."""
    from bridge.console import views

    settings = bridge.settings
    app = Flask("bridge.console", root_path=str(Path(__file__).parent))
    app.secret_key = _secret_key(settings.state_dir)
    secure = urlsplit(public_url).scheme == "https" or login_required
    app.config.update(
        SESSION_COOKIE_NAME="fortnox_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions["console"] = {
        "bridge": bridge,
        "work": Work(bridge, kick=kick),
        "public_url": public_url.rstrip("/"),
        "login_required": login_required,
        "password_hash": settings["console.password_hash"],
    }
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(_, ngettext, newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.register_blueprint(views.bp)

    @app.before_request
    def guard() -> Any:
        chosen = request.args.get("lang")
        if chosen in LANGUAGES:
            session["lang"] = chosen
        g.language = language(session.get("lang") or settings["ui.language"])
        g.language.__enter__()
        if request.method == "POST":
            sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
            expected = session.get(CSRF_FIELD)
            if not expected or not hmac.compare_digest(sent, expected):
                abort(
                    400,
                    description=_(
                        "The form was not sent from this console (its security token is missing or old). Open the page again and repeat."
                    ),
                )
        if login_required and not session.get("operator") and request.endpoint not in OPEN_ENDPOINTS:
            if request.headers.get("X-Requested-With") == "fetch":
                abort(401)
            return redirect(url_for("console.login", next=request.full_path))
        return None

    @app.teardown_request
    def speak_no_more(_error: BaseException | None) -> None:
        chosen = g.pop("language", None)
        if chosen is not None:
            chosen.__exit__(None, None, None)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"  # the callback's address holds a code
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(400)
    @app.errorhandler(401)
    @app.errorhandler(404)
    def refused(error: Any) -> tuple[str, int]:
        return render_template("error.html", code=error.code, message=error.description), error.code

    return app


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if token is None:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(token)


def password_matches(password_hash: str, password: str) -> bool:
    return bool(password_hash) and check_password_hash(password_hash, password)


def _secret_key(state_dir: Path) -> bytes:
    """The key that signs session cookies, made once and kept (mode 0600) in the state folder,
    so that a restart does not log everyone out."""
    path = state_dir / "console-secret"
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    key = secrets.token_bytes(32)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
    return key
