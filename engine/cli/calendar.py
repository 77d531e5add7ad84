"""``liaison calendar``: the school's calendar, and counting school days."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from engine.cli.emit import emit, say
from engine.cli.options import JsonOpt, SchoolOpt, app, day, moment, root

calendar_app = typer.Typer(help="The school's calendar: school days, holidays, closures; "
                           "counting school days.")
app.add_typer(calendar_app, name="calendar")


@calendar_app.callback(invoke_without_command=True)
def calendar(ctx: typer.Context,
             start: Annotated[str | None, typer.Option("--from", metavar="DATE",
                                                       show_default=False,
                                                       help="First day (default: "
                                                       "today).")] = None,
             end: Annotated[str | None, typer.Option("--to", metavar="DATE", show_default=False,
                                                     help="Last day (default: two "
                                                     "weeks on).")] = None,
             school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Print each day from --from to --to: school day, weekend, bank holiday, half term,
    closure or holiday."""
    from engine.service import school as about

    if ctx.invoked_subcommand is not None:
        return
    first = day(start, "--from") if start else dt.date.today()
    last = day(end, "--to") if end else first + dt.timedelta(days=13)
    days = about.calendar(root(school), first, last)
    emit(days, as_json)
    if not as_json:
        say(f"{sum(d.data['kind'] == 'school_day' for d in days)} school days")


@calendar_app.command("add-days")
def add_days(start: Annotated[str, typer.Argument(metavar="DATE", help="A date, or a date and "
                                                  "time when a message arrived.")],
             n: Annotated[int, typer.Argument(metavar="N", help="How many school days on.")],
             school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Print the date N school days after DATE. Given a time (2026-11-28T10:00), count from
    the day a message sent then counts as received (PWP-5.2, 5.3)."""
    from engine.service import school as about

    emit(about.add_days(root(school), start, moment(start, "DATE"), n), as_json)
