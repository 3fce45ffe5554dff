"""Several threads read e-invoices at once (the shared workers, worker mode's slices): each one's
schema problems are its own, and a schema compiled while others validate compiles whole. Found by
the workers' crash test: libxml2 refused a schema compiled in two threads at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lxml import etree

from bridge.formats.einvoice import xsd

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "einvoice"


def _invoice(broken: bool) -> etree._Element:
    root = etree.parse(str(FIXTURES / "peppol-bis3-credit-note-for-earlier-invoice.xml")).getroot()
    if broken:  # an element the schema does not allow, at the top
        etree.SubElement(
            root, "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}Nonsense"
        )
    return root


def test_threads_validating_at_once_each_get_their_own_problems():
    good, bad = _invoice(broken=False), _invoice(broken=True)
    expected = {False: xsd.schema_problems(good), True: xsd.schema_problems(bad)}
    assert expected[False] == [] and expected[True]
    for _ in range(5):
        xsd._schema.cache_clear()  # each round compiles the schema while other threads wait for it
        with ThreadPoolExecutor(8) as pool:
            found = list(
                pool.map(lambda n: (n % 2 == 1, xsd.schema_problems(bad if n % 2 else good)), range(64))
            )
        assert all(problems == expected[broken] for broken, problems in found)
