"""The ``liaison`` command: typer + rich, thin over engine.service.

Every command that reads or changes a case takes ``--as STAFF_ID``. A LiaisonError becomes
one ``error:`` line on stderr and exit status 1 (2 for usage errors); anything else is a
bug and keeps its traceback.

This module holds the app, the options and helpers every command shares, the school and
case commands, and ``main``/``entry``. The other commands import those helpers and are
imported at the bottom, where each registers itself on the app in the order ``liaison
--help`` lists them: engine.cli.records (due, mark, documents, student, report), then the
sub-apps engine.cli.imports, engine.cli.calendar and engine.cli_letters.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from engine.core import machine
from engine.core.fields import parse_assignments
from engine.errors import DefinitionError, InputError, LiaisonError
from engine.service import batch
from engine.service import liaison as service
from engine.service.liaison import Liaison, Outcome
from engine.service.sources import find_root, open_school

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Liaison: cases and letters for a school's home-school policies.")

# Piped output is not cut to 80 columns: paths in a table must stay whole to be copied.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
SchoolOpt = Annotated[Path | None, typer.Option("--school", envvar="LIAISON_SCHOOL",
                                                help="The school directory (default: here).")]
AsOpt = Annotated[str, typer.Option("--as", help="Your staff id (see 'liaison staff').")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="A field: key=value (repeat "
                                                  "a key for a list).")]
AtOpt = Annotated[str | None, typer.Option("--at", help="When it happened (ISO date/time); "
                                           "default now.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
PdfOpt = Annotated[bool, typer.Option("--pdf", help="Also write a PDF of each letter, for "
                                      "printing (needs LibreOffice).")]


@contextmanager
def liaison(school: Path | None) -> Iterator[Liaison]:
    engine = Liaison.at(find_root(school))
    try:
        yield engine
    finally:
        engine.close()


def _when(at: str | None) -> dt.datetime | None:
    if at is None:
        return None
    try:
        return dt.datetime.fromisoformat(at).replace(tzinfo=None)
    except ValueError:
        raise InputError(f"--at '{at}': expected an ISO date or date and time "
                         "(2026-11-24T10:30)") from None


def _day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} '{value}': expected a date (2026-11-24)") from None


def _moment(value: str, option: str) -> dt.datetime:
    """A date (its start) or a date and time, as given to --on or add-days."""
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise InputError(f"{option} '{value}': expected a date (2026-11-24) or a date and "
                         "time (2026-11-24T10:30)") from None


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[str(v) if v is not None else "" for v in row])
    out.print(table)


def _print_outcome(outcome: Outcome, as_json: bool, pdfs: list[str] | None = None) -> None:
    if as_json:
        _print_json({**outcome.as_json(), **({"pdfs": pdfs} if pdfs is not None else {})})
        return
    out.print(f"{outcome.case} ({outcome.workflow}) is now [bold]{outcome.state}[/bold]")
    for d in outcome.documents:
        out.print(f"  wrote {d.path}  for {d.recipient}")
    for pdf in pdfs or []:
        out.print(f"  wrote {pdf}")
    for deadline in outcome.deadlines:
        out.print(f"  deadline {deadline['name']}: {deadline['due']}")
    for s in outcome.skipped:
        out.print(f"  no {s['template']} for contact {s['contact']}: {s['why']}")
    for opened in outcome.opened:
        out.print("  and opened:")
        _print_outcome(opened, as_json=False)
    for warning in outcome.warnings:
        out.print(f"  [yellow]warning:[/yellow] {warning}")


# ---------------------------------------------------------------------- school


@app.command()
def init(directory: Path) -> None:
    """Make a new school directory from the shipped defaults."""
    from engine.service import shipped

    shipped.copy_school(directory)
    out.print(f"made {directory}: edit school.yaml, then 'liaison check --school {directory}'")


@app.command()
def demo(directory: Annotated[Path, typer.Argument()] = Path("demo-school"),
         as_json: JsonOpt = False) -> None:
    """Run a conduct case on the demo school, from incident to site ban to resolution."""
    from engine.service import shipped

    letters = shipped.run_demo(directory)
    if as_json:
        _print_json(letters)
        return
    _table(f"Letters written in {directory}", ["case", "event", "template", "recipient", "path"],
           [[r["case"], r["event"], r["template"], r["recipient"], r["path"]] for r in letters])


@app.command()
def check(school: SchoolOpt = None) -> None:
    """Validate school.yaml, every workflow and every letter template."""
    root = find_root(school)
    loaded, warnings = service.check(root)
    for warning in warnings:
        out.print(f"warning: {warning}")
    out.print(f"ok: {len(loaded.workflows)} workflows, {len(loaded.staff)} staff, "
              f"{len(list(loaded.letters_dir.glob('*.docx')))} letter templates")


@app.command()
def workflows(school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """List the workflows with their policy and review date."""
    loaded = open_school(find_root(school))
    rows: list[dict[str, Any]] = [{"name": w.name, "title": w.title, "policy": w.policy,
             "review_by": w.review_by.isoformat() if w.review_by else None,
             "clauses": list(w.clauses), "restricted": w.restricted}
            for w in loaded.workflows.values()]
    if as_json:
        _print_json(rows)
        return
    _table("Workflows", ["name", "title", "review by", "clauses"],
           [[r["name"], r["title"], r["review_by"], " ".join(r["clauses"])] for r in rows])


@app.command()
def staff(school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """List the staff and their roles."""
    loaded = open_school(find_root(school))
    rows = service.staff_json(loaded)
    if as_json:
        _print_json(rows)
        return
    _table("Staff", ["id", "name", "roles"], [[r["id"], r["name"], ", ".join(r["roles"])]
                                              for r in rows])


@app.command()
def diagram(workflow: str, school: SchoolOpt = None) -> None:
    """Print a Mermaid diagram of a workflow's states and events."""
    loaded = open_school(find_root(school))
    sys.stdout.write(machine.diagram(loaded.workflow(workflow)))


@app.command()
def doctor(school: SchoolOpt = None) -> None:
    """Remove document files no record names (left by a crash before a commit)."""
    with liaison(school) as engine:
        removed = engine.doctor()
    out.print(f"removed {len(removed)} orphaned file(s)")
    for path in removed:
        out.print(f"  {path}")


# ---------------------------------------------------------------------- cases


@app.command("open")
def open_case(workflow: str, student: Annotated[str, typer.Option("--student")], actor: AsOpt,
              values: SetOpt = None, at: AtOpt = None, school: SchoolOpt = None,
              as_json: JsonOpt = False) -> None:
    """Open a case of WORKFLOW for a student."""
    given = parse_assignments(values or [])
    with liaison(school) as engine:
        outcome = engine.open(workflow, student, actor, given, _when(at))
    _print_outcome(outcome, as_json)


@app.command()
def advance(case: str, event: str, actor: AsOpt, values: SetOpt = None, at: AtOpt = None,
            school: SchoolOpt = None, as_json: JsonOpt = False, pdf: PdfOpt = False) -> None:
    """Fire EVENT on CASE: check, record, set deadlines, write the letters (with --pdf, and
    a PDF of each for printing)."""
    given = parse_assignments(values or [])
    if pdf:
        batch.pdf_tool()  # no LibreOffice: say how to install it before anything is done
    with liaison(school) as engine:
        outcome = engine.advance(case, event, actor, given, _when(at))
        pdfs = batch.print_copies(engine, batch.written(outcome)) if pdf else None
    _print_outcome(outcome, as_json, pdfs)


@app.command()
def actions(case: str, actor: AsOpt, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """The events you may fire on CASE now, with the fields each needs."""
    with liaison(school) as engine:
        events = engine.actions(case, actor)
    rows: list[dict[str, Any]] = [{"event": e.name, "title": e.title,
             "fields": [{"name": f.name, "type": f.type, "optional": f.optional,
                         **({"choices": list(f.choices)} if f.choices else {})}
                        for f in e.fields]} for e in events]
    if as_json:
        _print_json(rows)
        return
    _table(f"What you may do on {case}", ["event", "title", "fields"],
           [[r["event"], r["title"], ", ".join(f"{f['name']} ({f['type']}"
                                               f"{', optional' if f['optional'] else ''})"
                                               for f in r["fields"])] for r in rows])


@app.command()
def show(case: str, actor: AsOpt, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """A case: state, fields, bans in force, deadlines and documents."""
    with liaison(school) as engine:
        view = engine.view(case, actor)
    if as_json:
        _print_json(view)
        return
    out.print(f"[bold]{view['case']}[/bold] {view['title']}: {view['state']} "
              f"({view['state_title']})")
    out.print(f"student {view['student']}  opened {view['opened_at']} by {view['opened_by']}"
              f"  holder {view['holder'] or '-'}")
    if view["child_protection"]:
        out.print("[bold red]CHILD PROTECTION[/bold red]: no letter about this case goes to "
                  "a parent (PWP-4.3)")
    for ban in view["bans"]:
        out.print(f"[bold red]SITE BAN IN FORCE[/bold red] ({ban['case']}): contact only "
                  f"{ban['contact_route']}; review by {ban['review_on']}")
    for key, value in view["fields"].items():
        out.print(f"  {key}: {value}")
    _table("Deadlines", ["name", "due", "status", "clause"],
           [[d["name"], d["due"], d["status"], d["clause"]] for d in view["deadlines"]])
    _table("Documents", ["template", "recipient", "path"],
           [[d["template"], d["recipient"], d["path"]] for d in view["documents"]])


@app.command("cases")
def list_cases(actor: AsOpt, workflow: Annotated[str | None, typer.Option()] = None,
               state: Annotated[str | None, typer.Option()] = None,
               student: Annotated[str | None, typer.Option()] = None, school: SchoolOpt = None,
               as_json: JsonOpt = False) -> None:
    """The cases you may see, optionally of one workflow, state or student."""
    with liaison(school) as engine:
        rows = [{"case": c.id, "workflow": c.workflow, "state": c.state,
                 "student": c.student_id, "holder": c.holder, "opened_at": c.opened_at}
                for c in engine.cases(actor, workflow, state, student)]
    if as_json:
        _print_json(rows)
        return
    _table("Cases", ["case", "workflow", "state", "student", "holder", "opened"],
           [list(r.values()) for r in rows])


@app.command()
def history(case: str, actor: AsOpt, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """The audit trail of CASE: who did what, when."""
    with liaison(school) as engine:
        rows = [{"seq": e.seq, "event": e.event, "from": e.from_state, "to": e.to_state,
                 "actor": e.actor, "actor_name": e.actor_name, "occurred_at": e.occurred_at,
                 "recorded_at": e.recorded_at, "fields": e.fields, "hash": e.hash}
                for e in engine.history(case, actor)]
    if as_json:
        _print_json(rows)
        return
    _table(f"History of {case}", ["#", "event", "from", "to", "by", "when", "recorded"],
           [[r["seq"], r["event"], r["from"], r["to"], f"{r['actor']} {r['actor_name']}",
             r["occurred_at"], r["recorded_at"]] for r in rows])


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (1 for a LiaisonError, 2 for usage)."""
    try:
        app(args=argv, standalone_mode=False)
    except DefinitionError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"error: {problem}\n")
        return 1
    except LiaisonError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        return 1
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        message = exc.format_message()  # type: ignore[attr-defined]
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.stderr.write(message + "\n")
        else:
            sys.stderr.write(f"error: {message.splitlines()[0] if message else exc}\n")
        return int(getattr(exc, "exit_code", 2))
    return 0


def entry() -> None:
    sys.exit(main())


# Last, because each of these imports the helpers above and registers its commands on the
# app as it loads; this order is the order `liaison --help` lists them in.
# isort: off
from engine.cli import records as cli_records  # noqa: E402, F401
from engine.cli import imports as cli_import  # noqa: E402, F401
from engine.cli import calendar as cli_calendar  # noqa: E402, F401
from engine.cli import letters as cli_letters  # noqa: E402, F401
# isort: on
