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
    contact_ids: frozenset[str] = frozenset()
    staff_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)


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


ATTENDEE_KINDS = ("parent", "student", "senior_leader")


def attendees_include(arg: list[str], facts: Facts) -> str | None:
    """The ``attendees`` field must name at least one of each kind (NSW-5: a parent,
    the student and a member of the senior management team)."""
    ids = set(facts.fields.get("attendees") or [])
    present = {
        "parent": bool(ids & facts.contact_ids),
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


GUARDS: dict[str, Callable[[Any, Facts], str | None]] = {
    "not_before": not_before,
    "attendees_include": attendees_include,
    "staff_role": staff_role,
}


def check_guard(name: str, arg: Any, fields: Mapping[str, Any]) -> list[str]:
    """Problems with a rule's argument, given the workflow's fields (name -> Field)."""
    if name == "not_before":
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
    return []


def refusals(guards: list[tuple[str, Any]], facts: Facts) -> list[str]:
    """Why the named rules refuse this event (empty: all allow it)."""
    reasons = (GUARDS[name](arg, facts) for name, arg in guards)
    return [r for r in reasons if r]
