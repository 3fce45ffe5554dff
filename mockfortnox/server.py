"""Serving the mock on a real multi-threaded WSGI server (waitress), in the foreground or in a
background thread of another program (the bridge's embedded mode, tests), with its WebSocket
topics beside it on a port of their own (`topics_server.py`), as Fortnox serves them on a host
of their own.

The one addition to waitress: a task that, when the app raises `DroppedResponse`, writes
nothing at all and closes the connection — the client sees the connection end without an
answer, exactly as when a response is lost on the network after the server acted.
"""

from __future__ import annotations

import threading

from flask import Flask
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import WSGITask

from mockfortnox.faults import DroppedResponse
from mockfortnox.topics_server import TopicsServer

__all__ = ["MockServer"]

CONNECTION_LIMIT = 1000


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
    """The mock listening on `host:port`; port 0 picks a free one, read it back from `.port`.
    Its topics listen on `topics_port` (0: a free one): `.topics.url`."""

    def __init__(
        self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8, topics_port: int = 0
    ) -> None:
        self.app = app
        self.topics = TopicsServer(app, host, topics_port)
        self._server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="Fortnox",
            # A bureau's bridge, or a test suite, may hold hundreds of keep-alive connections;
            # past waitress's default of 100 it would stop accepting new ones until idle ones time out.
            connection_limit=CONNECTION_LIMIT,
        )
        self._server.channel_class = _DroppingChannel
        self.host = host
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self.topics.start()
        try:
            self._server.run()
        finally:
            self.topics.stop()
            self._flush()

    def start(self) -> MockServer:
        self.topics.start()
        self._thread = threading.Thread(target=self._run_until_stopped, name="mockfortnox", daemon=True)
        self._thread.start()
        return self

    def _run_until_stopped(self) -> None:
        # Sockets are closed by the loop's own thread: closing them from another thread while
        # the loop waits in select() on them fails with a bad file descriptor.
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=0.2, map=self._server._map, count=1)
        finally:
            self._server.task_dispatcher.shutdown()
            wasyncore.close_all(self._server._map)

    def stop(self) -> None:
        self.topics.stop()
        if self._thread is None:
            self._server.close()
        else:
            self._stopping.set()
            self._server.pull_trigger()  # wake the loop at once
            self._thread.join(timeout=10)
        self._flush()

    def _flush(self) -> None:
        """A last full snapshot of the state file, if the app keeps one."""
        state_file = self.app.extensions.get("mockfortnox.statefile")
        if state_file is not None:
            state_file.snapshot()
