"""SIE engine speed and memory, each figure beside a baseline measured in the same run.

* Parse: a generated SIE 4 file of 1,000,000 #TRANS rows (~70 MB) read into vouchers with
  Decimal amounts and balance checks, against reading + decoding + splitting the same file into
  lines. Target ≤ 3×. The file is shaped like a Fortnox export: every voucher text different,
  Swedish letters throughout, an object list on a third of the rows, and row texts that are
  empty or one of a few dozen recurring texts (as in real ledgers).
* Memory: peak resident size of a fresh process streaming that file, against the same process
  before it reads. Target ≤ 150 MB.
* Write: the same vouchers written as SIE, against writing the same lines with str.join +
  encode — and against the same with the faster CP437 table the writer uses (Python's own
  cp437 codec encodes through a dict), to show what the formatting itself costs.
  Also the 1 MB real Fortnox export from ../shared/ref/sie when it is there.
* Floor: one Decimal and one row tuple per #TRANS row and nothing else, against the same
  baseline: the part of the ratio that no SIE parser written in Python can avoid.
* Columnar: polars (a PyPI wheel, Rust inside) splitting the lines and extracting each #TRANS
  row's fields with one regular expression, then a Decimal per amount — rows only, no vouchers,
  no checks — against the same baseline; the reader is kept unless this is faster. Skipped
  when polars is not installed (`pip install polars`).

Times are CPU seconds of this process (the best of a few runs): on a shared machine they wobble
less than wall-clock time.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from bench.report import report
from bridge import sie
from bridge.sie.encodings import to_cp437

ROWS = 1_000_000
CORPUS_FILE = (
    Path(__file__).resolve().parents[1].parent / "shared/ref/sie/keyholder_Fortnox3.60_Bygg_4434ver.se"
)

_WORDS = (
    "Försäljning",
    "Inköp",
    "Hyra",
    "Löner",
    "Bränsle",
    "Kaffebröd",
    "Städning",
    "Frakt",
    "Räntor",
    "Porto",
)
_PLACES = ("Åkesson", "Östermalm", "Älvsjö", "Göteborg", "Malmö", "kontant", "kort", "Swish")
_ROW_TEXTS = ("",) * 30 + tuple(f"{word} {place}" for word in _WORDS for place in _PLACES[:3])
_ACCOUNTS = ("1510", "1930", "2440", "2611", "2640", "3001", "4010", "5010", "5460", "6110", "6570", "7010")
_OBJECTS = (
    '{1 "Nord"}',
    '{6 "P1040"}',
    '{1 "Syd" 6 "Älvsjö"}',
    '{1 "Öst"}',
    '{6 "18"}',
    '{1 "Väst" 6 "P1103"}',
)


def generate(path: Path, rows: int = ROWS) -> int:
    """Write the benchmark file of `rows` #TRANS rows; returns the number of vouchers."""
    chooser = random.Random(20250131)
    written = vouchers = 0
    with path.open("wb") as handle:
        handle.write(
            '#FLAGGA 0\r\n#FORMAT PC8\r\n#SIETYP 4\r\n#PROGRAM "Fortnox" 3.60.16\r\n#GEN 20260115\r\n'
            '#FNAMN "Bänkföretaget Åkesson & Öberg AB"\r\n#RAR 0 20250101 20251231\r\n'.encode("cp437")
        )
        lines: list[str] = []
        while written < rows:
            vouchers += 1
            count = min(chooser.randint(2, 4), rows - written)
            if rows - written - count == 1:
                count += 1  # no voucher of one row at the end: Fortnox needs two
            day = f"2025{chooser.randint(1, 12):02d}{chooser.randint(1, 28):02d}"
            text = f"{chooser.choice(_WORDS)} {chooser.choice(_PLACES)} {vouchers}"
            lines += (f'#VER {chooser.choice("ABCD")} {vouchers} {day} "{text}" {day}', "{")
            total = 0
            for index in range(count):
                cents = -total if index == count - 1 else chooser.randint(-99_999_99, 99_999_99)
                total += cents
                objects = chooser.choice(_OBJECTS) if written % 3 == 0 else "{}"
                amount = f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"
                row_text = chooser.choice(_ROW_TEXTS)
                lines.append(f'#TRANS {chooser.choice(_ACCOUNTS)} {objects} {amount} "" "{row_text}" 0')
                written += 1
            lines.append("}")
            if len(lines) > 50_000:
                handle.write(("\r\n".join(lines) + "\r\n").encode("cp437"))
                lines = []
        handle.write(("\r\n".join(lines) + "\r\n").encode("cp437"))
    return vouchers


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def read_decode_split(path: Path) -> list[str]:
    return path.read_bytes().decode("cp437").splitlines()


def stream_vouchers(path: Path) -> int:
    return sum(1 for record in sie.SieReader(path) if type(record) is sie.Voucher)


def floor(amounts: list[str]) -> None:
    new, row = tuple.__new__, sie.Transaction
    for amount in amounts:
        new(row, ("#TRANS", "1930", (), Decimal(amount), None, "", None, "", 0))


_MEMORY_PROBE = """
import resource, sys
def peak_mb():
    try:  # the peak of this process only (ru_maxrss may carry the parent's peak over a fork)
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmHWM")) / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
from bridge.sie import SieReader, Voucher
before = peak_mb()
count = sum(1 for record in SieReader(sys.argv[1]) if type(record) is Voucher)
print(before, peak_mb(), count)
"""


def peak_memory(path: Path) -> tuple[float, float]:
    """Peak resident MB of a fresh process before and after streaming `path`."""
    answer = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(answer[0]), float(answer[1])


def write_lines(lines: list[str], target: Path, encode: Callable[[str], bytes]) -> None:
    target.write_bytes(encode("\r\n".join(lines) + "\r\n"))


def python_cp437(text: str) -> bytes:
    return text.encode("cp437")


def measure_file(label: str, path: Path, scratch: Path, runs: int) -> None:
    baseline = best_of(runs + 1, lambda: read_decode_split(path))
    parse = best_of(runs, lambda: stream_vouchers(path))
    report(
        f"{label}: parse to vouchers (streaming)",
        parse,
        "CPU s",
        baseline=baseline,
        baseline_name="read+decode+split lines",
        target="≤ 3×",
    )
    whole = best_of(runs, lambda: sie.read(path))
    report(
        f"{label}: read() into one document",
        whole,
        "CPU s",
        baseline=baseline,
        baseline_name="read+decode+split lines",
    )
    document = sie.read(path)
    lines = read_decode_split(path)
    plain = best_of(runs + 1, lambda: write_lines(lines, scratch / "plain.se", python_cp437))
    table = best_of(runs + 1, lambda: write_lines(lines, scratch / "table.se", to_cp437))
    written = best_of(runs, lambda: sie.write(document, scratch / "written.se"))
    report(
        f"{label}: write",
        written,
        "CPU s",
        baseline=plain,
        baseline_name="same lines, str.join+encode",
        target="≤ 3×",
    )
    report(
        f"{label}: write",
        written,
        "CPU s",
        baseline=table,
        baseline_name="same lines, str.join+the writer's faster CP437 table",
    )


def measure_floor(path: Path) -> None:
    amounts = [
        line.split("}", 1)[1].split(None, 1)[0] for line in read_decode_split(path) if line[:6] == "#TRANS"
    ]
    baseline = best_of(3, lambda: read_decode_split(path))
    cost = best_of(2, lambda: floor(amounts))
    report(
        "floor: one Decimal + one row tuple per row",
        cost,
        "CPU s",
        baseline=baseline,
        baseline_name="read+decode+split lines",
    )


_TRANS_FIELDS = r'^#TRANS\s+(\d+)\s+\{([^}]*)\}\s+(-?[0-9.]+)\s+"([^"]*)"\s+"([^"]*)"\s*(\S*)'


def columnar_rows(path: Path) -> int:
    import polars as pl

    lines = pl.Series("line", path.read_bytes().decode("cp437").splitlines())
    rows = pl.DataFrame({"line": lines}).filter(pl.col("line").str.starts_with("#TRANS"))
    fields = rows.select(pl.col("line").str.extract_groups(_TRANS_FIELDS).alias("f")).unnest("f")
    amounts = fields.get_column(fields.columns[2]).to_list()
    return len(list(map(Decimal, amounts)))


def measure_columnar(path: Path) -> None:
    try:
        import polars  # noqa: F401
    except ImportError:
        print("skipped the columnar comparison: polars is not installed (pip install polars)")
        return
    baseline = best_of(3, lambda: read_decode_split(path))
    reader = best_of(2, lambda: stream_vouchers(path))
    columnar = best_of(2, lambda: columnar_rows(path))
    report("columnar: polars regex extraction, rows + Decimal only", columnar, "CPU s", baseline=baseline,
           baseline_name="read+decode+split lines", target="kept if below the reader")  # fmt: skip
    report("columnar: the reader, whole vouchers with checks", reader, "CPU s", baseline=baseline,
           baseline_name="read+decode+split lines", target="≤ 4×")  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-sie-") as folder:
        scratch = Path(folder)
        path = scratch / "generated.se"
        started = time.perf_counter()
        vouchers = generate(path)
        size = path.stat().st_size / 1e6
        took = time.perf_counter() - started
        print(f"generated {ROWS:,} #TRANS rows in {vouchers:,} vouchers, {size:.1f} MB, in {took:.1f} s")

        before, after = peak_memory(path)
        report(
            "peak memory streaming the 1M-row file",
            after,
            "MB",
            baseline=before,
            baseline_name="same process before reading",
            target="≤ 150 MB",
        )
        measure_floor(path)
        measure_columnar(path)
        measure_file("generated 1M rows", path, scratch, runs=2)

        if CORPUS_FILE.is_file():
            measure_file("real Fortnox 1 MB", CORPUS_FILE, scratch, runs=5)
        else:
            print(
                f"skipped the real Fortnox file: {CORPUS_FILE} is not there (../shared/ref is outside the repository)"
            )
