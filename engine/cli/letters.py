"""``liaison letters``: letters home in batches (NSW-4, NSW-6), thin over engine.batch.

engine.cli.app imports this module at its bottom; it uses engine.cli.app's shared helpers and
registers its sub-app there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from engine.cli.app import (
    AsOpt,
    JsonOpt,
    PdfOpt,
    SchoolOpt,
    SetOpt,
    _print_json,
    _table,
    app,
    liaison,
    out,
)
from engine.core.fields import parse_assignments
from engine.service import batch
from engine.service.sources import find_root, open_school

letters_app = typer.Typer(no_args_is_help=True, help="Letters home in batches (NSW-4, NSW-6): "
                          "list the templates, preview a letter, send a batch.")
app.add_typer(letters_app, name="letters")


@letters_app.command("list")
def letters_list(school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """The letter templates, how each is sent and the fields it needs (--set NAME=...)."""
    rows = batch.templates(open_school(find_root(school)))
    if as_json:
        _print_json(rows)
        return
    _table("Letter templates", ["template", "sent", "fields (... a list: repeat --set)"],
           [[r["template"], "in a batch" if r["batch"] else f"by {', '.join(r['workflows'])}",
             ", ".join(f + ("..." if f in r["lists"] else "") for f in r["fields"])]
            for r in rows])


@letters_app.command("preview")
def letters_preview(template: str, student: Annotated[str, typer.Option("--student")],
                    actor: AsOpt, values: SetOpt = None, school: SchoolOpt = None) -> None:
    """Write one letter of TEMPLATE for a student to a temporary file and print its path;
    nothing is recorded."""
    with liaison(school) as engine:
        shown = batch.preview(engine, template, student, actor, parse_assignments(values or []))
    out.print(f"preview of the letter to {shown.recipient} (1 of {shown.letters}); nothing "
              "was recorded:")
    sys.stdout.write(f"{shown.path}\n")


@letters_app.command("batch")
def letters_batch(
        template: str, actor: AsOpt,
        students: Annotated[Path | None, typer.Option(
            "--students", help="A CSV list of students: an 'id' column, and any columns the "
            "letter reads for each student (e.g. achievement).")] = None,
        year: Annotated[int | None, typer.Option("--year", help="Every student of this year "
                                                 "group.")] = None,
        form: Annotated[str | None, typer.Option("--form", help="Every student of this "
                                                 "form.")] = None,
        values: SetOpt = None,
        name: Annotated[str | None, typer.Option(
            "--batch", help="Name the batch, to send the same letter again (a reminder); by "
            "default a re-run continues the batch and skips what is made.")] = None,
        pdf: PdfOpt = False, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """One letter of TEMPLATE to each contact of each student who may receive letters (each
    parent separately where they asked, PWP-3.6), each recorded with its hash. Run the same
    command again to finish an interrupted batch."""
    given = parse_assignments(values or [])
    with liaison(school) as engine, _progress(show=not as_json) as progress:
        summary = batch.send(engine, template, actor, batch.Selection(students, year, form),
                             given, name, pdf, progress)
    if as_json:
        _print_json(summary.as_json())
        return
    out.print(f"made {summary.made} letters of batch {summary.batch} for {summary.students} "
              f"students, in {summary.folder}")
    if summary.already_made:
        out.print(f"  skipped {summary.already_made} letters made before in this batch")
    if summary.barred:
        out.print(f"  skipped {len(summary.barred)} contacts barred from correspondence: "
                  + ", ".join(f"{b['contact']} ({b['student']})" for b in summary.barred))
    if summary.no_contact:
        out.print(f"  skipped {len(summary.no_contact)} students with no contact who may "
                  f"receive letters: {', '.join(summary.no_contact)}")
    if pdf:
        out.print(f"  wrote {summary.pdfs} PDFs")


@contextmanager
def _progress(show: bool) -> Iterator[batch.Progress | None]:
    """A progress bar on a terminal (not when output goes to a file or a program)."""
    if not (show and out.is_terminal):
        yield None
        return
    with Progress(TextColumn("letters"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("students"), TimeRemainingColumn(), console=out) as bar:
        task = bar.add_task("batch", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)

