"""What an accepted event will write, decided before anything is written (pure).

Step 2 of an atomic advance (DESIGN.md): once the machine has said where an event leads,
the plan gives who holds the case afterwards, the deadlines it sets (in school days from
when a message counts as received, in minutes, by a time of day, or at a field's moment),
the deadlines it meets or cancels, and the audit row; ``engine.core.compose`` gives its
letters. The service then renders, writes and records them in one delivery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from engine.core.calendar import SchoolCalendar
from engine.core.definitions import DeadlineSpec, Event, Workflow
from engine.core.rows import CaseMove, CaseRow, Change, DeadlineRow, DocumentRow, EventRow
from engine.core.school import Staff


@dataclass(frozen=True)
class Plan:
    """An event that may fire: the case as read, where it goes, the values it holds after
    (``values``) and those given now (``given``), when it happened and who did it."""

    case: CaseRow
    event: Event
    target: str
    values: dict[str, Any]
    given: dict[str, Any]
    occurred: dt.datetime
    actor: Staff

    def opens(self, workflow: Workflow) -> bool:
        return self.event is workflow.opening

    def enters(self, workflow: Workflow) -> bool:
        """Whether the case enters its target state (a note keeps it where it is)."""
        return self.target != self.case.state or self.opens(workflow)


def holder(workflow: Workflow, plan: Plan) -> str | None:
    """A staff id or "role:NAME": whom the due list shows the case to. A state's role
    takes the case on entry; a note (no change of state) leaves it where it is."""
    if plan.event.assigns and plan.values.get(plan.event.assigns):
        return str(plan.values[plan.event.assigns])
    role = workflow.states[plan.target].holder
    return f"role:{role}" if role and plan.enters(workflow) else plan.case.holder


def deadline(spec: DeadlineSpec, plan: Plan, calendar: SchoolCalendar) -> DeadlineRow:
    """When a deadline falls: N school days after receipt, N calendar months on, N minutes
    on, or at a field."""
    start = plan.occurred
    if spec.start:
        start = dt.datetime.fromisoformat(plan.values[spec.start])
    due_at: dt.datetime | None = None
    if spec.school_days is not None:
        due_on = calendar.due_after_receipt(start, spec.school_days)
    elif spec.months is not None:  # from the day of receipt, whatever the hour (SAR-2)
        due_on = calendar.months_after(start.date(), spec.months)
    elif spec.minutes is not None:
        due_at = start + dt.timedelta(minutes=spec.minutes)
        due_on = due_at.date()
    elif spec.by_time is not None:  # e.g. by 10:30 on the day of the absence (NSW-3)
        due_at = dt.datetime.combine(start.date(), dt.time.fromisoformat(spec.by_time))
        due_on = due_at.date()
    else:
        moment = dt.datetime.fromisoformat(plan.values[spec.at or ""])
        due_on, due_at = moment.date(), (moment if "T" in plan.values[spec.at or ""]
                                         else None)
    return DeadlineRow(name=spec.name, title=spec.title, clause=spec.clause,
                       due_on=due_on.isoformat(),
                       due_at=due_at.isoformat(timespec="minutes") if due_at else None)


def _set(spec: DeadlineSpec, plan: Plan) -> bool:
    """Whether a deadline is set: its ``when:`` holds, and a deadline ``at:`` a field has a
    moment there (a calculation may find none: no day before a missed exam, EXC-5)."""
    return (not spec.when or spec.when.holds(plan.values)) and \
        (not spec.at or bool(plan.values.get(spec.at)))


def deadlines_after(plan: Plan, open_rows: list[DeadlineRow],
                    change: Change) -> tuple[DeadlineRow, ...]:
    """The case's deadlines open once the event is recorded: those open before, less the
    ones it meets or cancels, with the ones it sets in their place (a letter gives the
    date by which the parent will hear, PWP-5.2)."""
    done = set(change.meets) | set(change.cancels)
    kept = {r.name: r for r in open_rows if r.status == "open" and r.name not in done}
    kept.update({r.name: r for r in change.deadlines})
    return tuple(kept.values())


def event_row(workflow: Workflow, plan: Plan, recorded: dt.datetime) -> EventRow:
    """The audit trail's row: what happened, when, and when it was entered."""
    return EventRow(
        case_id=plan.case.id, event=plan.event.name,
        from_state=None if plan.opens(workflow) else plan.case.state,
        to_state=plan.target, actor=plan.actor.id, actor_name=plan.actor.name,
        occurred_at=plan.occurred.isoformat(timespec="seconds"), fields=plan.given,
        recorded_at=recorded.isoformat(timespec="seconds"))


def move(workflow: Workflow, plan: Plan, calendar: SchoolCalendar, recorded: dt.datetime,
         documents: list[DocumentRow]) -> CaseMove:
    """The whole write of the plan: the case's new state, fields and holder, its event,
    documents and deadlines."""
    specs = list(plan.event.deadlines)
    if plan.enters(workflow):
        specs += list(workflow.states[plan.target].deadlines)
    change = Change(event=event_row(workflow, plan, recorded), documents=documents,
                    deadlines=[deadline(s, plan, calendar) for s in specs if _set(s, plan)],
                    meets=list(plan.event.meets), cancels=list(plan.event.cancels),
                    closes=workflow.states[plan.target].terminal)
    return CaseMove(case=plan.case, state=plan.target, fields=plan.values,
                    holder=holder(workflow, plan), change=change, new=plan.opens(workflow))
