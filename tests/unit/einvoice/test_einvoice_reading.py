"""What the importer claims, and what it reads out of a Peppol and a Svefaktura invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from einvoice_helpers import FIXTURES, codes, extract, reconciles

from bridge.formats.einvoice import read_einvoice, root_namespace
from bridge.formats.einvoice.identifiers import is_ocr, luhn_ok, normalise_org_number, org_number_from_vat
from bridge.importers import IMPORTERS, FileSource, identify
from bridge.importers.einvoice import EInvoiceImporter

PEPPOL = FIXTURES / "peppol-bis3-invoice-two-rates-rounding-pdf.xml"
CREDIT_NOTE = FIXTURES / "peppol-bis3-credit-note-for-earlier-invoice.xml"
SVEFAKTURA = FIXTURES / "svefaktura-sbdh-iso-8859-1-with-pdf-envelope.xml"


class TestIdentify:
    """Claimed by content — the root element's namespace — whatever the file is called."""

    @pytest.mark.parametrize("name", ["faktura.xml", "faktura.txt", "FAKTURA", "invoice.csv"])
    def test_an_e_invoice_is_claimed_under_any_name(self, tmp_path, name):
        path = tmp_path / name
        path.write_bytes(PEPPOL.read_bytes())

        assert isinstance(identify(FileSource.open(path)), EInvoiceImporter)

    @pytest.mark.parametrize(
        "content",
        [
            b"Fakturanummer;Kundnummer;Antal;Pris\n1;10;1;100\n",
            b"#FLAGGA 0\n#SIETYP 4\n",
            b"%PDF-1.4\n%%EOF\n",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        ],
    )
    def test_csv_sie_pdf_and_other_xml_are_not_claimed(self, tmp_path, content):
        path = tmp_path / "file.xml"
        path.write_bytes(content)

        assert not EInvoiceImporter().identify(FileSource.open(path))

    def test_it_is_registered_beside_the_csv_importer(self):
        assert [imp.name for imp in IMPORTERS].count("einvoice") == 1

    def test_the_root_namespace_is_read_with_any_prefix(self):
        head = b'<?xml version="1.0"?>\n<!-- x -->\n<ns0:Invoice xmlns:ns0="urn:sfti:documents:BasicInvoice:1:0">'
        assert root_namespace(head) == "urn:sfti:documents:BasicInvoice:1:0"


class TestPeppolInvoice:
    @pytest.fixture
    def invoice(self):
        [invoice] = extract(PEPPOL).documents
        return invoice

    def test_the_source_key_is_the_supplier_org_number_and_its_invoice_number(self, invoice):
        assert invoice.source_key == "5566778899:F-2026-0042"

    def test_the_supplier_is_read_with_its_identifiers_and_f_tax(self, invoice):
        supplier = invoice.supplier
        assert supplier.name == "Papperskompaniet i Göteborg AB"
        assert (supplier.organisation_number, supplier.vat_number) == ("5566778899", "SE556677889901")
        assert supplier.f_tax is True
        assert supplier.bankgiro == "50501055"
        assert supplier.endpoint_id == "0007:5566778899"

    def test_the_buyer_is_read_so_a_later_step_can_check_it_is_us(self, invoice):
        assert invoice.buyer_organisation_number == "5591234561"
        assert invoice.buyer is not None and invoice.buyer.name == "Demobolaget AB"

    def test_vat_is_broken_down_per_rate_and_the_rounding_is_visible(self, invoice):
        assert [(v.rate, v.taxable_amount, v.vat_amount) for v in invoice.vat_breakdown] == [
            (Decimal(25), Decimal("99.60"), Decimal("24.90")),
            (Decimal(12), Decimal("50.00"), Decimal("6.00")),
        ]
        assert (invoice.vat, invoice.rounding, invoice.total) == (
            Decimal("30.90"),
            Decimal("0.50"),
            Decimal("181.00"),
        )
        assert reconciles(invoice)

    def test_lines_keep_quantity_unit_price_item_and_accounting_cost(self, invoice):
        first = invoice.rows[0]
        assert (first.quantity, first.unit, first.price, first.amount) == (
            Decimal(12),
            "EA",
            Decimal("8.30"),
            Decimal("99.60"),
        )
        assert (first.description, first.article_number, first.accounting_cost) == (
            "Kopieringspapper A4",
            "PAP-A4",
            "6110",
        )

    def test_a_payment_id_passing_mod_10_is_the_ocr(self, invoice):
        assert invoice.ocr == "123456789012345671"
        assert invoice.payment_reference is None

    def test_references_dates_and_period(self, invoice):
        assert (invoice.your_reference, invoice.order_reference) == ("Anna Andersson", "PO-7781")
        assert str(invoice.due_date) == "2026-12-22"
        assert (str(invoice.period_start), str(invoice.period_end)) == ("2026-11-01", "2026-11-30")

    def test_the_embedded_pdf_is_decoded_and_named_by_us(self, invoice):
        [attachment] = invoice.attachments
        assert (
            attachment.name == "invoice-F-2026-0042-attachment-1.pdf"
        )  # the file said ../../etc/faktura.pdf
        assert attachment.data.startswith(b"%PDF-")


def test_a_credit_note_is_booked_negative_and_names_the_invoice_it_credits():
    [credit] = extract(CREDIT_NOTE).documents

    assert credit.is_credit
    assert credit.credit_of == "F-2026-0042"
    assert (credit.total, credit.vat, credit.rounding) == (
        Decimal("-181.00"),
        Decimal("-30.90"),
        Decimal("-0.50"),
    )
    assert [row.amount for row in credit.rows] == [Decimal("-99.60"), Decimal("-50.00")]
    assert reconciles(credit)


class TestSvefaktura:
    @pytest.fixture
    def extraction(self):
        return extract(SVEFAKTURA)

    def test_it_comes_out_of_its_sbdh_envelope(self, extraction):
        assert extraction.facts["format"] == "svefaktura-1.0"
        assert extraction.facts["envelopes"] == ["sbdh"]

    def test_iso_8859_1_letters_and_escaped_characters_survive(self, extraction):
        assert extraction.documents[0].supplier.name == "Åkeri & Städ i Mölndal AB"

    def test_the_org_number_comes_from_the_swt_tax_scheme_without_its_hyphen(self, extraction):
        assert extraction.documents[0].supplier.organisation_number == "5566778899"

    def test_plusgiro_and_a_payment_reference_that_is_not_an_ocr(self, extraction):
        invoice = extraction.documents[0]
        assert invoice.supplier.plusgiro == "1234567"
        assert (invoice.ocr, invoice.payment_reference) == (None, "8841 november")

    def test_the_amount_with_newlines_inside_is_read_exactly(self, extraction):
        assert extraction.documents[0].rows[0].amount == Decimal("1000.00")

    def test_the_object_envelope_pdf_becomes_the_attachment(self, extraction):
        [attachment] = extraction.documents[0].attachments
        assert (attachment.name, attachment.media_type) == (
            "invoice-8841-attachment-1.pdf",
            "application/pdf",
        )

    def test_rounding_is_in_the_total_to_pay(self, extraction):
        invoice = extraction.documents[0]
        assert (invoice.total, invoice.rounding) == (Decimal("1563.00"), Decimal("0.50"))
        assert reconciles(invoice)


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("cii-cross-industry-invoice.xml", "CII"),
        ("peppol-self-billing-invoice.xml", "self-billing"),
    ],
)
def test_formats_we_do_not_read_are_refused_with_a_reason(fixture, reason):
    [error] = extract(FIXTURES / fixture).errors
    assert reason in error.message
    assert error.hint


def test_a_broken_total_refuses_the_file_naming_rule_element_and_line():
    extraction = extract(FIXTURES / "peppol-bis3-total-with-vat-does-not-add-up.xml")

    assert extraction.documents == ()
    [error] = extraction.errors
    assert error.code == "BR-CO-15"
    assert error.field == "/Invoice/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"
    assert error.line is not None
    assert extraction.facts["validation"]["arithmetic"] == "failed"


def test_an_attachment_that_is_html_posing_as_pdf_is_left_out_with_a_warning():
    extraction = extract(FIXTURES / "peppol-bis3-attachment-calls-itself-pdf-but-is-html.xml")

    assert extraction.documents[0].attachments == ()
    assert codes(extraction) == {"einvoice.attachment-refused"}


def test_a_ubl_document_without_customization_id_is_refused():
    data = (
        PEPPOL.read_bytes()
        .replace(b"<cbc:CustomizationID>", b"<!--")
        .replace(b"</cbc:CustomizationID>", b"-->")
    )
    assert "CustomizationID" in read_einvoice(data).errors[0].message


class TestIdentifiers:
    def test_luhn(self):
        assert luhn_ok("5566778899") and not luhn_ok("5566778898")

    @pytest.mark.parametrize(
        ("text", "expected"),
        [("556677-8899", "5566778899"), ("16556677-8899", "5566778899"), ("55667788", None)],
    )
    def test_organisation_numbers_are_normalised_to_ten_digits(self, text, expected):
        assert normalise_org_number(text) == expected

    def test_the_org_number_inside_a_swedish_vat_number(self):
        assert org_number_from_vat("SE 556677889901") == "5566778899"

    @pytest.mark.parametrize(
        ("text", "ocr"), [("123456789012345671", True), ("1800355", False), ("08/00355", False), ("7", False)]
    )
    def test_ocr_is_digits_passing_mod_10(self, text, ocr):
        assert is_ocr(text) is ocr
