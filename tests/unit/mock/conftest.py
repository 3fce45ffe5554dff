"""A small driver for the in-process mock: `fortnox.get("/3/…")` answers (status, JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from bridge.util import dumps, loads


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict

    def error(self) -> tuple[int, str]:
        """(code, message) of an ErrorInformation body, whichever casing it uses."""
        info = {k.lower(): v for k, v in self.body["ErrorInformation"].items()}
        return info["code"], info["message"]

    def expect_error(self, status: int, code: int, message: str) -> None:
        assert self.status == status, self.body
        assert self.error() == (code, message)


class Fortnox:
    def __init__(self, app: Flask, token: str) -> None:
        self.app = app
        self.http = app.test_client()
        self.token = token

    @property
    def state(self):
        return self.app.extensions["mockfortnox"]

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = None, **kwargs) -> Answer:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if body is not None:
            kwargs["data"] = dumps(body)
            kwargs["content_type"] = "application/json"
        response = self.http.open(path, method=method, headers=headers, **kwargs)
        data = response.get_data()
        parsed = loads(data) if data[:1] in (b"{", b"[") else data
        return Answer(response.status_code, parsed, dict(response.headers))

    def get(self, path: str, **kwargs) -> Answer:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs) -> Answer:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs) -> Answer:
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs) -> Answer:
        return self.call("DELETE", path, **kwargs)

    def control(self, method: str, path: str, body: Any = None) -> Answer:
        response = self.http.open(path, method=method, json=body)
        return Answer(response.status_code, response.get_json(silent=True), dict(response.headers))

    def new_token(self, tenant: str = "demo", scopes: list[str] | None = None) -> str:
        return self.control("POST", "/mock/tokens", {"tenant": tenant, "scopes": scopes or []}).body[
            "access_token"
        ]


@pytest.fixture
def fortnox(mock_app) -> Fortnox:
    driver = Fortnox(mock_app, "")
    driver.token = driver.new_token()
    return driver
