"""The use cases: open a case, list what may be done, advance it, read it.

Each change is one atomic advance (DESIGN.md): check who may do what, decide the new state
(pure), render every document to bytes (pure), write the files into place (fsynced), then
one transaction writes the event, documents, deadlines and new state. A refused event
changes nothing; a crash before the commit leaves only files no row names, which
``doctor`` removes; a row never names a missing file.

The reading use cases (``show``, ``cases``, a student's record, the documents listing, site
bans) are ``engine.records.Records``, which ``Liaison`` extends; the letters of an advance
are built and rendered by ``engine.service.compose``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core import context as ctx
from engine.core import coordination, machine, rules
from engine.core.definitions import DeadlineSpec, Event, Field, Workflow
from engine.core.fields import People, parse_fields
from engine.core.school import School, Staff
from engine.errors import (
    ConflictError,
    DefinitionError,
    FieldError,
    InputError,
    PermissionDenied,
    TransitionNotAllowed,
)
from engine.letters import renderer as letters
from engine.service import compose
from engine.service.compose import Plan
from engine.service.records import Clock, Records, system_clock
from engine.service.sources import open_school, read_contacts, read_students
from engine.store import files
from engine.store.database import CaseRow, Change, DeadlineRow, DocumentRow, EventRow, Store

NUMBER_RETRIES = 5
LEADERS = frozenset({"office", "headteacher", "deputy_head", "assistant_head", "senior_leader",
                     "vp_pastoral", "vp_teaching_learning"})
# Who may mark a case as a child-protection matter (PWP-4.3): the senior leaders, among
# whom a school's designated safeguarding lead sits.
SAFEGUARDING = frozenset({"headteacher", "deputy_head", "assistant_head", "senior_leader"})


@dataclass(frozen=True)
class Made:
    """A document written for an accepted event."""

    template: str
    recipient: str
    path: str
    sha256: str


@dataclass
class Outcome:
    """What open/advance did: printed by the CLI, as JSON with --json."""

    case: str
    workflow: str
    state: str
    documents: list[Made] = field(default_factory=list)
    deadlines: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    opened: list[Outcome] = field(default_factory=list)  # follow-on cases (PWP-5.4a)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Liaison(Records):
    """One school directory and its case store: the reading use cases of ``Records`` and
    the ones that change the store."""

    @classmethod
    def at(cls, root: Path, clock: Clock = system_clock) -> Liaison:
        school = open_school(root)
        return cls(school, Store(school.database), clock)

    # ------------------------------------------------------------------ people

    def import_students(self, path: Path) -> int:
        return self.store.upsert_students(read_students(path))

    def import_contacts(self, path: Path) -> int:
        rows = read_contacts(path, self.store.all_student_ids())
        return self.store.upsert_contacts(rows, dataclasses.asdict)

    # ------------------------------------------------------------------ what may be done

    def actions(self, case_id: str, actor_id: str) -> list[Event]:
        """The events this member of staff may fire on the case now."""
        who = self.school.member(actor_id)
        case = self.case(case_id, actor_id)
        workflow = self.school.workflow(case.workflow)
        names = machine.possible(workflow, case.state, case.fields)
        facts = self._facts(case, case.fields, self.clock(), who)
        return [e for e in (workflow.events[n] for n in names)
                if who.roles & e.roles and not _refused_before_input(e, facts)]

    # ------------------------------------------------------------------ changing

    def open(self, workflow_name: str, student_id: str, actor_id: str,
             given: Mapping[str, list[str]], at: dt.datetime | None = None) -> Outcome:
        """Open a case: the workflow's ``open`` event, from nowhere to its first state."""
        workflow = self.school.workflow(workflow_name)
        actor = self._allowed(workflow, workflow.opening, actor_id)
        student = self.student(student_id)
        occurred = self._occurred(at)
        values = parse_fields(workflow.opening.fields, given, self._people(student_id),
                              f"open {workflow.name}")
        draft = CaseRow(id="(new)", workflow=workflow.name, state="", student_id=student.id,
                        contact_id=values.get("contact"), holder=actor.id, fields=values,
                        version=0, opened_at=occurred.isoformat(timespec="seconds"),
                        opened_by=actor.id, closed_at=None, restricted=workflow.restricted,
                        child_protection=False)
        refused = rules.refusals([(g.name, g.arg) for g in workflow.opening.guards],
                                 self._facts(draft, values, occurred, actor))
        if refused:
            raise FieldError(f"open {workflow.name}: {'; '.join(refused)}")
        self._one_per_student(workflow, student.id, actor)
        target = self._first_state(workflow, values)
        for attempt in range(NUMBER_RETRIES):
            # The number is taken in the commit itself (no gaps); when two members of staff
            # open cases at once, the loser renders again under the next number.
            draft = dataclasses.replace(draft, state=target,
                                        id=self.store.next_case_id(workflow.prefix,
                                                                   occurred.year))
            plan = Plan(draft, workflow.opening, target, values, values, occurred, actor)
            try:
                return self._commit(workflow, plan, new_case=True)
            except ConflictError:
                if attempt == NUMBER_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def advance(self, case_id: str, event_name: str, actor_id: str,
                given: Mapping[str, list[str]], at: dt.datetime | None = None) -> Outcome:
        """Fire one event on a case, atomically, or change nothing and say why."""
        case = self.case(case_id, actor_id)
        workflow = self.school.workflow(case.workflow)
        if event_name not in workflow.events:
            known = ", ".join(workflow.events)
            raise TransitionNotAllowed(f"{case.id}: workflow '{workflow.name}' has no event "
                                       f"'{event_name}' (events: {known})")
        event = workflow.events[event_name]
        actor = self._allowed(workflow, event, actor_id)
        if workflow.states[case.state].terminal:
            raise TransitionNotAllowed(f"{case.id} is {case.state}: nothing more can be done")
        occurred = self._occurred(at, case)
        new = parse_fields(event.fields, given, self._people(case.student_id),
                           f"{case.id} {event.name}")
        values = {**case.fields, **new}
        facts = self._facts(case, values, occurred, actor)
        try:
            target = machine.decide(workflow, case.state, event.name, values, facts)
        except TransitionNotAllowed as exc:
            raise TransitionNotAllowed(f"{case.id}: {exc}") from None
        new = self._assign(workflow, event, target, new, f"{case.id} {event.name}")
        values = {**case.fields, **new}
        follow_on = self._follow_on(event, case, new, occurred, actor)
        plan = Plan(case, event, target, values, new, occurred, actor)
        outcome = self._commit(workflow, plan, new_case=False)
        if follow_on:
            # Its own transaction, after this one: checked in full above, so it fails
            # only if the store does; the event just recorded stands either way.
            outcome.opened.append(self.open(follow_on[0], case.student_id, actor.id,
                                            follow_on[1], occurred))
        return outcome

    def _assign(self, workflow: Workflow, event: Event, target: str, new: dict[str, Any],
                what: str) -> dict[str, Any]:
        """Who holds the case after an event that ``assigns`` (PWP-5.1): the member of
        staff named, who must hold the role of the new state; if nobody is named, the
        only member of staff holding that role, or else nobody (the role holds it)."""
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
        return {**new, name: holders[0].id if len(holders) == 1 else None}

    def _follow_on(self, event: Event, case: CaseRow, new: Mapping[str, Any],
                   occurred: dt.datetime, actor: Staff) -> tuple[str, dict[str, list[str]]] | None:
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
        parse_fields(other.opening.fields, given, self._people(case.student_id),
                     f"{case.id} {event.name}: open {other.name}")
        return other.name, given

    def _occurred(self, at: dt.datetime | None, case: CaseRow | None = None) -> dt.datetime:
        """When it happened: now, or earlier (staff record calls after the fact); never
        later, since a future time would set deadlines and date letters wrongly, and never
        before the case's last event, so the audit trail reads in the order things happened."""
        now = self.clock()
        if at is not None and at > now + dt.timedelta(minutes=5):
            raise InputError(f"--at {at.isoformat(timespec='minutes')} is in the future "
                             f"(now is {now.isoformat(timespec='minutes')})")
        moment = at or now
        last = self.store.last_occurred(case.id) if case else None
        if last and moment < dt.datetime.fromisoformat(last):
            raise InputError(f"{case.id if case else ''}: --at "
                             f"{moment.isoformat(timespec='minutes')} is before the case's "
                             f"last event ({last})")
        return moment

    def mark_child_protection(self, case_id: str, actor_id: str, reason: str,
                              at: dt.datetime | None = None) -> Outcome:
        """PWP-4.3: mark a case as a child-protection matter; from then on the engine makes
        no letter about it to a parent (``_commit`` refuses). The flag and an event in the
        case's audit trail are written in one transaction."""
        case = self.case(case_id, actor_id)
        actor = self.school.member(actor_id)
        if not actor.roles & SAFEGUARDING:
            raise PermissionDenied(f"{actor.id} ({actor.name}) may not mark a case child "
                                   f"protection: only {', '.join(sorted(SAFEGUARDING))}")
        if case.child_protection:
            raise TransitionNotAllowed(f"{case.id} is already marked child protection")
        occurred = self._occurred(at, case)
        given = parse_fields([Field("reason", "text", "Why")], {"reason": [reason]},
                             self._people(case.student_id), f"{case.id} mark")
        event = EventRow(case_id=case.id, event="mark_child_protection", from_state=case.state,
                         to_state=case.state, actor=actor.id, actor_name=actor.name,
                         occurred_at=occurred.isoformat(timespec="seconds"), fields=given,
                         recorded_at=self.clock().isoformat(timespec="seconds"))
        self.store.apply(case, case.state, case.fields, case.holder, Change(event=event),
                         child_protection=True)
        return Outcome(case=case.id, workflow=case.workflow, state=case.state)

    def _one_per_student(self, workflow: Workflow, student_id: str, actor: Staff) -> None:
        """A contact log or an agreement is kept once per student: a second would split
        the record. Only a case the actor may see is named."""
        if not workflow.one_per_student:
            return
        for case in self.store.cases(workflow=workflow.name, student_id=student_id):
            if case.closed_at is None:
                which = case.id if self.can_see(case, actor) else "one"
                raise TransitionNotAllowed(
                    f"student {student_id} already has an open {workflow.title.lower()} "
                    f"({which}): add to it, or close it first")

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

    def _contact_ids(self, student_id: str) -> frozenset[str]:
        return frozenset(c["id"] for c in self.store.contacts_of(student_id))

    def _people(self, student_id: str) -> People:
        return People(student_id, self._contact_ids(student_id), list(self.school.staff))

    def _facts(self, case: CaseRow, values: Mapping[str, Any], occurred: dt.datetime,
               actor: Staff | None = None) -> rules.Facts:
        contact_ids = self._contact_ids(case.student_id)
        roles = {s.id: s.roles for s in self.school.staff.values()}
        state = self.school.workflows[case.workflow].states.get(case.state)
        return rules.Facts(values, occurred, case.student_id, contact_ids, roles,
                           actor.roles if actor else frozenset(), state.holder if state else None,
                           actor.id if actor else "")

    def _commit(self, workflow: Workflow, plan: Plan, new_case: bool) -> Outcome:
        if plan.case.child_protection and any(d.to in ctx.TO_PARENTS
                                              for d in plan.event.documents):
            raise TransitionNotAllowed(f"{plan.case.id}: the case is marked child protection "
                                       "(PWP-4.3): no letter about it may go to a parent")
        warnings = self._coordination(plan, new_case)
        plan.rendered, plan.skipped = compose.documents(self, workflow, plan)
        seq = 1 if new_case else len(self.store.events(plan.case.id)) + 1
        written = files.write_documents(self.school.root, plan.case.id, seq, plan.event.name,
                                        [(d.template, r.id, data) for d, r, data in plan.rendered])
        change = self._change(workflow, plan, written)
        holder_value = self._holder(workflow, plan)
        try:
            if new_case:
                self.store.create_case(dataclasses.replace(plan.case, holder=holder_value), change)
            else:
                self.store.apply(plan.case, plan.target, plan.values, holder_value, change)
        except BaseException:
            files.remove(self.school.root, [w.path for w in written])
            raise
        return Outcome(
            case=plan.case.id, workflow=workflow.name, state=plan.target,
            documents=[Made(d.template, d.recipient_name, d.path, d.sha256)
                       for d in change.documents],
            deadlines=[{"name": d.name, "due": d.due_at or d.due_on} for d in change.deadlines],
            skipped=plan.skipped, warnings=warnings,
        )

    def _coordination(self, plan: Plan, new_case: bool) -> list[str]:
        """BEM-5: opening a case, or sending a letter home, while the family has a recent
        letter or a home visit pending from another case warns and names that case."""
        home = [d for d in plan.event.documents if d.to in ctx.TO_PARENTS
                and (not d.when or d.when.holds(plan.values))]
        if not new_case and not home:
            return []
        student = plan.case.student_id
        family = self._contact_ids(student)
        others = {c.id: c for c in self.store.cases(student_id=student)
                  if c.id != plan.case.id and c.workflow in self.school.workflows
                  and self.can_see(c, plan.actor)}
        recent = coordination.since(plan.occurred)
        sent = [coordination.SentLetter(d["case_id"] or "", self._title(others.get(d["case_id"])),
                                        d["template"], d["recipient_name"], d["created_at"])
                for d in self.store.documents(student_id=student)
                if d["recipient_id"] in family and recent <= d["created_at"]
                and (d["case_id"] is None or d["case_id"] in others)]
        pending = [coordination.PendingVisit(c.id, self._state_title(c), c.fields.get("visit_at"))
                   for c in others.values()
                   if c.state in self.school.workflows[c.workflow].flagged("open_visit")]
        return coordination.warnings(sent, pending)

    def _title(self, case: CaseRow | None) -> str:
        return self.school.workflows[case.workflow].title if case else ""

    def _state_title(self, case: CaseRow) -> str:
        return self.school.workflows[case.workflow].states[case.state].title

    def _holder(self, workflow: Workflow, plan: Plan) -> str | None:
        """A staff id or "role:NAME": whom the due list shows the case to. A state's role
        takes the case on entry; a note (no change of state) leaves it where it is."""
        if plan.event.assigns and plan.values.get(plan.event.assigns):
            return str(plan.values[plan.event.assigns])
        role = workflow.states[plan.target].holder
        entered = plan.target != plan.case.state or plan.event is workflow.opening
        return f"role:{role}" if role and entered else plan.case.holder

    def _change(self, workflow: Workflow, plan: Plan, written: list[files.Written]) -> Change:
        entered = plan.target != plan.case.state or plan.event is workflow.opening
        specs = list(plan.event.deadlines)
        if entered:
            specs += list(workflow.states[plan.target].deadlines)
        event = EventRow(
            case_id=plan.case.id, event=plan.event.name,
            from_state=None if plan.event is workflow.opening else plan.case.state,
            to_state=plan.target, actor=plan.actor.id, actor_name=plan.actor.name,
            occurred_at=plan.occurred.isoformat(timespec="seconds"), fields=plan.given,
            recorded_at=self.clock().isoformat(timespec="seconds"))
        docs = [DocumentRow(template=d.template, recipient_id=r.id, recipient_name=r.name,
                            path=w.path, sha256=w.sha256, size=w.size,
                            student_id=plan.case.student_id, case_id=plan.case.id)
                for (d, r, _), w in zip(plan.rendered, written, strict=True)]
        return Change(event=event, documents=docs,
                      deadlines=[self._deadline(s, plan) for s in specs
                                 if not s.when or s.when.holds(plan.values)],
                      meets=list(plan.event.meets), cancels=list(plan.event.cancels),
                      closes=workflow.states[plan.target].terminal)

    def _deadline(self, spec: DeadlineSpec, plan: Plan) -> DeadlineRow:
        """When a deadline falls: N school days after receipt, N minutes on, or at a field."""
        start = plan.occurred
        if spec.start:
            start = dt.datetime.fromisoformat(plan.values[spec.start])
        calendar = self.school.calendar
        due_at: dt.datetime | None = None
        if spec.school_days is not None:
            due_on = calendar.due_after_receipt(start, spec.school_days)
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

    # ------------------------------------------------------------------ letters

    def ban_context(self, recipient: ctx.Recipient,
                    plan: Plan | None = None) -> dict[str, str] | None:
        """A site ban in force on an addressee, as a letter states it: ``compose.ban_context``."""
        return compose.ban_context(self, recipient, plan)

    # ------------------------------------------------------------------ doctor

    def doctor(self) -> list[str]:
        """Remove document files that no row names (left by a crash before a commit)."""
        return files.sweep(self.school.root, self.store.document_paths())


def _refused_before_input(event: Event, facts: rules.Facts) -> bool:
    """A rule reading only what the case holds (not before the representations date) can
    refuse now; one reading the event's own fields waits for them."""
    own = {f.name for f in event.fields}
    judged = [(g.name, g.arg) for g in event.guards if not rules.reads(g.name, g.arg) & own]
    return bool(rules.refusals(judged, facts))



def staff_json(school: School) -> list[dict[str, Any]]:
    return [{"id": s.id, "name": s.name, "roles": sorted(s.roles)} for s in school.staff.values()]


def check(root: Path) -> tuple[School, list[str]]:
    """Validate a school in full (templates included); return it with any warnings: each
    workflow whose policy's review date has passed (CLA-4)."""
    school = open_school(root, template_fields=letters.template_fields)
    problems: list[str] = []
    for path in sorted(school.letters_dir.glob("*.docx")):
        problems += letters.check_template(path, ctx.TOP_LEVEL)
    problems += _follow_on_problems(school)
    if problems:
        raise DefinitionError(problems)
    warnings = [f"{w.path}: review_by {w.review_by} has passed: review this policy (CLA-4)"
                for w in school.workflows.values()
                if w.review_by and w.review_by < dt.date.today()]
    return school, warnings


def _follow_on_problems(school: School) -> list[str]:
    """An event's ``opens`` must name a workflow and give every field it opens with."""
    out = []
    for workflow in school.workflows.values():
        for event in workflow.events.values():
            if event.opens is None:
                continue
            where = f"{workflow.path}:{event.opens.line}: events.{event.name}.opens"
            other = school.workflows.get(event.opens.workflow)
            if other is None:
                out.append(f"{where}.workflow: no workflow '{event.opens.workflow}'")
                continue
            given = {name for name, _ in event.opens.fields}
            takes = {f.name: f for f in other.opening.fields}
            out += [f"{where}.fields.{n}: {other.name} opens with no field '{n}'"
                    for n in sorted(given - set(takes))]
            out += [f"{where}.fields: {other.name} needs '{n}' to open"
                    for n, f in takes.items() if not f.optional and n not in given]
    return out
