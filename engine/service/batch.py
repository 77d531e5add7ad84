"""Batch letters home (NSW-4, NSW-6): one template, many students, one letter to each
eligible contact of each student.

Letters home about attendance, permission for visits, special events (NSW-4) and
successes and achievements (NSW-6) go to a year group, a form or a list of students. Each
student's contacts are addressed as a case letter's ``to: contacts`` are: one joint letter
to the parents who share correspondence, a letter of their own to each parent who asked
in writing for one (PWP-3.6), none to a contact barred from correspondence (counted in the
summary), and a site ban in force on a contact is given to the template as ``ban``.

**The batch id** names a batch, is printed on each letter as its reference and starts
every letter's batch key (``batch:student:recipient``, unique in the store). Unless staff
name the batch (``--batch NAME``), it is the template's name and a hash of the values
given to every letter (``--set``): running the same command again, even the next morning
after a crash, is the same batch and makes only the letters still missing. The date and
the selection are left out on purpose: the letters already made keep their date, and a
second selection overlapping the first (Year 9, then form 9P) sends nobody the same letter
twice. The values of a student list (a praise letter's achievement) are left out too, so
a row corrected after a failure still continues the batch. A deliberate second sending
(a reminder) is named: ``--batch reminder``.

**All or nothing per student**, and fast: a student's letters are all rendered before any
is written; files are written as students go, made durable together (one fsync pass) and
recorded in one transaction per GROUP of students, so a student's letters are
all recorded or none are. If a letter cannot be made, the students before it are recorded
and the batch stops, naming the student: fix it and run the same command again. A crash
leaves only files that no row names, which ``liaison doctor`` removes.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core import context as ctx
from engine.core import people
from engine.core.compose import BanCases, ban_for, banned_contacts
from engine.core.fields import BATCH_TYPES, batch_types, batch_value
from engine.core.people import Student
from engine.core.rows import DocumentRow
from engine.core.school import School, Staff
from engine.core.text import clean_text
from engine.errors import (
    DefinitionError,
    InputError,
    LiaisonError,
    NotFound,
    PermissionDenied,
)
from engine.letters import renderer as letters
from engine.service.deliver import Delivery, Outgoing, deliver
from engine.service.liaison import Liaison, context_json, queued
from engine.service.pdf import pdf_tool, print_copies
from engine.service.sources import open_school, read_student_list, read_yaml
from engine.service.views import Listing, Message, Row, listing
from engine.store import files

# A batch letter's context is a case letter's without the case.
NAMES = tuple(name for name in ctx.TOP_LEVEL if name not in ("case", "entries", "deadlines",
                                                                "titles"))
FOLDER = f"{files.DOCUMENTS}/batches"  # then one folder per batch id
GROUP = 100  # students read together, their letters made durable and recorded at once
_BATCH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")

Progress = Callable[[int, int], None]  # (students done, students in all)


@dataclass(frozen=True)
class Selection:
    """Whom a batch is for: a CSV list of students, a year group or a form (one of them)."""

    students: Path | None = None
    year: int | None = None
    form: str | None = None
    uploaded: tuple[str, bytes] | None = None  # a list sent from the web page: (name, bytes)

    @property
    def listed(self) -> str | None:
        """The student list's name, as messages about its rows say it."""
        if self.uploaded is not None:
            return self.uploaded[0]
        return None if self.students is None else str(self.students)


@dataclass
class Summary:
    """What a batch did: printed at the end, as JSON with --json."""

    batch: str
    template: str
    folder: str
    students: int = 0  # selected
    made: int = 0  # letters made and recorded by this run
    already_made: int = 0  # letters of the batch made by an earlier run
    barred: list[dict[str, str]] = field(default_factory=list)  # student, contact
    no_contact: list[str] = field(default_factory=list)  # students nobody may be written to
    left: list[dict[str, str]] = field(default_factory=list)  # student, contact (core/mirror)
    pdfs: int = 0
    pdf: bool = False  # whether PDFs were asked for

    def as_json(self) -> dict[str, Any]:
        return {"batch": self.batch, "template": self.template, "folder": self.folder,
                "students": self.students, "made": self.made,
                "skipped": {"already_made": self.already_made, "barred": len(self.barred),
                            "no_contact": len(self.no_contact)},
                "barred": self.barred, "no_contact": self.no_contact, "left": self.left,
                "pdfs": self.pdfs}

    def parts(self) -> list[Message]:
        lines = [f"made {self.made} letters of batch {self.batch} for {self.students} "
                 f"students, in {self.folder}"]
        if self.already_made:
            lines.append(f"  skipped {self.already_made} letters made before in this batch")
        if self.barred:
            lines.append(f"  skipped {len(self.barred)} contacts barred from correspondence: "
                         + ", ".join(f"{b['contact']} ({b['student']})" for b in self.barred))
        if self.left:
            lines.append(f"  skipped {len(self.left)} contacts who have left (not in the "
                         "MIS's export): " + ", ".join(f"{b['contact']} ({b['student']})"
                                                      for b in self.left))
        if self.no_contact:
            lines.append(f"  skipped {len(self.no_contact)} students with no contact who may "
                         f"receive letters: {', '.join(self.no_contact)}")
        if self.pdf:
            lines.append(f"  wrote {self.pdfs} PDFs")
        return [Message(tuple(lines))]


@dataclass(frozen=True)
class Preview:
    path: Path
    recipient: str
    letters: int  # how many the student's contacts would get

    def as_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "recipient": self.recipient, "letters": self.letters}

    def parts(self) -> list[Message]:
        return [Message((f"preview of the letter to {self.recipient} (1 of {self.letters}); "
                         "nothing was recorded:", str(self.path)))]


# ---------------------------------------------------------------------- use cases


def send(engine: Liaison, template: str, actor_id: str, selection: Selection,
         given: Mapping[str, list[str]], name: str | None = None, pdf: bool = False,
         progress: Progress | None = None) -> Summary:
    """Make and record the batch's letters still missing; everything is checked first."""
    # Who may send a batch (the group "senders"): the office sends letters home for the
    # school, and leaders (the senior team, heads of year and house) own what goes to a
    # whole year group or form. Teachers and tutors ask one of them; any member of staff
    # may preview a letter.
    actor = engine.school.member(actor_id)
    senders = engine.school.group("senders")
    if not actor.roles & senders:
        raise PermissionDenied(f"{actor.id} ({actor.name}) may not send batch letters: only "
                               f"{', '.join(sorted(senders))}")
    path = batch_template(engine.school, template)
    if pdf:
        pdf_tool()
    students, own = selected(engine, selection)
    own = _typed_columns(path, own, selection.listed)
    columns = {column for values in own.values() for column in values}
    shared = _shared_values(path, given, columns)
    _no_gaps(path, own, shared, selection.listed)
    run = _Run(engine, path, batch_id(path, shared, name), actor, shared)
    run.summary.students, run.summary.pdf = len(students), pdf
    if progress:
        progress(0, len(students))
    try:
        for start in range(0, len(students), GROUP):
            run.group(students[start:start + GROUP], own, progress)
    finally:
        run.discard()
    if pdf:
        run.summary.pdfs = len(print_copies(engine.school.root, run.without_pdf(), again=(
            "; run the same command again to make them (the letters are not made twice)")))
    return run.summary


def preview(engine: Liaison, template: str, student_id: str, actor_id: str,
            given: Mapping[str, list[str]]) -> Preview:
    """One letter of the batch, to the student's first addressee, under the school's
    cases/previews/ (owner-only; removed by a preview an hour later, or by doctor);
    nothing is recorded."""
    path = batch_template(engine.school, template)
    data, recipient, count = preview_letter(engine, template, student_id, actor_id, given)
    out = files.write_preview(engine.school.root, f"{path.stem}-{student_id}", data)
    return Preview(out, recipient, count)


def preview_letter(engine: Liaison, template: str, student_id: str, actor_id: str,
                   given: Mapping[str, list[str]]) -> tuple[bytes, str, int]:
    """One letter of the batch to the student's first addressee, as bytes, with that
    addressee's name and how many letters the student's contacts would get; nothing is
    written or recorded (the web page's preview is a download)."""
    actor = engine.school.member(actor_id)
    path = batch_template(engine.school, template)
    shared = _shared_values(path, given, set())
    run = _Run(engine, path, batch_id(path, shared, None), actor, shared)
    student = engine.student(student_id)
    contacts = engine.contacts(student.id)
    chosen = ctx.recipients("contacts", contacts, None, [],
                            banned_contacts(contacts, run.bans))
    if not chosen.to:
        raise InputError(f"student {student.id} has no contact who may receive letters")
    data = letters.render(path, run.context(student, chosen.to[0], {}))
    return data, chosen.to[0].name, len(chosen.to)


def templates(school: School) -> list[dict[str, Any]]:
    """Every letter template: the fields it needs and whether it is a batch letter or a
    workflow's (sent by advancing a case)."""
    out = []
    for path in sorted(school.letters_dir.glob("*.docx")):
        used = _workflows_using(school, path.name)
        out.append({"template": path.name, "fields": sorted(needed_fields(path)),
                    "lists": sorted(_list_fields(path)), "batch": not used,
                    "workflows": used, "types": field_types(path) if not used else {}})
    return out


def template_list(root: Path) -> Listing[Row]:
    """``letters list``: each template, how it is sent, and the fields it needs."""
    return listing("Letter templates", ("template", "sent", "fields (... a list: repeat --set)"),
                   [Row(r, (r["template"], "in a batch" if r["batch"]
                            else f"by {', '.join(r['workflows'])}",
                            ", ".join(f"{f} ({r['types'][f]})" if f in r["types"]
                                      else f + ("..." if f in r["lists"] else "")
                                      for f in r["fields"])))
                    for r in templates(open_school(root))])


# ---------------------------------------------------------------------- checks


def batch_template(school: School, name: str) -> Path:
    """The template file of a batch letter, checked; nothing is written if it is wrong."""
    file = name if name.endswith(".docx") else f"{name}.docx"
    path = school.letters_dir / file
    if "/" in file or "\\" in file or not path.is_file():
        known = ", ".join(t["template"] for t in templates(school) if t["batch"]) or "none"
        raise NotFound(f"no letter template '{file}' in {school.letters_dir} (batch letters: "
                       f"{known})")
    used = _workflows_using(school, file)
    if used:
        raise InputError(f"{file} is a letter of the {', '.join(used)} workflow"
                         f"{'s' if len(used) > 1 else ''}: it goes out when a case is "
                         "advanced, not in a batch (try it with 'liaison letters preview "
                         f"{file} --workflow {used[0]} --as STAFF')")
    problems = letters.check_template(path, {n: ctx.SCHEMA[n] for n in NAMES}) + type_problems(path)
    if problems:
        raise DefinitionError(problems)
    return path


def types_file(path: Path) -> Path:
    """Where a batch letter declares its fields' types: NAME.yaml beside NAME.docx."""
    return path.with_suffix(".yaml")


def field_types(path: Path) -> dict[str, str]:
    """A batch letter's declared field types (``name: type``); none when undeclared."""
    declared = types_file(path)
    return batch_types(read_yaml(declared), str(declared))[0] if declared.is_file() else {}


def type_problems(path: Path) -> list[str]:
    """What ``check`` (and sending) refuses: a batch letter's field with no declared type,
    a declared type that is not one, a list declared as one value or the reverse."""
    declared = types_file(path)
    types, problems = ({}, []) if not declared.is_file() else batch_types(
        read_yaml(declared), str(declared))
    needed, lists = needed_fields(path), _list_fields(path)
    undeclared = sorted(needed - set(types))
    if undeclared and not problems:
        problems.append(f"{path}: fields with no declared type: {', '.join(undeclared)}: "
                        f"declare each in {declared.name} as 'name: type' (one of: "
                        f"{', '.join(BATCH_TYPES)})")
    problems += [f"{declared}: {name}: {path.name} reads it as a list: declare it 'list'"
                 for name in sorted(lists & set(types)) if types[name] != "list"]
    problems += [f"{declared}: {name}: {path.name} prints one value, not a list"
                 for name in sorted(set(types) - lists) if types[name] == "list"]
    return problems


def _typed_columns(path: Path, own: Mapping[str, Mapping[str, str]],
                   listed: str | None) -> dict[str, dict[str, str]]:
    """A student list's values checked as their fields' types and written as printed;
    every bad cell refused before anything is made."""
    types = field_types(path)
    out: dict[str, dict[str, str]] = {}
    for student, values in own.items():
        out[student] = {column: batch_value(types.get(column, "text"), value,
                                            f"{listed}: {student} ({column})")
                        for column, value in values.items()}
    return out


def needed_fields(path: Path) -> set[str]:
    """The ``fields.NAME`` a template reads: each must be given (``--set`` or a column)."""
    return {p.split(".")[1] for p in letters.template_fields(path) if p.startswith("fields.")}


def _list_fields(path: Path) -> set[str]:
    return {p.split(".")[1] for p in letters.template_lists(path) if p.startswith("fields.")}


def _workflows_using(school: School, template: str) -> list[str]:
    return sorted({w.name for w in school.workflows.values()
                   for e in (w.opening, *w.events.values()) for d in e.documents
                   if d.template == template})


def _shared_values(path: Path, given: Mapping[str, list[str]],
                   columns: set[str]) -> dict[str, Any]:
    """The --set values as the template reads them; missing or unused ones refused."""
    needed, lists = needed_fields(path), _list_fields(path)
    missing = sorted(needed - set(given) - columns)
    if missing:
        raise InputError(f"{path.name} needs {', '.join(missing)}: give "
                         f"{' '.join(f'--set {m}=...' for m in missing)}")
    unused = sorted(set(given) - needed)
    if unused:
        raise InputError(f"{path.name} does not use {', '.join(unused)} (it uses: "
                         f"{', '.join(sorted(needed)) or 'no fields'})")
    out: dict[str, Any] = {}
    types = field_types(path)
    for key, values in given.items():
        clean = [clean_text(v, f"--set {key}", letters.VALUE_MAX_LENGTH) for v in values]
        if key not in lists and len(clean) > 1:
            raise InputError(f"--set {key} is given {len(clean)} times; {path.name} prints "
                             "one value")
        out[key] = ([v for v in clean if v] if key in lists
                    else batch_value(types.get(key, "text"), clean[0], f"--set {key}"))
        if out[key] == "" and key in _printed(path):
            raise InputError(f"--set {key} is blank, and {path.name} prints it")
    return out


def _no_gaps(path: Path, own: Mapping[str, Mapping[str, str]], shared: Mapping[str, Any],
             listed: str | None) -> None:
    """A blank cell of the student list is the --set value, or blank: refused if the
    letter prints it."""
    printed = _printed(path) - set(shared)
    blank = [f"{student} ({column})" for student, values in own.items()
             for column, value in values.items() if not value and column in printed]
    if blank:
        raise InputError(f"{listed}: blank where {path.name} prints the value, with no "
                         f"--set to fall back on: {', '.join(blank)}")


def _printed(path: Path) -> set[str]:
    return {p.split(".")[1] for p in letters.printed_fields(path) if p.startswith("fields.")}


def batch_id(path: Path, shared: Mapping[str, Any], name: str | None) -> str:
    """The batch's id: the template's name and the staff's name for the batch, or else a
    hash of the values every letter is given (see the module docstring)."""
    if name is not None:
        if not _BATCH_NAME.fullmatch(name):
            raise InputError(f"--batch '{name}': use up to 40 letters, digits, '.', '_' or "
                             "'-', starting with a letter or digit")
        return f"{path.stem}-{name}"
    said = json.dumps([path.name, shared], sort_keys=True, ensure_ascii=False)
    return f"{path.stem}-{hashlib.sha256(said.encode()).hexdigest()[:8]}"


def letter_reference(batch: str, stem: str, year: int, student: str) -> str:
    """The reference a batch letter prints, shaped as a case's (CON-2026-0001) so the
    office can take it back from a parent: letters home, the year, the batch's code (its
    hash or the name staff gave it) and the student, e.g. LH-2026-464EEC8C-S1004."""
    return f"LH-{year}-{batch.removeprefix(f'{stem}-').upper()}-{student}"


def selected(engine: Liaison,
             selection: Selection) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The students selected, and the values of their own a student list gives."""
    chosen = [s for s in (selection.students or selection.uploaded, selection.year,
                          selection.form) if s is not None]
    if len(chosen) != 1:
        raise InputError("say whom the letters are for: one of --students FILE.csv, "
                         "--year N or --form F")
    if selection.uploaded is not None:
        name, data = selection.uploaded
        listed = people.read_student_list(data, name, engine.store.all_student_ids())
        return [student for student, _ in listed], dict(listed)
    if selection.students is not None:
        listed = read_student_list(selection.students, engine.store.all_student_ids())
        return [student for student, _ in listed], dict(listed)
    ids = engine.store.student_ids(year=selection.year, form=selection.form)
    if not ids:
        which = f"Year {selection.year}" if selection.year is not None else \
            f"form {selection.form}"
        raise InputError(f"no students in {which} (import students first?)")
    return ids, {}


# ---------------------------------------------------------------------- the run


class _Run:
    """One batch being made: its letters written but not yet recorded, and its summary."""

    def __init__(self, engine: Liaison, path: Path, batch: str, actor: Staff,
                 shared: dict[str, Any]) -> None:
        self.engine, self.path, self.actor, self.shared = engine, path, actor, shared
        self.root = engine.school.root
        self.folder = self.root / FOLDER / batch
        self.lists = _list_fields(path)
        self.needed = needed_fields(path)
        self.today = engine.clock().date()
        self.letterhead = engine.school.profile
        self.bans: BanCases = engine.bans_in_force()
        self.pending: list[Outgoing] = []
        self.done = 0  # students
        self.summary = Summary(batch, path.name, self.folder.relative_to(self.root).as_posix())

    def group(self, group: list[str], own: Mapping[str, Mapping[str, str]],
              progress: Progress | None = None) -> None:
        """Make the missing letters of a group of students and record them together; a
        student's letters are all rendered before any is written."""
        families = self.engine.families(group)
        chosen = [ctx.recipients("contacts", contacts, None, [],
                                 banned_contacts(contacts, self.bans))
                  for _, contacts in families]
        keys = {(s.id, r.id): f"{self.summary.batch}:{s.id}:{r.id}"
                for (s, _), c in zip(families, chosen, strict=True) for r in c.to}
        done = self.engine.store.batch_keys(keys.values())
        for (student, contacts), to in zip(families, chosen, strict=True):
            self._skipped(student, to, done, keys)
            missing = [r for r in to.to if keys[(student.id, r.id)] not in done]
            try:
                values = own.get(student.id, {})
                made = [self._letter(student, r, keys[(student.id, r.id)], values, contacts)
                        for r in missing]
            except LiaisonError as exc:
                self.flush()  # the students before this one are done: keep them
                raise _stopped(exc, student.id, self.summary.made) from exc
            self.pending += made
            self.done += 1
            if progress:
                progress(self.done, self.summary.students)
        self.flush()

    def _skipped(self, student: Student, to: ctx.Recipients, done: set[str],
                 keys: Mapping[tuple[str, str | None], str]) -> None:
        """Count what this student's contacts do not get now, and why."""
        for cid, why in to.skipped:
            gone = why.startswith("left:")  # a full import found them gone from the MIS
            (self.summary.left if gone else self.summary.barred).append(
                {"student": student.id, "contact": cid})
        if not to.to:
            self.summary.no_contact.append(student.id)
        self.summary.already_made += sum(keys[(student.id, r.id)] in done for r in to.to)

    def _letter(self, student: Student, recipient: ctx.Recipient, key: str,
                own: Mapping[str, str], contacts: Any = ()) -> Outgoing:
        """One letter rendered, with where it goes and its row (context included)."""
        context = self.context(student, recipient, own)
        data = letters.render(self.path, context)
        # A path as text: pathlib interns every part of every path it parses, which grows
        # with the batch (~190 bytes a letter).
        name = files.safe(f"{student.id}-{recipient.id}-{secrets.token_hex(4)}") + ".docx"
        row = DocumentRow(
            template=self.path.name, recipient_id=recipient.id, recipient_name=recipient.name,
            path="", sha256="", size=0, student_id=student.id, batch_key=key,
            created_at=self.engine.clock().isoformat(timespec="seconds"),
            context=context_json(self.path, context),
            sends=queued(self.engine.school, (), recipient, {c.id: c for c in contacts}, "",
                         self.path.name, student.full_name))
        return Outgoing(f"{self.summary.folder}/{name}", data, row)

    def context(self, student: Student, recipient: ctx.Recipient,
                own: Mapping[str, str]) -> dict[str, Any]:
        values = dict(self.shared)
        for key in self.needed & set(own):
            if own[key]:
                values[key] = [own[key]] if key in self.lists else own[key]
            else:
                values.setdefault(key, [] if key in self.lists else "")
        me = (self.actor.name, self.actor.title)
        reference = letter_reference(self.summary.batch, self.path.stem, self.today.year,
                                     student.id)
        return ctx.letter_context(
            letterhead=self.letterhead, when=self.today, case={"id": reference},
            recipient=recipient, student=student, fields=values, signatory=me, actor=me,
            ban=ban_for(recipient, self.bans))

    def flush(self) -> None:
        """Deliver the rendered letters: written, made durable, recorded in one transaction."""
        pending, self.pending = self.pending, []
        if pending:
            deliver(self.root, self.engine.store, [Delivery(None, pending)])
            self.summary.made += len(pending)

    def discard(self) -> None:
        """Drop letters rendered but not delivered (the run stopped between two groups)."""
        self.pending = []

    def without_pdf(self) -> list[str]:
        """The batch's recorded letters that have no PDF yet (made now or by a run before)."""
        recorded = self.engine.store.document_paths()
        return [rel for p in sorted(self.folder.glob("*.docx"))
                if (rel := p.relative_to(self.root).as_posix()) in recorded
                and not p.with_suffix(".pdf").exists()]


def _stopped(exc: LiaisonError, student: str, made: int) -> LiaisonError:
    """The error of the student whose letter could not be made, saying what to do next."""
    note = (f"; the batch stopped at student {student}: {made} letters for the students "
            "before were made and recorded. Fix this and run the same command again: the "
            "letters already made are skipped")
    if isinstance(exc, DefinitionError):
        return DefinitionError([*exc.problems[:-1], exc.problems[-1] + note])
    return type(exc)(f"student {student}: {exc}{note}")

