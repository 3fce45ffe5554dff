"""`/mock/ui`: a page to look inside the mock — its companies and their records, the request
log (live), fault rules on and off, the clock, reset. Server-rendered (Jinja2); forms post
back here and redirect, and one small script keeps the request log live. Like the control
API it needs no token: never expose a mock on a public network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bridge.util import dumps
from mockfortnox import requestlog
from mockfortnox.control import reset_to_seeds
from mockfortnox.faults import FaultRule
from mockfortnox.resources.common import current_state
from mockfortnox.state import Tenant

bp = Blueprint("ui", __name__, url_prefix="/mock/ui", template_folder="templates")
RECORDS_SHOWN = 100


def _tenant(ref: str) -> Tenant:
    tenant = current_state().tenant(ref)
    if tenant is None:
        raise _NotFound(f"no company {ref!r}")
    return tenant


class _NotFound(Exception):
    pass


@bp.errorhandler(_NotFound)
def _not_found(error: _NotFound) -> tuple[str, int]:
    return render_template("ui/message.html", message=str(error)), 404


def _back(message: str = "") -> Response:
    return redirect(url_for("ui.dashboard", said=message or None) + "#" + request.form.get("anchor", ""), 303)


@bp.get("")
@bp.get("/")
def dashboard() -> str:
    state = current_state()
    log = current_app.extensions["mockfortnox.requests"]
    entries = log.entries()[-50:]
    return render_template(
        "ui/dashboard.html",
        tenants=sorted(state.tenants.values(), key=lambda t: t.id),
        rules=current_app.extensions["mockfortnox.faults"].rules,
        clock=state.clock,
        now=state.clock.now(),
        requests=[requestlog.view(e, log.body_limit) for e in entries],
        last_seq=entries[-1]["seq"] if entries else 0,
        said=request.args.get("said", ""),
    )


@bp.get("/companies/<ref>")
def company(ref: str) -> str:
    tenant = _tenant(ref)
    table = request.args.get("table", "")
    with tenant.lock:
        counts = {name: len(rows) for name, rows in sorted(tenant.tables.items()) if rows}
        records = list(tenant.table(table).items())[:RECORDS_SHOWN] if table in tenant.tables else []
        shown = [
            (key, dumps({k: v for k, v in r.items() if not k.startswith("_")}, indent=2))
            for key, r in records
        ]
    return render_template("ui/company.html", tenant=tenant, counts=counts, table=table, records=shown,
                           limit=RECORDS_SHOWN)  # fmt: skip


@bp.post("/reset")
def reset() -> Response:
    reset_to_seeds(empty=request.form.get("empty") == "on")
    return _back("Reset: the companies are as seeded, and every token is invalid now.")


@bp.post("/faults")
def add_fault() -> Response:
    form = request.form
    rule: dict[str, Any] = {"method": form.get("method") or "*", "path": form.get("path") or "*"}
    effect = form.get("effect", "status")
    try:
        if effect == "status":
            rule["status"] = int(form.get("status") or 503)
        elif effect == "latency":
            rule["latency_ms"] = int(form.get("latency_ms") or 1000)
        elif effect == "rate_limit":
            rule["rate_limit"] = True
        elif effect == "drop_response":
            rule["drop_response"] = True
        if form.get("times"):
            rule["times"] = int(form["times"])
        if form.get("probability"):
            rule["probability"] = float(form["probability"])
        made = FaultRule.from_json(rule)
    except (TypeError, ValueError) as exc:
        return _back(f"Not added: {exc}")
    faults = current_app.extensions["mockfortnox.faults"]
    faults.set([*faults.rules, made])
    return _back("Fault rule added.")


@bp.post("/faults/clear")
def clear_faults() -> Response:
    current_app.extensions["mockfortnox.faults"].clear()
    return _back("Fault rules cleared.")


@bp.post("/faults/<int:index>/delete")
def delete_fault(index: int) -> Response:
    faults = current_app.extensions["mockfortnox.faults"]
    faults.set([r for n, r in enumerate(faults.rules) if n != index])
    return _back("Fault rule removed.")


@bp.post("/clock")
def clock() -> Response:
    state_clock = current_state().clock
    action = request.form.get("action")
    if action == "unfreeze":
        state_clock.unfreeze()
        return _back("The clock runs with real time again.")
    if action == "advance":
        try:
            state_clock.advance(float(request.form.get("seconds") or 0))
        except ValueError:
            return _back("Not moved: seconds must be a number.")
        return _back("The clock moved forward.")
    text = (request.form.get("at") or "").strip()
    try:
        at = datetime.fromisoformat(text) if text else None
    except ValueError:
        return _back(f"Not frozen: {text!r} is not a date and time like 2026-01-31T12:00.")
    state_clock.freeze(at if at is None or at.tzinfo else at.replace(tzinfo=UTC))
    return _back("The clock is frozen.")


@bp.post("/requests/clear")
def clear_requests() -> Response:
    current_app.extensions["mockfortnox.requests"].clear()
    return _back("Request log cleared.")
