"""The one exception of the e-invoice engine: a refusal that ends reading, carrying its problem.

Everything less than a refusal is collected as `Problem` values; only the safety gate and
recognition stop early, because nothing useful can be read after them.
"""

from __future__ import annotations

from bridge.model import Problem, Severity

__all__ = ["EInvoiceError"]


class EInvoiceError(Exception):
    def __init__(
        self,
        message: str,
        *,
        code: str,
        line: int | None = None,
        field: str | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.problem = Problem(message, line=line, field=field, hint=hint, severity=Severity.ERROR, code=code)
