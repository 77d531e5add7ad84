"""The commands over the record: the due list, marking a case, documents, a student's
record and the indicators report; thin over engine.service (liaison, due, report).

They are top-level commands of engine.cli.app's app: engine.cli.app imports this module at its
bottom, after its shared helpers, so they keep their place in ``liaison --help``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from engine.cli.app import (
    AsOpt,
    AtOpt,
    JsonOpt,
    SchoolOpt,
    _day,
    _moment,
    _print_json,
    _table,
    _when,
    app,
    liaison,
    out,
)
from engine.errors import InputError
from engine.service import due as due_module


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
    from engine.service import report as indicators

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
