"""The loopback receiver: where Fortnox's consent page sends the browser back with the code.

It listens on the host and port of the registered redirect URI (a loopback address: the
browser runs on the same machine as `connect`), takes the first answer on its path, and keeps
the browser waiting until `connect` has exchanged the code, so that the page the person sees
says whether the company is connected. `--paste` does without it: the person pastes the
address the browser ended on.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

__all__ = ["LOOPBACK_HOSTS", "CallbackReceiver", "answer_from_address"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
PAGE_WAIT_SECONDS = 120.0  # how long the browser waits for the outcome before a generic page


def answer_from_address(address: str) -> dict[str, str]:
    """The query of the address the browser ended on (`http://127.0.0.1:8765/callback?code=…`),
    or of a bare query string (`code=…&state=…`)."""
    text = address.strip()
    query = urlsplit(text).query if "://" in text or text.startswith("/") else text.lstrip("?")
    return dict(parse_qsl(query, keep_blank_values=True))


class CallbackReceiver:
    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or not parts.port:
            raise ValueError(
                f"{redirect_uri} is not a loopback address with a port (http://127.0.0.1:PORT/…): "
                "the bridge cannot receive the answer there; use --paste"
            )
        self.host = parts.hostname
        self.port = parts.port
        self.path = parts.path or "/"
        self._answer: dict[str, str] | None = None
        self._answered = threading.Event()
        self._outcome: tuple[bool, str] | None = None
        self._finished = threading.Event()
        self._delivered = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> CallbackReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path != receiver.path:
                    self._page(404, "Not found", "This address only receives Fortnox's answer.")
                    return
                if receiver._answered.is_set():
                    self._page(409, "Already answered", "Fortnox's answer was received already.")
                    return
                receiver._answer = answer_from_address(self.path)
                receiver._answered.set()
                receiver._finished.wait(PAGE_WAIT_SECONDS)
                ok, message = receiver._outcome or (True, "Fortnox answered; see the terminal.")
                try:
                    self._page(200 if ok else 400, "Connected" if ok else "Not connected", message)
                finally:
                    receiver._delivered.set()

            def _page(self, status: int, title: str, message: str) -> None:
                body = (
                    f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{html.escape(title)}</title>"
                    f"<h1>{html.escape(title)}</h1><p id='outcome'>{html.escape(message)}</p>"
                    "<p>You can close this tab.</p></html>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the query holds the code: it stays out of every log

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="oauth-callback", daemon=True).start()
        return self

    def wait(self, timeout: float | None = None) -> dict[str, str] | None:
        """The redirect's query (`code`, `state`, or `error`), or None after `timeout` seconds."""
        return self._answer if self._answered.wait(timeout) else None

    def finish(self, ok: bool, message: str) -> None:
        """What the waiting browser page says."""
        self._outcome = (ok, message)
        self._finished.set()

    def stop(self) -> None:
        self._finished.set()
        if self._answered.is_set():
            self._delivered.wait(5.0)  # let the browser have its page before the process ends
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
