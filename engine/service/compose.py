"""The letters of one advance: every document of a plan rendered to bytes, nothing written.

Step 3 of an atomic advance (DESIGN.md). For each document the event makes (and whose
``when`` holds) this picks the recipients (the case's contact, each contact, the file, a
role's holders, the actor's line manager, PWP-5.4a), builds each letter's context (the
letterhead, the case, the fields as shown, the earlier events it lists, a site ban in force
on the addressee, HSP-5) and renders it. The only reading is of people, earlier events and
bans, through the ``Records`` passed in; the service writes the bytes and stores the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.core import context as ctx
from engine.core.definitions import DocumentSpec, Entries, Event, Workflow
from engine.core.people import Contact, Student
from engine.core.school import School, Staff
from engine.letters import renderer as letters
from engine.service.records import Records, ban_details
from engine.store.database import CaseRow

Rendered = tuple[DocumentSpec, ctx.Recipient, bytes]


@dataclass
class Plan:
    """Everything an accepted event will write, computed before anything is written."""

    case: CaseRow
    event: Event
    target: str
    values: dict[str, Any]
    given: dict[str, Any]
    occurred: dt.datetime
    actor: Staff
    rendered: list[Rendered] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def documents(records: Records, workflow: Workflow,
              plan: Plan) -> tuple[list[Rendered], list[dict[str, str]]]:
    """Every document of the event rendered to bytes, and the recipients left out (a barred
    contact, a missing line manager), each with why."""
    specs = [d for d in plan.event.documents if not d.when or d.when.holds(plan.values)]
    if not specs:
        return [], []
    student = records.student(plan.case.student_id)
    contacts = records.contacts(student.id)
    names = _names(records.school, student, contacts)
    shown = ctx.shown_fields(workflow, plan.values, names)
    case_info = _case_info(workflow, plan, names)
    signed = (plan.actor.name, plan.actor.title)  # the member of staff who acts signs
    rendered: list[Rendered] = []
    skipped: list[dict[str, str]] = []
    for spec in specs:
        chosen = ctx.recipients(spec.to, contacts, plan.values.get("contact"),
                                _staff_recipients(records.school, spec.to, plan.actor))
        skipped += _skipped(spec, chosen, plan.actor)
        entries = _entries(records, workflow, plan, spec.entries, names) if spec.entries else []
        for recipient in chosen.to:
            context = ctx.letter_context(
                letterhead=records.letterhead(), when=plan.occurred.date(), case=case_info,
                recipient=recipient, student=student, fields=shown, signatory=signed,
                actor=signed, ban=ban_context(records, recipient, plan), entries=entries)
            data = letters.render(records.school.letters_dir / spec.template, context)
            rendered.append((spec, recipient, data))
    return rendered, skipped


def _names(school: School, student: Student, contacts: list[Contact]) -> dict[str, str]:
    """Who each id a field may hold is, as a letter prints them."""
    names = {s.id: s.name for s in school.staff.values()}
    names.update({c.id: c.full_name for c in contacts})
    names[student.id] = student.full_name
    return names


def _case_info(workflow: Workflow, plan: Plan, names: Mapping[str, str]) -> dict[str, str]:
    state = workflow.states[plan.target]
    return {"id": plan.case.id, "title": workflow.title, "state": state.name,
            "state_title": state.title,
            "opened_by": names.get(plan.case.opened_by, plan.case.opened_by)}


def _skipped(spec: DocumentSpec, chosen: ctx.Recipients, actor: Staff) -> list[dict[str, str]]:
    out = [{"template": spec.template, "contact": cid, "why": why}
           for cid, why in chosen.skipped]
    if spec.to == "line_manager" and not chosen.to:
        out.append({"template": spec.template, "contact": actor.id,
                    "why": "no line manager in school.yaml"})
    return out


def _entries(records: Records, workflow: Workflow, plan: Plan, spec: Entries,
             names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The case's earlier events a document lists, oldest first, between the dates in
    two of its fields (a School–Home Contact Sheet: date, reported by, NSW-2)."""
    first, last = plan.values[spec.start], plan.values[spec.end]
    out = []
    for e in records.store.events(plan.case.id):
        if e.event in spec.events and first <= e.occurred_at[:10] <= last:
            given = workflow.events[e.event].fields
            out.append({"date": ctx.long_date(dt.date.fromisoformat(e.occurred_at[:10])),
                        "time": e.occurred_at[11:16], "by": e.actor_name,
                        "title": workflow.events[e.event].title,
                        "fields": {f.name: ctx.show_value(f, e.fields.get(f.name), names)
                                   for f in given}})
    return out


def _staff_recipients(school: School, to: str, actor: Staff) -> list[ctx.Recipient]:
    if to == "line_manager":  # PWP-5.4a: reported to the actor's line manager
        staff = [school.staff[actor.line_manager]] if actor.line_manager else []
    elif to.startswith("role:"):
        staff = school.holders_of(to[5:])
    else:
        return []
    return [ctx.Recipient(id=s.id, name=s.name, salutation=f"Dear {s.name}",
                          address_lines=(s.title, *school.profile.address[:1]))
            for s in staff]


def ban_context(records: Records, recipient: ctx.Recipient,
                plan: Plan | None = None) -> dict[str, str] | None:
    """A site ban in force on an addressee: the letter gives the permitted contact route
    instead of inviting them in or to call. The case being advanced (``plan``) counts
    as it will be after the event (a ban being issued is in force; one being lifted is
    not); a letter outside a case (batch letters) sees the bans as they stand."""
    banning = records.school.workflows[plan.case.workflow].flagged("site_ban") if plan else ()
    for cid in recipient.contact_ids:
        if plan and cid == plan.values.get("contact") and plan.target in banning:
            return ban_details(plan.values)
        for case in records.bans(cid):
            if plan is None or case.id != plan.case.id:
                return ban_details(case.fields)
    return None
