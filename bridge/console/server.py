"""Serving the console with waitress: on 127.0.0.1 unless told, and never off the loopback
address without a login."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable

from werkzeug.security import generate_password_hash

from bridge.console.app import create_app
from bridge.pipeline import Bridge

__all__ = ["ConsoleError", "ConsoleServer", "hash_password", "is_loopback"]

THREADS = 8  # pages refresh every two seconds; a few operators at once


class ConsoleError(ValueError):
    """The console cannot start as asked; the message says what to do."""


def hash_password(password: str) -> str:
    """What goes into `console.password_hash` (never the password itself)."""
    return generate_password_hash(password)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConsoleServer:
    """The console of `bridge` on `host`:`port` (0: a free port), in a background thread."""

    def __init__(
        self,
        bridge: Bridge,
        host: str = "127.0.0.1",
        port: int = 8470,
        *,
        kick: Callable[[str], None] | None = None,
    ) -> None:
        from waitress.server import create_server  # type: ignore[import-untyped]

        settings = bridge.settings
        password_hash = settings["console.password_hash"]
        if not is_loopback(host) and not password_hash:
            raise ConsoleError(
                f"the console on {host} would be open to anyone who reaches it: set"
                " console.password_hash (env FORTNOX_CONSOLE_PASSWORD_HASH) to a hash made by"
                " `fortnox-bridge console --hash-password`, or keep it on 127.0.0.1"
            )
        if password_hash and not password_hash.count("$") >= 2:
            raise ConsoleError(
                "console.password_hash is not a password hash; make one with"
                " `fortnox-bridge console --hash-password` (the password itself never goes in the settings)"
            )
        self._server = create_server(
            _placeholder, host=host, port=port, threads=THREADS, ident="fortnox-bridge console"
        )
        # One socket has `effective_port`; a name such as localhost may give several (IPv4 and IPv6).
        self.port = getattr(self._server, "effective_port", None) or self._server.effective_listen[0][1]
        shown = f"[{host}]" if ":" in host else host
        where = "127.0.0.1" if host in ("0.0.0.0", "::") else shown
        self.url = settings["console.url"].rstrip("/") or f"http://{where}:{self.port}"
        self.app = create_app(
            bridge,
            public_url=self.url,
            login_required=bool(password_hash) or not is_loopback(host),
            kick=kick,
        )
        self._server.application = self.app
        self.work = self.app.extensions["console"]["work"]
        self._thread: threading.Thread | None = None

    def start(self) -> ConsoleServer:
        self._thread = threading.Thread(target=self._server.run, name="console", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C, SIGTERM)."""
        self._server.run()

    def stop(self) -> None:
        self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _placeholder(environ: dict, start_response: Callable) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]
