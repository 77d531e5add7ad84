"""The case commands: open, advance, actions, show, cases, history.

Each parses its options, calls one use case of ``engine.service.liaison.Liaison`` and
prints the view it returns through ``engine.cli.emit``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from engine.cli.emit import emit, stream_json
from engine.cli.options import (
    AsOpt,
    AtOpt,
    JsonOpt,
    PdfOpt,
    SchoolOpt,
    SetOpt,
    StudentOpt,
    app,
    assignments,
    liaison,
    me,
    records,
    when,
)
from engine.errors import InputError

CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="The case id, e.g. CON-2026-0001.",
                                        show_default=False)]
Filter = Annotated[str | None, typer.Option(show_default=False)]


@app.command("open")
def open_case(workflow: Annotated[str, typer.Argument(metavar="WORKFLOW", show_default=False)],
              student: StudentOpt, actor: AsOpt = None, values: SetOpt = None, at: AtOpt = None,
              school: SchoolOpt = None, as_json: JsonOpt = False, pdf: PdfOpt = False) -> None:
    """Open a case of WORKFLOW for a student (see 'liaison workflows show WORKFLOW' for
    the fields it needs)."""
    with liaison(school) as engine:
        outcome = engine.open(workflow, student, me(engine, actor), assignments(values),
                              when(at), pdf)
    emit(outcome, as_json)


@app.command()
def advance(case: CaseArg,
            event: Annotated[str, typer.Argument(
                metavar="EVENT", show_default=False,
                help="What to do, e.g. request_meeting (see 'liaison actions CASE').")],
            actor: AsOpt = None, values: SetOpt = None, at: AtOpt = None, school: SchoolOpt = None,
            as_json: JsonOpt = False, pdf: PdfOpt = False) -> None:
    """Fire EVENT on CASE: check, record, set deadlines, write the letters (with --pdf, and
    a PDF of each for printing)."""
    with liaison(school) as engine:
        outcome = engine.advance(case, event, me(engine, actor), assignments(values),
                                 when(at), pdf)
    emit(outcome, as_json)


@app.command()
def actions(case: CaseArg, actor: AsOpt = None, school: SchoolOpt = None,
            as_json: JsonOpt = False) -> None:
    """The events you may fire on CASE now, with the fields each needs."""
    with liaison(school) as engine:
        emit(engine.actions(case, me(engine, actor)), as_json)


@app.command()
def show(case: CaseArg, actor: AsOpt = None, school: SchoolOpt = None,
         as_json: JsonOpt = False) -> None:
    """A case: state, fields, bans in force, deadlines and documents."""
    with records(school) as engine:
        emit(engine.view(case, me(engine, actor)), as_json)


PAGE = 50  # cases a table shows unless --limit says otherwise


@app.command("cases")
def list_cases(actor: AsOpt = None, workflow: Filter = None, state: Filter = None,
               student: Filter = None,
               limit: Annotated[int | None, typer.Option(
                   "--limit", metavar="N", show_default=False,
                   help=f"Show N cases (default {PAGE}; with --json, every case).")] = None,
               after: Annotated[str | None, typer.Option(
                   "--after", metavar="CASE", show_default=False,
                   help="Start after this case (the last one a page showed).")] = None,
               school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """The cases you may see, oldest first, a page at a time, optionally of one workflow,
    state or student."""
    with records(school) as engine:
        who = me(engine, actor)
        if as_json:
            if limit is not None and limit < 1:
                raise InputError(f"--limit {limit}: show at least 1 case")
            stream_json(engine.iter_cases(who, workflow, state, student, after, limit))
        else:
            emit(engine.case_page(who, workflow, state, student, after,
                                  PAGE if limit is None else limit), False)


@app.command()
def readers(case: CaseArg, actor: AsOpt = None, school: SchoolOpt = None,
            as_json: JsonOpt = False) -> None:
    """Who has read restricted CASE (CLA-3): each show, history and document, by whom."""
    with liaison(school) as engine:
        emit(engine.reads_of(case, me(engine, actor)), as_json)


@app.command()
def history(case: CaseArg, actor: AsOpt = None,
            limit: Annotated[int | None, typer.Option(
                "--limit", metavar="N", show_default=False,
                help=f"Show N events (default {PAGE}; with --json, every one).")] = None,
            after: Annotated[int | None, typer.Option(
                "--after", metavar="SEQ", show_default=False,
                help="Start after this event (the last # a page showed).")] = None,
            school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """The audit trail of CASE: who did what, when, a page of events at a time, each with
    its letters' way out."""
    with records(school) as engine:
        who = me(engine, actor)
        if as_json:
            if limit is not None and limit < 1:
                raise InputError(f"--limit {limit}: show at least 1 event")
            stream_json(engine.iter_history(case, who, after, limit))
        else:
            emit(engine.history_page(case, who, after, PAGE if limit is None else limit),
                 False)
