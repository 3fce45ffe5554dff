"""`export year --years 2`: each of the two latest years' SIE 4 and documents, in one run."""

from __future__ import annotations

from datetime import date

from bridge.exporters.years import export_years
from tests.exports_company import fill_year


def test_the_two_latest_years_books_and_documents(api, tmp_path):
    earlier = fill_year(api, vouchers=2, supplier_invoices=1, invoices=1, day="2025-05-05", year_id=1)
    this_year = fill_year(api, vouchers=3, supplier_invoices=1, invoices=0)
    said: list[str] = []

    books = export_years(api, "demo", tmp_path, years=2, today=date(2026, 12, 2), say=said.append)

    assert [b.documents.label for b in books] == ["2025", "2026"] and all(b.ok for b in books)
    for year_books, expected in zip(books, (earlier, this_year), strict=True):
        folder = year_books.documents.folder
        assert year_books.sie.path == folder / f"5599000006_{year_books.documents.label}_SIE4.se"
        assert year_books.sie.vouchers == len([p for p in expected.files if p.startswith("vouchers/")])
        for path, content in expected.files.items():
            assert (folder / path).read_bytes() == content
        assert (folder / "manifest.csv").exists()
    assert books[1].to_json()["documents"]["files"] == 4
    assert any(line.startswith("2025: ") for line in said)


def test_one_year_from_a_chosen_year(api, tmp_path):
    [books] = export_years(api, "demo", tmp_path, years=1, year=2025)
    assert books.documents.label == "2025" and books.sie.ok and books.documents.mirror.entries == []
