"""Golden files for plans: beside every input file in fixtures/ lies `<name>.plan.json`, what
`fortnox-bridge check --json` says of it in a fresh working folder (default settings, no
registers fetched yet): how it was read, its problems, and every call each of its documents
would make, with the bodies sent.

After a deliberate change, rewrite them with `make golden` and review the diff before
committing: a changed plan is a changed promise about what goes to Fortnox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import load_settings
from bridge.pipeline.check import check_file
from bridge.util import dumps, loads

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("samples", "csv", "einvoice", "sie", "purchaseorders")


def _inputs() -> list[Path]:
    return sorted(
        path
        for folder in FOLDERS
        for path in (REPO / "fixtures" / folder).iterdir()
        if path.is_file() and not path.name.endswith(".json")
    )


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: str(p.relative_to(REPO / "fixtures")))
def test_the_planned_calls_match_the_golden_file(path, tmp_path, golden):
    with check_file(load_settings(tmp_path, environ={}), path) as report:
        documents = [loads(document) for document in report.documents()]
    shown = {**report.head, "file": path.relative_to(REPO).as_posix(), "documents": documents}
    golden(path.with_name(path.name + ".plan.json"), dumps(shown, indent=2) + "\n")


def test_no_plan_is_left_without_its_input():
    inputs = {path.name for path in _inputs()}
    orphans = [
        plan.relative_to(REPO).as_posix()
        for folder in FOLDERS
        for plan in (REPO / "fixtures" / folder).glob("*.plan.json")
        if plan.name.removesuffix(".plan.json") not in inputs
    ]
    assert not orphans, "remove them, or restore their inputs"
