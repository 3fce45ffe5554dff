"""A big SIE file as a user meets it: `check --json`, and `watch` taking it to *queued*.

The file is the SIE benchmark's: 1,000,000 #TRANS rows in about 333,000 vouchers (~65 MB).
Each figure is the CPU time and the peak memory of a fresh process doing the whole job, beside
the same-run floor: reading, decoding and splitting the file into lines.

* `fortnox-bridge check big.se --json > out.json` — target ≤ 8× the floor and ≤ 200 MB.
* `watch` taking the file to queued: claimed, read, planned and in the ledger, Fortnox
  unreachable — target ≤ 10× the floor and ≤ 200 MB.

Where the time goes, each stage against the same floor (in this process): the SIE reader alone
(`bench_sie` holds it against a polars extraction); the reader and the model's vouchers; and
those planned (usage gathered, one plan per voucher, nothing written). And what no Python plan
can do without: one dict per row for the Fortnox body, and each voucher's body written as JSON
(msgspec, C) once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_sie import ROWS, best_of, generate, read_decode_split, stream_vouchers
from bench.report import report
from bridge.util import dumpb

# Every child says its own peak (VmHWM) when it ends: `ru_maxrss` may carry the parent's
# peak over the fork, and the parent has just generated the file.
_PEAK = """
import atexit, sys
def _peak():
    with open("/proc/self/status") as status:
        kb = next(int(l.split()[1]) for l in status if l.startswith("VmHWM"))
    sys.stderr.write(f"peak {kb}\\n")
atexit.register(_peak)
"""

_CHECK = (
    _PEAK
    + """
from bridge.cli import main
sys.argv = ["fortnox-bridge", *sys.argv[1:]]
main()
"""
)

_QUEUE = (
    _PEAK
    + """
import sys
from pathlib import Path
from bridge.config import load_settings
from bridge.pipeline.service import Bridge
settings = load_settings(Path(sys.argv[2]), environ={"FORTNOX_URL": "http://127.0.0.1:9"})
bridge = Bridge(settings, {})
file = bridge.take(Path(sys.argv[1]), "default", copy=True)
print(file.state, sum(bridge.counts()["documents"].values()))
bridge.close()
"""
)


def run_measured(command: list[str], cwd: Path, stdout) -> tuple[float, float]:
    """(CPU seconds, peak MB) of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read() if child.stderr else ""
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    peak = next((int(line.split()[1]) for line in stderr.splitlines() if line.startswith("peak ")), 0)
    print(f"  exit {child.returncode}, {wall:.1f} s wall, {cpu:.1f} s CPU")
    return cpu, peak / 1024


def stages(path: Path, floor: float) -> None:
    from decimal import Decimal

    from bridge.config import load_settings
    from bridge.importers import FileSource, open_file
    from bridge.planner import plan_stream

    tenant = load_settings(path.parent, environ={}).tenants[0]

    def vouchers() -> int:
        return sum(1 for _ in open_file(FileSource.open(path)))  # type: ignore[union-attr]

    def planned() -> None:
        plan_stream(open_file(FileSource.open(path)), tenant, None, lambda plan: None)  # type: ignore[arg-type]

    amounts = [
        Decimal(line.split("}", 1)[1].split(None, 1)[0])
        for line in read_decode_split(path)
        if line[:6] == "#TRANS"
    ]

    def row_dicts() -> None:
        for amount in amounts:
            {"Account": 1930, "Debit": amount}  # noqa: B018

    body = {"Voucher": {"Description": "Hyra", "TransactionDate": "2025-01-31", "VoucherSeries": "A",
            "Comments": "fnb:A 1 20250131", "VoucherRows": [{"Account": 1930, "Debit": amounts[0]}] * 3}}  # fmt: skip

    def bodies_written() -> None:
        for _ in range(len(amounts) // 3):
            dumpb(body)

    for label, work in (
        ("stage: the SIE reader alone", lambda: stream_vouchers(path)),
        ("stage: the reader and the model's vouchers", vouchers),
        ("stage: the vouchers planned (nothing written)", planned),
        ("least a plan needs: one dict per row", row_dicts),
        ("least a plan needs: one JSON body written per voucher", bodies_written),
    ):
        report(label, best_of(1, work), "CPU s", baseline=floor, baseline_name="read+decode+split lines")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-bigfile-") as folder:
        scratch = Path(folder)
        path = scratch / "big.se"
        vouchers = generate(path)
        print(f"{ROWS:,} #TRANS rows in {vouchers:,} vouchers, {path.stat().st_size / 1e6:.1f} MB")
        floor = best_of(3, lambda: read_decode_split(path))

        out = scratch / "check.json"
        with out.open("w") as handle:
            cpu, peak = run_measured(
                [sys.executable, "-c", _CHECK, "check", str(path), "--json"], scratch, handle
            )
        print(f"  wrote {out.stat().st_size / 1e6:.0f} MB of JSON")
        floor_after = best_of(3, lambda: read_decode_split(path))
        floor = min(floor, floor_after)
        report("check --json, 1M rows", cpu, "CPU s", baseline=floor, baseline_name="read+decode+split lines",
               target="≤ 8×")  # fmt: skip
        report("check --json, 1M rows: peak memory", peak, "MB", target="≤ 200 MB")

        work = scratch / "work"
        work.mkdir()
        cpu, peak = run_measured([sys.executable, "-c", _QUEUE, str(path), str(work)], work, None)
        report("watch: the file to queued", cpu, "CPU s", baseline=floor, baseline_name="read+decode+split lines",
               target="≤ 10×")  # fmt: skip
        report("watch: the file to queued: peak memory", peak, "MB", target="≤ 200 MB")
        stages(path, floor)


if __name__ == "__main__":
    main()
