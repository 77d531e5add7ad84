"""Letters home on the web page: choose a batch letter, whom it is for (a year, a form or
an uploaded list of students), fill its fields, preview one letter, send the batch and
watch it go; make and download the print pack of the post.

The same use cases as ``liaison letters preview``, ``liaison letters batch`` and
``liaison post`` (``engine.service.batch``, ``engine.service.packs``): the same senders
group, the same checks of every value before anything is made, the same batch id, so
sending twice never makes a letter twice.

A batch runs in a thread of the web process, so the page does not wait on a year
group's letters: the request waits only for the service's checks (a refusal shows beside
the form, as before), then the page of the batch shows its progress, asked again every
second with htmx (a "Check again" link without script). The service records a hundred
students at a time, each student's letters all or none, so a process killed mid-batch
leaves whole students recorded and no row without its file; sending the same letter
again makes only the letters still missing.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from engine.errors import InputError, LiaisonError
from engine.service import batch
from engine.web import forms

log = logging.getLogger("liaison.web")
KEPT = 100  # batches remembered by the web process (the oldest finished ones go first)


@dataclass
class Job:
    """A batch being sent in the background: what the page of its progress shows."""

    id: str
    actor: str
    template: str
    done: int = 0  # students
    total: int = 0
    started: bool = False  # the service's checks passed: letters are being made
    summary: batch.Summary | None = None
    error: str | None = None
    at: float = field(default_factory=time.time)
    checked: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    def progress(self, done: int, total: int) -> None:
        self.done, self.total, self.started = done, total, True
        self.checked.set()


def routes(app: Flask, engine: Any, me: Any) -> None:
    """The pages, over ``engine()`` (the school) as ``me()`` (the staff id signed in)."""
    app.extensions["batches"] = {}
    app.extensions["batches_lock"] = threading.Lock()

    @app.get("/letters")
    def letters() -> Any:
        from engine.service import packs

        rows = [t for t in batch.templates(engine().school) if t["batch"]]
        made = packs.packs(engine(), me()) if packs.may_make(engine(), me()) else None
        return render_template("letters.html", rows=rows, packs=made, title="Letters home")

    @app.route("/letters/<template>", methods=["GET", "POST"])
    def letter(template: str) -> Any:
        school = engine().school
        path = batch.batch_template(school, template)  # NotFound, or a workflow's letter
        types = batch.field_types(path)
        form = request.form.to_dict(flat=False)
        error = None
        if request.method == "POST":
            try:
                selection = _selection()
                students, own = batch.selected(engine(), selection)
                columns = {c for values in own.values() for c in values}
                given = forms.batch_given(types, form, columns)
                missing = [n for n in types if n not in given and n not in columns]
                if missing:
                    raise InputError("fill in " + ", ".join(
                        n.replace("_", " ") for n in missing) + ": the letter prints it")
                if request.form.get("do") == "preview":
                    return _preview(template, students[0], {**given, **_own(own, students[0])})
                job = _start(engine(), template, me(), selection, given)
                if job.error is None or job.started:
                    return redirect(url_for("batch_progress", job_id=job.id), 303)
                error = job.error  # refused by the service's checks: nothing was made
            except LiaisonError as exc:
                error = str(exc).splitlines()[0]
        people = engine().student_choices()
        return render_template(
            "letter.html", template=path.name, title=f"Letters home: {path.stem}",
            inputs=forms.batch_inputs(types, form), error=error,
            years=sorted({s.year for s in people}),
            forms_=sorted({s.form for s in people}), chosen=request.form), \
            422 if error else 200

    @app.get("/letters/batches/<job_id>")
    def batch_progress(job_id: str) -> Any:
        job = current_app.extensions["batches"].get(job_id)
        if job is None or job.actor != me():  # another's batch is no business of theirs
            abort(404)
        made = engine().batch_letters(job.summary.batch) \
            if job.finished.is_set() and job.summary else []
        return render_template("batch.html", job=job, made=made, done=job.finished.is_set(),
                               title=f"Letters home: {job.template.removesuffix('.docx')}")

    @app.post("/letters/print-pack")
    def print_pack() -> Any:
        from engine.service import packs

        made = packs.make(engine(), me())
        for line in made.lines:
            flash(line.strip())
        return redirect(url_for("letters"), 303)

    @app.get("/letters/packs/<name>")
    def pack(name: str) -> Any:
        from engine.service import packs

        path = packs.download(engine(), me(), name)  # gated, confined and recorded
        return send_file(path, as_attachment=True, download_name=path.name,
                         mimetype="application/pdf")

    def _preview(template: str, student: str, given: dict[str, list[str]]) -> Any:
        data, _, _ = batch.preview_letter(engine(), template, student, me(), given)
        name = f"preview-{template.removesuffix('.docx')}-{student}.docx"
        return send_file(BytesIO(data), as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "wordprocessingml.document")


def _start(engine: Any, template: str, actor: str, selection: batch.Selection,
           given: dict[str, list[str]]) -> Job:
    """Send the batch in a thread of its own; back once the service's checks are done
    (passed: the first letters are being made; or refused: nothing was)."""
    job = Job(secrets.token_urlsafe(12), actor, template)
    jobs, lock = current_app.extensions["batches"], current_app.extensions["batches_lock"]
    with lock:
        jobs[job.id] = job
        for old in sorted(jobs.values(), key=lambda j: j.at)[:max(0, len(jobs) - KEPT)]:
            if old.finished.is_set():
                del jobs[old.id]

    def run() -> None:
        try:
            job.summary = batch.send(engine, template, actor, selection, given,
                                     progress=job.progress)
        except LiaisonError as exc:
            job.error = str(exc).splitlines()[0]
        except Exception as exc:  # a bug: a reference for the log, never a traceback shown
            reference = secrets.token_hex(4)
            log.error("error %s in batch %s of %s", reference, job.id, template, exc_info=exc)
            job.error = (f"The batch stopped on an error. Give this reference to whoever "
                         f"looks after Liaison: {reference}.")
        finally:
            job.finished.set()
            job.checked.set()

    threading.Thread(target=run, name=f"batch-{job.id}", daemon=True).start()
    job.checked.wait()
    return job


def _selection() -> batch.Selection:
    """Whom the letters are for, as the form says it: one of a year, a form, a list."""
    who = request.form.get("who", "")
    if who == "year":
        year = request.form.get("year", "")
        if not year.isdigit():
            raise InputError("choose the year group the letters are for")
        return batch.Selection(year=int(year))
    if who == "form":
        if not request.form.get("form"):
            raise InputError("choose the form the letters are for")
        return batch.Selection(form=request.form["form"])
    if who == "list":
        upload = request.files.get("students")
        if upload is None or not upload.filename:
            raise InputError("choose the CSV list of students the letters are for")
        return batch.Selection(uploaded=(upload.filename, upload.read()))
    raise InputError("say whom the letters are for: a year group, a form or a list")


def _own(own: dict[str, dict[str, str]], student: str) -> dict[str, list[str]]:
    """A student's own values from the list, as the preview takes them."""
    return {k: [v] for k, v in own.get(student, {}).items() if v}
