"""Typed errors from Fortnox, sorted by what the caller should do about them."""

from __future__ import annotations

from typing import Any

__all__ = ["FortnoxError", "FortnoxUnreachable"]


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
        return cls(message, status=status, code=code, body=body, method=method, path=path)


class FortnoxUnreachable(FortnoxError):
    """No answer: the connection failed, or broke after the request was sent (then Fortnox may
    have acted on it; the executor looks before it sends again)."""


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
