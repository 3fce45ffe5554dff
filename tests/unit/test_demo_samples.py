"""What `make demo` drops: one sample of each kind of file the bridge reads, each read cleanly."""

from __future__ import annotations

from bridge.demo import sample_files
from bridge.importers import FileSource, extract_file


def test_every_sample_is_a_kind_the_bridge_reads_without_error():
    read = {sample.name: extract_file(FileSource.open(sample)) for sample in sample_files()}
    assert {name: extraction.errors for name, extraction in read.items() if extraction.errors} == {}
    kinds = {extraction.importer for extraction in read.values()}
    assert {"csv-invoices", "csv-customers", "csv-projects", "csv-articles", "csv-journal"} <= kinds
    credits = [d for d in read["kreditering-november.csv"].documents if d.credit_of]
    assert credits, "the demo shows a credit"
