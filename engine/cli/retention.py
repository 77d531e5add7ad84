"""The commands over keeping records (issue 11, PWP-5.6): what is due for disposal, a
disposal, a legal hold and its release, the honest undo (unmark, correct), and the export
of what is held about a person (SAR-1). Each calls one use case and prints its view."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.cli.emit import emit
from engine.cli.options import AsOpt, AtOpt, JsonOpt, SchoolOpt, app, assignments, liaison, me, when
from engine.errors import InputError

CaseArg = Annotated[str, typer.Argument(metavar="CASE", show_default=False)]
ReasonOpt = Annotated[str, typer.Option("--reason", metavar="TEXT",
                                        help="Why (kept in the record).")]

retention_app = typer.Typer(no_args_is_help=True, help="Cases past their retention period "
                            "(workflows' retain:), and their disposal.")
app.add_typer(retention_app, name="retention")


@retention_app.command("due")
def retention_due(actor: AsOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """The cases past the end of their retention period, for review (and closed cases
    that cannot be dated: no date of birth known)."""
    from engine.service import retention

    with liaison(school) as engine:
        emit(retention.due(engine, me(engine, actor), engine.clock().date()), as_json)


@retention_app.command("dispose")
def retention_dispose(case: CaseArg, reason: ReasonOpt, actor: AsOpt = None,
                      reviewed: Annotated[bool, typer.Option(
                          "--child-protection-reviewed",
                          help="A case marked child protection has had its own review.")]
                      = False,
                      school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Dispose of CASE past its retention period (senior leaders only): delete its
    documents and personal fields, keep its tombstone."""
    from engine.service import retention

    with liaison(school) as engine:
        emit(retention.dispose(engine, case, me(engine, actor), reason,
                               engine.clock().date(), reviewed), as_json)


@app.command()
def hold(case: CaseArg, reason: ReasonOpt, actor: AsOpt = None, at: AtOpt = None,
         school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Put a legal hold on CASE (senior leaders): it is not disposed of until released."""
    from engine.service import amend

    with liaison(school) as engine:
        emit(amend.hold(engine, case, me(engine, actor), reason, when(at)), as_json)


@app.command()
def release(case: CaseArg, reason: ReasonOpt, actor: AsOpt = None, at: AtOpt = None,
            school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Release the legal hold on CASE (senior leaders), saying why."""
    from engine.service import amend

    with liaison(school) as engine:
        emit(amend.release(engine, case, me(engine, actor), reason, when(at)), as_json)


@app.command()
def unmark(case: CaseArg, reason: ReasonOpt, actor: AsOpt = None,
           child_protection: Annotated[bool, typer.Option(
               "--child-protection", help="Take off a child-protection mark made by "
               "mistake (PWP-4.3).")] = False,
           at: AtOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Take a mark off CASE (safeguarding leads), saying why; both stay in its history."""
    from engine.service import amend

    if not child_protection:
        raise InputError("say what to unmark: --child-protection")
    with liaison(school) as engine:
        emit(amend.unmark_child_protection(engine, case, me(engine, actor), reason, when(at)),
             as_json)


@app.command()
def correct(case: CaseArg,
            value: Annotated[str, typer.Argument(metavar="FIELD=VALUE", show_default=False)],
            reason: ReasonOpt, actor: AsOpt = None, at: AtOpt = None, school: SchoolOpt = None,
            as_json: JsonOpt = False) -> None:
    """Correct a field of CASE: recorded as an event (from what, to what, why), never an
    edit in place."""
    from engine.service import amend

    with liaison(school) as engine:
        emit(amend.correct(engine, case, me(engine, actor), assignments([value]), reason, when(at)),
             as_json)


export_app = typer.Typer(no_args_is_help=True, help="Export what the school holds about a "
                         "person (a subject access request).")
app.add_typer(export_app, name="export")


@export_app.command("subject")
def export_subject(out: Annotated[Path, typer.Argument(metavar="OUT.zip", show_default=False)],
                   actor: AsOpt = None,
                   student: Annotated[str | None, typer.Option(
                       "--student", metavar="STUDENT_ID", show_default=False,
                       help="Everything held about this student.")] = None,
                   contact: Annotated[str | None, typer.Option(
                       "--contact", metavar="CONTACT_ID", show_default=False,
                       help="Everything held about this parent or carer.")] = None,
                   school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Everything held about a student or contact (cases, history, documents, contact
    log) in OUT.zip, with a manifest listing third parties' names and restricted cases
    to review for redaction before it is sent (SAR-1, SAR-5)."""
    from engine.service.export import export_subject as export

    with liaison(school) as engine:
        emit(export(engine, me(engine, actor), out, student, contact), as_json)


@export_app.command("log")
def export_log(actor: AsOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Every subject access export made: who exported whose data, when, which cases and
    the manifest's SHA-256 (senior leaders; audit verify checks the record)."""
    from engine.service.export import export_log as log

    with liaison(school) as engine:
        emit(log(engine, me(engine, actor)), as_json)
