"""The letters of one event, composed from a snapshot: pure, nothing read, nothing written.

Step 2 of an atomic advance (DESIGN.md). The service reads everything an event's letters
need into one frozen ``Snapshot`` (the student, their contacts, the staff, the site bans in
force on the family, the case's earlier events) before anything is decided; this turns
(workflow, plan, snapshot) into the documents to render: for each document the event makes
(and whose ``when`` holds), its recipients (the case's contact, each contact, the family,
the file, a role's holders, the actor's line manager, PWP-5.4a), and each letter's whole
context (the letterhead, the case, the fields as shown, the earlier events it lists, a site
ban in force on the addressee, HSP-5). The context is a snapshot too: it copies every name
and address it prints, and is stored with the document so the letter can be reprinted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.core import context as ctx
from engine.core.definitions import DocumentSpec, Entries, Workflow
from engine.core.people import Contact, Student
from engine.core.plan import Plan
from engine.core.rows import DeadlineRow, EventRow
from engine.core.school import Profile, Staff

BanCases = Mapping[str, tuple[tuple[str, Mapping[str, Any]], ...]]


@dataclass(frozen=True)
class Snapshot:
    """What an event's letters read, read once before anything is composed."""

    letterhead: Profile
    student: Student
    contacts: tuple[Contact, ...]
    staff: Mapping[str, Staff]
    bans: BanCases = field(default_factory=dict)  # contact id -> (case id, fields) of bans
    events: tuple[EventRow, ...] = ()  # the case's earlier events (for a document's entries)
    deadlines: tuple[DeadlineRow, ...] = ()  # open on the case once the event is recorded

    def names(self) -> dict[str, str]:
        """Who each id a field may hold is, as a letter prints them."""
        names = {s.id: s.name for s in self.staff.values()}
        names.update({c.id: c.full_name for c in self.contacts})
        names[self.student.id] = self.student.full_name
        return names


@dataclass(frozen=True)
class Letter:
    """A document to render: its template, its addressee and its whole context."""

    spec: DocumentSpec
    recipient: ctx.Recipient
    context: dict[str, Any]

    @property
    def template(self) -> str:
        return self.spec.template


@dataclass
class Composed:
    """The letters of an event, and the recipients left out, each with why."""

    letters: list[Letter] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # a letter signed by a fallback, and why


def compose(workflow: Workflow, plan: Plan, snap: Snapshot) -> Composed:
    """Every document of the event with its context (a barred contact, a missing line
    manager noted as skipped)."""
    out = Composed()
    specs = [d for d in plan.event.documents if not d.when or d.when.holds(plan.values)]
    if not specs:
        return out
    names = snap.names()
    shown = ctx.shown_fields(workflow, plan.values, names)
    case_info = _case_info(workflow, plan, names)
    acted = (plan.actor.name, plan.actor.title)
    banning = workflow.flagged("site_ban")
    banned = banned_contacts(snap.contacts, snap.bans, plan, banning)
    deadlines = ctx.deadlines_context(workflow, snap.deadlines)
    titles = ctx.staff_titles(workflow, plan.values, {s.id: s.title for s in snap.staff.values()})
    for spec in specs:
        chosen = ctx.recipients(spec.to, list(snap.contacts), plan.values.get("contact"),
                                staff_recipients(snap, spec.to, plan.actor), banned)
        out.skipped += _skipped(spec, chosen, plan.actor)
        entries = _entries(workflow, plan, snap, spec.entries, names) if spec.entries else []
        signer, note = signatory(spec, snap, plan.actor)
        signed = (signer.name, signer.title)
        out.notes += [note] if note and chosen.to else []
        for recipient in chosen.to:
            context = ctx.letter_context(
                letterhead=snap.letterhead, when=plan.occurred.date(), case=case_info,
                recipient=recipient, student=snap.student, fields=shown, signatory=signed,
                actor=acted, ban=ban_for(recipient, snap.bans, plan, banning),
                entries=entries, deadlines=deadlines, titles=titles)
            out.letters.append(Letter(spec, recipient, context))
    return out


def signatory(spec: DocumentSpec, snap: Snapshot, actor: Staff) -> tuple[Staff, str]:
    """Who signs a document, and a note when it is not whom the workflow asks for.

    The member of staff who acts signs, unless the document is ``signed_by`` a role: then
    the holder of that role who leads the student's own year group or house (a Year 7
    pupil's warning is signed by the Head of Year 7, whoever recorded it). Where
    school.yaml names nobody for that year or house, the actor signs if they hold the
    role, else its first holder, and the note says so."""
    if not spec.signed_by:
        return actor, ""
    holders = [s for s in snap.staff.values() if spec.signed_by in s.roles]
    student = snap.student
    own = [s for s in holders if s.leads(student.year, student.house)]
    if own:
        return (actor if actor in own else own[0]), ""
    fallback = actor if actor in holders else (holders[0] if holders else actor)
    role = spec.signed_by.replace("_", " ")
    house = f" or {student.house} house" if student.house else ""
    return fallback, (f"{spec.template} signed by {fallback.name} ({fallback.title}): "
                      f"school.yaml names no {role} for Year {student.year}{house} (give "
                      f"one 'year: {student.year}')")


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


def _entries(workflow: Workflow, plan: Plan, snap: Snapshot, spec: Entries,
             names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The case's earlier events a document lists, oldest first, between the dates in
    two of its fields (a School–Home Contact Sheet: date, reported by, NSW-2)."""
    first, last = plan.values[spec.start], plan.values[spec.end]
    out = []
    for e in snap.events:
        if e.event in spec.events and first <= e.occurred_at[:10] <= last:
            given = workflow.events[e.event].fields
            out.append({"date": ctx.long_date(dt.date.fromisoformat(e.occurred_at[:10])),
                        "time": e.occurred_at[11:16], "by": e.actor_name,
                        "title": workflow.events[e.event].title,
                        "fields": {f.name: ctx.show_value(f, e.fields.get(f.name), names)
                                   for f in given}})
    return out


def staff_recipients(snap: Snapshot, to: str, actor: Staff) -> list[ctx.Recipient]:
    """The members of staff a document goes to: the actor's line manager (PWP-5.4a), or
    every holder of a role."""
    if to == "line_manager":
        staff = [snap.staff[actor.line_manager]] if actor.line_manager else []
    elif to.startswith("role:"):
        staff = [s for s in snap.staff.values() if to[5:] in s.roles]
    else:
        return []
    return [ctx.Recipient(id=s.id, name=s.name, salutation=f"Dear {s.name}",
                          address_lines=(s.title, *snap.letterhead.address[:1]))
            for s in staff]


def banned_contacts(contacts: Iterable[Contact], bans: BanCases, plan: Plan | None = None,
                    banning: tuple[str, ...] = ()) -> frozenset[str]:
    """The contacts under a site ban in force (as ``ban_for`` counts it): each gets a
    letter of their own, never a share of a joint one."""
    return frozenset(c.id for c in contacts
                     if ban_for(ctx.Recipient(id=c.id, name="", salutation="",
                                              contact_ids=(c.id,)), bans, plan, banning))


def ban_for(recipient: ctx.Recipient, bans: BanCases, plan: Plan | None = None,
            banning: tuple[str, ...] = ()) -> dict[str, str] | None:
    """A site ban in force on an addressee: the letter gives the permitted contact route
    instead of inviting them in or to call. The case being advanced (``plan``, whose
    workflow's ban states are ``banning``) counts as it will be after the event (a ban
    being issued is in force; one being lifted is not); a letter outside a case (batch
    letters) sees the bans as they stand."""
    for cid in recipient.contact_ids:
        if plan and cid == plan.values.get("contact") and plan.target in banning:
            return ban_details(plan.values)
        for case_id, values in bans.get(cid, ()):
            if plan is None or case_id != plan.case.id:
                return ban_details(values)
    return None


def ban_details(values: Mapping[str, Any]) -> dict[str, str]:
    """What a letter and ``show`` say of a site ban: the permitted contact route and dates."""
    return {"contact_route": str(values.get("contact_route", "")),
            "arrangements": str(values.get("arrangements") or ""),
            "review_on": ctx.long_date(dt.date.fromisoformat(values["review_on"]))
            if values.get("review_on") else "",
            "ban_from": ctx.long_date(dt.date.fromisoformat(values["ban_from"]))
            if values.get("ban_from") else ""}
