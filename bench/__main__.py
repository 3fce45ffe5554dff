"""Run every benchmark module (or those named on the command line)."""

from __future__ import annotations

import compileall
import importlib
import pkgutil
import sys
import time
from pathlib import Path


def compile_bridge() -> None:
    """Compile the bridge's modules once, as installing the package does (pip compiles what it
    installs): the benchmarks that start `fortnox-bridge` as a process then measure the command
    a user runs, not Python compiling an editable checkout's sources on every start (which it
    does each time where PYTHONDONTWRITEBYTECODE is set)."""
    import bridge

    compileall.compile_dir(Path(bridge.__file__).parent, quiet=1)


def main(argv: list[str]) -> int:
    wanted = set(argv)
    compile_bridge()
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
    )
    for name in names:
        if wanted and name.removeprefix("bench_") not in wanted and name not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
