"""Named rules a workflow may require before an event fires (``requires:`` in YAML).

Workflows name rules; they never carry code. Each rule is a pure function of the facts
of one proposed event, returning why it refuses (or None). ``check_guard`` validates a
rule's argument when the workflow is loaded, so a typo fails ``liaison check``, not a
member of staff on the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Facts:
    """What a rule may look at: the case's fields with the new ones merged in, and who is who."""

    fields: Mapping[str, Any]
    occurred_at: dt.datetime
    student_id: str
    parent_ids: frozenset[str] = frozenset()  # the student's contacts who are parents
    staff_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    actor_roles: frozenset[str] = frozenset()  # the roles of the member of staff acting
    step_role: str | None = None  # the role that holds the case in its current state
    actor_id: str = ""  # the member of staff acting
    calendar: Any = None  # the school's SchoolCalendar, for rules counted in school days
    employees: frozenset[str] = frozenset()  # staff on the payroll (governors are not)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


def not_before(arg: str, facts: Facts) -> str | None:
    """The event may not happen before the date in field ``arg`` (e.g. representations_by)."""
    limit = _as_date(facts.fields.get(arg))
    if limit and facts.occurred_at.date() < limit:
        return f"not before {limit.isoformat()} ({arg.replace('_', ' ')})"
    return None


def not_after(arg: str, facts: Facts) -> str | None:
    """The moment in field ``arg`` may not be later than the event itself: a parent's email
    cannot arrive after it is logged (a mistyped year would set every deadline wrongly)."""
    value = facts.fields.get(arg)
    if isinstance(value, str) and value:
        moment = dt.datetime.fromisoformat(value)
        if moment > facts.occurred_at:
            return (f"{arg.replace('_', ' ')} {moment.isoformat(timespec='minutes')} is after "
                    f"the time this is recorded as happening "
                    f"({facts.occurred_at.isoformat(timespec='minutes')})")
    return None


ATTENDEE_KINDS = ("parent", "student", "senior_leader")


def attendees_include(arg: list[str], facts: Facts) -> str | None:
    """The ``attendees`` field must name at least one of each kind (NSW-5: a parent,
    the student and a member of the senior management team)."""
    ids = set(facts.fields.get("attendees") or [])
    present = {
        "parent": bool(ids & facts.parent_ids),
        "student": facts.student_id in ids,
        "senior_leader": any("senior_leader" in facts.staff_roles.get(i, ()) for i in ids),
    }
    missing = [kind.replace("_", " ") for kind in arg if not present[kind]]
    if missing:
        return "the attendees must include " + " and ".join(f"a {m}" for m in missing)
    return None


def staff_role(arg: dict[str, str], facts: Facts) -> str | None:
    """The member of staff named in field ``arg['field']`` must hold ``arg['role']``
    (BEM-2: a meeting is reconvened with a member of the Leadership Team)."""
    staff_id = facts.fields.get(arg["field"])
    if arg["role"] not in facts.staff_roles.get(str(staff_id), frozenset()):
        return f"{arg['field'].replace('_', ' ')} must be a {arg['role'].replace('_', ' ')}"
    return None


def at_step_or_above(arg: list[list[str]], facts: Facts) -> str | None:
    """Only someone at the case's current step of a routing chain, or further up it, may
    act (PWP-5.1: a query goes up from the step that holds it, never from below). ``arg``
    lists the chains, lowest step first; a case held outside every chain is not limited."""
    allowed: list[str] = []
    for chain in arg:
        if facts.step_role in chain:
            allowed += [r for r in chain[chain.index(facts.step_role):] if r not in allowed]
    if not allowed or facts.actor_roles & set(allowed):
        return None
    names = " or ".join(r.replace("_", " ") for r in allowed)
    step = str(facts.step_role).replace("_", " ")
    return f"the case is at the {step} step of its route: only a {names} may do this"


def required_when(arg: dict[str, Any], facts: Facts) -> str | None:
    """Field ``arg['field']`` must be given when the case's fields match ``arg['when']``
    (PWP-5.1: an academic query names its subject, so it reaches the subject teacher)."""
    when = {k: [str(v)] if isinstance(v, str) else [str(i) for i in v]
            for k, v in arg["when"].items()}
    if facts.fields.get(arg["field"]) or \
            not all(str(facts.fields.get(k)) in v for k, v in when.items()):
        return None
    cases = " and ".join(f"{k.replace('_', ' ')} is {' or '.join(v)}" for k, v in when.items())
    return f"{arg['field'].replace('_', ' ')} is needed when {cases}"


def actor_is(arg: str, facts: Facts) -> str | None:
    """Only the member of staff named in field ``arg`` may do this (BEM-4: the colleague
    asked to visit agrees or declines for themself; nobody agrees for them)."""
    named = facts.fields.get(arg)
    if named != facts.actor_id:
        return f"only {named or 'the ' + arg.replace('_', ' ')} may do this"
    return None


def in_order(arg: list[str], facts: Facts) -> str | None:
    """The date or time fields named come in this order, each on or after the one before
    (an exclusion ends after it starts; a visit's arrival, departure and return)."""
    given = [(name, str(facts.fields[name])) for name in arg if facts.fields.get(name)]
    for (first, a), (then, b) in zip(given, given[1:], strict=False):
        if b < a:  # ISO dates and times sort as text
            return f"{then.replace('_', ' ')} ({b}) is before {first.replace('_', ' ')} ({a})"
    return None


def at_most(arg: dict[str, Any], facts: Facts) -> str | None:
    """The number in field ``arg['field']`` may not pass ``arg['limit']``: a pupil may be
    suspended for at most 45 school days in a school year, counted across cases (EXC-4).
    The refusal names the total."""
    value = facts.fields.get(arg["field"])
    limit = int(arg["limit"])
    if value is not None and int(value) > limit:
        return (f"{arg['field'].replace('_', ' ')} would be {value}, more than {limit}"
                + (f" ({arg['clause']})" if arg.get("clause") else ""))
    return None


def within(arg: Mapping[str, Any], facts: Facts) -> str | None:
    """The event may happen up to ``school_days`` school days, or ``months`` calendar
    months, after the date in field ``of``, and not later (a Stage 2 complaint is asked
    for within 10 school days of the Stage 1 answer, CMP-4; a subject access request is
    extended within the first month, SAR-3, counted as its deadline is)."""
    start = _as_date(facts.fields.get(arg["of"]))
    if start is None or facts.calendar is None:
        return None
    if "months" in arg:
        count, unit = int(arg["months"]), "calendar month"
        last = facts.calendar.months_after(start, count)
    else:
        count, unit = int(arg["school_days"]), "school day"
        last = facts.calendar.add_school_days(start, count)
    if facts.occurred_at.date() > last:
        return (f"too late: within {count} {unit}{'s' if count != 1 else ''} of "
                f"{arg['of'].replace('_', ' ')} ({start.isoformat()}), that is by "
                f"{last.isoformat()}")
    return None


def not_employees(arg: str, facts: Facts) -> str | None:
    """Nobody named in the staff or staff-list field ``arg`` is an employee of the school:
    a complaints panel is of governors (CMP-5), marked ``employee: false`` in school.yaml."""
    named = facts.fields.get(arg) or []
    employed = [i for i in ([named] if isinstance(named, str) else named) if i in facts.employees]
    if employed:
        return (f"{arg.replace('_', ' ')} may not include an employee of the school: "
                f"{', '.join(employed)}")
    return None


def explained_if_later(arg: Mapping[str, Any], facts: Facts) -> str | None:
    """When the date in field ``date`` is later than the one in ``than``, field ``field``
    must say why: the governing board meets before a missed examination "where
    practicable" (EXC-5), so a later meeting records why it was not."""
    day, than = _as_date(facts.fields.get(arg["date"])), _as_date(facts.fields.get(arg["than"]))
    if day is None or than is None or day <= than or facts.fields.get(arg["field"]):
        return None
    return (f"{arg['date'].replace('_', ' ')} ({day.isoformat()}) is after "
            f"{arg['than'].replace('_', ' ')} ({than.isoformat()}): say why in "
            f"{arg['field'].replace('_', ' ')}"
            + (f" ({arg['clause']})" if arg.get("clause") else ""))


GUARDS: dict[str, Callable[[Any, Facts], str | None]] = {
    "explained_if_later": explained_if_later,
    "not_employees": not_employees,
    "at_most": at_most,
    "not_before": not_before,
    "not_after": not_after,
    "attendees_include": attendees_include,
    "staff_role": staff_role,
    "at_step_or_above": at_step_or_above,
    "required_when": required_when,
    "actor_is": actor_is,
    "in_order": in_order,
    "within": within,
}


def check_guard(name: str, arg: Any, fields: Mapping[str, Any]) -> list[str]:
    """Problems with a rule's argument, given the workflow's fields (name -> Field)."""
    if name in ("not_before", "not_after"):
        if not isinstance(arg, str) or arg not in fields:
            return [f"'{arg}' is not a field of this workflow"]
        if fields[arg].type not in ("date", "datetime"):
            return [f"field '{arg}' is not a date"]
    if name == "attendees_include":
        bad = [a for a in (arg if isinstance(arg, list) else [arg]) if a not in ATTENDEE_KINDS]
        if bad or not isinstance(arg, list):
            return [f"expected a list of: {', '.join(ATTENDEE_KINDS)}"]
        if "attendees" not in fields:
            return ["the workflow gathers no 'attendees' field"]
    if name == "staff_role":
        if not isinstance(arg, dict) or set(arg) != {"field", "role"}:
            return ["expected {field: FIELD, role: ROLE}"]
        if arg["field"] not in fields or fields[arg["field"]].type != "staff":
            return [f"'{arg['field']}' is not a staff field of this workflow"]
    if name == "at_step_or_above":
        if not isinstance(arg, list) or not all(isinstance(c, list) and c for c in arg):
            return ["expected a list of chains, each a list of roles, lowest step first"]
    if name == "required_when":
        return _check_required_when(arg, fields)
    if name == "actor_is" and (not isinstance(arg, str) or arg not in fields
                               or fields[arg].type != "staff"):
        return [f"'{arg}' is not a staff field of this workflow"]
    if name == "in_order":
        return _check_in_order(arg, fields)
    if name == "within":
        counts = [k for k in ("school_days", "months") if isinstance(arg, dict) and k in arg]
        if not isinstance(arg, dict) or len(counts) != 1 or set(arg) != {counts[0], "of"} \
                or not str(arg[counts[0]]).isdigit():
            return ["expected {school_days: N, of: FIELD} or {months: N, of: FIELD}"]
        if arg["of"] not in fields or fields[arg["of"]].type not in ("date", "datetime"):
            return [f"'{arg['of']}' is not a date field of this workflow"]
    if name == "explained_if_later":
        return _check_explained(arg, fields)
    if name == "not_employees" and (not isinstance(arg, str) or arg not in fields
                                    or fields[arg].type not in ("staff", "staff_list")):
        return [f"'{arg}' is not a staff or staff_list field of this workflow"]
    if name == "at_most":
        if not isinstance(arg, dict) or not {"field", "limit"} <= set(arg) \
                or not set(arg) <= {"field", "limit", "clause"} or not str(arg["limit"]).isdigit():
            return ["expected {field: FIELD, limit: NUMBER, clause: ID}"]
        if arg["field"] not in fields:
            return [f"'{arg['field']}' is not a field of this workflow"]
    return []


def _check_in_order(arg: Any, fields: Mapping[str, Any]) -> list[str]:
    if not isinstance(arg, list) or len(arg) < 2:
        return ["expected a list of two or more date or time fields"]
    return [f"'{f}' is not a date or time field of this workflow" for f in arg
            if f not in fields or fields[f].type not in ("date", "datetime")]


def _check_explained(arg: Any, fields: Mapping[str, Any]) -> list[str]:
    if not isinstance(arg, dict) or not {"field", "date", "than"} <= set(arg) \
            or not set(arg) <= {"field", "date", "than", "clause"}:
        return ["expected {field: FIELD, date: DATE_FIELD, than: DATE_FIELD, clause: ID}"]
    out = [f"'{arg['field']}' is not a field of this workflow"] if arg["field"] not in fields \
        else []
    return out + [f"'{arg[k]}' is not a date field of this workflow" for k in ("date", "than")
                  if arg[k] not in fields or fields[arg[k]].type not in ("date", "datetime")]


def _check_required_when(arg: Any, fields: Mapping[str, Any]) -> list[str]:
    if not isinstance(arg, dict) or set(arg) != {"field", "when"} \
            or not isinstance(arg["when"], dict):
        return ["expected {field: FIELD, when: {FIELD: [VALUES]}}"]
    unknown = [f for f in (arg["field"], *arg["when"]) if f not in fields]
    return [f"'{f}' is not a field of this workflow" for f in unknown]


def reads(name: str, arg: Any) -> set[str]:
    """The case fields a rule looks at, so ``actions`` can judge the rules that need no
    new input (``not_before: representations_by``) before anyone fills in a form."""
    if name in ("not_before", "not_after"):
        return {str(arg)}
    if name == "staff_role" and isinstance(arg, dict):
        return {str(arg.get("field"))}
    if name == "attendees_include":
        return {"attendees"}
    if name == "actor_is":
        return {str(arg)}
    if name == "in_order" and isinstance(arg, list):
        return {str(a) for a in arg}
    if name == "at_most" and isinstance(arg, dict):
        return {str(arg.get("field"))}
    if name == "within" and isinstance(arg, dict):
        return {str(arg.get("of"))}
    if name == "explained_if_later" and isinstance(arg, dict):
        return {str(arg.get(k)) for k in ("field", "date", "than")}
    return set()


def refusals(guards: list[tuple[str, Any]], facts: Facts) -> list[str]:
    """Why the named rules refuse this event (empty: all allow it)."""
    reasons = (GUARDS[name](arg, facts) for name, arg in guards)
    return [r for r in reasons if r]
