"""The ``liaison`` command: typer + rich, thin over engine.service.

Every command that reads or changes a case takes ``--as STAFF_ID``. A LiaisonError becomes
one ``error:`` line on stderr and exit status 1 (2 for usage errors); anything else is a
bug and keeps its traceback.
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
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from engine import batch, machine, service
from engine import due as due_module
from engine.errors import DefinitionError, InputError, LiaisonError
from engine.fields import parse_assignments
from engine.school import find_root, load_profile, open_school
from engine.service import Liaison, Outcome

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Liaison: cases and letters for a school's home-school policies.")
import_app = typer.Typer(no_args_is_help=True, help="Load people from the MIS's CSV exports.")
app.add_typer(import_app, name="import")
calendar_app = typer.Typer(help="The school's calendar: school days, holidays, closures; "
                           "counting school days.")
app.add_typer(calendar_app, name="calendar")

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
    from engine import shipped

    shipped.copy_school(directory)
    out.print(f"made {directory}: edit school.yaml, then 'liaison check --school {directory}'")


@app.command()
def demo(directory: Annotated[Path, typer.Argument()] = Path("demo-school"),
         as_json: JsonOpt = False) -> None:
    """Run a conduct case on the demo school, from incident to site ban to resolution."""
    from engine import shipped

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


@import_app.command("students")
def import_students(file: Path, school: SchoolOpt = None) -> None:
    """Import students (id, first_name, last_name, year, form, house); updates by id."""
    with liaison(school) as engine:
        count = engine.import_students(file)
    out.print(f"imported {count} students from {file}")


@import_app.command("contacts")
def import_contacts(file: Path, school: SchoolOpt = None) -> None:
    """Import contacts (parents and carers) of known students; updates by id."""
    with liaison(school) as engine:
        count = engine.import_contacts(file)
    out.print(f"imported {count} contacts from {file}")


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


# ---------------------------------------------------------------------- letters

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


# ---------------------------------------------------------------------- dates


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


@calendar_app.callback(invoke_without_command=True)
def calendar(ctx: typer.Context,
             start: Annotated[str | None, typer.Option("--from", help="First day (default: "
                                                       "today).")] = None,
             end: Annotated[str | None, typer.Option("--to", help="Last day (default: two "
                                                     "weeks on).")] = None,
             school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Print each day from --from to --to: school day, weekend, bank holiday, half term,
    closure or holiday."""
    if ctx.invoked_subcommand is not None:
        return
    first = _day(start, "--from") if start else dt.date.today()
    last = _day(end, "--to") if end else first + dt.timedelta(days=13)
    days = load_profile(find_root(school)).calendar.days(first, last)
    rows = [{"date": d.isoformat(), "weekday": f"{d:%A}", "kind": kind, "name": name}
            for d, kind, name in days]
    if as_json:
        _print_json(rows)
        return
    _table(f"Calendar {first} to {last}", ["date", "day", "kind", "name"],
           [[r["date"], r["weekday"], r["kind"].replace("_", " "), r["name"]] for r in rows])
    out.print(f"{sum(r['kind'] == 'school_day' for r in rows)} school days")


@calendar_app.command("add-days")
def add_days(start: Annotated[str, typer.Argument(help="A date, or a date and time when a "
                                                  "message arrived.")],
             n: Annotated[int, typer.Argument(help="How many school days on.")],
             school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Print the date N school days after DATE. Given a time (2026-11-28T10:00), count from
    the day a message sent then counts as received (PWP-5.2, 5.3)."""
    calendar = load_profile(find_root(school)).calendar
    moment = _moment(start, "DATE")
    received = calendar.counts_as_received(moment) if "T" in start else None
    answer = calendar.add_school_days(received or moment.date(), n)
    if as_json:
        _print_json({"from": start, "counts_as_received": received, "school_days": n,
                     "date": answer.isoformat()})
        return
    out.print(f"{answer.isoformat()} ({answer:%A} {answer.day} {answer:%B %Y})")
    if received:
        out.print(f"  counted from {received.isoformat()}, the day it counts as received")


# ---------------------------------------------------------------------- due list


@app.command()
def due(actor: AsOpt,
        on: Annotated[str | None, typer.Option("--on", help="As at this date (its start) or "
                                               "date and time; default now.")] = None,
        everyone: Annotated[bool, typer.Option("--all", help="Every case (office staff and "
                                               "leaders).")] = False,
        school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """What is overdue, due today and due later this week, in the cases you hold or
    manage."""
    with liaison(school) as engine:
        now = _moment(on, "--on") if on else engine.clock()
        items = due_module.due_list(engine, actor, now, everyone)
    if as_json:
        _print_json([i.as_json() for i in items])
        return
    # One line per deadline (not a table): it stays readable, and greppable, in a narrow
    # terminal or a mail from cron.
    for status, title in (("overdue", "Overdue"), ("due_today", "Due today"),
                          ("upcoming", "Rest of the week")):
        rows = [i for i in items if i.status == status]
        if rows:
            out.print(f"[bold]{title}[/bold] ({len(rows)})")
        for i in rows:
            out.print(f"  {i.due:<16}  {i.case:<14}  {i.student_name}: {i.title} ({i.clause})"
                      f"  held by {i.holder_name or '-'}", markup=False)
    if not items:
        out.print(f"nothing due for {actor} this week")


# ---------------------------------------------------------------------- records


@app.command()
def mark(case: str, actor: AsOpt,
         child_protection: Annotated[bool, typer.Option(
             "--child-protection", help="Mark the case a child-protection matter: no letter "
             "about it goes to a parent (PWP-4.3).")] = False,
         reason: Annotated[str, typer.Option("--reason", help="Why (kept in the case's "
                                             "history).")] = "",
         at: AtOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Mark CASE (senior leaders only); the marking is recorded in its history."""
    if not child_protection:
        raise InputError("say what to mark: --child-protection")
    with liaison(school) as engine:
        outcome = engine.mark_child_protection(case, actor, reason, _when(at))
    if as_json:
        _print_json(outcome.as_json())
        return
    out.print(f"{outcome.case} is marked child protection: no letter about it will go to a "
              "parent")


@app.command()
def documents(actor: AsOpt, student: Annotated[str | None, typer.Option()] = None,
              case: Annotated[str | None, typer.Option()] = None, school: SchoolOpt = None,
              as_json: JsonOpt = False) -> None:
    """The documents written, of the cases you may see, optionally of one student or case."""
    with liaison(school) as engine:
        rows = [{"case": d["case_id"], "student": d["student_id"], "template": d["template"],
                 "recipient": d["recipient_name"], "created_at": d["created_at"],
                 "path": d["path"], "sha256": d["sha256"]}
                for d in engine.documents(actor, student, case)]
    if as_json:
        _print_json(rows)
        return
    _table("Documents", ["case", "student", "template", "recipient", "written", "path"],
           [[r["case"], r["student"], r["template"], r["recipient"], r["created_at"],
             r["path"]] for r in rows])


@app.command("student")
def student_record(student: str, actor: AsOpt, school: SchoolOpt = None,
                   as_json: JsonOpt = False) -> None:
    """A student: contacts, and where each workflow stands for them (the Home–School
    Agreement's signature among them)."""
    with liaison(school) as engine:
        record = engine.student_record(student, actor)
    if as_json:
        _print_json(record)
        return
    s = record["student"]
    out.print(f"[bold]{s['id']}[/bold] {s['first_name']} {s['last_name']}, Year {s['year']} "
              f"({s['form']})")
    _table("Contacts", ["id", "name", "relationship", "language", "correspondence"],
           [[c["id"], f"{c['title']} {c['first_name']} {c['last_name']}".strip(),
             c["relationship"], c["language"], c["correspondence"]] for c in record["contacts"]])
    out.print("[bold]Where things stand[/bold]")
    for r in record["status"]:
        closed = f", closed {r['closed_at'][:10]}" if r["closed_at"] else ""
        out.print(f"  {r['title']}: {r['state_title']} ({r['case']}, opened "
                  f"{r['opened_at'][:10]}{closed})")


@app.command()
def report(actor: AsOpt,
           start: Annotated[str | None, typer.Option("--from", help="First day (default: 1 "
                                                     "September of this school year).")] = None,
           end: Annotated[str | None, typer.Option("--to", help="Last day (default: "
                                                   "today).")] = None,
           school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Indicators by month (BEM-7, HSP-9): complaints about meetings, lone visits,
    disrespectful incidents, site bans, deadlines met and missed; every workflow's
    outcomes."""
    from engine import report as indicators

    with liaison(school) as engine:
        today = engine.clock().date()
        first = _day(start, "--from") if start else indicators.school_year_start(today)
        last = _day(end, "--to") if end else today
        result = indicators.report(engine, actor, first, last)
    if as_json:
        _print_json(result.as_json())
        return
    _print_report(result)


def _print_report(result: Any) -> None:
    months = result.months
    _table(f"Indicators {result.start} to {result.end}", ["indicator", "clause", *months, "total"],
           [[i["title"], i["clause"], *[i["by_month"].get(m, 0) for m in months],
             i["total"] if i["recorded"] else "-"] for i in result.indicators])
    for i in result.indicators:
        if not i["recorded"]:
            out.print(f"  not recorded: {i['title']} (no workflow '{i['workflow']}')")
    _table("Outcomes by workflow", ["workflow", "outcome", "month", "count"],
           [[e["workflow"], e["outcome"], e["month"], e["count"]] for e in result.events])
    _table("Deadlines", ["workflow", "month", "met", "late", "missed", "pending", "cancelled"],
           [[d["workflow"], d["month"], d["met"], d["late"], d["missed"], d["pending"],
             d["cancelled"]] for d in result.deadlines])
    _table("Lone visits (BEM-7)", ["case", "student", "visitor", "reason", "set out"],
           [[v["case"], v["student"], v["visitor"], v["reason"], v["set_out_at"]]
            for v in result.visits])


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
