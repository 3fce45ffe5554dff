"""Typed errors from Fortnox, sorted by what the caller should do about them."""

from __future__ import annotations

from typing import Any

from bridge.fortnox.scopes import scope_of_path

__all__ = ["ACCESS_CODES", "ConnectionRefused", "FortnoxError", "FortnoxUnreachable"]


class FortnoxError(Exception):
    """Fortnox answered with an error (or did not answer: see `FortnoxUnreachable`).

    `code` and `message` come from `ErrorInformation`, read in either key casing.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        body: Any = None,
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.body = body
        self.method = method
        self.path = path

    @property
    def transient(self) -> bool:
        """Worth trying again later, unchanged: outages, overload, rate limit, tokens."""
        return self.status is None or self.status in (401, 408, 429) or self.status >= 500

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        code = f" (code {self.code})" if self.code else ""
        status = f"HTTP {self.status}" if self.status else "no answer"
        return f"{where}: {status}{code}: {self.message}" if where else f"{status}{code}: {self.message}"

    @classmethod
    def from_response(cls, status: int, body: Any, method: str, path: str) -> FortnoxError:
        code, message = _error_information(body)
        if message is None:
            message = f"HTTP {status}"
        if code in ACCESS_CODES:
            problem = ACCESS_CODES[code]
            return ConnectionRefused(
                message,
                problem=problem,
                scope="" if problem == "api_licence" else scope_of_path(path),
                status=status,
                code=code,
                body=body,
                method=method,
                path=path,
            )
        return cls(message, status=status, code=code, body=body, method=method, path=path)


class FortnoxUnreachable(FortnoxError):
    """No answer: the connection failed, or broke after the request was sent (then Fortnox may
    have acted on it; the executor looks before it sends again)."""


class ConnectionRefused(FortnoxError):
    """Fortnox will not let the bridge in until a person acts; waiting changes nothing.

    `problem` says what the person must do something about:
    `not_connected` (no consent recorded yet), `secret` (the client secret was refused),
    `consent` (consent revoked, refresh token expired or used, company gone),
    `licence` (the company lacks the module for `scope`), `scope` (the consent lacks `scope`),
    `api_licence` (the company has no integration licence at all).
    Such an error is never a document's fault: documents wait, they do not fail.
    """

    PROBLEMS = ("not_connected", "secret", "consent", "licence", "scope", "api_licence")

    def __init__(self, message: str, *, problem: str, scope: str = "", **details: Any) -> None:
        assert problem in self.PROBLEMS, problem
        super().__init__(message, **details)
        self.problem = problem
        self.scope = scope

    @property
    def transient(self) -> bool:
        return False

    @property
    def whole_company(self) -> bool:
        """Does it stop everything (a connection problem), or only the flows needing `scope`?"""
        return self.problem not in ("licence", "scope")


# Fortnox's codes for "this company or this token may not use that part of the API".
ACCESS_CODES = {2001101: "licence", 2000663: "scope", 2001103: "api_licence"}


def _error_information(body: Any) -> tuple[int | None, str | None]:
    if not isinstance(body, dict):
        return None, None
    info = next((v for k, v in body.items() if k.lower() == "errorinformation"), None)
    if isinstance(info, dict):
        lowered = {k.lower(): v for k, v in info.items()}
        code = lowered.get("code")
        try:
            code = int(code) if code is not None else None
        except (TypeError, ValueError):
            code = None
        return code, lowered.get("message")
    for key in ("message", "error_description", "error"):
        if isinstance(body.get(key), str):
            return None, body[key]
    return None, None
