"""The console's pages: thin routes over the `Bridge` (through `overview` and `work`).

Parts of a page that change by themselves are separate fragments (`…/rows`, `…/state`) that the
page's script fetches again every two seconds; every form also works without the script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)

from bridge.config import ConfigError
from bridge.console.overview import company_rows, connection_label, file_view, recent_files
from bridge.console.text import _
from bridge.console.work import EXPORT_KINDS, Work
from bridge.pipeline import Bridge, FileRecord

__all__ = ["bp"]

bp = Blueprint("console", __name__)

EXPORTS_SHOWN = 5


def _bridge() -> Bridge:
    return current_app.extensions["console"]["bridge"]


def _work() -> Work:
    return current_app.extensions["console"]["work"]


def _company(name: str) -> dict[str, Any]:
    for row in company_rows(_bridge()):
        if row["name"] == name:
            return row
    abort(404, description=_("No such company."))


def _file(file_id: int) -> FileRecord:
    try:
        return _bridge().file(file_id)
    except (KeyError, LookupError, ValueError):
        abort(404, description=_("No such file."))


def _fetched() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


# --- companies ------------------------------------------------------------------------------


@bp.get("/")
def companies() -> str:
    return render_template("companies.html", rows=company_rows(_bridge()))


@bp.get("/companies/rows")
def company_table() -> str:
    return render_template("_companies_rows.html", rows=company_rows(_bridge()))


@bp.get("/companies/<name>")
def company(name: str) -> str:
    row = _company(name)
    return render_template("company.html", c=row, files=recent_files(_bridge(), name), consent=None)


@bp.get("/companies/<name>/files")
def company_files(name: str) -> str:
    _company(name)
    return render_template("_files.html", files=recent_files(_bridge(), name))


@bp.post("/companies/<name>/activation")
def activation(name: str) -> str:
    """A new activation link for the company's Fortnox administrator, answered by this console."""
    row = _company(name)
    callback = current_app.extensions["console"]["public_url"] + url_for("console.connect_callback")
    problem = None
    consent = None
    try:
        consent = _work().consent(name, callback)
    except ConfigError as error:
        problem = str(error)
    mail = None
    if consent is not None:
        subject = _("Connect {company} to fortnox-bridge").format(company=row["company"] or name)
        body = _(
            "Hello,\n\nplease open this link, log in to Fortnox as the company's system administrator"
            " and approve the connection:\n\n{link}\n\nThe link works for ten minutes."
        ).format(link=consent.link)
        mail = f"mailto:?subject={quote(subject)}&body={quote(body)}"
    return render_template(
        "company.html",
        c=row,
        files=recent_files(_bridge(), name),
        consent=consent,
        mail=mail,
        problem=problem,
        callback=callback,
    )


@bp.post("/companies/<name>/check")
def check(name: str) -> Any:
    """Ask Fortnox again what the company allows (after a licence was bought)."""
    _company(name)
    _work().check_companies([name])
    return redirect(url_for("console.company", name=name))


@bp.get("/connect/callback")
def connect_callback() -> tuple[str, int]:
    """Where Fortnox sends the administrator's browser back with the code."""
    answer = {k: v for k, v in request.args.items() if isinstance(v, str)}
    outcome = _work().answer(answer)
    if outcome == "unknown":
        message = _(
            "This answer does not belong to an activation link of this console, or the link is older"
            " than ten minutes. Make a new link on the company's page."
        )
        return render_template("connected.html", ok=False, message=message), 400
    if isinstance(outcome, str):
        return render_template("connected.html", ok=False, message=outcome), 400
    c = outcome.connection
    message = _("{company} ({number}) is connected to fortnox-bridge.").format(
        company=c.company, number=c.organisation_number
    )
    return render_template("connected.html", ok=True, message=message), 200


# --- files ----------------------------------------------------------------------------------


@bp.get("/files/<int:file_id>")
def file(file_id: int) -> str:
    record = _file(file_id)
    view = file_view(_bridge(), record)
    return render_template("file.html", f=view, pace=_work().pace(file_id), c=_company(record.tenant))


@bp.get("/files/<int:file_id>/state")
def file_state(file_id: int) -> str:
    view = file_view(_bridge(), _file(file_id))
    return render_template("_file_state.html", f=view, pace=_work().pace(file_id))


@bp.post("/files/<int:file_id>/retry")
def retry(file_id: int) -> Any:
    record = _file(file_id)
    if not record.state.retryable:
        message = _("{name} has nothing to retry.").format(name=record.name)
    else:
        _work().retry(record)
        message = _("{name} is being sent again.").format(name=record.name)
    if _fetched():
        return message, 202
    return redirect(url_for("console.file", file_id=file_id))


# --- exports --------------------------------------------------------------------------------


def _exports_folder() -> Path:
    return _bridge().settings.outbox / "exports"


def _latest(pattern: str) -> list[dict[str, Any]]:
    folder = _exports_folder()
    found = [p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith(".")]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [
        {"name": p.relative_to(folder).as_posix(), "size": p.stat().st_size, "at": p.stat().st_mtime}
        for p in found[:EXPORTS_SHOWN]
    ]


@bp.get("/exports")
def exports() -> str:
    groups = [
        (_("SIE files"), _latest("**/*.[sS][eE]")),
        (_("Payments"), _latest("**/payments-*")),
        (_("Master data"), _latest("masterdata/**/*")),
    ]
    kinds = [
        ("sie", _("SIE 4, the latest financial year")),
        ("payments", _("Payments")),
        ("masterdata", _("Master data")),
    ]
    companies = [t.name for t in _bridge().settings.tenants]
    return render_template(
        "exports.html", groups=groups, jobs=list(reversed(_work().jobs)), kinds=kinds, companies=companies
    )


@bp.post("/exports")
def start_export() -> Any:
    kind = request.form.get("kind", "")
    tenant = request.form.get("tenant", "")
    if kind not in EXPORT_KINDS or tenant not in [t.name for t in _bridge().settings.tenants]:
        abort(400, description=_("Choose a company and what to export."))
    _work().export(kind, tenant)
    return redirect(url_for("console.exports"))


@bp.get("/exports/files/<path:name>")
def download(name: str) -> Any:
    return send_from_directory(_exports_folder(), name, as_attachment=True)


# --- login ----------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    from bridge.console.app import password_matches

    failed = False
    if request.method == "POST":
        if password_matches(
            current_app.extensions["console"]["password_hash"], request.form.get("password", "")
        ):
            session.clear()  # a new session (and a new CSRF token) after logging in
            session["operator"] = True
            session.permanent = True
            target = request.args.get("next", "")
            return redirect(target if _own_path(target) else url_for("console.companies"))
        failed = True
    return render_template("login.html", failed=failed), 401 if failed else 200


def _own_path(target: str) -> bool:
    """A page of this console (`/files/3`), never another site (`//evil`, `/\\evil`)."""
    return target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("console.login"))


@bp.app_context_processor
def page_globals() -> dict[str, Any]:
    return {
        "login_required": current_app.extensions["console"]["login_required"],
        "logged_in": bool(session.get("operator")),
        "connection_label": connection_label,
        "lang": session.get("lang") or _bridge().settings["ui.language"],
    }
