"""Golden files: each of our own fixtures beside the extraction it must produce, as JSON.

Regenerate after a deliberate change and review the diff before committing:

    EINVOICE_REGENERATE=1 .venv/bin/python -m pytest tests/unit/einvoice/test_einvoice_golden.py
"""

from __future__ import annotations

import os

import pytest
from einvoice_helpers import FIXTURES, extract

from bridge.jsonnum import dumps
from bridge.model import to_plain

CASES = (
    "peppol-bis3-invoice-two-rates-rounding-pdf.xml",
    "peppol-bis3-credit-note-for-earlier-invoice.xml",
    "peppol-bis3-total-with-vat-does-not-add-up.xml",
    "peppol-bis3-attachment-calls-itself-pdf-but-is-html.xml",
    "peppol-self-billing-invoice.xml",
    "cii-cross-industry-invoice.xml",
    "svefaktura-sbdh-iso-8859-1-with-pdf-envelope.xml",
)
REGENERATE = os.environ.get("EINVOICE_REGENERATE") == "1"


@pytest.mark.parametrize("name", CASES)
def test_extraction_matches_its_golden_file(name):
    extraction = extract(FIXTURES / name, name=name)
    actual = dumps(to_plain(extraction), indent=2) + "\n"
    golden = FIXTURES / f"{name}.expected.json"
    if REGENERATE:
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file for {name}; run with EINVOICE_REGENERATE=1 and review it"
    assert actual == golden.read_text(encoding="utf-8")


def test_every_fixture_has_a_case():
    # An XML fixture without a case would silently go untested.
    assert sorted(p.name for p in FIXTURES.glob("*.xml")) == sorted(CASES)
