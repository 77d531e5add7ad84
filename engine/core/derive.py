"""Values an event works out from the school calendar, named in YAML (``computes:``).

A statutory letter names dates that staff must not count by hand: the first five school
days of a suspension, when the parents must keep the child at home (EXC-2), the sixth,
from which the school provides full-time education, the governing board's deadline in
school days (EXC-5), the day a posted decision is deemed received and the last day to ask
for an independent review (EXC-6). A workflow names the calculation and the fields it
reads; the engine works the value out when the event fires and keeps it with the event's
own fields, so the audit trail holds what the letter said and ``requires:`` rules (the
45-day cap, EXC-4) and ``when:`` conditions read it like any field.

Each calculation is a pure function of the case's values, the calendar, when the event
happened and the student's other cases of the same workflow, as ``rules`` are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.core.calendar import SchoolCalendar

# The governing board's duty on a suspension or exclusion (EXC-5).
DUTIES = ("must_consider", "on_representations", "representations_only")


@dataclass(frozen=True)
class Other:
    """Another case of the same workflow for the same student: its state and fields."""

    case_id: str
    state: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Inputs:
    values: Mapping[str, Any]
    calendar: SchoolCalendar
    occurred: dt.datetime
    others: Sequence[Other] = ()


@dataclass(frozen=True)
class Calc:
    """A named calculation: its result's type, its arguments (name -> kind: ``field``, a
    field or occurred_on; ``number``; ``states``, a list of states), which are required."""

    type: str
    args: Mapping[str, str]
    required: tuple[str, ...]
    run: Callable[[Mapping[str, Any], Inputs], Any]
    choices: tuple[str, ...] = ()


def _date(inputs: Inputs, name: str | None) -> dt.date | None:
    if name == "occurred_on":
        return inputs.occurred.date()
    value = inputs.values.get(name or "")
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def school_days(arg: Mapping[str, Any], inputs: Inputs) -> list[str] | None:
    """The school days from ``from`` to ``to``, both included, as ISO dates (a suspension's
    days); ``count`` keeps only the first so many (the first five, EXC-2). Without an end
    (a permanent exclusion) ``count`` days are given."""
    first, last = _date(inputs, arg["from"]), _date(inputs, arg.get("to"))
    count = arg.get("count")
    if first is None or (last is None and count is None):
        return None
    cal, out = inputs.calendar, []
    day = cal.add_school_days(first, 0)
    while (last is None or day <= last) and (count is None or len(out) < count):
        out.append(day.isoformat())
        if last is None and count is None:
            break
        day = cal.next_school_day(day)
    return out


def school_day(arg: Mapping[str, Any], inputs: Inputs) -> str | None:
    """The ``n``-th school day counting ``from`` as the first when it is one (the sixth
    day of an exclusion, from which full-time provision starts, EXC-2)."""
    first = _date(inputs, arg["from"])
    if first is None:
        return None
    start = inputs.calendar.add_school_days(first, 0)
    return inputs.calendar.add_school_days(start, arg["n"] - 1).isoformat()


def school_days_after(arg: Mapping[str, Any], inputs: Inputs) -> str | None:
    """The ``days``-th school day after ``from`` (within 15 school days of the notice, EXC-5)."""
    first = _date(inputs, arg["from"])
    return inputs.calendar.add_school_days(first, arg["days"]).isoformat() if first else None


def working_days_after(arg: Mapping[str, Any], inputs: Inputs) -> str | None:
    """The ``days``-th working day after ``from``: a weekday that is not a bank holiday,
    school holidays included (a notice posted first class is deemed received on the second
    working day after posting, EXC-6)."""
    day = _date(inputs, arg["from"])
    if day is None:
        return None
    left = arg["days"]
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and inputs.calendar.day_kind(day)[0] != "bank_holiday":
            left -= 1
    return day.isoformat()


def school_year(d: dt.date) -> int:
    """The school year a day belongs to, by the year it starts in (from 1 August)."""
    return d.year if d.month >= 8 else d.year - 1


def _served(arg: Mapping[str, Any], other: Other) -> list[str]:
    """The days another case counts: all its ``dates``, but in an ``except`` state (a
    withdrawn suspension) only those in its ``served`` field: the days before the
    withdrawal, which the pupil was out of school (EXC-4, EXC-7); none without one."""
    if other.state in set(arg.get("except") or ()):
        return list(other.fields.get(arg.get("served") or "") or [])
    return list(other.fields.get(arg["dates"]) or [])


def _counted(arg: Mapping[str, Any], inputs: Inputs, same: Callable[[dt.date], Any]) -> int:
    """The most school days in one period (``same`` names it) that this case falls in,
    counting the student's other cases' days there too: a suspension across two terms is
    counted in each, and the larger total is the one a limit is judged by."""
    own = [dt.date.fromisoformat(d) for d in inputs.values.get(arg["dates"]) or []]
    if not own:
        return 0
    days = set(own)
    for other in inputs.others:
        days |= {dt.date.fromisoformat(d) for d in _served(arg, other)}
    totals = {key: sum(1 for d in days if same(d) == key) for key in {same(d) for d in own}}
    return max(totals.values())


def total_in_school_year(arg: Mapping[str, Any], inputs: Inputs) -> int:
    """School days in field ``dates`` of this case and the student's other cases that fall
    in this case's school year (the 45-day cap, EXC-4); the largest, for a case that runs
    into a second school year."""
    return _counted(arg, inputs, school_year)


def total_in_term(arg: Mapping[str, Any], inputs: Inputs) -> int:
    """As ``total_in_school_year``, by term: the most days in any one term this case falls
    in, so a suspension across Christmas is counted in both terms (EXC-5)."""
    cal = inputs.calendar
    return _counted(arg, inputs, lambda d: getattr(cal.term_on(d), "name", None))


def days_before(arg: Mapping[str, Any], inputs: Inputs) -> list[str]:
    """The dates in field ``dates`` before the day ``day``: the days of a suspension
    served before it was withdrawn, which still count toward the cap (EXC-4, EXC-7)."""
    day = _date(inputs, arg["day"])
    dates = [str(d) for d in inputs.values.get(arg["dates"]) or []]
    return [d for d in dates if day is None or d < day.isoformat()]


def _misses_exam(arg: Mapping[str, Any], inputs: Inputs) -> bool:
    """Whether the pupil would miss the public examination on ``exam_on``: it falls on a
    day of the suspension, or on or after a permanent exclusion's first day."""
    exam = _date(inputs, arg.get("exam_on"))
    days = [str(d) for d in inputs.values.get(arg["dates"]) or []]
    if exam is None or not days:
        return False
    if str(inputs.values.get(arg["kind"])) == "permanent":
        return exam.isoformat() >= days[0]
    return exam.isoformat() in days


def misses_exam(arg: Mapping[str, Any], inputs: Inputs) -> str:
    """``yes`` when the pupil would miss a public examination (EXC-5), else ``no``."""
    return "yes" if _misses_exam(arg, inputs) else "no"


def board_before_exam(arg: Mapping[str, Any], inputs: Inputs) -> str | None:
    """The last school day before a missed examination, by which the governing board
    meets where practicable (EXC-5); none when no exam is missed, or when that day is
    already past at the notice (then it is not practicable, and the 15 days stand)."""
    if not _misses_exam(arg, inputs):
        return None
    exam = _date(inputs, arg["exam_on"])
    assert exam is not None
    day = exam - dt.timedelta(days=1)
    while not inputs.calendar.is_school_day(day) and day > inputs.occurred.date():
        day -= dt.timedelta(days=1)
    return day.isoformat() if day > inputs.occurred.date() else None


def governors_duty(arg: Mapping[str, Any], inputs: Inputs) -> str:
    """What the governing board must do (EXC-5): ``must_consider`` reinstatement within 15
    school days when the exclusion is permanent, takes the pupil over 15 school days in the
    term, or means missing a public examination; ``on_representations`` (within 50 school
    days, if the parents make representations) over 5 and up to 15 days; otherwise
    ``representations_only``: the board considers them but cannot reinstate."""
    permanent = str(inputs.values.get(arg["kind"])) == "permanent"
    term = int(inputs.values.get(arg["term_days"]) or 0)
    if permanent or term > 15 or _misses_exam(arg, inputs):
        return "must_consider"
    return "on_representations" if term > 5 else "representations_only"


def months_after(arg: Mapping[str, Any], inputs: Inputs) -> str | None:
    """The date ``months`` calendar months after ``from`` (SAR-2: a subject access
    request's one month, three when extended), by ``SchoolCalendar.months_after``."""
    day = _date(inputs, arg["from"])
    return inputs.calendar.months_after(day, arg["months"]).isoformat() if day else None


CALCS: dict[str, Calc] = {
    "school_days": Calc("dates", {"from": "field", "to": "field", "count": "number"},
                        ("from",), school_days),
    "school_day": Calc("date", {"from": "field", "n": "number"}, ("from", "n"), school_day),
    "school_days_after": Calc("date", {"from": "field", "days": "number"}, ("from", "days"),
                              school_days_after),
    "working_days_after": Calc("date", {"from": "field", "days": "number"}, ("from", "days"),
                               working_days_after),
    "months_after": Calc("date", {"from": "field", "months": "number"}, ("from", "months"),
                         months_after),
    "total_in_school_year": Calc("number", {"dates": "field", "except": "states",
                                            "served": "field"}, ("dates",),
                                 total_in_school_year),
    "total_in_term": Calc("number", {"dates": "field", "except": "states", "served": "field"},
                          ("dates",), total_in_term),
    "days_before": Calc("dates", {"dates": "field", "day": "field"}, ("dates", "day"),
                        days_before),
    "misses_exam": Calc("choice", {"kind": "field", "dates": "field", "exam_on": "field"},
                        ("kind", "dates", "exam_on"), misses_exam, ("yes", "no")),
    "board_before_exam": Calc("date", {"kind": "field", "dates": "field", "exam_on": "field"},
                              ("kind", "dates", "exam_on"), board_before_exam),
    "governors_duty": Calc("choice", {"kind": "field", "dates": "field", "term_days": "field",
                                      "exam_on": "field"}, ("kind", "dates", "term_days"),
                           governors_duty, DUTIES),
}


def compute(computed: Sequence[Any], inputs: Inputs) -> dict[str, Any]:
    """Every value an event computes, in the order declared (each sees those before it);
    ``computed`` holds ``definitions.Computed``."""
    values = dict(inputs.values)
    out: dict[str, Any] = {}
    for c in computed:
        here = Inputs(values, inputs.calendar, inputs.occurred, inputs.others)
        value = CALCS[c.calc].run(dict(c.args), here)
        if value is not None:
            out[c.name] = values[c.name] = value
    return out
