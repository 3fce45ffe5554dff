"""Untrusted XML: what is refused before it can do harm, and the proof that nothing leaked.

Every attack file from defusedxml's suite (billion laughs, quadratic blow-up, cyclic entities,
external entities over http and file, DTDs, a schema that imports from the network) is
refused with a clear error. The ones with a DOCTYPE never even reach the XML parser; none of
them opens a socket or reads the file an external entity points at.
"""

from __future__ import annotations

import socket

import pytest
from einvoice_helpers import extract
from lxml import etree

from bridge.formats import pdf
from bridge.formats.einvoice import MAX_FILE_BYTES, read_einvoice, safexml
from bridge.importers import FileSource, identify
from bridge.importers.einvoice import EInvoiceImporter

SECURITY_FILES = (
    "cyclic.xml",
    "dtd.xml",
    "dtd_element.xml",
    "external.xml",
    "external_file.xml",
    "quadratic.xml",
    "xmlbomb.xml",
    "xmlbomb2.xml",
    "schema-include.xsd",
)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a name or open a connection is recorded and fails."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network use in a test that must not use the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.fixture
def parser_calls(monkeypatch):
    """Counts how often bytes reach lxml's parser through the safety gate."""
    calls: list[int] = []
    real = etree.fromstring

    def counting(data, parser=None):
        calls.append(len(data))
        return real(data, parser)

    monkeypatch.setattr(safexml.etree, "fromstring", counting)
    return calls


@pytest.mark.parametrize("name", SECURITY_FILES)
def test_every_attack_file_is_refused_without_network(shared_ref, no_network, name):
    path = shared_ref / "einvoice" / "security" / "defusedxml-xmltestdata" / name
    result = read_einvoice(path.read_bytes())

    assert result.invoice is None
    assert result.errors, "an attack file must be refused with an error"
    assert result.errors[0].code in ("einvoice.doctype", "einvoice.not-accepted")
    assert no_network == []


@pytest.mark.parametrize("name", [n for n in SECURITY_FILES if n != "schema-include.xsd"])
def test_a_doctype_is_refused_before_the_parser_sees_a_byte(shared_ref, parser_calls, name):
    path = shared_ref / "einvoice" / "security" / "defusedxml-xmltestdata" / name
    result = read_einvoice(path.read_bytes())

    assert result.errors[0].code == "einvoice.doctype"
    assert "DOCTYPE" in result.errors[0].message
    assert parser_calls == []


def test_a_schema_that_imports_from_the_network_is_not_an_invoice(shared_ref, no_network):
    path = shared_ref / "einvoice" / "security" / "defusedxml-xmltestdata" / "schema-include.xsd"
    [error] = read_einvoice(path.read_bytes()).errors

    assert "not an e-invoice" in error.message
    assert no_network == []


def test_an_external_entity_never_reads_the_file_it_names(tmp_path, parser_calls):
    canary = tmp_path / "canary.txt"
    canary.write_text("CANARY-SECRET-4711")
    attack = tmp_path / "invoice.xml"
    attack.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY leak SYSTEM "file://{canary}">]>\n'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&leak;</Invoice>\n'
    )
    extraction = extract(attack)

    assert [p.code for p in extraction.errors] == ["einvoice.doctype"]
    assert "CANARY" not in repr(extraction)
    assert parser_calls == []


def test_a_doctype_hidden_behind_comments_and_a_byte_order_mark_is_still_found():
    data = (
        b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- generated -->\n<?pi x?>\n"
        b'<!doctype x [<!ENTITY a "b">]>\n<x>&a;</x>'
    )
    assert read_einvoice(data).errors[0].code == "einvoice.doctype"


def test_a_doctype_in_utf16_is_found_too():
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    assert read_einvoice(data.encode("utf-16")).errors[0].code == "einvoice.doctype"


def test_a_file_over_the_size_cap_is_refused_before_parsing(parser_calls):
    data = b"<x>" + b" " * (MAX_FILE_BYTES + 1) + b"</x>"
    [error] = read_einvoice(data).errors

    assert error.code == "einvoice.too-large"
    assert parser_calls == []


def test_a_text_node_over_ten_megabytes_is_refused_with_a_clear_reason():
    data = (
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><x>'
        + b"QUFB" * (11 * 1024 * 1024 // 4)
        + b"</x></Invoice>"
    )
    [error] = read_einvoice(data).errors

    assert error.code == "einvoice.too-large"
    assert "10 MB" in error.message


def test_broken_xml_is_refused_with_its_line():
    [error] = read_einvoice(b"<Invoice>\n<ID>1</ID>\n<Note>\n</Invoice>").errors

    assert error.code == "einvoice.not-xml"
    assert error.line == 4


def test_the_importer_claims_attack_files_so_they_are_refused_as_unsafe(tmp_path):
    bomb = tmp_path / "bomb.txt"
    bomb.write_bytes(b'<!DOCTYPE b [<!ENTITY a "aaaa">]>\n<b>&a;</b>')

    assert identify(FileSource.open(bomb)) is not None
    assert EInvoiceImporter().extract(FileSource.open(bomb)).errors[0].code == "einvoice.doctype"


class TestPdfSniffing:
    """A PDF is recognised by its bytes: `%PDF-` near the start and `%%EOF` near the end."""

    def test_a_real_pdf_passes(self):
        assert pdf.is_pdf(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    def test_a_little_junk_before_the_header_is_tolerated_as_readers_do(self):
        assert pdf.is_pdf(b"\r\n" * 100 + b"%PDF-1.4\n%%EOF")

    def test_html_that_calls_itself_pdf_is_refused_with_the_reason(self):
        reason = pdf.pdf_problem(b"<html><body>Invoice</body></html>")
        assert reason is not None and "%PDF-" in reason

    def test_a_truncated_pdf_is_refused(self):
        reason = pdf.pdf_problem(b"%PDF-1.4\n" + b"0" * 5000)
        assert reason is not None and "%%EOF" in reason

    def test_an_empty_file_is_not_a_pdf(self):
        assert pdf.pdf_problem(b"") == "the file is empty"
