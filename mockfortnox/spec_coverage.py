"""How much of Fortnox's OpenAPI document the mock serves: operations implemented / in the spec.

    python -m mockfortnox.spec_coverage path/to/openapi.json [--missing]

An operation is a (method, path) pair; a path matches one of the app's URL rules when they
are equal after every `{parameter}` / `<converter:parameter>` becomes one placeholder.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from flask import Flask

__all__ = ["coverage", "main", "served_operations", "spec_operations"]

METHODS = ("get", "put", "post", "delete", "patch")


def _shape(path: str) -> str:
    return re.sub(r"{[^}]+}|<(?:[a-z]+:)?[A-Za-z_]+>", "{}", path.rstrip("/"))


def spec_operations(spec: dict) -> set[tuple[str, str]]:
    return {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops if m in METHODS}


def served_operations(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, _shape(rule.rule))
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def coverage(spec: dict, app: Flask) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(implemented, missing) operations of `spec`, each sorted by path then method."""
    served = served_operations(app)
    implemented: list[tuple[str, str]] = []
    missing: list[tuple[str, str]] = []
    for method, path in sorted(spec_operations(spec), key=lambda op: (op[1], op[0])):
        (implemented if (method, _shape(path)) in served else missing).append((method, path))
    return implemented, missing


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    from mockfortnox.app import create_app

    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    implemented, missing = coverage(spec, create_app({"MOCK_RATE_LIMIT": "off"}))
    print(f"{len(implemented)} / {len(implemented) + len(missing)} operations")
    if "--missing" in args:
        for method, path in missing:
            print(f"  missing {method} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
