"""``liaison calendar``: the school's calendar and counting school days, thin over
engine.core.calendar (through the school's profile).

engine.cli.app imports this module at its bottom; it uses engine.cli.app's shared helpers and
registers its sub-app there.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from engine.cli.app import JsonOpt, SchoolOpt, _day, _moment, _print_json, _table, app, out
from engine.service.sources import find_root, load_profile

calendar_app = typer.Typer(help="The school's calendar: school days, holidays, closures; "
                           "counting school days.")
app.add_typer(calendar_app, name="calendar")


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
