"""No arrow runs backwards: each package imports only the layers below it (docs/architecture.md).

    util ← model, config ← sie, formats ← importers ← planner
                                      fortnox (the client: util, model) ← exporters
    planner, importers, exporters, fortnox ← pipeline ← runtime ← cli, demo
    util ← configfile;  config, configfile, fortnox ← connect ← cli
    pipeline, exporters, connect ← console ← cli
    config, pipeline ← workers (worker mode: several processes on one PostgreSQL) ← cli

The mock uses `bridge.util` and `bridge.sie` and nothing else of the bridge; the bridge uses
the mock only to start it embedded (`runtime`). Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

BELOW_PLANNER = {"util", "model", "config", "sie", "formats", "importers"}
ALLOWED: dict[str, set[str]] = {
    "util": set(),
    "model": {"util"},
    "config": set(),
    "sie": {"util", "model"},
    "formats": {"util", "model"},
    "importers": {"util", "model", "sie", "formats"},
    "planner": {"util", "model", "config", "formats"},
    "fortnox": {"util", "model"},
    "exporters": {"util", "model", "config", "sie", "fortnox"},
    "pipeline": {"util", "model", "config", "sie", "formats", "importers", "planner", "fortnox", "exporters"},
    "configfile": {"util"},
    "connect": {"util", "config", "configfile", "fortnox"},
    "runtime": {"util", "config", "fortnox", "pipeline", "mockfortnox"},
    "demo": {"util", "config", "pipeline", "runtime"},
    "console": {"util", "config", "fortnox", "exporters", "pipeline", "connect"},
    "workers": {"util", "config", "pipeline"},
    "cli": {
        "util",
        "model",
        "config",
        "importers",
        "planner",
        "fortnox",
        "exporters",
        "pipeline",
        "runtime",
        "connect",
        "console",
        "workers",
    },
    "mockfortnox": {"util", "sie"},
}
# Third-party libraries that belong to one layer only: the network and the database.
OWNED = {
    "httpx": {"fortnox"},
    "websockets": {"fortnox/topics.py"},
    "sqlite3": {"pipeline/ledger.py", "pipeline/dialect.py"},
    # The ledger's SQL lives in the dialect; the workers' leases and procrastinate's queue are
    # worker mode's own tables in the same database.
    "psycopg": {"pipeline/dialect.py", "workers"},
    "watchdog": {"pipeline/watcher.py"},
}


def _package(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    if parts[0] == "mockfortnox":
        return "mockfortnox"
    return parts[1] if len(parts) > 2 else parts[1].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    """Every module name this file imports, `from bridge import sie` as `bridge.sie`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "bridge":
                names |= {f"bridge.{alias.name}" for alias in node.names if alias.name != "__version__"}
    return names


def _sources() -> list[Path]:
    return sorted([*(REPO / "bridge").rglob("*.py"), *(REPO / "mockfortnox").rglob("*.py")])


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "mockfortnox":
        return "mockfortnox"
    if parts[0] == "bridge" and len(parts) > 1:
        return parts[1]
    return None


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_a_module_imports_only_layers_below_its_own(path):
    own = _package(path)
    if own in ("__init__", "__main__"):
        return  # the package's own entry: `python -m bridge` is the command line
    assert own in ALLOWED, f"{own} is a new package: give it its place in ALLOWED and in docs/architecture.md"
    wrong = sorted(
        module
        for module in _imports(path)
        if (layer := _layer_of(module)) is not None and layer != own and layer not in ALLOWED[own]
    )
    assert not wrong, f"{own} may not import {wrong}"


@pytest.mark.parametrize("library, owners", OWNED.items())
def test_the_network_and_the_database_each_have_one_home(library, owners):
    users = {
        str(path.relative_to(REPO / "bridge"))
        for path in (REPO / "bridge").rglob("*.py")
        if any(name.split(".")[0] == library for name in _imports(path))
    }
    strays = {u for u in users if not any(u == owner or u.startswith(owner + "/") for owner in owners)}
    assert not strays, f"{library} is used outside {sorted(owners)}: {sorted(strays)}"


def test_the_pure_layers_never_reach_the_network_even_indirectly():
    import subprocess
    import sys

    code = (
        "import sys, bridge.planner, bridge.importers, bridge.model, bridge.sie;"
        "print(sorted(m for m in ('httpx', 'sqlite3', 'psycopg', 'flask', 'watchdog', 'websockets') if m in sys.modules))"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "[]"
