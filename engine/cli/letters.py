"""``liaison letters``: the templates, a preview, letters home in batches (NSW-4, NSW-6),
and a reprint of a letter as it was sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from engine.cli.emit import emit
from engine.cli.options import (
    AsOpt,
    JsonOpt,
    PdfOpt,
    SchoolOpt,
    SetOpt,
    app,
    assignments,
    liaison,
    me,
    out,
    root,
)

if TYPE_CHECKING:
    from engine.service.batch import Progress

letters_app = typer.Typer(no_args_is_help=True, help="Letters home in batches (NSW-4, NSW-6): "
                          "list the templates, preview a letter, send a batch, reprint one.")
app.add_typer(letters_app, name="letters")
TemplateArg = Annotated[str, typer.Argument(metavar="TEMPLATE", show_default=False,
                                            help="A letter template (see 'liaison letters "
                                            "list').")]


@letters_app.command("list")
def letters_list(school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """The letter templates, how each is sent and the fields it needs (--set NAME=...)."""
    from engine.service import batch

    emit(batch.template_list(root(school)), as_json)


@letters_app.command("preview")
def letters_preview(
        template: TemplateArg, actor: AsOpt = None,
        student: Annotated[str | None, typer.Option(
            "--student", metavar="STUDENT_ID", show_default=False,
            help="The student's id (from the MIS); a workflow's letter without it is made "
            "for a sample pupil and parent.")] = None,
        workflow: Annotated[str | None, typer.Option(
            "--workflow", metavar="WORKFLOW", show_default=False,
            help="Preview a workflow's letter (see 'liaison workflows') with sample "
            "values; --set gives your own.")] = None,
        event: Annotated[str | None, typer.Option(
            "--event", metavar="EVENT", show_default=False,
            help="The workflow's event that sends it (default: the first that "
            "does).")] = None,
        values: SetOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Write one letter of TEMPLATE to a file and print its path; nothing is recorded. A
    batch letter goes to a temporary folder; a workflow's letter (--workflow), made as its
    event would make it, to cases/previews/, readable by you only."""
    with liaison(school) as engine:
        actor = me(engine, actor)
        if workflow is not None:
            from engine.service import preview

            emit(preview.workflow_preview(engine, template, workflow, event, student, actor,
                                          assignments(values)), as_json)
            return
        from engine.service import batch

        if student is None:
            raise typer.BadParameter("a batch letter's preview needs --student",
                                     param_hint="--student")
        emit(batch.preview(engine, template, student, actor, assignments(values)), as_json)


@letters_app.command("batch")
def letters_batch(
        template: TemplateArg, actor: AsOpt = None,
        students: Annotated[Path | None, typer.Option(
            "--students", metavar="FILE.csv", show_default=False,
            help="A CSV list of students: an 'id' column, and any columns the letter reads "
            "for each student (e.g. achievement).")] = None,
        year: Annotated[int | None, typer.Option("--year", metavar="N", show_default=False,
                                                 help="Every student of this year "
                                                 "group.")] = None,
        form: Annotated[str | None, typer.Option("--form", metavar="FORM", show_default=False,
                                                 help="Every student of this form.")] = None,
        values: SetOpt = None,
        name: Annotated[str | None, typer.Option(
            "--batch", metavar="NAME", show_default=False,
            help="Name the batch, to send the same letter again (a reminder); by default a "
            "re-run continues the batch and skips what is made.")] = None,
        pdf: PdfOpt = False, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """One letter of TEMPLATE to each contact of each student who may receive letters (each
    parent separately where they asked, PWP-3.6), each recorded with its hash. Run the same
    command again to finish an interrupted batch."""
    from engine.service import batch

    with liaison(school) as engine, _progress(show=not as_json) as progress:
        summary = batch.send(engine, template, me(engine, actor),
                             batch.Selection(students, year, form),
                             assignments(values), name, pdf, progress)
    emit(summary, as_json)


@letters_app.command("reprint")
def letters_reprint(
        document: Annotated[str, typer.Argument(metavar="DOCUMENT", show_default=False,
                                                help="The document's path or file name "
                                                "(see 'liaison documents').")],
        actor: AsOpt = None,
        to: Annotated[Path | None, typer.Option("--out", metavar="FILE.docx",
                                                show_default=False,
                                                help="Where to write it (default: beside "
                                                "here, named after it).")] = None,
        school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Render a letter again exactly as it was sent, from the template and the context kept
    with it (whatever has changed since, an address re-imported); nothing is recorded."""
    with liaison(school) as engine:
        target = to or Path.cwd() / f"reprint-{Path(document).name}"
        emit(engine.reprint(document, me(engine, actor), target), as_json)


@contextmanager
def _progress(show: bool) -> Iterator[Progress | None]:
    """A progress bar on a terminal (not when output goes to a file or a program)."""
    if not (show and out.is_terminal):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn("letters"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("students"), TimeRemainingColumn(), console=out) as bar:
        task = bar.add_task("batch", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
