"""A subject access export (SAR-1, SAR-5): everything the school holds about one person,
in one zip, for a senior leader to review before anything leaves the school.

``export_subject`` gathers, for a student or a contact (a parent or carer): the person's
own record, every case they appear in that this member of staff may see (its fields, its
history, its deadlines), every document of those cases and every letter home about or
to them, and a chronology of it all. ``manifest.json`` lists each file with its SHA-256
and a review list: every file naming another person the school holds (a third party:
another pupil, another parent), and every restricted or child-protection case, so that
redaction is decided before the response is sent. Restricted cases (CLA-3) are in the
export only of staff allowed to see them. A contact barred from correspondence (a court
order) gets only the records of their own case and the letters addressed to them.

Disposed cases are not there: their personal data is gone (engine.service.retention).
The chronology is there as text and as a PDF (made by LibreOffice, as letters' PDFs
are), each with its SHA-256 in the manifest. Each export is recorded (who exported whose
data, when, the manifest's SHA-256, which cases: ``export_log``, for senior leaders), in
a chain ``audit verify`` checks. The zip is written under a temporary name, recorded,
and moved into place whole: a failed export leaves nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.core.people import Contact
from engine.core.rows import CaseRow, EventRow
from engine.errors import InputError, NotFound, Tampered
from engine.letters.chronology import chronology
from engine.letters.renderer import docx_text
from engine.service.amend import member_of
from engine.service.liaison import Liaison
from engine.service.pdf import pdf_tool, to_pdf
from engine.service.views import Listing, Message, listing
from engine.store import files
from engine.store.database import Reads


@dataclasses.dataclass(frozen=True)
class Subject:
    """Whose data: a student or a contact, their names as the records would write them."""

    kind: str  # student | contact
    id: str
    student_id: str
    names: tuple[str, ...]
    barred: bool = False  # a contact barred from correspondence (a court order)
    record: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def export_subject(engine: Liaison, actor_id: str, out: Path, student: str | None = None,
                   contact: str | None = None) -> Message:
    """Write everything held about the student or contact to the zip ``out``."""
    who = member_of(engine, actor_id, "leaders", "export a subject's records")
    pdf_tool()  # the chronology's PDF needs LibreOffice: said before anything is gathered
    if (student is None) == (contact is None):
        raise InputError("say whose records: --student ID or --contact ID")
    if out.suffix != ".zip":
        raise InputError(f"{out}: the export is a zip file (name it NAME.zip)")
    if out.exists():
        raise InputError(f"{out} exists: choose another name (an export never overwrites)")
    with engine.store.reads() as r:
        subject = _subject(r, student, contact)
        people = _third_parties(r, subject)
        cases = [c for c in r.cases(student_id=subject.student_id)
                 if engine.can_see(c, who) and c.workflow in engine.school.workflows]
        trails = {c.id: r.events(c.id) for c in cases}
        cases = [c for c in cases if _appears(subject, c, trails[c.id])]
        deadlines = {c.id: r.deadlines(c.id) for c in cases}
        seen = {c.id for c in cases}
        docs = [d for d in r.documents(student_id=subject.student_id)
                if (d["case_id"] in seen or d["case_id"] is None) and _for(subject, d)]
    now = engine.clock().isoformat(timespec="seconds")
    files = {f"documents/{Path(d['path']).parent.name}/{Path(d['path']).name}":
             _read(engine.school.root, d) for d in docs}
    data = _data(engine, subject, cases, trails, deadlines, docs)
    events = _events(cases, trails)
    texts = {"data.json": json.dumps(data, indent=2, ensure_ascii=False).encode(),
             "chronology.txt": _chronology_text(events).encode(),
             "chronology.pdf": _chronology_pdf(engine, subject, events)}
    review = _review(engine, subject, cases, people, {**texts, **files})
    manifest = {
        "subject": {"kind": subject.kind, "id": subject.id},
        "exported_at": now, "exported_by": who.id,
        "cases": [{"case": c.id, "workflow": c.workflow, "restricted": c.restricted,
                   "child_protection": c.child_protection} for c in cases],
        "files": [{"path": name, "sha256": hashlib.sha256(body).hexdigest(),
                   "size": len(body)} for name, body in {**texts, **files}.items()],
        "review": review,
        "not_included": _not_included(subject),
    }
    manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    record = {"exported_at": now, "exported_by": who.id, "exported_by_name": who.name,
              "subject_kind": subject.kind, "subject_id": subject.id,
              "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
              "cases": json.dumps([c.id for c in cases]), "documents": len(files)}
    # Recorded once the zip is whole, before it is in place: no export without its record.
    _write_zip(out, {"manifest.json": manifest_bytes, **texts, **files},
               lambda: engine.store.record_export(record))
    lines = (f"wrote {out}: {len(cases)} case(s), {len(files)} document(s); "
             f"{len(review)} item(s) to review before it is sent (manifest.json); the "
             "export is recorded (liaison export log)",)
    return Message(lines, {"out": str(out), "cases": [c.id for c in cases],
                           "documents": len(files), "review": review,
                           "manifest_sha256": record["manifest_sha256"]})


@dataclasses.dataclass(frozen=True)
class Exported:
    """One subject access export's record: who exported whose data, when, which cases."""

    exported_at: str
    exported_by: str
    subject: str
    cases: tuple[str, ...]
    documents: int
    manifest_sha256: str

    def cells(self) -> list[Any]:
        return [self.exported_at.replace("T", " ")[:16], self.exported_by, self.subject,
                ", ".join(self.cases), self.documents, self.manifest_sha256[:12]]

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "cases": list(self.cases)}


def export_log(engine: Liaison, actor_id: str) -> Listing[Exported]:
    """Every subject access export recorded, oldest first (senior leaders: the records
    group); ``audit verify`` checks their chain."""
    member_of(engine, actor_id, "records", "see the subject access exports")
    rows = [Exported(e["exported_at"], f"{e['exported_by']} ({e['exported_by_name']})",
                     f"{e['subject_kind']} {e['subject_id']}", tuple(json.loads(e["cases"])),
                     e["documents"], e["manifest_sha256"]) for e in engine.store.exports()]
    return listing("Subject access exports", ("exported", "by", "whose data", "cases",
                                              "documents", "manifest SHA-256"), rows)


# ---------------------------------------------------------------------------- whose data


def _subject(r: Reads, student: str | None, contact: str | None) -> Subject:
    if student is not None:
        row = r.student(student)
        name = f"{row['first_name']} {row['last_name']}"
        return Subject("student", student, student, (name,), record=row)
    found = [c for c in _all_contacts(r) if c.id == contact]
    if not found:
        raise NotFound(f"no contact '{contact}' (import contacts first)")
    c = found[0]
    names = tuple(n for n in (c.full_name, f"{c.title} {c.last_name}".strip(),
                              f"{c.first_name} {c.last_name}".strip()) if n)
    return Subject("contact", c.id, c.student_id, names, barred=not c.receives_letters,
                   record=dataclasses.asdict(c))


def _all_contacts(r: Reads) -> list[Contact]:
    ids = r.student_ids()
    return [Contact(**c) for rows in r.contacts_of_students(ids).values() for c in rows]


def _third_parties(r: Reads, subject: Subject) -> list[str]:
    """The names of everyone else the school holds: other pupils, other contacts."""
    names: set[str] = set()
    for s in r.students_by_id(r.student_ids()).values():
        if not (subject.kind == "student" and s["id"] == subject.id):
            names.add(f"{s['first_name']} {s['last_name']}")
    for c in _all_contacts(r):
        if not (subject.kind == "contact" and c.id == subject.id):
            names |= {n for n in (c.full_name, f"{c.title} {c.last_name}") if " " in n}
    return sorted(names - set(subject.names), key=lambda n: (-len(n), n))


def _appears(subject: Subject, case: CaseRow, trail: list[EventRow]) -> bool:
    """A student's cases are all theirs; a contact appears in a case about them, or one
    naming them in a field; barred from correspondence, only in their own case."""
    if subject.kind == "student":
        return True
    if case.contact_id == subject.id:
        return True
    if subject.barred:
        return False
    values = [case.fields, *(e.fields for e in trail)]
    return any(subject.id in _flat(v) for v in values)


def _flat(fields: Mapping[str, Any]) -> set[str]:
    out: set[str] = set()
    for value in fields.values():
        out |= {str(v) for v in value} if isinstance(value, list) else {str(value)}
    return out


def _for(subject: Subject, doc: Mapping[str, Any]) -> bool:
    """A student's documents are all theirs; a contact's are those addressed to them
    (alone or in a joint letter) and, unless barred, the file's records of their cases."""
    if subject.kind == "student":
        return True
    addressed = doc["recipient_id"] == subject.id or subject.id in _joint(doc)
    return addressed or (not subject.barred and doc["recipient_id"] is None
                         and doc["case_id"] is not None)


def _joint(doc: Mapping[str, Any]) -> list[str]:
    try:
        recipient = json.loads(doc["context"] or "{}").get("context", {}).get("recipient", {})
    except ValueError:
        return []
    return list(recipient.get("contact_ids") or []) if isinstance(recipient, dict) else []


def _not_included(subject: Subject) -> list[str]:
    notes = ["Restricted cases (CLA-3) are included only when the export is made by staff "
             "allowed to see them.",
             "Cases disposed of at the end of their retention period (PWP-5.6) hold no "
             "personal data any more."]
    if subject.barred:
        notes.append("The contact is barred from correspondence (a court order): only "
                     "their own case and the letters addressed to them are included (SAR-5).")
    return notes


# ---------------------------------------------------------------------------- contents


def _read(root: Path, doc: Mapping[str, Any]) -> bytes:
    try:
        body = (root / doc["path"]).read_bytes()
    except FileNotFoundError:
        body = b""
    if hashlib.sha256(body).hexdigest() != doc["sha256"]:
        raise Tampered(f"{doc['path']} is not the file recorded: run 'liaison audit verify' "
                       "before exporting")
    return body


def _data(engine: Liaison, subject: Subject, cases: list[CaseRow],
          trails: Mapping[str, list[EventRow]], deadlines: Mapping[str, list[Any]],
          docs: list[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "subject": {"kind": subject.kind, **dict(subject.record)},
        "cases": [{"case": c.id, "workflow": c.workflow,
                   "title": engine.school.workflows[c.workflow].title, "state": c.state,
                   "opened_at": c.opened_at, "closed_at": c.closed_at, "fields": c.fields,
                   "history": [{"seq": e.seq, "event": e.event, "from": e.from_state,
                                "to": e.to_state, "by": e.actor_name,
                                "occurred_at": e.occurred_at, "fields": e.fields}
                               for e in trails[c.id]],
                   "deadlines": [{"name": d["name"], "due": d["due_at"] or d["due_on"],
                                  "status": d["status"]} for d in deadlines[c.id]]}
                  for c in cases],
        "documents": [{"case": d["case_id"], "template": d["template"],
                       "recipient": d["recipient_name"], "written": d["created_at"],
                       "file": f"documents/{Path(d['path']).parent.name}/"
                               f"{Path(d['path']).name}"} for d in docs],
    }


def _events(cases: list[CaseRow],
            trails: Mapping[str, list[EventRow]]) -> list[tuple[str, str, str, str]]:
    """Every event of the cases, oldest first: (when, case, what, by whom)."""
    return sorted((e.occurred_at.replace("T", " ")[:16], c.id, e.event.replace("_", " "),
                   e.actor_name) for c in cases for e in trails[c.id])


def _chronology_text(events: list[tuple[str, str, str, str]]) -> str:
    lines = ["Chronology: every recorded event, oldest first", ""]
    lines += [f"{at}  {case}  {event}  (by {by})" for at, case, event, by in events]
    return "\n".join(lines) + "\n"


def _chronology_pdf(engine: Liaison, subject: Subject,
                    events: list[tuple[str, str, str, str]]) -> bytes:
    """The chronology as a PDF, made by LibreOffice as a letter's is, in the school's own
    work folder (a person's records never pass through the system's temporary folder)."""
    body = chronology(engine.school.profile.name, f"Chronology of the records held about "
                      f"{subject.names[0]}: every recorded event, oldest first", events)
    scratch = engine.school.root / files.WORK
    files.private_folder(scratch)
    with tempfile.TemporaryDirectory(prefix="liaison-sar-", dir=scratch) as work:
        source = Path(work) / "chronology.docx"
        source.write_bytes(body)
        [made] = to_pdf([source], scratch=scratch)
        return made.read_bytes()


def _review(engine: Liaison, subject: Subject, cases: list[CaseRow], people: list[str],
            files: Mapping[str, bytes]) -> list[dict[str, Any]]:
    """What a senior leader reviews before the export leaves (SAR-5): each file naming
    another person, and each restricted or child-protection case."""
    out: list[dict[str, Any]] = []
    for c in cases:
        if c.restricted or c.child_protection:
            why = "a restricted case (CLA-3)" if c.restricted else \
                "a child-protection case (PWP-4.3)"
            out.append({"case": c.id, "why": f"{why}: decide what may be disclosed"})
    patterns = [(n, re.compile(rf"(?<!\w){re.escape(n)}(?!\w)")) for n in people]
    for name, body in files.items():
        if name.endswith(".pdf"):
            continue  # the chronology's PDF says what chronology.txt says, reviewed there
        text = docx_text(body) if name.endswith(".docx") else body.decode("utf-8")
        named = sorted({n for n, p in patterns if p.search(text)})
        if named:
            out.append({"file": name, "why": "names other people: review for redaction",
                        "names": named})
    return out


def _write_zip(out: Path, members: Mapping[str, bytes], record: Callable[[], Any]) -> None:
    """The zip under a temporary name, ``record()`` once it is whole, then moved into
    place: a failure leaves neither the file nor its record."""
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.name}.part")
    try:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
            for name, body in members.items():
                z.writestr(name, body)
        record()
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)

