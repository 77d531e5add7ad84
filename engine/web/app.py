"""The staff web page: a thin door over the same use cases and views as the CLI.

Each route reads the signed-in member of staff from the session, calls one use case of
``engine.service`` with their staff id (so roles gate every page exactly as they gate the
CLI) and renders the view it returns. An unknown case and one the person may not see are
the same 404 page; a refused event shows the engine's one-line reason beside its form.

Safe by construction: sessions are signed cookies, ``HttpOnly`` and ``SameSite=Lax``
(``Secure`` when served over HTTPS) with an idle timeout; every form carries a CSRF token
(Flask-WTF); the Content-Security-Policy allows no inline script; a server error shows a
reference, never a traceback; the log holds ids, never names or letter contents.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from engine.errors import LiaisonError, NotFound, PermissionDenied, SignInRefused
from engine.service import due as due_lists
from engine.service.liaison import Liaison
from engine.service.users import Users, session_key
from engine.web import chart, forms, letters_home

log = logging.getLogger("liaison.web")
PUBLIC = {"sign_in", "sign_in_code", "static"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(root: Path, engine: Liaison | None = None, *, idle_minutes: int = 30,
               secure_cookies: bool = False) -> Flask:
    """The web page of the school at ``root`` (over ``engine``, made from it if not given)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=session_key(root), SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="liaison_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=idle_minutes),
        IDLE_SECONDS=idle_minutes * 60, MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        # A page reads what it shows: Today 50 deadlines at a time (with how many there are
        # in all), Cases 25 at a time, counted up to 1,000 ("more than 1,000", not 100,000
        # counted for each page).
        DUE_PAGE=50, CASES_PAGE=25, COUNT_TO=1000)
    app.extensions["liaison"] = engine or Liaison.at(root)
    app.extensions["liaison"].door = "web"  # readings of restricted cases say so
    CSRFProtect(app)
    _guards(app)
    _errors(app)
    _routes(app)
    return app


def _engine() -> Liaison:
    return current_app.extensions["liaison"]  # type: ignore[no-any-return]


def _me() -> str:
    return str(g.staff)


# ---------------------------------------------------------------------- before and after

def _guards(app: Flask) -> None:
    @app.before_request
    def signed_in() -> Any:
        g.staff = None
        now = time.time()
        staff = session.get("staff")
        if staff and now - float(session.get("seen", 0)) > app.config["IDLE_SECONDS"]:
            session.clear()
            flash("You were signed out after a time without use. Sign in again.")
            staff = None
        if staff and staff in _engine().school.staff:
            g.staff = staff
            session["seen"] = now
            session.permanent = True
        elif request.endpoint not in PUBLIC:
            return redirect(url_for("sign_in", next=_here()))
        return None

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        log.info("%s %s %s %s", g.get("staff") or "-", request.method, request.path,
                 response.status_code)
        return response

    @app.context_processor
    def header() -> dict[str, Any]:
        engine = _engine()
        out: dict[str, Any] = {"school": engine.school.profile.name, "me": None}
        if g.get("staff"):
            me = engine.school.member(g.staff)
            count = g.get("due_count")  # Today has counted it already: not twice
            if count is None:
                count = due_lists.due_count(engine, me.id, engine.clock())
            out.update(me=me, due_count=count,
                       may_import=bool(me.roles & engine.school.group("leaders")))
        return out


class SecondFactorNeeded(Exception):
    """A restricted case (CLA-3) asked for by someone signed in without a second factor."""


def _gate(case_id: str | None) -> bool:
    """Restricted cases (CLA-3) are read on the web page only after a second factor, as
    CPOMS and MyConcern ask for elevated access. Only someone who may see the case learns
    that it needs one: for anyone else it is 'not found', as before. Whether it is
    restricted."""
    if case_id is None:
        return False
    case = _engine().case(case_id, _me())  # NotFound for an unknown or invisible case
    if case.restricted and not session.get("second_factor"):
        raise SecondFactorNeeded(
            "Restricted cases are shown only to staff who signed in with a code from "
            "their authenticator app. Ask whoever looks after Liaison to set one up for "
            "you (liaison users second-factor), then sign out and in again.")
    return case.restricted


def _here() -> str:
    return request.full_path.rstrip("?") if request.query_string else request.path


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a full address)."""
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return url_for("today")


# ---------------------------------------------------------------------- errors

def _errors(app: Flask) -> None:
    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(exc: Exception) -> Any:
        return render_template("error.html", title="Page not found",
                               message="There is no such page, or you may not see it. "
                                       "Check the case or student id."), 404

    @app.errorhandler(SecondFactorNeeded)
    def second_factor_needed(exc: SecondFactorNeeded) -> Any:
        return render_template("error.html", title="This case needs your second factor",
                               message=str(exc)), 403

    @app.errorhandler(PermissionDenied)
    def refused(exc: PermissionDenied) -> Any:
        return render_template("error.html", title="Not allowed", message=str(exc)), 403

    @app.errorhandler(CSRFError)
    def csrf(exc: CSRFError) -> Any:
        return render_template("error.html", title="This form has expired",
                               message="The form was sent without its security token, or "
                                       "an old one. Go back, reload the page and try "
                                       "again."), 400

    @app.errorhandler(LiaisonError)
    def engine_error(exc: LiaisonError) -> Any:
        return render_template("error.html", title="That could not be done",
                               message=str(exc).splitlines()[0]), 400

    @app.errorhandler(Exception)
    def server_error(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return exc
        reference = secrets.token_hex(4)
        log.error("error %s on %s %s: %s", reference, request.method, request.path,
                  type(exc).__name__, exc_info=exc)
        return render_template("error.html", title="Something went wrong",
                               message=f"The page could not be shown. Nothing was changed "
                                       f"unless it says so. Give this reference to whoever "
                                       f"looks after Liaison: {reference}."), 500


# ---------------------------------------------------------------------- routes

def _routes(app: Flask) -> None:
    _sign_in_routes(app)
    _case_routes(app)
    _other_routes(app)
    letters_home.routes(app, _engine, _me)


def _sign_in_routes(app: Flask) -> None:
    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> Any:
        error, staff_id = None, ""
        if request.method == "POST":
            staff_id = request.form.get("staff_id", "").strip()
            try:
                who = Users(_engine()).sign_in(staff_id, request.form.get("password", ""))
            except SignInRefused as exc:
                error = str(exc)
            else:
                target = _safe_next(request.args.get("next"))
                session.clear()
                if who.needs_code:
                    session["pending"] = who.staff_id
                    session["pending_at"] = time.time()
                    return redirect(url_for("sign_in_code", next=target))
                return _signed_in(who.staff_id, False, target)
        return render_template("sign_in.html", error=error, staff_id=staff_id,
                               title="Sign in"), 401 if error else 200

    @app.route("/sign-in/code", methods=["GET", "POST"])
    def sign_in_code() -> Any:
        pending = session.get("pending")
        if not pending or time.time() - float(session.get("pending_at", 0)) > 300:
            session.clear()
            return redirect(url_for("sign_in"))
        error = None
        if request.method == "POST":
            try:
                Users(_engine()).second_factor(pending, request.form.get("code", ""))
            except SignInRefused as exc:
                error = str(exc)
            else:
                return _signed_in(pending, True, _safe_next(request.args.get("next")))
        return render_template("code.html", error=error, title="Enter your code"), \
            401 if error else 200

    @app.post("/sign-out")
    def sign_out() -> Any:
        session.clear()
        flash("You have signed out.")
        return redirect(url_for("sign_in"))


def _signed_in(staff_id: str, second_factor: bool, target: str) -> Any:
    session.clear()
    session.permanent = True
    session.update(staff=staff_id, second_factor=second_factor, seen=time.time())
    return redirect(target)


def _case_routes(app: Flask) -> None:
    @app.get("/")
    def today() -> Any:
        engine = _engine()
        everyone = request.args.get("all") == "1"
        start = max(0, request.args.get("start", 0, type=int))
        size = current_app.config["DUE_PAGE"]
        due = due_lists.due_page(engine, _me(), engine.clock(), everyone, start, size)
        if not everyone:
            g.due_count = due.total  # the header's count, read with the page
        return render_template("today.html", due=due, everyone=everyone, title="Today",
                               may_all=due_lists.may_list_all(engine, _me()), size=size)

    @app.get("/cases")
    def cases() -> Any:
        engine = _engine()
        wanted = {k: request.args.get(k) or None for k in ("workflow", "state", "student")}
        holder = request.args.get("holder") or None
        q = (request.args.get("q") or "").strip()
        filters = {"workflow": wanted["workflow"], "state": wanted["state"],
                   "student_id": wanted["student"], "holder": holder}
        if q:
            exact = engine.case_search(_me(), {"id": q.upper()}, "", 1, 1)[1]
            if exact:
                # a case number typed whole: straight to the case
                return redirect(url_for("case", case_id=exact[0]["id"]))
        page = max(1, request.args.get("page", 1, type=int))
        size = current_app.config["CASES_PAGE"]
        # counted as far as the page's own numbers need (whether there is a next page)
        count_to = max(current_app.config["COUNT_TO"], page * size)
        total, rows = engine.case_search(_me(), filters, q, page, size, count_to)
        counted = total <= count_to
        return render_template("cases.html", rows=rows, total=total, page=page,
                               counted=counted, more=not counted or page * size < total,
                               pages=max(1, -(-total // size)), wanted=wanted,
                               holder=holder or "", q=q, workflows=engine.school.workflows,
                               title="Cases")

    @app.get("/cases/<case_id>")
    def case(case_id: str) -> Any:
        return _case_page(case_id)

    @app.route("/cases/<case_id>/events/<event>", methods=["GET", "POST"])
    def event(case_id: str, event: str) -> Any:
        engine = _engine()
        _gate(case_id)
        view = engine.view(case_id, _me())
        offered = {a.name: a for a in engine.actions(case_id, _me())}
        action = offered.get(event)
        if request.method == "GET":
            if action is None:
                abort(404)
            return _event_form(view, action, {}, None, "")
        fields = action.fields if action else _event_fields(engine, view.workflow, event)
        typed = forms.given(fields, request.form.to_dict(flat=False))
        at = request.form.get("at", "").strip()
        try:
            outcome = engine.advance(case_id, event, _me(), typed, _moment(at))
        except NotFound:
            raise
        except LiaisonError as exc:
            if action is None:
                raise
            return _event_form(view, action, typed, str(exc).splitlines()[0], at), 422
        state = engine.school.workflow(outcome.workflow).states[outcome.state]
        flash(f"{outcome.case} is now {state.title}.")
        for made in outcome.documents:
            flash(f"Letter written for {made.recipient}: {Path(made.path).name}")
        for warning in outcome.warnings:
            flash(warning)
        return redirect(url_for("case", case_id=outcome.case))

    @app.get("/documents/<name>")
    def document(name: str) -> Any:
        _gate(_engine().document_case(name, _me()))
        path = _engine().document_file(name, _me())
        return send_file(path, as_attachment=True, download_name=path.name)


def _case_page(case_id: str) -> Any:
    engine = _engine()
    restricted = _gate(case_id)
    view = engine.view(case_id, _me())
    return render_template(
        "case.html", case=view, title=f"{view.case} {view.title}",
        actions=engine.actions(case_id, _me()),
        history=engine.history(case_id, _me(), noted=False),
        readers=engine.reads_of(case_id, _me()) if restricted else None,
        student=engine.student(view.student),
        pdfs={d["path"] for d in view.documents if engine.has_print_copy(d["path"])},
        field_titles=_titles(engine, view.workflow))


def _titles(engine: Liaison, workflow: str) -> dict[str, str]:
    w = engine.school.workflow(workflow)
    out = {f.name: f.title for f in w.opening.fields}
    for e in w.events.values():
        for f in e.fields:
            out.setdefault(f.name, f.title)
    return out


def _event_fields(engine: Liaison, workflow: str, event: str) -> tuple[Any, ...]:
    from engine.service.views import Action

    w = engine.school.workflow(workflow)
    return Action.of(w.events[event]).fields if event in w.events else ()


def _event_form(view: Any, action: Any, typed: dict[str, list[str]], error: str | None,
                at: str) -> Any:
    engine = _engine()
    people = _people(engine, view.student)
    return render_template("event.html", case=view, action=action, error=error, at=at,
                           inputs=forms.inputs(action.fields, people, typed, action.name),
                           title=f"{action.title}: {view.case}")


def _people(engine: Liaison, student_id: str) -> forms.People:
    student = engine.student(student_id)
    return forms.People(
        staff=[(s.id, f"{s.name} ({s.title})") for s in engine.school.staff.values()],
        contacts=[(c.id, f"{c.full_name} ({c.relationship})")
                  for c in engine.contacts(student_id)],
        student=[(student.id, f"{student.first_name} {student.last_name} (student)")])


def _day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        from engine.errors import InputError

        raise InputError(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _moment(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        from engine.errors import InputError

        raise InputError(f"'{value}' is not a date and time (YYYY-MM-DDTHH:MM)") from None


def _other_routes(app: Flask) -> None:
    @app.get("/students/<student_id>")
    def student(student_id: str) -> Any:
        record = _engine().student_record(student_id, _me())
        return render_template("student.html", record=record,
                               title=f"{record.student['first_name']} "
                                     f"{record.student['last_name']}")

    @app.route("/open", methods=["GET", "POST"])
    def open_case() -> Any:
        engine = _engine()
        workflows = engine.openable(_me())
        chosen = request.values.get("workflow", "")
        student = request.values.get("student", "").strip()
        q = request.values.get("q", "").strip()
        workflow = next((w for w in workflows if w.name == chosen), None)
        if workflow is None or not student or request.values.get("do") == "search":
            return _open_choose(workflows, chosen, student, q)
        return _open_form(workflow, student)

    @app.route("/import", methods=["GET", "POST"])
    def import_people() -> Any:
        from engine.errors import ImportRowError

        engine = _engine()
        engine.leader(_me(), "import the MIS's exports")
        problems: list[str] = []
        if request.method == "POST":
            kind = request.form.get("kind", "")
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                problems = ["Choose the CSV file to import."]
            else:
                try:
                    count = engine.import_upload(kind, upload.read(), upload.filename, _me())
                except ImportRowError as exc:
                    problems = str(exc).splitlines()
                else:
                    flash(f"Imported {count} {kind} from {upload.filename}.")
                    return redirect(url_for("import_people"))
        return render_template("import.html", problems=problems, title="Import"), \
            422 if problems else 200

    @app.get("/report")
    def report() -> Any:
        from engine.service import report as indicators

        engine = _engine()
        today = engine.clock().date()
        first = _day(request.args.get("from")) or indicators.school_year_start(today)
        last = _day(request.args.get("to")) or today
        made = indicators.report(engine, _me(), first, last)
        return render_template(
            "report.html", report=made, title="Report", statuses=indicators.STATUSES,
            titles={n: w.title for n, w in engine.school.workflows.items()},
            charts=[chart.bars(i["title"], i["by_month"], made.months)
                    for i in made.indicators])

    @app.get("/workflows")
    def workflows() -> Any:
        from engine.service import school as school_views

        return render_template("workflows.html", title="Workflows",
                               rows=school_views.workflows(_engine().school.root))

    @app.get("/workflows/<name>")
    def workflow(name: str) -> Any:
        from engine.service import school as school_views

        root = _engine().school.root
        shown = school_views.workflow(root, name).data  # NotFound for an unknown name
        page = render_template("workflow.html", w=shown, title=shown["title"],
                               diagram=school_views.diagram(root, name))
        # Mermaid writes a <style> into the SVG it draws: this page alone allows inline
        # style (never inline script).
        return page, 200, {"Content-Security-Policy": CSP.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'")}


MATCHES = 20  # students listed for a name typed; more: type more of it


def _open_choose(workflows: Any, chosen: str, student: str, q: str) -> Any:
    """Choose the workflow and the student, found by name: htmx narrows the matches as
    one types (the page asks for itself and swaps in its list); without script the
    Search button does the same."""
    engine = _engine()
    matches = engine.students_named(q, MATCHES + 1)
    if student and student not in {m["id"] for m in matches}:
        try:  # the student chosen stays chosen while the name typed changes
            s = engine.student(student)
        except NotFound:
            student = ""
        else:
            matches.insert(0, {"id": s.id, "first_name": s.first_name,
                               "last_name": s.last_name, "year": s.year, "form": s.form})
    asked = request.values.get("do") == "next"
    return render_template("open.html", workflows=workflows, chosen=chosen, student=student,
                           q=q, matches=matches[:MATCHES], more=len(matches) > MATCHES,
                           missing=[what for what, given in (("a workflow", chosen),
                                                             ("a student", student))
                                    if asked and not given],
                           title="Open a case")


def _open_form(workflow: Any, student_id: str) -> Any:
    from engine.service.views import Action

    engine = _engine()
    engine.student(student_id)  # NotFound for an unknown student
    action = Action.of(workflow.opening)
    typed: dict[str, list[str]] = {}
    error = None
    if request.method == "POST" and request.form.get("fill") != "1":
        typed = forms.given(action.fields, request.form.to_dict(flat=False))
        at = request.form.get("at", "").strip()
        try:
            outcome = engine.open(workflow.name, student_id, _me(), typed, _moment(at))
        except LiaisonError as exc:
            error = str(exc).splitlines()[0]
        else:
            flash(f"Opened {outcome.case}.")
            for made in outcome.documents:
                flash(f"Letter written for {made.recipient}: {Path(made.path).name}")
            return redirect(url_for("case", case_id=outcome.case))
    return render_template("open_form.html", workflow=workflow, student=student_id,
                           error=error, title=f"Open: {workflow.title}",
                           inputs=forms.inputs(action.fields, _people(engine, student_id),
                                               typed, "open")), 422 if error else 200

