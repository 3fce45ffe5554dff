"""Bounded input: the peak memory of `fortnox-bridge check` on files no office should drop.

Each figure is the peak resident memory (VmHWM) of a fresh `fortnox-bridge check FILE --json`
process, beside the same-run baseline: a fresh interpreter that only imports the command
(`import bridge.cli`), which every run pays whatever the file.

* a CSV invoice file of 1,000,000 rows (~30 MB, within `limits.csv_megabytes`): read as a
  stream and refused at the row past `limits.csv_rows`;
* a 300 MB SIE file (~4.6M #TRANS rows, within `limits.sie_megabytes`): read and planned as a
  stream, whole;
* a 2 GB sparse file that begins like a CSV invoice file: refused by its size, unread.

Target for each: ≤ 200 MB, whatever the file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_bigfile import _CHECK, _PEAK, run_measured
from bench.bench_sie import generate
from bench.report import report

CSV_ROWS = 1_000_000
SIE_MB = 300
SPARSE_BYTES = 2 * 1024**3
HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris;Moms\n"


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        batch = []
        for n in range(rows):
            batch.append(f"F{n // 5};{1000 + n % 97};Konsulttimme {n % 13};2;1 250,00;25\n")
            if len(batch) == 50_000:
                handle.writelines(batch)
                batch = []
        handle.writelines(batch)


def write_sie(path: Path, megabytes: int) -> None:
    rows = (
        megabytes * 1_000_000 // 65
    )  # the generator writes ~65 bytes a #TRANS row, its voucher's share included
    generate(path, rows)


def baseline(folder: Path) -> float:
    """Peak MB of a fresh interpreter that imports the command and does nothing."""
    code = _PEAK + "\nimport bridge.cli\n"
    return run_measured([sys.executable, "-c", code], folder, subprocess.DEVNULL)[1]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as folder:
        scratch = Path(folder)
        files = {
            "1M-row CSV": scratch / "million.csv",
            "300 MB SIE": scratch / "big.se",
            "2 GB sparse file": scratch / "sparse.csv",
        }
        write_csv(files["1M-row CSV"], CSV_ROWS)
        write_sie(files["300 MB SIE"], SIE_MB)
        files["2 GB sparse file"].write_text(HEADER + "F1;1001;x;1;1;25\n", encoding="utf-8")
        os.truncate(files["2 GB sparse file"], SPARSE_BYTES)
        floor = baseline(scratch)
        for label, path in files.items():
            print(f"{label}: {path.stat().st_size / 1e6:,.0f} MB")
            _, peak = run_measured(
                [sys.executable, "-c", _CHECK, "check", str(path), "--json"], scratch, subprocess.DEVNULL
            )
            report(
                f"check --json, {label}: peak memory",
                peak,
                "MB",
                baseline=floor,
                baseline_name="interpreter with bridge.cli imported",
                target="≤ 200 MB",
            )


if __name__ == "__main__":
    main()
