"""Changes to a case that are not its workflow's events, each recorded as an event of its
own with a reason (issue 11: records a school can defend): a legal hold put on and
released, a child-protection mark taken off by a safeguarding lead, a field corrected.

Nothing is edited in place: the case's history shows what was, what it became, who did
it and why, in the same hash-chained trail as every other event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from engine.core.definitions import Field
from engine.core.fields import People, parse_fields
from engine.core.rows import CaseMove, CaseRow, Change, EventRow
from engine.core.school import Staff
from engine.errors import FieldError, NotFound, PermissionDenied, TransitionNotAllowed
from engine.service.deliver import Delivery, deliver
from engine.service.liaison import Liaison
from engine.service.views import Message, Outcome

REASON = Field("reason", "text", "Why")


def member_of(engine: Liaison, actor_id: str, group: str, what: str) -> Staff:
    """The member of staff, if they hold a role of the school's ``group``."""
    who = engine.school.member(actor_id)
    roles = engine.school.group(group)
    if not who.roles & roles:
        raise PermissionDenied(f"{who.id} ({who.name}) may not {what}: only "
                               f"{', '.join(sorted(roles))}")
    return who


def _record(engine: Liaison, case: CaseRow, who: Staff, name: str, given: dict[str, Any],
            at: dt.datetime | None, fields: Mapping[str, Any] | None = None,
            **flags: bool) -> Outcome:
    """An event that keeps the case in its state, with its flags and fields as given."""
    with engine.store.reads() as r:
        last = r.last_occurred(case.id)
    occurred = engine._occurred(at, case, last)
    event = EventRow(case_id=case.id, event=name, from_state=case.state, to_state=case.state,
                     actor=who.id, actor_name=who.name,
                     occurred_at=occurred.isoformat(timespec="seconds"), fields=given,
                     recorded_at=engine.clock().isoformat(timespec="seconds"))
    move = CaseMove(case, case.state, dict(fields if fields is not None else case.fields),
                    case.holder, Change(event=event), **flags)  # type: ignore[arg-type]
    deliver(engine.school.root, engine.store, [Delivery(move)])
    return Outcome(case=case.id, workflow=case.workflow, state=case.state)


def _reason(engine: Liaison, case: CaseRow, reason: str, what: str) -> dict[str, Any]:
    if not reason.strip():
        raise FieldError(f"{case.id} {what}: say why (--reason TEXT)")
    people = People(case.student_id, frozenset(), list(engine.school.staff))
    return parse_fields([REASON], {"reason": [reason]}, people, f"{case.id} {what}")


def _case(engine: Liaison, case_id: str, who: Staff) -> CaseRow:
    return engine._visible(engine.store.case(case_id), who)


# ---------------------------------------------------------------------------- legal hold


def hold(engine: Liaison, case_id: str, actor_id: str, reason: str,
         at: dt.datetime | None = None) -> Message:
    """Put a legal hold on a case (a claim, a tribunal, an ICO complaint): it cannot be
    disposed of until released, whatever its retention period says."""
    who = member_of(engine, actor_id, "records", "put a legal hold on a case")
    case = _case(engine, case_id, who)
    if case.legal_hold:
        raise TransitionNotAllowed(f"{case.id} is already on a legal hold")
    given = _reason(engine, case, reason, "hold")
    done = _record(engine, case, who, "legal_hold", given, at, legal_hold=True)
    return Message((f"{case.id} is on a legal hold: it will not be disposed of until "
                    "released",), done.as_json())


def release(engine: Liaison, case_id: str, actor_id: str, reason: str,
            at: dt.datetime | None = None) -> Message:
    """Release a case's legal hold: its retention period applies again."""
    who = member_of(engine, actor_id, "records", "release a legal hold")
    case = _case(engine, case_id, who)
    if not case.legal_hold:
        raise TransitionNotAllowed(f"{case.id} is not on a legal hold")
    given = _reason(engine, case, reason, "release")
    done = _record(engine, case, who, "release_hold", given, at, legal_hold=False)
    return Message((f"{case.id}: the legal hold is released",), done.as_json())


# ---------------------------------------------------------------------------- undo


def unmark_child_protection(engine: Liaison, case_id: str, actor_id: str, reason: str,
                            at: dt.datetime | None = None) -> Message:
    """Take a child-protection mark off a case marked by mistake (PWP-4.3): a safeguarding
    lead, with a reason; the marking and the unmarking both stay in its history."""
    who = member_of(engine, actor_id, "safeguarding", "unmark a child-protection case")
    case = _case(engine, case_id, who)
    if not case.child_protection:
        raise TransitionNotAllowed(f"{case.id} is not marked child protection")
    given = _reason(engine, case, reason, "unmark")
    done = _record(engine, case, who, "unmark_child_protection", given, at,
                   child_protection=False)
    return Message((f"{case.id} is no longer marked child protection",), done.as_json())


def correct(engine: Liaison, case_id: str, actor_id: str, given: Mapping[str, list[str]],
            reason: str, at: dt.datetime | None = None) -> Message:
    """Correct one field of a case: an event saying it was A, is now B, and why. Only who
    may fire an event that gives the field may correct it; letters already sent stay as
    they were sent."""
    who = engine.school.member(actor_id)
    case = _case(engine, case_id, who)
    if len(given) != 1:
        raise FieldError(f"{case.id} correct: give one field to correct (FIELD=VALUE)")
    [name] = given
    workflow = engine.school.workflow(case.workflow)
    spec = workflow.field_types().get(name)
    if spec is None:
        raise NotFound(f"{case.id}: workflow '{workflow.name}' has no field '{name}'")
    if name == "contact":  # who the case is about: a different parent is a different case
        raise FieldError(f"{case.id} correct: the parent concerned cannot be changed; "
                         "open a case for the right parent and close this one")
    givers = [e for e in (workflow.opening, *workflow.events.values())
              if any(f.name == name for f in e.fields)]
    if not any(who.roles & e.roles for e in givers):
        raise PermissionDenied(f"{who.id} ({who.name}) may not correct '{name}' of "
                               f"{case.id}: no event you may fire gives it")
    why = _reason(engine, case, reason, "correct")
    with engine.store.reads() as r:
        contact_ids = frozenset(c["id"] for c in r.contacts_of(case.student_id))
    people = People(case.student_id, contact_ids, list(engine.school.staff))
    value = parse_fields([spec], dict(given), people, f"{case.id} correct")[name]
    before = case.fields.get(name)
    if value == before:
        raise FieldError(f"{case.id} correct: '{name}' is already that")
    record = {"field": name, "from": before, "to": value, **why}
    fields = {**case.fields, name: value}
    done = _record(engine, case, who, "correct", record, at, fields=fields)
    return Message((f"{case.id}: corrected {name} from {_shown(before)} to {_shown(value)}",),
                   done.as_json())


def _shown(value: Any) -> str:
    if value in (None, "", []):
        return "(blank)"
    return "; ".join(map(str, value)) if isinstance(value, list) else str(value)
