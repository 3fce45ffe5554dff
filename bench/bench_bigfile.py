"""A big SIE file as a user meets it: `check --json`, and `watch` taking it to *queued*.

The file is the SIE benchmark's: 1,000,000 #TRANS rows in about 333,000 vouchers (~65 MB).
Each figure is the CPU time and the peak memory of a fresh process doing the whole job, beside
the same-run floor: reading, decoding and splitting the file into lines.

* `fortnox-bridge check big.se --json > out.json` — target ≤ 8× the floor and ≤ 200 MB.
* `watch` taking the file to queued: claimed, read, planned and in the ledger, Fortnox
  unreachable — target ≤ 10× the floor and ≤ 200 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_sie import ROWS, best_of, generate, read_decode_split
from bench.report import report

_QUEUE = """
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


def run_measured(command: list[str], cwd: Path, stdout) -> tuple[float, float, str]:
    """(CPU seconds, peak MB, what it printed on stderr) of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read() if child.stderr else ""
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    print(f"  exit {child.returncode}, {wall:.1f} s wall, {cpu:.1f} s CPU {stderr.strip()[-300:]}")
    return cpu, usage.ru_maxrss / 1024, stderr


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-bigfile-") as folder:
        scratch = Path(folder)
        path = scratch / "big.se"
        vouchers = generate(path)
        print(f"{ROWS:,} #TRANS rows in {vouchers:,} vouchers, {path.stat().st_size / 1e6:.1f} MB")
        floor = best_of(3, lambda: read_decode_split(path))

        out = scratch / "check.json"
        with out.open("w") as handle:
            cpu, peak, _ = run_measured(
                [sys.executable, "-m", "bridge", "check", str(path), "--json"], scratch, handle
            )
        print(f"  wrote {out.stat().st_size / 1e6:.0f} MB of JSON")
        floor_after = best_of(3, lambda: read_decode_split(path))
        floor = min(floor, floor_after)
        report("check --json, 1M rows", cpu, "CPU s", baseline=floor, baseline_name="read+decode+split lines",
               target="≤ 8×")  # fmt: skip
        report("check --json, 1M rows: peak memory", peak, "MB", target="≤ 200 MB")

        work = scratch / "work"
        work.mkdir()
        cpu, peak, _ = run_measured([sys.executable, "-c", _QUEUE, str(path), str(work)], work, None)
        report("watch: the file to queued", cpu, "CPU s", baseline=floor, baseline_name="read+decode+split lines",
               target="≤ 10×")  # fmt: skip
        report("watch: the file to queued: peak memory", peak, "MB", target="≤ 200 MB")


if __name__ == "__main__":
    main()
