"""How every benchmark reports: a figure, its unit, and its ratio to a same-run baseline."""

from __future__ import annotations


def report(name: str, value: float, unit: str, *, baseline: float | None = None, baseline_name: str = "", target: str = "") -> None:
    line = f"{name}: {value:,.2f} {unit}"
    if baseline:
        line += f"  | baseline ({baseline_name}): {baseline:,.2f} {unit}  | ratio {value / baseline:.2f}"
    if target:
        line += f"  | target {target}"
    print(line, flush=True)
