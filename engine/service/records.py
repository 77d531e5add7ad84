"""The reading use cases: a school's cases, students and documents as one member of staff
may see them.

``Records`` holds a school directory and its case store and only reads them: which cases a
member of staff may see (a restricted case, CLA-3, is "not found" to anyone else), a case as
``show`` prints it, a student's record, the documents listing and the site bans in force.
``engine.service.Liaison`` adds the use cases that change the store; the due list, the
report and batch letters read through the methods here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from engine.core import context as ctx
from engine.core.people import Contact, Student
from engine.core.school import Profile, School, Staff
from engine.errors import NotFound
from engine.store.database import CaseRow, EventRow, Store

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class Records:
    """One school directory and its case store, read as a member of staff may see them."""

    def __init__(self, school: School, store: Store, clock: Clock = system_clock) -> None:
        self.school = school
        self.store = store
        self.clock = clock

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ people

    def student(self, student_id: str) -> Student:
        return _student(self.store.student(student_id))

    def families(self, student_ids: list[str]) -> list[tuple[Student, list[Contact]]]:
        """Students with their contacts, read together (a batch of letters reads hundreds)."""
        rows = self.store.students_by_id(student_ids)
        contacts = self.store.contacts_of_students(student_ids)
        missing = [s for s in student_ids if s not in rows]
        if missing:
            raise NotFound(f"no student '{missing[0]}' (import students first)")
        return [(_student(rows[s]), [Contact(**c) for c in contacts.get(s, [])])
                for s in student_ids]

    def contacts(self, student_id: str) -> list[Contact]:
        return [Contact(**c) for c in self.store.contacts_of(student_id)]

    def letterhead(self) -> Profile:
        return self.school.profile

    # ------------------------------------------------------------------ cases

    def can_see(self, case: CaseRow, who: Staff) -> bool:
        """Restricted cases (CLA-3) are visible only to the named roles and, where the
        workflow says so, to the member of staff who opened them."""
        workflow = self.school.workflows.get(case.workflow)
        if workflow is None:  # its file was removed: the case keeps what it was stored with
            return not case.restricted
        if not workflow.restricted:
            return True
        if who.roles & workflow.visible_roles:
            return True
        return workflow.visible_to_opener and case.opened_by == who.id

    def case(self, case_id: str, actor_id: str) -> CaseRow:
        """A case this member of staff may see; an invisible case is 'not found'."""
        who = self.school.member(actor_id)
        case = self.store.case(case_id)
        if not self.can_see(case, who):
            raise NotFound(f"no case '{case_id}'")
        return case

    def cases(self, actor_id: str, workflow: str | None = None,
              state: str | None = None, student: str | None = None) -> list[CaseRow]:
        who = self.school.member(actor_id)
        chosen = [self.school.workflow(workflow)] if workflow else self.school.workflows.values()
        if state is not None and not any(state in w.states for w in chosen):
            raise NotFound(f"no state '{state}' in "
                           + (f"workflow '{workflow}'" if workflow else "any workflow"))
        return [c for c in self.store.cases(workflow=workflow, state=state, student_id=student)
                if self.can_see(c, who)]

    def documents(self, actor_id: str, student: str | None = None,
                  case: str | None = None) -> list[dict[str, Any]]:
        """The documents listing: those of cases this member of staff may see (CLA-3)."""
        if case is not None:
            self.case(case, actor_id)
        seen = {c.id for c in self.cases(actor_id, student=student)}
        return [d for d in self.store.documents(case_id=case, student_id=student)
                if d["case_id"] is None or d["case_id"] in seen]

    def student_record(self, student_id: str, actor_id: str) -> dict[str, Any]:
        """A student, their contacts, and where each workflow stands for them: the latest
        case of each (a signed Home–School Agreement shows here, NSW-1)."""
        student = self.student(student_id)
        latest: dict[str, CaseRow] = {}
        for case in self.cases(actor_id, student=student.id):
            if case.workflow in self.school.workflows:  # not one whose file was removed
                latest[case.workflow] = case  # cases come oldest first
        return {
            "student": dataclasses.asdict(student),
            "contacts": [dataclasses.asdict(c) for c in self.contacts(student.id)],
            "status": [{"workflow": name, "title": self.school.workflows[name].title,
                        "case": c.id, "state": c.state,
                        "state_title": self.school.workflows[name].states[c.state].title,
                        "opened_at": c.opened_at, "closed_at": c.closed_at}
                       for name, c in sorted(latest.items())],
        }

    def history(self, case_id: str, actor_id: str) -> list[EventRow]:
        return self.store.events(self.case(case_id, actor_id).id)

    def view(self, case_id: str, actor_id: str) -> dict[str, Any]:
        """Everything ``show`` prints about a case, as plain data."""
        case = self.case(case_id, actor_id)
        workflow = self.school.workflow(case.workflow)
        state = workflow.states[case.state]
        return {
            "case": case.id, "workflow": case.workflow, "title": workflow.title,
            "state": case.state, "state_title": state.title, "student": case.student_id,
            "contact": case.contact_id, "holder": case.holder, "version": case.version,
            "opened_at": case.opened_at, "opened_by": case.opened_by,
            "closed_at": case.closed_at, "child_protection": case.child_protection,
            "fields": case.fields,
            "bans": [{"case": b.id, **ban_details(b.fields)} for b in self.bans(case.contact_id)],
            "deadlines": [{"name": d["name"], "due": d["due_at"] or d["due_on"],
                           "status": d["status"], "clause": d["clause"], "met_at": d["met_at"]}
                          for d in self.store.deadlines(case.id)],
            "documents": [{"template": d["template"], "recipient": d["recipient_name"],
                           "path": d["path"], "sha256": d["sha256"]}
                          for d in self.store.documents(case_id=case.id)],
        }

    # ------------------------------------------------------------------ site bans

    def banned_contacts(self) -> set[str]:
        """Every contact with a site ban in force: a batch of letters asks once, then
        ``ban_context`` only for them."""
        return {c.contact_id for w in self.school.workflows.values()
                for state in w.flagged("site_ban")
                for c in self.store.cases(workflow=w.name, state=state) if c.contact_id}

    def bans(self, contact_id: str | None) -> list[CaseRow]:
        """Site bans in force against this contact, from any of their cases."""
        if not contact_id:
            return []
        flagged = {w.name: w.flagged("site_ban") for w in self.school.workflows.values()}
        return self.store.cases_in(flagged, contact_id)


def _student(row: Mapping[str, Any]) -> Student:
    return Student(**{k: row[k] for k in ("id", "first_name", "last_name", "year", "form",
                                          "house")})


def ban_details(values: Mapping[str, Any]) -> dict[str, str]:
    """What a letter and ``show`` say of a site ban: the permitted contact route and dates."""
    return {"contact_route": str(values.get("contact_route", "")),
            "review_on": ctx.long_date(dt.date.fromisoformat(values["review_on"]))
            if values.get("review_on") else "",
            "ban_from": ctx.long_date(dt.date.fromisoformat(values["ban_from"]))
            if values.get("ban_from") else ""}
