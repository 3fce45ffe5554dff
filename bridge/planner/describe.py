"""Planned calls in words and plain data: what `check` prints and what a receipt lists as planned.

One vocabulary for both, so a person reads the same sentence before sending (`check`) and
after (`outbox/receipts/`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bridge.planner.steps import DocumentPlan, Step

__all__ = ["CALL_WORDS", "call_line", "describe", "describe_calls"]

CALL_WORDS = {
    "ensure": "look up, create if missing:",
    "find": "look up:",
    "create": "create once:",
    "action": "then:",
    "upload": "upload once:",
    "upsert": "create, or update what differs:",
    "delete": "remove once:",
    "probe": "ask whether the company has:",
}


def describe_calls(steps: Iterable[Step], *, bodies: bool = True) -> list[dict[str, Any]]:
    """Each step as a call: its kind (`find` for a look-up that never creates), label, method,
    path (a look-up's own), the conditions it runs on and, with `bodies`, what it sends."""
    calls = []
    for step in steps:
        call: dict[str, Any] = {
            "kind": step.kind if step.kind != "ensure" or step.create_if_missing else "find",
            "label": step.label,
            "method": step.method,
            "path": step.path or (step.lookup.path if step.lookup else ""),
        }
        if step.when:
            call["when"] = step.when
        if step.unless:
            call["unless"] = step.unless
        if step.skip_when:
            call["skip_when"] = step.skip_when
        if bodies:
            call["body"] = step.body
        calls.append(call)
    return calls


def describe(plans: Sequence[DocumentPlan]) -> list[dict[str, Any]]:
    """Each planned document with the calls it will make, as plain data ready for JSON."""
    return [
        {
            "kind": plan.key.kind,
            "source_key": plan.key.source_key,
            "summary": plan.summary,
            "calls": describe_calls(plan.steps),
        }
        for plan in plans
    ]


def call_line(call: dict[str, Any]) -> str:
    """`create once: POST /3/vouchers  (voucher A 1 20250110)`"""
    return f"{CALL_WORDS[call['kind']]} {call['method']} {call['path']}  ({call['label']})"
