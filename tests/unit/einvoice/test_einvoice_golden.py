"""Golden files: each of our own fixtures beside the extraction it must produce, as JSON.

Regenerate after a deliberate change and review the diff before committing:

    .venv/bin/python -m pytest tests/unit/einvoice/test_einvoice_golden.py --update-golden
"""

from __future__ import annotations

import pytest
from einvoice_helpers import FIXTURES, extract

from bridge.model import to_plain
from bridge.util import dumps

CASES = (
    "peppol-bis3-invoice-two-rates-rounding-pdf.xml",
    "peppol-bis3-credit-note-for-earlier-invoice.xml",
    "peppol-bis3-total-with-vat-does-not-add-up.xml",
    "peppol-bis3-attachment-calls-itself-pdf-but-is-html.xml",
    "peppol-self-billing-invoice.xml",
    "cii-cross-industry-invoice.xml",
    "svefaktura-sbdh-iso-8859-1-with-pdf-envelope.xml",
)


@pytest.mark.parametrize("name", CASES)
def test_extraction_matches_its_golden_file(name, golden):
    extraction = extract(FIXTURES / name, name=name)
    golden(FIXTURES / f"{name}.expected.json", dumps(to_plain(extraction), indent=2) + "\n")


def test_every_fixture_has_a_case():
    # An XML fixture without a case would silently go untested.
    assert sorted(p.name for p in FIXTURES.glob("*.xml")) == sorted(CASES)
