"""Reading values out of an invoice element exactly, with the line and path of each one.

`Node` wraps an element with our own namespace prefixes (senders choose arbitrary ones, so the
document's own prefixes are never used). Values come back whitespace-normalised; amounts as
`Decimal` (newlines inside amounts, a leading `+` and `-.40` all occur in real files); dates
as `date` (Svefaktura writes some of them as date-times). A value that cannot be read becomes
an error problem naming its element, and `None`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from bridge.model import Problem, Severity

__all__ = ["Node", "Position", "ValueLog", "element_path", "first_text"]

_AMOUNT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Position:
    line: int | None
    path: str


def element_path(element: etree._Element, prefixes: dict[str, str]) -> str:
    """A readable path from the invoice element down, e.g. `/Invoice/cac:TaxTotal[2]/cbc:TaxAmount`.

    Stops at the invoice element itself, so a path inside an SBDH envelope reads the same as
    in a bare file.
    """
    steps = []
    node = element
    while node is not None:
        qname = etree.QName(node)
        parent = node.getparent()
        if parent is None or qname.localname in ("Invoice", "CreditNote", "ObjectEnvelope"):
            steps.append(qname.localname)
            break
        prefix = prefixes.get(qname.namespace or "", "")
        step = f"{prefix}:{qname.localname}" if prefix else qname.localname
        same = [sibling for sibling in parent if sibling.tag == node.tag]
        if len(same) > 1:
            step += f"[{same.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))


class ValueLog:
    """Where values came from, and which could not be read; shared by the nodes of one document."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.namespaces = namespaces
        self.prefixes = {uri: prefix for prefix, uri in namespaces.items()}
        self.positions: dict[str, Position] = {}
        self.problems: list[Problem] = []

    def bad_value(self, element: etree._Element, message: str, hint: str) -> None:
        self.problems.append(
            Problem(
                message,
                line=element.sourceline,
                field=element_path(element, self.prefixes),
                hint=hint,
                severity=Severity.ERROR,
                code="einvoice.bad-value",
            )
        )


class Node:
    """One element of the invoice, read through our own prefix map."""

    __slots__ = ("element", "log")

    def __init__(self, element: etree._Element, log: ValueLog) -> None:
        self.element = element
        self.log = log

    @property
    def line(self) -> int | None:
        return self.element.sourceline

    @property
    def path(self) -> str:
        return element_path(self.element, self.log.prefixes)

    @property
    def position(self) -> Position:
        return Position(self.line, self.path)

    def find(self, path: str) -> Node | None:
        found = self.element.find(path, self.log.namespaces)
        return None if found is None else Node(found, self.log)

    def findall(self, path: str) -> list[Node]:
        return [Node(found, self.log) for found in self.element.findall(path, self.log.namespaces)]

    def xpath(self, expression: str) -> list[Node]:
        found = self.element.xpath(expression, namespaces=self.log.namespaces)
        return [Node(el, self.log) for el in found if isinstance(el, etree._Element)]

    def attr(self, name: str) -> str | None:
        value = self.element.get(name)
        return _normalise(value) if value is not None else None

    def own_text(self) -> str | None:
        return _normalise("".join(self.element.itertext()))

    def text(self, path: str, *, key: str | None = None) -> str | None:
        node = self.find(path)
        if node is None:
            return None
        value = node.own_text()
        if key and value is not None:
            self.log.positions[key] = node.position
        return value

    def texts(self, path: str) -> list[str]:
        return [t for node in self.findall(path) if (t := node.own_text()) is not None]

    def decimal(self, path: str, *, key: str | None = None) -> Decimal | None:
        node = self.find(path)
        if node is None:
            return None
        if key:
            self.log.positions[key] = node.position
        return node.own_decimal()

    def own_decimal(self) -> Decimal | None:
        raw = "".join(self.element.itertext())
        compact = _WHITESPACE.sub("", raw)
        if not compact:
            return None
        if not _AMOUNT.fullmatch(compact):
            self.log.bad_value(self.element, f"{raw.strip()!r} is not a number", "write numbers like 1234.50")
            return None
        return Decimal(compact)

    def date(self, path: str, *, key: str | None = None) -> date | None:
        node = self.find(path)
        if node is None:
            return None
        if key:
            self.log.positions[key] = node.position
        text = node.own_text()
        if text is None:
            return None
        match = _DATE.match(text)
        try:
            if match is None:
                raise ValueError
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            self.log.bad_value(node.element, f"{text!r} is not a date", "write dates as YYYY-MM-DD")
            return None


def first_text(nodes: list[Node]) -> str | None:
    return next((text for node in nodes if (text := node.own_text())), None)


def _normalise(value: str) -> str | None:
    # Legacy exports pad codes to a fixed width ('SEK         '); one space between words.
    collapsed = _WHITESPACE.sub(" ", value).strip()
    return collapsed or None
