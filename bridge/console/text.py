"""The console's own catalog (`console` domain): `_()` here is what the extractor looks for."""

from __future__ import annotations

from bridge.util import i18n

__all__ = ["_", "ngettext"]


def _(message: str) -> str:
    return i18n._(message, "console")


def ngettext(singular: str, plural: str, count: int) -> str:
    return i18n.ngettext(singular, plural, count, "console")
