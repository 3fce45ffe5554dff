"""Serving the mock on a real multi-threaded WSGI server (waitress), in the foreground or in a
background thread of another program (the bridge's embedded mode, tests)."""

from __future__ import annotations

import threading

from flask import Flask
from waitress.server import create_server

__all__ = ["MockServer"]


class MockServer:
    """The mock listening on `host:port`; port 0 picks a free one, read it back from `.port`."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> None:
        self.app = app
        self._server = create_server(app, host=host, port=port, threads=threads, ident="Fortnox")
        self.host = host
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.run()

    def start(self) -> MockServer:
        self._thread = threading.Thread(target=self._server.run, name="mockfortnox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
