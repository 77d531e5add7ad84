"""The use cases that change a case: open it, list what may be done, advance it, mark it.

Each change is one atomic advance (DESIGN.md): read the case and everything its letters
need in one read transaction (a ``Family`` snapshot); check who may do what and decide the
new state (pure, ``engine.core``); compose and render every document to bytes; then one
``deliver``: write the files, make them durable, record the event, documents, deadlines
and new state in one transaction, or remove the files. A refused event changes nothing; a
crash before the commit leaves only files no row names, which ``doctor`` removes; a row
never names a missing file. A case that moved between the read and the write is refused
(``ConflictError``): rendering and writing letters never holds the store's write lock.

The reading use cases (``show``, ``cases``, a student's record, the documents listing) are
``engine.service.records.Records``, which ``Liaison`` extends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.core import context as ctx
from engine.core import coordination, derive, machine, mirror, plan, rules
from engine.core import people as exports
from engine.core.compose import BanCases, Composed, Letter, Snapshot, compose
from engine.core.definitions import Event, Field, Workflow
from engine.core.fields import People, parse_fields
from engine.core.mirror import ContactsPlan
from engine.core.people import Contact, Student
from engine.core.plan import Plan
from engine.core.rows import CaseMove, CaseRow, Change, DeadlineRow, DocumentRow, EventRow
from engine.core.school import School, Staff
from engine.core.sending import Send, sends, subject_of
from engine.core.text import speaks_of
from engine.errors import (
    ConflictError,
    FieldError,
    InputError,
    PermissionDenied,
    TransitionNotAllowed,
)
from engine.letters import renderer as letters
from engine.service import compiled
from engine.service import pdf as print_copies
from engine.service.deliver import Delivery, Outgoing, deliver
from engine.service.records import Clock, Records, student_of, system_clock
from engine.service.sources import open_school, open_store, read_bytes, read_students
from engine.service.views import Action, Listing, Made, Message, Outcome, listing
from engine.store import files, lock
from engine.store.database import Reads

NUMBER_RETRIES = 5


_DEADLINE_KEYS = ("name", "title", "clause", "due_on", "due_at", "status")


@dataclass(frozen=True)
class Family:
    """What a change reads about the student's family, once, before anything is decided:
    the student, their contacts, the site bans in force on any of them, the letters sent
    home lately and the student's other cases (BEM-5), and the case's earlier events."""

    student: Student
    contacts: tuple[Contact, ...]
    bans: BanCases
    sent: tuple[dict[str, Any], ...] = ()
    others: tuple[CaseRow, ...] = ()
    events: tuple[EventRow, ...] = ()
    deadlines: tuple[DeadlineRow, ...] = ()  # the case's open ones (a letter gives a date)

    @property
    def contact_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.contacts)

    @property
    def parent_ids(self) -> frozenset[str]:
        """The contacts who are parents: a social worker at a meeting is not one (NSW-5)."""
        return frozenset(c.id for c in self.contacts if c.is_parent)


class Liaison(Records):
    """One school directory and its case store: the reading use cases of ``Records`` and
    the ones that change the store."""

    @classmethod
    def at(cls, root: Path, clock: Clock = system_clock) -> Liaison:
        school = open_school(root)
        return cls(school, open_store(school), clock)

    # ------------------------------------------------------------------ people

    def import_students(self, path: Path) -> int:
        return self.store.upsert_students(read_students(path))

    def import_contacts(self, path: Path) -> int:
        return self.mirror_contacts(path).count

    def mirror_contacts(self, path: Path, *, full: bool = False, dry_run: bool = False,
                        lift: tuple[str, ...] = ()) -> ContactsPlan:
        """Import the MIS's contacts export (engine/core/mirror.py): updates and adds, or
        ``full``, the file as the whole list (contacts not in it marked as left); a bar on
        correspondence kept unless ``lift`` names the contact. One transaction."""
        data = read_bytes(path)
        rows = exports.read_contact_lines(data, str(path), self.store.all_student_ids())
        return self._mirror(rows, str(path), full, dry_run, lift)

    def _mirror(self, rows: list[tuple[int, Contact]], where: str, full: bool = False,
                dry_run: bool = False, lift: tuple[str, ...] = ()) -> ContactsPlan:
        today = self.clock().date().isoformat()
        return self.store.rewrite_contacts(
            lambda on_file: mirror.plan_contacts(on_file, rows, where, full=full, today=today,
                                                 lift=lift), dry_run)

    def import_upload(self, kind: str, data: bytes, name: str, actor_id: str) -> int:
        """An MIS export uploaded on the web page (``kind``: students or contacts), for the
        office and leaders (school.yaml groups). All or nothing, as ``liaison import``:
        ImportRowError lists every bad row by ``NAME:LINE``."""
        self.leader(actor_id, f"import {kind}")
        if kind == "students":
            return self.store.upsert_students(exports.read_students(data, name))
        if kind == "contacts":
            rows = exports.read_contact_lines(data, name, self.store.all_student_ids())
            return self._mirror(rows, name).count
        raise InputError(f"nothing to import as '{kind}': students or contacts")

    # ------------------------------------------------------------------ what may be done

    def actions(self, case_id: str, actor_id: str) -> Listing[Action]:
        """The events this member of staff may fire on the case now."""
        who = self.school.member(actor_id)
        with self.store.reads() as r:
            case = self._visible(r.case(case_id), who)
            parent_ids = frozenset(c["id"] for c in r.contacts_of(case.student_id)
                                   if c.get("kind", "parent") == "parent")
        workflow = self.school.workflow(case.workflow)
        names = machine.possible(workflow, case.state, case.fields)
        facts = self._facts(case, case.fields, self.clock(), parent_ids, who)
        events = [e for e in (workflow.events[n] for n in names)
                  if who.roles & e.roles and not _refused_before_input(e, facts)]
        return listing(f"What you may do on {case_id}", ("event", "title", "fields"),
                       [Action.of(e) for e in events])

    def openable(self, actor_id: str) -> list[Workflow]:
        """The workflows this member of staff may open a case of."""
        who = self.school.member(actor_id)
        return [w for w in self.school.workflows.values() if who.roles & w.opening.roles]

    # ------------------------------------------------------------------ changing

    def open(self, workflow_name: str, student_id: str, actor_id: str,
             given: Mapping[str, list[str]], at: dt.datetime | None = None,
             pdf: bool = False) -> Outcome:
        """Open a case: the workflow's ``open`` event, from nowhere to its first state."""
        workflow = self.school.workflow(workflow_name)
        actor = self._allowed(workflow, workflow.opening, actor_id)
        _pdf_first(pdf)
        with self.store.reads() as r:
            family = self._family(r, student_id, workflow.opening, since=self._recent(at))
        occurred = self._occurred(at)
        values = parse_fields(workflow.opening.fields, given, self._people(family),
                              f"open {workflow.name}")
        values |= self._computed(workflow, workflow.opening, values, occurred, family)
        draft = CaseRow(id="(new)", workflow=workflow.name, state="", student_id=student_id,
                        contact_id=values.get("contact"), holder=actor.id, fields=values,
                        version=0, opened_at=occurred.isoformat(timespec="seconds"),
                        opened_by=actor.id, closed_at=None, restricted=workflow.restricted,
                        child_protection=False)
        refused = rules.refusals([(g.name, g.arg) for g in workflow.opening.guards],
                                 self._facts(draft, values, occurred, family.parent_ids, actor))
        if refused:
            raise FieldError(f"open {workflow.name}: {'; '.join(refused)}")
        self._one_per_student(workflow, family, actor)
        target = self._first_state(workflow, values)
        return self._printed(self._open_numbered(workflow, draft, target, values, occurred,
                                                 actor, family), pdf)

    def _open_numbered(self, workflow: Workflow, draft: CaseRow, target: str,
                       values: dict[str, Any], occurred: dt.datetime, actor: Staff,
                       family: Family) -> Outcome:
        for attempt in range(NUMBER_RETRIES):
            # The number is taken in the commit itself (no gaps); when two members of staff
            # open cases at once, the loser renders again under the next number.
            number = (random_case_id(workflow.prefix, occurred.year) if workflow.restricted
                      else self.store.next_case_id(workflow.prefix, occurred.year))
            case = dataclasses.replace(draft, state=target, id=number)
            try:
                return self._deliver(workflow, Plan(case, workflow.opening, target, values,
                                                    values, occurred, actor), family, seq=1)
            except ConflictError:
                if attempt == NUMBER_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def advance(self, case_id: str, event_name: str, actor_id: str,
                given: Mapping[str, list[str]], at: dt.datetime | None = None,
                pdf: bool = False) -> Outcome:
        """Fire one event on a case, atomically, or change nothing and say why."""
        who = self.school.member(actor_id)
        with self.store.reads() as r:
            case = self._visible(r.case(case_id), who)
            workflow = self.school.workflow(case.workflow)
            event = _event(workflow, case, event_name)
            actor = self._allowed(workflow, event, actor_id)
            if workflow.states[case.state].terminal:
                raise TransitionNotAllowed(f"{case.id} is {case.state}: nothing more can be done")
            _pdf_first(pdf)
            family = self._family(r, case.student_id, event, case, since=self._recent(at))
            last, seq = r.last_occurred(case.id), r.next_seq(case.id)
        occurred = self._occurred(at, case, last)
        new = parse_fields(event.fields, given, self._people(family), f"{case.id} {event.name}")
        new |= self._computed(workflow, event, {**case.fields, **new}, occurred, family, case.id)
        values = {**case.fields, **new}
        facts = self._facts(case, values, occurred, family.parent_ids, actor)
        try:
            target = machine.decide(workflow, case.state, event.name, values, facts)
        except TransitionNotAllowed as exc:
            raise TransitionNotAllowed(f"{case.id}: {exc}") from None
        new = self._assign(workflow, event, target, new, f"{case.id} {event.name}",
                           family.student)
        values = {**case.fields, **new}
        follow_on = self._follow_on(event, case, new, occurred, actor, family)
        outcome = self._deliver(workflow, Plan(case, event, target, values, new, occurred,
                                               actor), family, seq)
        if follow_on:
            # Its own transaction, after this one: checked in full above, so it fails
            # only if the store does; the event just recorded stands either way.
            outcome.opened.append(self.open(follow_on[0], case.student_id, actor.id,
                                            follow_on[1], occurred))
        return self._printed(outcome, pdf)

    def _computed(self, workflow: Workflow, event: Event, values: Mapping[str, Any],
                  occurred: dt.datetime, family: Family, case_id: str = "") -> dict[str, Any]:
        """The values the event works out from the calendar (``computes:``), seeing the
        student's other cases of the workflow (the 45-day cap counts across them, EXC-4)."""
        if not event.computes:
            return {}
        others = [derive.Other(c.id, c.state, c.fields) for c in family.others
                  if c.workflow == workflow.name and c.id != case_id]
        try:
            return derive.compute(event.computes, derive.Inputs(values, self.school.calendar,
                                                                occurred, others))
        except InputError as exc:
            raise FieldError(f"{case_id or 'open ' + workflow.name} {event.name}: {exc}") from None

    def _printed(self, outcome: Outcome, pdf: bool) -> Outcome:
        """With ``pdf``, a print copy of each letter written, in one LibreOffice run."""
        if pdf:
            outcome.pdfs = print_copies.print_copies(self.school.root, outcome.written())
        return outcome

    def _assign(self, workflow: Workflow, event: Event, target: str, new: dict[str, Any],
                what: str, student: Student | None = None) -> dict[str, Any]:
        """Who holds the case after an event that ``assigns`` (PWP-5.1): the member of
        staff named, who must hold the role of the new state; if nobody is named, the
        only member of staff holding that role, or the only one of them who leads the
        student's own year or house (a pastoral concern goes to the pupil's Head of
        Year), or else nobody (the role holds it)."""
        name = event.assigns
        role = workflow.states[target].holder
        if not name:
            return new
        if new.get(name):
            who = self.school.member(new[name])
            if role and role not in who.roles:
                raise FieldError(f"{what}: field '{name}': {who.id} ({who.name}) is not a "
                                 f"{role.replace('_', ' ')}")
            return new
        holders = self.school.holders_of(role) if role else []
        own = [s for s in holders if student and s.leads(student.year, student.house)]
        holders = own if len(holders) > 1 and len(own) == 1 else holders
        return {**new, name: holders[0].id if len(holders) == 1 else None}

    def _follow_on(self, event: Event, case: CaseRow, new: Mapping[str, Any],
                   occurred: dt.datetime, actor: Staff,
                   family: Family) -> tuple[str, dict[str, list[str]]] | None:
        """The case of another workflow this event opens too (``opens``), checked in full
        before anything is written: who may open it and every field it needs. The event's
        own fields count only as given this time (an earlier call's "open a case" or
        severity must not carry over); the others come from the case."""
        spec = event.opens
        if spec is None or (spec.when and not spec.when.holds(new)):
            return None
        own = {f.name for f in event.fields}
        values = {k: v for k, v in case.fields.items() if k not in own} | dict(new)
        other = self.school.workflow(spec.workflow)
        try:
            self._allowed(other, other.opening, actor.id)
        except PermissionDenied as exc:
            raise PermissionDenied(f"{case.id}: {exc}; record the {event.name.replace('_', ' ')} "
                                   "alone and the line manager can open it") from None
        moment = {"occurred_on": occurred.date().isoformat(),
                  "occurred_at": occurred.isoformat(timespec="minutes")}
        given: dict[str, list[str]] = {}
        for name, source in spec.fields:
            value = moment.get(source, values.get(source))
            if value not in (None, "", []):
                given[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        parse_fields(other.opening.fields, given, self._people(family),
                     f"{case.id} {event.name}: open {other.name}")
        return other.name, given

    def _occurred(self, at: dt.datetime | None, case: CaseRow | None = None,
                  last: str | None = None) -> dt.datetime:
        """When it happened: now, or earlier (staff record calls after the fact); never
        later, since a future time would set deadlines and date letters wrongly, and never
        before the case's last event (``last``), so the audit trail reads in the order
        things happened."""
        now = self.clock()
        if at is not None and at > now + dt.timedelta(minutes=5):
            raise InputError(f"--at {at.isoformat(timespec='minutes')} is in the future "
                             f"(now is {now.isoformat(timespec='minutes')})")
        moment = at or now
        if last and moment < dt.datetime.fromisoformat(last):
            raise InputError(f"{case.id if case else ''}: --at "
                             f"{moment.isoformat(timespec='minutes')} is before the case's "
                             f"last event ({last})")
        return moment

    def mark_child_protection(self, case_id: str, actor_id: str, reason: str,
                              at: dt.datetime | None = None) -> Message:
        """PWP-4.3: mark a case as a child-protection matter; from then on the engine makes
        no letter about it to a parent (``_deliver`` refuses). The flag and an event in the
        case's audit trail are written in one transaction."""
        who = self.school.member(actor_id)
        with self.store.reads() as r:
            case = self._visible(r.case(case_id), who)
            last = r.last_occurred(case.id)
            contact_ids = frozenset(c["id"] for c in r.contacts_of(case.student_id))
        safeguarding = self.school.group("safeguarding")
        if not who.roles & safeguarding:
            raise PermissionDenied(f"{who.id} ({who.name}) may not mark a case child "
                                   f"protection: only {', '.join(sorted(safeguarding))}")
        if case.child_protection:
            raise TransitionNotAllowed(f"{case.id} is already marked child protection")
        occurred = self._occurred(at, case, last)
        if not reason.strip():  # the form's own words, not the --set of a workflow field
            raise FieldError(f"{case.id} mark: say why it is a child-protection matter "
                             "(--reason TEXT)")
        people = People(case.student_id, contact_ids, list(self.school.staff))
        given = parse_fields([Field("reason", "text", "Why")], {"reason": [reason]}, people,
                             f"{case.id} mark")
        event = EventRow(case_id=case.id, event="mark_child_protection", from_state=case.state,
                         to_state=case.state, actor=who.id, actor_name=who.name,
                         occurred_at=occurred.isoformat(timespec="seconds"), fields=given,
                         recorded_at=self.clock().isoformat(timespec="seconds"))
        move = CaseMove(case, case.state, case.fields, case.holder, Change(event=event),
                        child_protection=True)
        deliver(self.school.root, self.store, [Delivery(move)])
        done = Outcome(case=case.id, workflow=case.workflow, state=case.state)
        return Message((f"{case.id} is marked child protection: no letter about it will go "
                        "to a parent",), done.as_json())

    # ------------------------------------------------------------------ reading, once

    def _recent(self, at: dt.datetime | None) -> str:
        """The earliest letter BEM-5's check may name for a change at ``at`` (or now):
        ``_occurred`` takes the moment no earlier, so the window read holds every letter
        ``_coordination`` counts."""
        return coordination.since(at or self.clock())

    def _family(self, r: Reads, student_id: str, event: Event,
                case: CaseRow | None = None, since: str = "") -> Family:
        """Everything the change reads about the student's family, in one transaction:
        the letters sent home from ``since`` (ISO) on."""
        student = student_of(r.student(student_id))
        contacts = tuple(Contact(**c) for c in r.contacts_of(student_id))
        flagged = {w.name: w.flagged("site_ban") for w in self.school.workflows.values()}
        bans: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for ban in r.cases_in(flagged, [c.id for c in contacts]):
            bans.setdefault(ban.contact_id or "", []).append((ban.id, ban.fields))
        entries = case is not None and any(d.entries for d in event.documents)
        # the date a letter promises an answer by (PWP-5.2): read only for a letter
        due = (tuple(DeadlineRow(**{k: d[k] for k in _DEADLINE_KEYS})
                     for d in r.deadlines(case.id) if d["status"] == "open")
               if case is not None and event.documents else ())
        return Family(student, contacts, {k: tuple(v) for k, v in bans.items()},
                      sent=tuple(r.letters_sent(student_id, since)),
                      others=tuple(r.cases(student_id=student_id)),
                      events=tuple(r.events(case.id)) if case is not None and entries else (),
                      deadlines=due)

    def _people(self, family: Family) -> People:
        return People(family.student.id, family.contact_ids, list(self.school.staff))

    def _facts(self, case: CaseRow, values: Mapping[str, Any], occurred: dt.datetime,
               parent_ids: frozenset[str], actor: Staff | None = None) -> rules.Facts:
        roles = {s.id: s.roles for s in self.school.staff.values()}
        state = self.school.workflows[case.workflow].states.get(case.state)
        employees = frozenset(s.id for s in self.school.staff.values() if s.employee)
        return rules.Facts(values, occurred, case.student_id, parent_ids, roles,
                           actor.roles if actor else frozenset(), state.holder if state else None,
                           actor.id if actor else "", self.school.calendar, employees)

    def _one_per_student(self, workflow: Workflow, family: Family, actor: Staff) -> None:
        """A contact log or an agreement is kept once per student: a second would split
        the record. Only a case the actor may see is named."""
        if not workflow.one_per_student:
            return
        for case in family.others:
            if case.workflow == workflow.name and case.closed_at is None:
                which = case.id if self.can_see(case, actor) else "one"
                raise TransitionNotAllowed(
                    f"student {family.student.id} already has an open "
                    f"{workflow.title.lower()} ({which}): add to it, or close it first")

    def _allowed(self, workflow: Workflow, event: Event, actor_id: str) -> Staff:
        actor = self.school.member(actor_id)
        if not actor.roles & event.roles:
            roles = ", ".join(sorted(event.roles))
            doing = event.name.replace("_", " ")
            raise PermissionDenied(f"{actor.id} ({actor.name}) may not {doing} in "
                                   f"{workflow.name}: only {roles}")
        return actor

    def _first_state(self, workflow: Workflow, values: Mapping[str, Any]) -> str:
        for target in workflow.opening.targets:
            if target.state and (not target.when or target.when.holds(values)):
                return target.state
        raise FieldError(f"open {workflow.name}: no first state fits these fields")

    # ------------------------------------------------------------------ writing

    def _deliver(self, workflow: Workflow, p: Plan, family: Family, seq: int) -> Outcome:
        """Compose, render and deliver the plan's letters with its move, in one commit."""
        if p.case.child_protection and any(d.to in ctx.TO_PARENTS for d in p.event.documents):
            raise TransitionNotAllowed(f"{p.case.id}: the case is marked child protection "
                                       "(PWP-4.3): no letter about it may go to a parent")
        _tells_virtual_school_head(p, family)
        warnings = self._coordination(p, family)
        move = plan.move(workflow, p, self.school.calendar, self.clock(), [])
        snap = Snapshot(self.school.profile, family.student, family.contacts,
                        self.school.staff, family.bans, family.events,
                        plan.deadlines_after(p, list(family.deadlines), move.change))
        composed = compose(workflow, p, snap)
        outgoing = self._render(p, composed, seq, family)  # every letter, before any is written
        deliver(self.school.root, self.store, [Delivery(move, outgoing)])
        return Outcome(
            case=p.case.id, workflow=workflow.name, state=p.target,
            documents=[Made(d.template, d.recipient_name, d.path, d.sha256)
                       for d in move.change.documents],
            deadlines=[{"name": d.name, "due": d.due_at or d.due_on}
                       for d in move.change.deadlines],
            skipped=composed.skipped, warnings=[*warnings, *composed.notes],
        )

    def _render(self, p: Plan, composed: Composed, seq: int,
                family: Family) -> list[Outgoing]:
        out = []
        contacts = {c.id: c for c in family.contacts}
        for letter in composed.letters:
            template = self.school.letters_dir / letter.template
            compiled.warm(template)  # the first letter of a process at a warm render's cost
            _to_the_parent(p, letter, letters.template_fields(template))
            data = letters.render(template, letter.context)
            path = files.case_document(p.case.id, seq, p.event.name, letter.template,
                                       letter.recipient.id)
            row = DocumentRow(template=letter.template, recipient_id=letter.recipient.id,
                              recipient_name=letter.recipient.name, path="", sha256="", size=0,
                              student_id=p.case.student_id, case_id=p.case.id,
                              context=context_json(template, letter.context),
                              sends=queued(self.school, letter.spec.send, letter.recipient,
                                           contacts, letter.spec.title, letter.template,
                                           family.student.full_name))
            out.append(Outgoing(path, data, row))
        return out

    def _coordination(self, p: Plan, family: Family) -> list[str]:
        """BEM-5: opening a case, or sending a letter home, while the family has a recent
        letter or a home visit pending from another case warns and names that case."""
        home = [d for d in p.event.documents if d.to in ctx.TO_PARENTS
                and (not d.when or d.when.holds(p.values))]
        if not p.opens(self.school.workflows[p.case.workflow]) and not home:
            return []
        others = {c.id: c for c in family.others
                  if c.id != p.case.id and c.workflow in self.school.workflows
                  and self.can_see(c, p.actor)}
        recent = coordination.since(p.occurred)
        sent = [coordination.SentLetter(d["case_id"] or "", self._title(others.get(d["case_id"])),
                                        d["template"], d["recipient_name"], d["created_at"])
                for d in family.sent
                if d["recipient_id"] in family.contact_ids and recent <= d["created_at"]
                and (d["case_id"] is None or d["case_id"] in others)]
        pending = [coordination.PendingVisit(c.id, self._state_title(c), c.fields.get("visit_at"))
                   for c in others.values()
                   if c.state in self.school.workflows[c.workflow].flagged("open_visit")]
        return coordination.warnings(sent, pending)

    def _title(self, case: CaseRow | None) -> str:
        return self.school.workflows[case.workflow].title if case else ""

    def _state_title(self, case: CaseRow) -> str:
        return self.school.workflows[case.workflow].states[case.state].title

    # ------------------------------------------------------------------ doctor

    def doctor(self, wait: bool = False) -> Message:
        """Remove document files that no row names (left by a crash before a commit),
        every letter preview, and make the case store owner-only again.

        It runs alone (the store's lock, exclusively): a writer's letters in flight are
        never taken for orphans. StoreBusy when a writer holds the lock, unless ``wait``."""
        root = self.school.root
        with lock.alone(self.school.database, wait):  # beside the documents, on either store
            removed = files.sweep(root, self.store.document_paths())
            previews = files.clean_previews(root)
            tightened = files.tighten(root)
        lines = [f"removed {len(removed)} orphaned file(s)", *(f"  {p}" for p in removed)]
        if previews:
            lines.append(f"removed {len(previews)} letter preview(s) from {files.PREVIEWS}")
        if tightened:
            lines.append(f"made {len(tightened)} file(s) and folder(s) under cases/ "
                         "readable by this account only")
        at, _ = self.store.revision()
        lines.append(f"store: {self.store.where} reached, at revision {at}")
        return Message(tuple(lines), {"removed": removed, "previews": previews,
                                      "made_owner_only": tightened,
                                      "store": self.store.where, "revision": at})


def queued(school: School, send: tuple[str, ...], recipient: Any, contacts: Mapping[str, Contact],
           title: str, template: str, student: str) -> tuple[Send, ...]:
    """The outbox rows a letter is queued on with its document (none for a school with no
    ``delivery:`` in school.yaml, and none for a letter to staff or the file)."""
    if school.delivery is None or not recipient.contact_ids:
        return ()
    return sends(send or school.delivery.send, recipient.contact_ids, contacts,
                 recipient.address_lines, subject_of(title, template, student))


def _to_the_parent(p: Plan, letter: Letter, reads: set[str]) -> None:
    """Staff's words a letter quotes to a parent speak to her as "you": a field of this
    event that names the addressee is refused before anything is written."""
    if not letter.recipient.contact_ids:
        return
    greeting = letter.recipient.salutation.removeprefix("Dear ").split(" and ")
    names = [*letter.recipient.names, *greeting]
    for spec in p.event.fields:
        value = p.values.get(spec.name)
        if spec.type not in ("text", "list") or f"fields.{spec.name}" not in reads or not value:
            continue
        who = speaks_of(" ".join(value) if isinstance(value, list) else value, names)
        if who:
            raise FieldError(f"field '{spec.name}': it speaks of {who}, to whom "
                             f"{letter.template} is written: write to the parent as 'you' "
                             "(e.g. 'You have agreed ...')")


# A restricted workflow's cases are numbered at random (EXT-2026-K7Q2MX), so a number seen
# tells nobody how many disclosures exist; letters and digits that look alike are left out.
_DRAWN = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def random_case_id(prefix: str, year: int) -> str:
    return f"{prefix}-{year}-{''.join(secrets.choice(_DRAWN) for _ in range(6))}"


def context_json(template: Path, context: Mapping[str, Any]) -> str:
    """What a letter was rendered from, as stored with its document: the template's hash
    and the whole context (``letters reprint`` renders the identical letter from it)."""
    made = {"template_sha256": letters.fingerprint(template), "context": context}
    return json.dumps(made, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _event(workflow: Workflow, case: CaseRow, name: str) -> Event:
    if name not in workflow.events:
        known = ", ".join(workflow.events)
        raise TransitionNotAllowed(f"{case.id}: workflow '{workflow.name}' has no event "
                                   f"'{name}' (events: {known})")
    return workflow.events[name]


def _tells_virtual_school_head(p: Plan, family: Family) -> None:
    """EXC-3: a looked-after pupil's virtual school head is told; an event whose letter
    goes to them is refused, before anything is written, when none is known."""
    if not family.student.looked_after:
        return
    wanted = [d for d in p.event.documents if d.to == "kind:virtual_school_head"
              and (not d.when or d.when.holds(p.values))]
    if wanted and not any(c.kind == "virtual_school_head" for c in family.contacts):
        raise FieldError(f"{family.student.id} is looked after, and no virtual school head "
                         "is known to tell (EXC-3): import them as a contact of kind "
                         "virtual_school_head first")


def _pdf_first(pdf: bool) -> None:
    """No LibreOffice: say how to install it before anything is done."""
    if pdf:
        print_copies.pdf_tool()


def _refused_before_input(event: Event, facts: rules.Facts) -> bool:
    """A rule reading only what the case holds (not before the representations date) can
    refuse now; one reading the event's own fields waits for them."""
    own = {f.name for f in event.all_fields}
    judged = [(g.name, g.arg) for g in event.guards if not rules.reads(g.name, g.arg) & own]
    return bool(rules.refusals(judged, facts))
