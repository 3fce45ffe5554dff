"""A file of any size reads in constant memory: the reader holds one piece and one voucher."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from bridge import sie

HEAD = '#FLAGGA 0\r\n#PROGRAM Test 1\r\n#FORMAT PC8\r\n#GEN 20250131\r\n#SIETYP 4\r\n#FNAMN "Övningsbolaget AB"\r\n'


def _write(path: Path, vouchers: int) -> Path:
    with path.open("wb") as handle:
        handle.write(HEAD.encode("cp437"))
        for number in range(1, vouchers + 1):
            handle.write(
                f'#VER A {number} 20250110 "Försäljning {number}" 20250111\r\n{{\r\n'
                f'#TRANS 1930 {{1 "N"}} {number}.50 "" "Kassa Åre" 0\r\n'
                f"#TRANS 3001 {{}} -{number}.50\r\n}}\r\n".encode("cp437")
            )
    return path


def _peak_while_streaming(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        reader = sie.SieReader(path)
        vouchers = sum(1 for record in reader if isinstance(record, sie.Voucher))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reader.problems == ()
    return vouchers, peak


def test_memory_does_not_grow_with_the_file(tmp_path):
    small = _write(tmp_path / "small.se", 20_000)
    large = _write(tmp_path / "large.se", 100_000)
    assert large.stat().st_size > 4 * small.stat().st_size

    small_count, small_peak = _peak_while_streaming(small)
    large_count, large_peak = _peak_while_streaming(large)

    assert (small_count, large_count) == (20_000, 100_000)
    assert large_peak < small_peak * 1.25  # five times the file, the same memory
