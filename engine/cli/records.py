"""The commands over the record: the due list, marking a case, documents, a student's
record and the indicators report. Each calls one use case and prints its view."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.cli.cases import PAGE
from engine.cli.emit import emit, stream_json
from engine.cli.options import (
    AsOpt,
    AtOpt,
    JsonOpt,
    SchoolOpt,
    app,
    day,
    liaison,
    me,
    moment,
    records,
    when,
)
from engine.errors import InputError

Filter = Annotated[str | None, typer.Option(show_default=False)]


@app.command()
def due(actor: AsOpt = None,
        on: Annotated[str | None, typer.Option(
            "--on", metavar="WHEN", show_default=False,
            help="As at this date (its start) or date and time; default now.")] = None,
        everyone: Annotated[bool, typer.Option("--all", help="Every case (office staff and "
                                               "leaders).")] = False,
        school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """What is overdue, due today and due later this week, in the cases you hold or
    manage."""
    from engine.service.due import due_list

    with records(school) as engine:
        now = moment(on, "--on") if on else engine.clock()
        emit(due_list(engine, me(engine, actor), now, everyone), as_json)


@app.command()
def mark(case: Annotated[str, typer.Argument(metavar="CASE", show_default=False)],
         actor: AsOpt = None,
         child_protection: Annotated[bool, typer.Option(
             "--child-protection", help="Mark the case a child-protection matter: no letter "
             "about it goes to a parent (PWP-4.3).")] = False,
         reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why (kept in "
                                             "the case's history).")] = "",
         at: AtOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Mark CASE (senior leaders only); the marking is recorded in its history."""
    if not child_protection:
        raise InputError("say what to mark: --child-protection")
    with liaison(school) as engine:
        emit(engine.mark_child_protection(case, me(engine, actor), reason, when(at)), as_json)


@app.command()
def documents(actor: AsOpt = None, student: Filter = None, case: Filter = None,
              limit: Annotated[int | None, typer.Option(
                  "--limit", metavar="N", show_default=False,
                  help=f"Show N documents (default {PAGE}; with --json, every one).")] = None,
              after: Annotated[str | None, typer.Option(
                  "--after", metavar="PATH", show_default=False,
                  help="Start after this document (the last path a page showed).")] = None,
              school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """The documents written, of the cases you may see, oldest first, a page at a time,
    optionally of one student or case."""
    with records(school) as engine:
        who = me(engine, actor)
        if as_json:
            if limit is not None and limit < 1:
                raise InputError(f"--limit {limit}: show at least 1 document")
            stream_json(engine.iter_documents(who, student, case, after, limit))
        else:
            emit(engine.documents_page(who, student, case, after,
                                       PAGE if limit is None else limit), False)


@app.command("student")
def student_record(student: Annotated[str, typer.Argument(metavar="STUDENT_ID",
                                                          show_default=False)],
                   actor: AsOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """A student: contacts, and where each workflow stands for them (the Home–School
    Agreement's signature among them)."""
    with records(school) as engine:
        emit(engine.student_record(student, me(engine, actor)), as_json)


@app.command()
def report(actor: AsOpt = None,
           start: Annotated[str | None, typer.Option(
               "--from", metavar="DATE", show_default=False,
               help="First day (default: 1 September of this school year).")] = None,
           end: Annotated[str | None, typer.Option(
               "--to", metavar="DATE", show_default=False,
               help="Last day (default: today).")] = None,
           across: Annotated[bool, typer.Option(
               "--trust", help="Every school of the trust side by side, and the trust's "
               "totals (a trust role; with --code, --trust-dir).")] = False,
           code: Annotated[str | None, typer.Option(
               "--code", metavar="CODE", show_default=False,
               help="With --trust: your second factor's code now.")] = None,
           trust_dir: Annotated[Path | None, typer.Option(
               "--trust-dir", envvar="LIAISON_TRUST", metavar="DIR", show_default=False,
               help="With --trust: the folder of trust.yaml.")] = None,
           school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Indicators by month (BEM-7, HSP-9): complaints about meetings, lone visits,
    disrespectful incidents, site bans, deadlines met and missed; every workflow's
    outcomes. With --trust, each school's totals side by side."""
    from engine.service import report as indicators

    if across:
        from engine.cli.trust import session

        if code is None:
            raise InputError("--trust needs --code: the code your authenticator app shows")
        with session(trust_dir, actor, code) as reader:
            today = reader.office.clock().date()
            first = day(start, "--from") if start else indicators.school_year_start(today)
            last = day(end, "--to") if end else today
            emit(reader.report(first, last), as_json)
        return
    with records(school) as engine:
        today = engine.clock().date()
        first = day(start, "--from") if start else indicators.school_year_start(today)
        last = day(end, "--to") if end else today
        emit(indicators.report(engine, me(engine, actor), first, last), as_json)


audit_app = typer.Typer(no_args_is_help=True, help="Check the audit trail: every event's "
                        "hash, every document's file, the daily seal.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(actor: AsOpt = None, case: Annotated[str | None, typer.Option(
                     "--case", metavar="CASE", show_default=False,
                     help="Only this case's trail and documents.")] = None,
                 processes: Annotated[int, typer.Option(
                     "--processes", metavar="N", min=1, max=16,
                     help="Check the chains of a large store in N processes.")] = 1,
                 school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Recompute every case's hash chain, check its documents' files and the newest seal;
    exit 1 naming the first link that does not hold."""
    with records(school) as engine:
        emit(engine.audit_verify(me(engine, actor), case, processes), as_json)


@audit_app.command("seal")
def audit_seal(actor: AsOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Seal every event recorded so far and print the seal's hash to keep elsewhere (the
    engine also seals at each day's first change)."""
    with records(school) as engine:
        emit(engine.audit_seal(me(engine, actor)), as_json)
