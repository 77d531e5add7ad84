"""Letters home on the web page: choose a batch letter, whom it is for (a year, a form or
an uploaded list of students), fill its fields, preview one letter, send the batch.

The same use cases as ``liaison letters preview`` and ``liaison letters batch``
(``engine.service.batch``): the same senders group, the same checks of every value before
anything is made, the same batch id, so sending twice never makes a letter twice.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Flask, render_template, request, send_file

from engine.errors import InputError, LiaisonError
from engine.service import batch
from engine.web import forms


def routes(app: Flask, engine: Any, me: Any) -> None:
    """The pages, over ``engine()`` (the school) as ``me()`` (the staff id signed in)."""

    @app.get("/letters")
    def letters() -> Any:
        rows = [t for t in batch.templates(engine().school) if t["batch"]]
        return render_template("letters.html", rows=rows, title="Letters home")

    @app.route("/letters/<template>", methods=["GET", "POST"])
    def letter(template: str) -> Any:
        school = engine().school
        path = batch.batch_template(school, template)  # NotFound, or a workflow's letter
        types = batch.field_types(path)
        form = request.form.to_dict(flat=False)
        error, summary = None, None
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
                summary = batch.send(engine(), template, me(), selection, given)
            except LiaisonError as exc:
                error = str(exc).splitlines()[0]
        people = engine().student_choices()
        return render_template(
            "letter.html", template=path.name, title=f"Letters home: {path.stem}",
            inputs=forms.batch_inputs(types, {} if summary else form), error=error,
            summary=summary, years=sorted({s.year for s in people}),
            forms_=sorted({s.form for s in people}), chosen=request.form), \
            422 if error else 200

    def _preview(template: str, student: str, given: dict[str, list[str]]) -> Any:
        data, _, _ = batch.preview_letter(engine(), template, student, me(), given)
        name = f"preview-{template.removesuffix('.docx')}-{student}.docx"
        return send_file(BytesIO(data), as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "wordprocessingml.document")


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
