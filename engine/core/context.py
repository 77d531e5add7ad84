"""Who receives a document, and what its template is given (pure: no I/O).

"Build, render, store": the service builds each letter's context here from the case, the
people and the school, the renderer turns it into bytes, and the store records the file.
The context is a snapshot: it copies every name and address it prints.

Context keys a template may use (see docs/letters.md)::

    school     name, address_lines, phone, email, website, local_authority
    date       the letter's date, e.g. "Tuesday 1 December 2026"
    reference  the case id
    recipient  name, salutation, address_lines, language, needs_interpreter, names (each
               addressee's full name: a joint letter thanks only those who took part)
    student    first_name, last_name, full_name, year, form, house
    case       id, title, state, state_title, opened_by (who opened it, by name)
    fields     the case's fields, dates written out, staff and contacts by name
    signatory  name, title (who signs)
    actor      name, title (who did this)
    ban        None, or contact_route, review_on, ban_from (a site ban is in force)
    entries    earlier events a document lists (a contact sheet): date, time, by, title, fields
    titles     the job title of each member of staff a staff field names (titles.visitor:
               "Head of Year 9"), by the field's name
    deadlines  each of the workflow's deadlines by name: None, or (open on the case once the
               event is recorded) date, time, title, school_days (the workflow's count)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.core.definitions import DeadlineSpec, Field, Workflow
from engine.core.people import Contact, Student
from engine.core.rows import DeadlineRow
from engine.core.school import Profile
from engine.core.text import clock


@dataclass(frozen=True)
class Recipient:
    """Who a document is addressed to; ``id`` is None for the file copy."""

    id: str | None
    name: str
    salutation: str
    address_lines: tuple[str, ...] = ()
    language: str = ""
    needs_interpreter: bool = False
    contact_ids: tuple[str, ...] = ()  # the contacts a joint letter goes to
    names: tuple[str, ...] = ()  # each addressee's full name (thanks only to who took part)

    def as_context(self) -> dict[str, Any]:
        return {"name": self.name, "salutation": self.salutation,
                "address_lines": list(self.address_lines), "language": self.language,
                "needs_interpreter": self.needs_interpreter, "names": list(self.names)}


FILE = Recipient(id=None, name="File", salutation="")
TO_PARENTS = ("contact", "contacts", "each_contact")  # the rest go to staff or the file


@dataclass
class Recipients:
    """The recipients of one document, and the contacts left out with the reason."""

    to: list[Recipient] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (contact id, why)


def _one(c: Contact) -> Recipient:
    return Recipient(id=c.id, name=c.full_name, salutation=c.salutation,
                     address_lines=c.address_lines, language=c.language,
                     needs_interpreter=c.needs_interpreter, contact_ids=(c.id,),
                     names=(c.full_name,))


def _joint(group: list[Contact]) -> Recipient:
    """One letter to parents who share correspondence: all names, the first's address."""
    if len(group) == 1:
        return _one(group[0])
    first = group[0]
    names = " and ".join(c.full_name for c in group)
    greeting = " and ".join(c.salutation.removeprefix("Dear ") for c in group)
    languages = [c.language for c in group if c.needs_interpreter]
    return Recipient(id=first.id, name=names, salutation=f"Dear {greeting}",
                     address_lines=first.address_lines, language=languages[0] if languages else "",
                     needs_interpreter=bool(languages), contact_ids=tuple(c.id for c in group),
                     names=tuple(c.full_name for c in group))


def eligible(contacts: list[Contact], out: Recipients) -> list[Contact]:
    """The contacts who may receive letters; the barred ones are noted (a court order)."""
    keep = []
    for c in contacts:
        if c.receives_letters:
            keep.append(c)
        elif c.left_on:  # a full import found them gone from the MIS (core/mirror.py)
            out.skipped.append((c.id, f"left: not in the MIS's export since {c.left_on}"))
        else:
            out.skipped.append((c.id, "barred from correspondence"))
    return keep


def recipients(to: str, contacts: list[Contact], case_contact: str | None,
               staff_recipients: list[Recipient],
               banned: frozenset[str] = frozenset()) -> Recipients:
    """Resolve a document's ``to:`` into addressees (PWP-3.6: separately where asked).

    A site ban applies to a person, not to a letter (HSP-5): a parent under one (``banned``)
    never shares a joint letter, so the banned parent's copy gives the permitted route and
    the other parent's is the normal letter, with every invitation and detail in it."""
    out = Recipients()
    if to.startswith("kind:"):  # the pupil's social worker, virtual school head (EXC-3)
        out.to.extend(_one(c) for c in eligible([c for c in contacts if c.kind == to[5:]], out))
        return out
    contacts = [c for c in contacts if c.is_parent]  # letters home go to parents and carers
    if to == "file":
        out.to.append(FILE)
    elif to.startswith("role:") or to == "line_manager":
        out.to.extend(staff_recipients)
    elif to == "contact":
        out.to.extend(_one(c) for c in eligible([c for c in contacts if c.id == case_contact], out))
    elif to == "each_contact":
        out.to.extend(_one(c) for c in eligible(contacts, out))
    elif to == "contacts":
        ok = eligible(contacts, out)
        shared = [c for c in ok if not c.separate_correspondence and c.id not in banned]
        if shared:
            out.to.append(_joint(shared))
        out.to.extend(_one(c) for c in ok
                      if c.separate_correspondence or c.id in banned)
    return out


def long_date(value: dt.date) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def long_datetime(value: dt.datetime) -> str:
    return f"{long_date(value.date())} at {clock(value)}"


def show_value(spec: Field | None, value: Any, names: Mapping[str, str]) -> Any:
    """A stored field value as a letter prints it: dates written out, ids as names."""
    if spec is None or value is None:
        return value
    if spec.type == "date":
        return long_date(dt.date.fromisoformat(value))
    if spec.type == "datetime":
        return long_datetime(dt.datetime.fromisoformat(value))
    if spec.type in ("staff", "contact"):
        return names.get(value, value)
    if spec.type in ("attendees", "staff_list"):
        return [names.get(v, v) for v in value]
    if spec.type == "dates":
        return [long_date(dt.date.fromisoformat(v)) for v in value]
    if spec.type == "number":
        return str(value)
    return value


def shown_fields(workflow: Workflow, values: Mapping[str, Any],
                 names: Mapping[str, str]) -> dict[str, Any]:
    """Every field of the workflow for a letter: given ones shown, optional absent ones None."""
    types = workflow.field_types()
    out: dict[str, Any] = {n: None for n, f in types.items() if f.optional}
    out.update({k: show_value(types.get(k), v, names) for k, v in values.items()})
    return out


def deadline_specs(workflow: Workflow) -> dict[str, list[DeadlineSpec]]:
    """Every deadline the workflow sets, by name (one name may have a spec per channel)."""
    out: dict[str, list[DeadlineSpec]] = {}
    events = (workflow.opening, *workflow.events.values())
    for spec in (*(d for e in events for d in e.deadlines),
                 *(d for s in workflow.states.values() for d in s.deadlines)):
        out.setdefault(spec.name, []).append(spec)
    return out


def deadlines_context(workflow: Workflow, rows: tuple[DeadlineRow, ...] | list[DeadlineRow]
                      ) -> dict[str, dict[str, Any] | None]:
    """The workflow's deadlines as a letter reads them: the open ones (``rows``) with the
    date in full, the time as a school writes it, and the school days the workflow counts
    (so "within {{ deadlines.respond_by.school_days }} school days" says what the YAML
    does); None for each one not open."""
    specs = deadline_specs(workflow)
    out: dict[str, dict[str, Any] | None] = dict.fromkeys(specs)
    for row in rows:
        spec = next((s for s in specs.get(row.name, ()) if s.title == row.title),
                    next(iter(specs.get(row.name, ())), None))
        out[row.name] = {
            "date": long_date(dt.date.fromisoformat(row.due_on)), "title": row.title,
            "time": clock(dt.datetime.fromisoformat(row.due_at)) if row.due_at else "",
            "school_days": spec.school_days if spec else None}
    return out


def staff_titles(workflow: Workflow, values: Mapping[str, Any],
                 titles: Mapping[str, str]) -> dict[str, str]:
    """The job title of the member of staff each staff field names (a home visit letter
    says who is coming and in what role, BEM-6); "" for one not given."""
    return {name: titles.get(str(values.get(name)), "") if values.get(name) else ""
            for name, f in workflow.field_types().items() if f.type == "staff"}


def student_context(s: Student) -> dict[str, Any]:
    return {"first_name": s.first_name, "last_name": s.last_name, "full_name": s.full_name,
            "year": str(s.year), "form": s.form, "house": s.house}


def letter_context(*, letterhead: Profile, when: dt.date, case: Mapping[str, str],
                   recipient: Recipient, student: Student, fields: Mapping[str, Any],
                   signatory: tuple[str, str], actor: tuple[str, str],
                   ban: Mapping[str, str] | None,
                   entries: list[dict[str, Any]] | None = None,
                   deadlines: Mapping[str, Any] | None = None,
                   titles: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The whole context of one document, as plain data."""
    return {
        "school": letterhead.as_context(),
        "date": long_date(when),
        "reference": case["id"],
        "recipient": recipient.as_context(),
        "student": student_context(student),
        "case": dict(case),
        "fields": dict(fields),
        "signatory": {"name": signatory[0], "title": signatory[1]},
        "actor": {"name": actor[0], "title": actor[1]},
        "ban": dict(ban) if ban else None,
        "entries": list(entries or []),
        "deadlines": dict(deadlines or {}),
        "titles": dict(titles or {}),
    }


TOP_LEVEL = ("school", "date", "reference", "recipient", "student", "case", "fields",
             "signatory", "actor", "ban", "entries", "deadlines", "titles")

# What each top-level name holds, for ``liaison check``: ``{{ student.firstname }}`` is
# refused there ("did you mean first_name"), not when a real case is advanced. None: a
# plain value, or ``fields`` (a workflow's own, checked against the workflow); an entry's
# keys are those of each item of ``entries``. tests/test_letters_render.py proves these
# are the keys letter_context gives.
SCHEMA: dict[str, frozenset[str] | None] = {
    "school": frozenset({"name", "address_lines", "phone", "email", "website",
                         "local_authority", "head_title"}),
    "date": None,
    "reference": None,
    "recipient": frozenset({"name", "salutation", "address_lines", "language",
                            "needs_interpreter", "names"}),
    "student": frozenset({"first_name", "last_name", "full_name", "year", "form", "house"}),
    "case": frozenset({"id", "title", "state", "state_title", "opened_by"}),
    "fields": None,
    "signatory": frozenset({"name", "title"}),
    "actor": frozenset({"name", "title"}),
    "ban": frozenset({"contact_route", "arrangements", "review_on", "ban_from"}),
    "entries": frozenset({"date", "time", "by", "title", "fields"}),
    "deadlines": None,  # the workflow's own deadline names, checked against the workflow
    "titles": None,  # the workflow's staff fields
}
