"""Issue 9: every shipped letter, made for each kind of recipient it can go to, read back.

Each document of each shipped workflow is composed by the engine (``engine.core.compose``)
for the real sample families: one parent (the case's contact), two parents jointly (the
O'Briens), separated parents each at their own address (the Hughes), a parent needing an
interpreter (the Haddads), the pupil's social worker and virtual school head, a role's
holders and the actor's line manager (staff), and the file. Each letter is rendered,
reopened with python-docx and read: the salutation, the name and address block line by
line, the student, who signs (name then title) and the dates (the letter's and each date
it prints). Batch letters go through ``letters batch`` to the same families.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from engine.core import context as ctx
from engine.core import must_say, people
from engine.core.compose import Snapshot, compose
from engine.core.definitions import DocumentSpec, Event, Workflow
from engine.core.fields import parse_assignments
from engine.core.plan import Plan
from engine.core.rows import CaseRow
from engine.core.school import School, Staff
from engine.letters import renderer as letters
from engine.service import batch
from engine.service.liaison import Liaison
from engine.service.sources import open_school

SCHOOL: School = open_school(ROOT)
WHEN = dt.datetime(2026, 11, 23, 10, 0)  # the letters' date: Monday 23 November 2026
LETTER_DATE = "Monday 23 November 2026"
PROFESSIONALS = (
    "C9001,S1003,Ms,Jo,Carver,Social worker,Westshire Council,Children's Services,Millbrook,"
    "MB1 1AA,jo.carver@example.org,01632 960999,English,no,all,social_worker\n"
    "C9002,S1003,Mr,Ade,Bello,Virtual school head,Westshire Virtual School,County Hall,"
    "Millbrook,MB1 1AB,ade.bello@example.org,01632 960998,English,no,all,virtual_school_head\n")


def _people() -> tuple[dict[str, people.Student], list[people.Contact]]:
    students = people.read_students((ROOT / "samples" / "students.csv").read_bytes(), "s")
    rows = (ROOT / "samples" / "contacts.csv").read_text(encoding="utf-8").splitlines()
    data = "\n".join([rows[0] + ",kind", *(r + "," for r in rows[1:])]) + "\n" + PROFESSIONALS
    contacts = people.read_contacts(data.encode(), "c", [s.id for s in students])
    return {s.id: s for s in students}, contacts


STUDENTS, CONTACTS = _people()

# The families each kind of recipient is read for: (student, the case's contact).
FAMILIES = {
    "one parent": ("S1004", "C2006"),  # Mrs O'Brien, the case's contact
    "two parents jointly": ("S1004", "C2006"),  # the O'Briens share correspondence
    "separated parents": ("S1001", "C2001"),  # the Hughes: each their own letter
    "a parent needing an interpreter": ("S1005", "C2008"),  # the Haddads (Arabic)
    "social worker and virtual school head": ("S1003", "C2004"),
}


@dataclass(frozen=True)
class Sent:
    """One document of a workflow, and whom it goes to."""

    workflow: Workflow
    event: Event
    doc: DocumentSpec

    @property
    def id(self) -> str:
        return f"{self.workflow.name}.{self.event.name}.{self.doc.template}.{self.doc.to}"


def _sent() -> Iterator[Sent]:
    for w in SCHOOL.workflows.values():
        for event in (w.opening, *w.events.values()):
            for doc in event.documents:
                yield Sent(w, event, doc)


SENT = list(_sent())


def _kinds(doc: DocumentSpec) -> list[str]:
    """The kinds of recipient a document's ``to:`` reaches."""
    if doc.to == "contact":
        return ["one parent", "a parent needing an interpreter"]
    if doc.to in ("contacts", "each_contact"):
        return ["two parents jointly", "separated parents", "a parent needing an interpreter"]
    if doc.to.startswith("kind:"):
        return ["social worker and virtual school head"]
    return ["staff or the file"]


def _values(w: Workflow, student: str, contact: str) -> dict[str, Any]:
    """The workflow's sample values, with real people where a field names someone."""
    values = must_say.sample_values(w)
    for f in w.field_types().values():
        if f.type == "contact":
            values[f.name] = contact
        elif f.type == "staff":
            values[f.name] = "VP02"
        elif f.type == "staff_list":
            values[f.name] = ["GV02", "GV03"]
        elif f.type == "attendees":
            values[f.name] = [contact, student, "VP02"]
    return values


def _actor(event: Event, to: str = "") -> str:
    """The first member of staff who may fire the event (with a line manager, for a
    document that goes to the actor's line manager, PWP-5.4a)."""
    for staff in SCHOOL.staff.values():
        if staff.holds(set(event.roles)) and (staff.line_manager or to != "line_manager"):
            return staff.id
    raise AssertionError(f"nobody may fire {event.name}")


def _compose(sent: Sent, kind: str) -> tuple[Plan, list[Any], Snapshot]:
    student_id, contact = FAMILIES.get(kind, ("S1004", "C2006"))
    student = STUDENTS[student_id]
    contacts = tuple(c for c in CONTACTS if c.student_id == student_id)
    values = _values(sent.workflow, student_id, contact)
    values.update({name: allowed[0] for name, allowed in sent.doc.when.equals})
    actor = SCHOOL.staff[_actor(sent.event, sent.doc.to)]
    state = next((t.state for t in sent.event.targets if t.state), None)
    source = next((s for s in sent.event.source_states if s in sent.workflow.states),
                  next(iter(sent.workflow.states)))
    case = CaseRow(id=f"{sent.workflow.prefix}-2026-0042", workflow=sent.workflow.name,
                   state=source, student_id=student_id, contact_id=contact, holder=None,
                   fields=values, version=3, opened_at="2026-11-16T09:00:00", opened_by="OF01",
                   closed_at=None, restricted=False, child_protection=False)
    plan = Plan(case=case, event=sent.event, target=state or source, values=values,
                given=values, occurred=WHEN, actor=actor)
    snap = Snapshot(SCHOOL.profile, student, contacts, SCHOOL.staff)
    composed = compose(sent.workflow, plan, snap)
    return plan, [x for x in composed.letters if x.spec is sent.doc], snap


def _paragraphs(data: bytes) -> list[str]:
    return letters.body_text(data).split("\n")


def _in_order(lines: list[str], wanted: list[str]) -> bool:
    """``wanted`` as consecutive paragraphs of the letter."""
    return any(lines[i:i + len(wanted)] == wanted for i in range(len(lines)))


def _expected_recipients(sent: Sent, kind: str, snap: Snapshot) -> list[str]:
    """Who the engine must address, by name, for this kind of recipient."""
    contacts = [c for c in snap.contacts if c.receives_letters]
    parents = [c for c in contacts if c.is_parent]
    to = sent.doc.to
    if to == "contact":
        return [c.full_name for c in parents if c.id == FAMILIES[kind][1]]
    if to.startswith("kind:"):
        return [c.full_name for c in contacts if c.kind == to[5:]]
    if to == "each_contact" or (to == "contacts" and kind == "separated parents"):
        return [c.full_name for c in parents]
    if to == "contacts":
        return [" and ".join(c.full_name for c in parents)]
    if to == "file":
        return ["File"]
    if to == "line_manager":
        return [snap.staff[str(_line_manager(sent))].name]
    return [s.name for s in snap.staff.values() if to.removeprefix("role:") in s.roles]


def _signer(doc: DocumentSpec, snap: Snapshot, actor: Staff) -> Staff:
    """Who must sign: whoever acted, or for a letter ``signed_by`` a role, the holder who
    leads the student's year (school.yaml's ``year:``), else the actor if they hold the
    role, else its first holder."""
    if not doc.signed_by:
        return actor
    holders = [s for s in SCHOOL.staff.values() if doc.signed_by in s.roles]
    own = [s for s in holders if snap.student.year in s.years]
    return own[0] if own else actor if actor in holders else holders[0]


def _line_manager(sent: Sent) -> str | None:
    return SCHOOL.staff[_actor(sent.event, sent.doc.to)].line_manager


CASES = [(s, k) for s in SENT for k in _kinds(s.doc)]


@pytest.mark.parametrize(("sent", "kind"), CASES, ids=[f"{s.id}[{k}]" for s, k in CASES])
def test_each_letter_for_each_kind_of_recipient_reads_right(sent: Sent, kind: str) -> None:
    """Salutation, name and address line by line, student, dates and who signs, as the
    recipient reads them (PWP-3.6 separate letters, PWP-5.6 interpreters, EXC-3)."""
    plan, made, snap = _compose(sent, kind)
    assert made
    assert [x.recipient.name for x in made] == _expected_recipients(sent, kind, snap)
    path = SCHOOL.letters_dir / sent.doc.template
    reads = letters.template_fields(path)
    for letter in made:
        lines = _paragraphs(letters.render(path, letter.context))
        text = "\n".join(lines)
        recipient, student = letter.recipient, snap.student
        assert student.full_name in text
        assert LETTER_DATE in text or "date" not in reads
        if "recipient.salutation" in reads:  # a letter: addressed, greeted and signed
            assert f"{recipient.salutation}," in lines, recipient.salutation
            assert _in_order(lines, [recipient.name, *recipient.address_lines])
            signer = _signer(sent.doc, snap, plan.actor)
            assert _in_order(lines, [signer.name, signer.title])
            assert lines.index(f"{recipient.salutation},") < lines.index(signer.name)
        else:  # a record for the file, or a copy for staff
            assert f"Copy for: {recipient.name}" in lines or "recipient.name" not in reads
            assert (f"Recorded by: {plan.actor.name}, {plan.actor.title}" in lines
                    or "actor.name" not in reads)
        if recipient.needs_interpreter and "recipient.needs_interpreter" in reads:
            assert f"interpreter ({recipient.language})" in text
        for name, value in letter.context["fields"].items():
            field = sent.workflow.field_types().get(name)
            if field and field.type in ("date", "datetime") and value and \
                    f"fields.{name}" in letters.printed_fields(path):
                assert value in text, name


def test_every_kind_of_recipient_is_read() -> None:
    """The kinds above cover every ``to:`` the shipped workflows use."""
    assert {k for _, k in CASES} == {*FAMILIES, "staff or the file"}
    assert {s.doc.to.split(":")[0] for s in SENT} <= {"contact", "contacts", "each_contact",
                                                       "file", "role", "kind", "line_manager"}


# ------------------------------------------------------------------------ batch letters

BATCH_VALUES = {
    "attendance_concern": ["--set", "period=the Autumn term", "--set", "attendance=89.5"],
    "options_evening": ["--set", "evening_date=2027-02-04", "--set", "start_time=18:00",
                        "--set", "end_time=20:00", "--set", "venue=the Main Hall",
                        "--set", "return_by=2027-02-26"],
    "praise_letter": ["--set", "term=the Autumn term", "--set", "achievement=Led the run."],
    "trip_permission": ["--set", "trip=a visit to the Science Museum",
                        "--set", "trip_date=2027-03-10", "--set", "purpose=to see the exhibits",
                        "--set", "departs=8.30am from the front gate", "--set", "returns=16:30",
                        "--set", "cost=12.50", "--set", "pay_by=2027-03-01",
                        "--set", "reply_by=2027-03-01", "--set", "bring=a packed lunch"],
}
BATCH_DATES = {"options_evening": ["Thursday 4 February 2027", "Friday 26 February 2027"],
               "trip_permission": ["Wednesday 10 March 2027", "Monday 1 March 2027"]}


def test_batch_letters_cover_every_shipped_batch_template() -> None:
    used = {s.doc.template for s in SENT}
    shipped = {p.stem for p in (ROOT / "letters").glob("*.docx") if p.name not in used}
    assert shipped == set(BATCH_VALUES)


@pytest.mark.parametrize("template", sorted(BATCH_VALUES))
def test_each_batch_letter_for_each_kind_of_family(
        template: str, liaison: Liaison, tmp_path: Path) -> None:
    """NSW-4, NSW-6, PWP-3.6: one joint letter to the O'Briens, one each to the Hughes at
    their own addresses, the Haddads offered an interpreter; each greets, addresses, names
    the student, gives the dates in full and is signed by the sender, name then title."""
    listed = tmp_path / "students.csv"
    listed.write_text("id\nS1001\nS1004\nS1005\n", encoding="utf-8")
    given = parse_assignments(BATCH_VALUES[template][1::2])
    summary = batch.send(liaison, template, "HY09", batch.Selection(students=listed), given)
    assert summary.made == 4
    rows = {d.recipient: d for d in liaison.documents("HY09").items if d.template ==
            f"{template}.docx"}
    assert sorted(rows) == ["Mr Daniel Hughes", "Mr Karim Haddad and Mrs Leila Haddad",
                            "Mrs Sarah Hughes", "Mrs Zoë O'Brien and Mr Seán O'Brien"]
    by_name = {c.full_name: c for c in CONTACTS}
    for name, row in rows.items():
        lines = _paragraphs((liaison.school.root / row.path).read_bytes())
        first = by_name[name.split(" and ")[0]]
        greeting = " and ".join(by_name[n].salutation.removeprefix("Dear ")
                                for n in name.split(" and "))
        assert f"Dear {greeting}," in lines
        assert _in_order(lines, [name, *first.address_lines])
        assert STUDENTS[first.student_id].full_name in "\n".join(lines)
        # a reference shaped as a case's, naming the batch and the student, to quote back
        assert re.fullmatch(rf"Our reference: LH-2026-[0-9A-F]{{8}}-{first.student_id}",
                            next(line for line in lines if line.startswith("Our reference")))
        assert _in_order(lines, ["Mr Tom Reilly", "Head of Year 9"])
        for day in [LETTER_DATE, *BATCH_DATES.get(template, [])]:
            assert any(day in line for line in lines), day
        interpreter = any("interpreter (Arabic)" in line for line in lines)
        assert interpreter == name.startswith("Mr Karim Haddad")
    assert ctx.TO_PARENTS  # batch letters are addressed as a case letter's ``to: contacts``
