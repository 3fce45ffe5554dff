"""Serving the mock on a real multi-threaded WSGI server (waitress), in the foreground or in a
background thread of another program (the bridge's embedded mode, tests).

The one addition to waitress: a task that, when the app raises `DroppedResponse`, writes
nothing at all and closes the connection — the client sees the connection end without an
answer, exactly as when a response is lost on the network after the server acted.
"""

from __future__ import annotations

import threading

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import WSGITask

from mockfortnox.faults import DroppedResponse

__all__ = ["MockServer"]


class _DroppingTask(WSGITask):
    dropped = False

    def execute(self) -> None:
        try:
            super().execute()
        except DroppedResponse:
            self.dropped = True
            self.close_on_finish = True

    def finish(self) -> None:
        if not self.dropped:  # finishing would write the status line and headers
            super().finish()


class _DroppingChannel(HTTPChannel):
    task_class = _DroppingTask


class MockServer:
    """The mock listening on `host:port`; port 0 picks a free one, read it back from `.port`."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> None:
        self.app = app
        self._server = create_server(app, host=host, port=port, threads=threads, ident="Fortnox")
        self._server.channel_class = _DroppingChannel
        self.host = host
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        try:
            self._server.run()
        finally:
            self._flush()

    def start(self) -> MockServer:
        self._thread = threading.Thread(target=self._server.run, name="mockfortnox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._flush()

    def _flush(self) -> None:
        """A last full snapshot of the state file, if the app keeps one."""
        state_file = self.app.extensions.get("mockfortnox.statefile")
        if state_file is not None:
            state_file.snapshot()
