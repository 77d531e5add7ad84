"""A workflow's letter tried out with sample data (issue 16): ``liaison letters preview
TEMPLATE --workflow W [--event E] [--student S] --as STAFF [--set NAME=VALUE ...]``.

No case is opened and nothing is recorded: the database and the audit trail are as before.
The letter is built as an advance builds it (``engine.core.context``), from the workflow's
sample values (``engine.core.must_say``: a distinct date, name and text for every field)
with what ``--set`` gives in their place, for a real student and their parents when
``--student`` is given, else for a sample pupil and parent. It is written owner-only under
``cases/previews/`` (it may hold a real family's names), for the author to open in Word.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.core import context as ctx
from engine.core import must_say
from engine.core.compose import Snapshot, staff_recipients
from engine.core.definitions import DocumentSpec, Event, Workflow
from engine.core.fields import People, parse_fields
from engine.core.people import Contact, Student
from engine.core.suggest import did_you_mean
from engine.errors import InputError, NotFound, PermissionDenied
from engine.service.batch import Preview
from engine.store import files

if TYPE_CHECKING:
    from engine.service.liaison import Liaison

SAMPLE_STUDENT = Student("S0", "Sample", "Pupil", 9, "9S", "Sample House")


def workflow_preview(engine: Liaison, template: str, workflow_name: str,
                     event_name: str | None, student_id: str | None, actor_id: str,
                     given: Mapping[str, list[str]]) -> Preview:
    """One letter of ``template`` as ``event_name`` of the workflow would send it (the first
    event that sends it when none is named), written under cases/previews/; nothing is
    recorded."""
    school = engine.school
    actor = school.member(actor_id)
    workflow = school.workflow(workflow_name)
    name = template if template.endswith(".docx") else f"{template}.docx"
    event, doc = _sender(workflow, name, event_name)
    if not actor.holds(event.roles):
        raise PermissionDenied(f"{actor.id} ({actor.name}) may not preview a letter of "
                               f"{workflow.name} {event.name}: only "
                               f"{', '.join(sorted(event.roles))}")
    student, contacts = _family(engine, student_id)
    values = _values(workflow, given, student, contacts, school.staff)
    names = {s.id: s.name for s in school.staff.values()}
    names |= {c.id: c.full_name for c in contacts} | {student.id: student.full_name}
    names |= _sample_names(values)
    chosen = _recipients(engine, doc, student, contacts, values, actor)
    from engine.letters import renderer as letters

    state = workflow.states[next((t.state for t in event.targets if t.state),
                                 next(iter(workflow.states)))]
    context = ctx.letter_context(
        letterhead=school.profile, when=dt.date.today(), recipient=chosen[0], student=student,
        case={"id": f"{workflow.prefix}-PREVIEW", "title": workflow.title, "state": state.name,
              "state_title": state.title, "opened_by": actor.name},
        fields=ctx.shown_fields(workflow, values, names), signatory=(actor.name, actor.title),
        actor=(actor.name, actor.title), ban=None, entries=[],
        deadlines=must_say.sample_deadlines(workflow),
        titles=ctx.staff_titles(workflow, values, {s.id: s.title for s in school.staff.values()}
                                | {k: f"Sample title of {k[7:]}" for k in names
                                   if k.startswith("sample-")}))
    data = letters.render(school.letters_dir / name, context)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    rel = (f"{files.PREVIEWS}/{files.safe(Path(name).stem)}-{files.safe(student.id)}-"
           f"{stamp}-{files.token()}.docx")
    files.write_private(school.root, rel, data)
    return Preview(school.root / rel, chosen[0].name, len(chosen))


def _sender(workflow: Workflow, template: str, event_name: str | None
            ) -> tuple[Event, DocumentSpec]:
    """The event (and its document) that sends ``template``."""
    events = [workflow.opening, *workflow.events.values()]
    senders = [(e, d) for e in events for d in e.documents if d.template == template]
    if not senders:
        raise NotFound(f"{workflow.name} sends no letter {template}")
    if event_name is None:
        return senders[0]
    found = [(e, d) for e, d in senders if e.name == event_name]
    if not found:
        names = sorted({e.name for e, _ in senders})
        raise InputError(f"{workflow.name} {event_name} does not send {template}"
                         f"{did_you_mean(event_name, names)} (it is sent by: "
                         f"{', '.join(names)})")
    return found[0]


def _family(engine: Liaison, student_id: str | None) -> tuple[Student, list[Contact]]:
    if student_id is None:
        sample = Contact(id="C0", student_id="S0", title="Ms", first_name="Sample",
                         last_name="Parent", relationship="Mother",
                         address_line1="1 Sample Street", address_line2="", town="Sampletown",
                         postcode="SA1 1AA", email="", phone="", language="English",
                         separate_correspondence=False, correspondence="all")
        return SAMPLE_STUDENT, [sample]
    return engine.student(student_id), engine.contacts(student_id)


def _values(workflow: Workflow, given: Mapping[str, list[str]], student: Student,
            contacts: list[Contact], staff: Mapping[str, Any]) -> dict[str, Any]:
    """The workflow's sample values, with what --set gives checked and put in their place."""
    types = workflow.field_types()
    for name in given:
        if name not in types:
            raise InputError(f"--set {name}: {workflow.name} has no field '{name}'"
                             f"{did_you_mean(name, types)} (see 'liaison workflows show "
                             f"{workflow.name}')")
    values = must_say.sample_values(workflow)
    if contacts and "contact" in types:
        values["contact"] = contacts[0].id
    people = People(student.id, {c.id for c in contacts}, set(staff))
    values.update(parse_fields([types[n] for n in given], given, people,
                               f"preview of {workflow.name}"))
    return values


def _sample_names(values: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith("sample-"):
                out[item] = f"Sample Person {key.replace('_', ' ')}"
    return out


def _recipients(engine: Liaison, doc: DocumentSpec, student: Student,
                contacts: list[Contact], values: Mapping[str, Any],
                actor: Any) -> list[ctx.Recipient]:
    snap = Snapshot(engine.school.profile, student, tuple(contacts), engine.school.staff)
    chosen = ctx.recipients(doc.to, contacts, values.get("contact"),
                            staff_recipients(snap, doc.to, actor), frozenset())
    if chosen.to:
        return chosen.to
    if doc.to == "file":
        return [ctx.FILE]
    raise InputError(f"{doc.template} goes to {doc.to}, and nobody here would receive it")
