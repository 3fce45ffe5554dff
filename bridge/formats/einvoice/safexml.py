"""The safety gate every e-invoice passes before anything else looks at it.

Invoices come from outside, so the XML is untrusted: a size cap before parsing; any DOCTYPE is
refused (UBL and Svefaktura never need one, and a DTD is where entity bombs and external
entities live); the parser never resolves entities, loads a DTD or touches the network, and
keeps libxml2's limits on text size and depth. The DOCTYPE is looked for twice: in the raw
prolog before the parser sees a byte, and in the parsed tree in case the prolog hid it.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from bridge.formats.einvoice.errors import EInvoiceError
from bridge.util.i18n import N_

__all__ = ["MAX_FILE_BYTES", "has_doctype", "parse_untrusted_xml", "prolog_text"]

# Large enough for an invoice with several attached PDFs; libxml2 separately refuses any single
# text node (one base64 attachment) over 10 MB because `huge_tree` stays off.
MAX_FILE_BYTES = 50 * 1024 * 1024

_PROLOG = re.compile(r"\A\ufeff?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_DOCTYPE = re.compile(r"<!DOCTYPE", re.I)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def prolog_text(head: bytes) -> str:
    """The start of the document as text, good enough to read the prolog and the root tag."""
    if head.startswith(_UTF16_BOMS):
        return head.decode("utf-16", errors="replace")
    if head[:2] in (b"<\x00", b"\x00<"):
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", errors="replace")
    # Every other encoding an invoice uses (UTF-8, ISO-8859-1, Windows-1252) is ASCII in markup.
    return head.removeprefix(codecs.BOM_UTF8).decode("latin-1")


def has_doctype(head: bytes) -> bool:
    """Does the prolog (what comes before the root element) declare a DOCTYPE?"""
    text = prolog_text(head)
    prolog = _PROLOG.match(text)
    rest = text[prolog.end() :] if prolog else text
    return bool(_DOCTYPE.match(rest))


def _doctype_line(head: bytes) -> int:
    """The line the DOCTYPE declaration stands on (after the XML declaration and comments)."""
    text = prolog_text(head)
    prolog = _PROLOG.match(text)
    return text[: prolog.end() if prolog else 0].count("\n") + 1


def is_html(head: bytes) -> bool:
    """An HTML page (`<!DOCTYPE html>` or `<html>`), which no XML reader should take."""
    text = prolog_text(head).lstrip("\ufeff \t\r\n")[:64].lower()
    return text.startswith(("<!doctype html", "<html"))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


_TOO_LARGE = N_("the file is %(size)s MB; e-invoices over %(limit)s MB are not read")


def parse_untrusted_xml(data: bytes) -> etree._ElementTree:
    """Parse bytes from outside into a tree, or raise `EInvoiceError` saying why not.

    Bytes, not text, go to the parser so that the XML declaration's encoding and a BOM are
    honoured (Svefaktura files are often ISO-8859-1).
    """
    if len(data) > MAX_FILE_BYTES:
        raise EInvoiceError(
            _TOO_LARGE % {"size": len(data) // (1024 * 1024), "limit": MAX_FILE_BYTES // (1024 * 1024)},
            code="einvoice.too-large",
            hint=N_("ask the sender for the invoice without oversized attachments"),
        )
    if has_doctype(data[:65536]):
        raise _doctype_refused(line=_doctype_line(data[:65536]))
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = str(exc.msg or exc)
        if "huge" in message.lower() or "too long" in message.lower():
            raise EInvoiceError(
                N_("a value in the file (usually an attachment) is larger than 10 MB"),
                line=line,
                code="einvoice.too-large",
                hint=N_("ask the sender to attach a smaller file"),
            ) from None
        raise EInvoiceError(
            N_("the file is not well-formed XML: %(error)s") % {"error": message},
            line=line,
            code="einvoice.not-xml",
            hint=N_("the file is damaged or not XML; ask the sender for a new copy"),
        ) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _doctype_refused(line=1)
    return tree


def _doctype_refused(line: int | None) -> EInvoiceError:
    return EInvoiceError(
        "the XML declares a DOCTYPE; for safety, XML with a DOCTYPE is never read "
        "(e-invoices do not use one, but XML attacks do)",
        line=line,
        code="einvoice.doctype",
        hint=N_("if this is a real invoice, ask the sender to remove the <!DOCTYPE …> declaration"),
    )
