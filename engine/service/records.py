"""The reading use cases, each gated by role: what a member of staff may see.

Cases they may see (a restricted case, CLA-3, is "not found" to anyone else), a case as
``show`` prints it, a case's history, a student's record and the documents listing, each
as a view (``engine.service.views``). ``engine.service.liaison.Liaison`` adds the use cases
that change the store; the due list, the report and batch letters read through the
methods here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.core.compose import ban_details
from engine.core.people import Contact, Student
from engine.core.rows import CaseRow, Visibility
from engine.core.school import School, Staff
from engine.errors import InputError, NotFound, PermissionDenied, Tampered
from engine.service.sources import open_school, open_store
from engine.service.views import (
    CaseRead,
    CaseSummary,
    CaseView,
    DocumentEntry,
    HistoryEntry,
    Impersonation,
    LetterStep,
    Listing,
    Message,
    Page,
    StudentRecord,
    listing,
)
from engine.store.database import Reads, Store

if TYPE_CHECKING:  # imported where used: a listing need not load them
    from engine.service.identity import Acting
    from engine.store.audit import Broken

Clock = Callable[[], dt.datetime]
CASE_COLUMNS = ("case", "workflow", "state", "student", "holder", "opened")
DOCUMENT_COLUMNS = ("case", "student", "template", "recipient", "written", "path")
HISTORY_COLUMNS = ("#", "event", "from", "to", "by", "when", "recorded")


def system_clock() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class Records:
    """One school directory and its case store, read as a member of staff may see them."""

    door = "cli"  # how staff reach the records: the web page says "web" (case_views)
    # An administrator acting as another member of staff (engine/service/identity.py): then
    # restricted cases stay unseen unless school.yaml security.impersonate_restricted.
    acting: Acting | None = None

    def __init__(self, school: School, store: Store, clock: Clock = system_clock) -> None:
        self.school = school
        self.store = store
        self.clock = clock

    @classmethod
    def at(cls, root: Path, clock: Clock = system_clock) -> Records:
        school = open_school(root)
        return cls(school, open_store(school), clock)

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ people

    def student(self, student_id: str) -> Student:
        return student_of(self.store.student(student_id))

    def families(self, student_ids: list[str]) -> list[tuple[Student, list[Contact]]]:
        """Students with their contacts, read together (a batch of letters reads hundreds)."""
        with self.store.reads() as r:
            rows = r.students_by_id(student_ids)
            contacts = r.contacts_of_students(student_ids)
        missing = [s for s in student_ids if s not in rows]
        if missing:
            raise NotFound(f"no student '{missing[0]}' (import students first)")
        return [(student_of(rows[s]), [Contact(**c) for c in contacts.get(s, [])])
                for s in student_ids]

    def student_choices(self) -> list[Student]:
        """Every student, by name: whom a case may be opened for."""
        rows = self.store.students_by_id(self.store.student_ids())
        return sorted((student_of(r) for r in rows.values()),
                      key=lambda s: (s.last_name, s.first_name, s.id))

    def students_named(self, search: str, limit: int = 20) -> list[dict[str, Any]]:
        """Students with every word of ``search`` in their name (or id), by name, at most
        ``limit``: whom a case may be opened for, found as one types (the web page)."""
        from engine.store.pages import Pages

        words = search.split()
        return Pages(self.store).students_named(words, limit) if words else []

    def batch_letters(self, batch: str) -> list[dict[str, Any]]:
        """The letters of a batch letter home, by student (its result page)."""
        from engine.store.pages import Pages

        return Pages(self.store).batch_letters(batch)

    def contacts(self, student_id: str) -> list[Contact]:
        return [Contact(**c) for c in self.store.contacts_of(student_id)]

    # ------------------------------------------------------------------ cases

    def can_see(self, case: CaseRow, who: Staff) -> bool:
        """Restricted cases (CLA-3) are visible only to the named roles and, where the
        workflow says so, to the member of staff who opened them; a workflow's
        ``hidden_from`` field names who may never see a case (the person complained about)."""
        workflow = self.school.workflows.get(case.workflow)
        if workflow is None:  # its file was removed: the case keeps what it was stored with
            return not case.restricted
        if workflow.hidden_from:  # a complaint about them: whatever roles they hold (CMP-6)
            named = case.fields.get(workflow.hidden_from)
            if who.id == named or (isinstance(named, list) and who.id in named):
                return False
        if not workflow.restricted:
            return True
        if self._acting_unrestricted():
            return False
        if who.roles & workflow.visible_roles or who.reads_restricted:
            return True
        return workflow.visible_to_opener and case.opened_by == who.id

    def _acting_unrestricted(self) -> bool:
        """Acting as another member of staff, without leave to see restricted cases."""
        return self.acting is not None and not self.school.impersonate_restricted

    def case_search(self, actor_id: str, filters: Mapping[str, str | None], search: str,
                    page: int, size: int, count_to: int = 1000
                    ) -> tuple[int, list[dict[str, Any]]]:
        """One page of the cases this member of staff may see (CLA-3), newest first, of
        a workflow, state, student or holder, and every word of ``search`` in the case
        number or the student's name; and how many there are, counted up to
        ``count_to`` (``count_to + 1``: more than that)."""
        from engine.store.pages import Pages

        who = self.school.member(actor_id)
        if filters.get("workflow"):
            self.school.workflow(str(filters["workflow"]))  # NotFound for an unknown one
        return Pages(self.store).case_page(filters, self.visibility(who), search.split(),
                                           (page - 1) * size, size, count_to)

    def _visible(self, case: CaseRow, who: Staff) -> CaseRow:
        """The case, if this member of staff may see it; an invisible case is 'not found'."""
        if not self.can_see(case, who):
            raise NotFound(f"no case '{case.id}'")
        return case

    def case(self, case_id: str, actor_id: str) -> CaseRow:
        """A case this member of staff may see; an invisible case is 'not found'."""
        who = self.school.member(actor_id)
        return self._visible(self.store.case(case_id), who)

    def visible_cases(self, actor_id: str, workflow: str | None = None,
                      state: str | None = None, student: str | None = None) -> list[CaseRow]:
        who = self.school.member(actor_id)
        self._known_filters(workflow, state)
        return [c for c in self.store.cases(workflow=workflow, state=state, student_id=student)
                if self.can_see(c, who)]

    def _known_filters(self, workflow: str | None, state: str | None) -> None:
        chosen = [self.school.workflow(workflow)] if workflow else self.school.workflows.values()
        if state is not None and not any(state in w.states for w in chosen):
            raise NotFound(f"no state '{state}' in "
                           + (f"workflow '{workflow}'" if workflow else "any workflow"))

    def visibility(self, who: Staff) -> Visibility:
        """``can_see`` as the store asks it of every row, so a listing is filtered, paged
        and counted in SQL."""
        hidden = [w for w in self.school.workflows.values()
                  if w.restricted and (self._acting_unrestricted() or not (
                      who.roles & w.visible_roles or who.reads_restricted))]
        # A workflow that hides a case from the staff its fields name (hidden_from, CMP-6)
        # is judged case by case: complaints are few, and the field is inside the case.
        hiding = [w.name for w in self.school.workflows.values() if w.hidden_from]
        unseen = frozenset(c.id for name in hiding for c in self.store.cases(workflow=name)
                           if not self.can_see(c, who))
        return Visibility(who.id, frozenset(w.name for w in hidden),
                          frozenset(w.name for w in hidden if w.visible_to_opener
                                    and not self._acting_unrestricted()),
                          frozenset(self.school.workflows), unseen)

    def cases(self, actor_id: str, workflow: str | None = None, state: str | None = None,
              student: str | None = None) -> Listing[CaseSummary]:
        """The cases this member of staff may see, oldest first."""
        return listing("Cases", CASE_COLUMNS,
                       list(self.iter_cases(actor_id, workflow, state, student)))

    def iter_cases(self, actor_id: str, workflow: str | None = None, state: str | None = None,
                   student: str | None = None, after: str | None = None,
                   limit: int | None = None) -> Iterator[CaseSummary]:
        """The cases this member of staff may see, oldest first, as the store reads them
        (``--json`` streams these): after the case ``after``, at most ``limit``. Refusals
        (an unknown workflow, state or case) come before the first case."""
        who = self.school.member(actor_id)
        self._known_filters(workflow, state)
        seen = self.visibility(who)
        with self.store.reads() as r:
            start = self._position(r, after, who)
            for row in r.case_lines(seen, workflow, state, student, start, limit):
                yield CaseSummary(*row)

    def case_page(self, actor_id: str, workflow: str | None = None, state: str | None = None,
                  student: str | None = None, after: str | None = None,
                  limit: int = 50) -> Page[CaseSummary]:
        """One page of the cases this member of staff may see: ``limit`` of them, oldest
        first, after the case ``after``; with how many more there are after the page."""
        if limit < 1:
            raise InputError(f"--limit {limit}: show at least 1 case")
        who = self.school.member(actor_id)
        self._known_filters(workflow, state)
        seen = self.visibility(who)
        with self.store.reads() as r:
            start = self._position(r, after, who)
            rows = [CaseSummary(*row)
                    for row in r.case_lines(seen, workflow, state, student, start, limit)]
            more = r.count_lines(seen, workflow, state, student,
                                 (rows[-1].opened_at, rows[-1].case)) \
                if len(rows) == limit else 0
        return Page("Cases", CASE_COLUMNS, tuple(rows), more=more,
                    last=rows[-1].case if rows else None)

    def _position(self, r: Reads, after: str | None, who: Staff) -> tuple[str, str] | None:
        """Where the case ``after`` sits in the listing; an unknown or unseen case is 'not
        found'."""
        if after is None:
            return None
        position = r.case_position(after)
        if position is None or not self.can_see(r.case(after), who):
            raise NotFound(f"--after: no case '{after}' (see 'liaison cases')")
        return position

    def documents(self, actor_id: str, student: str | None = None,
                  case: str | None = None) -> Listing[DocumentEntry]:
        """The documents listing, whole: those of cases this member of staff may see
        (CLA-3) and the batch letters."""
        return listing("Documents", DOCUMENT_COLUMNS,
                       list(self.iter_documents(actor_id, student, case)))

    def iter_documents(self, actor_id: str, student: str | None = None,
                       case: str | None = None, after: str | None = None,
                       limit: int | None = None) -> Iterator[DocumentEntry]:
        """The documents this member of staff may see, oldest first, as the store reads
        them (``--json`` streams these): after the document at the path ``after``, at most
        ``limit``. Refusals come before the first document."""
        who = self.school.member(actor_id)
        if case is not None:
            self.case(case, actor_id)
        seen = self.visibility(who)
        with self.store.reads() as r:
            start = self._document_at(r, seen, after)
            for row in r.document_lines(seen, case, student, start, limit):
                yield DocumentEntry.of(row)

    def documents_page(self, actor_id: str, student: str | None = None,
                       case: str | None = None, after: str | None = None,
                       limit: int = 50) -> Page[DocumentEntry]:
        """One page of the documents this member of staff may see, oldest first, after the
        document at the path ``after``; with how many more there are after it."""
        if limit < 1:
            raise InputError(f"--limit {limit}: show at least 1 document")
        who = self.school.member(actor_id)
        if case is not None:
            self.case(case, actor_id)
        seen = self.visibility(who)
        with self.store.reads() as r:
            start = self._document_at(r, seen, after)
            rows = list(r.document_lines(seen, case, student, start, limit))
            more = r.count_documents(seen, case, student, rows[-1]["id"]) \
                if len(rows) == limit else 0
        return Page("Documents", DOCUMENT_COLUMNS, tuple(DocumentEntry.of(d) for d in rows),
                    more=more, last=rows[-1]["path"] if rows else None)

    @staticmethod
    def _document_at(r: Reads, seen: Visibility, path: str | None) -> int | None:
        """Where the document at ``path`` sits in the listing; one not there, or of a case
        not seen, is 'not found'."""
        if path is None:
            return None
        number = r.document_number(path)
        listed = next(r.document_lines(seen, after=number - 1, limit=1), None) \
            if number is not None else None
        if listed is None or listed["id"] != number:
            raise NotFound(f"--after: no document '{path}' (see 'liaison documents')")
        return number

    def student_record(self, student_id: str, actor_id: str) -> StudentRecord:
        """A student, their contacts, and where each workflow stands for them: the latest
        case of each (a signed Home–School Agreement shows here, NSW-1)."""
        student = self.student(student_id)
        latest: dict[str, CaseRow] = {}
        for case in self.visible_cases(actor_id, student=student.id):
            if case.workflow in self.school.workflows:  # not one whose file was removed
                latest[case.workflow] = case  # cases come oldest first
        bans = self.bans_in_force()
        who = self.school.member(actor_id)
        ban_cases = {case for held in bans.values() for case, _ in held}
        seen = {c for c in ban_cases if self.can_see(self.store.case(c), who)}
        return StudentRecord(
            student=dataclasses.asdict(student),
            contacts=[_marked(c, bans.get(c.id, ()), seen) for c in self.contacts(student.id)],
            status=[{"workflow": name, "title": self.school.workflows[name].title,
                     "case": c.id, "state": c.state,
                     "state_title": self.school.workflows[name].states[c.state].title,
                     "opened_at": c.opened_at, "closed_at": c.closed_at}
                    for name, c in sorted(latest.items())])

    def history(self, case_id: str, actor_id: str, *, noted: bool = True
                ) -> Listing[HistoryEntry | LetterStep]:
        """The audit trail of a case, whole: who did what, when it happened, when it was
        entered, with each letter's way out. Reading a restricted case's trail is itself
        written down (``noted``; a page that shows the trail with the case notes one
        reading)."""
        return listing(f"History of {case_id}", HISTORY_COLUMNS,
                       list(self.iter_history(case_id, actor_id, noted=noted)))

    def iter_history(self, case_id: str, actor_id: str, after: int | None = None,
                     limit: int | None = None, *, noted: bool = True
                     ) -> Iterator[HistoryEntry | LetterStep]:
        """The trail as it is read (``--json`` streams it): the events numbered after
        ``after``, at most ``limit`` of them, each followed by its letters' steps."""
        case = self.case(case_id, actor_id)
        if noted:
            self._noted(case, actor_id, "its history")
        steps = self._letter_steps(case.id)
        with self.store.reads() as r:
            for entry in self._trail(r, case.id, after, steps):
                if limit is not None and isinstance(entry, HistoryEntry) and entry.seq > (
                        after or 0) + limit:
                    return
                yield entry

    def history_page(self, case_id: str, actor_id: str, after: int | None = None,
                     limit: int = 50) -> Page[HistoryEntry | LetterStep]:
        """``limit`` events of a case's trail after the one numbered ``after``, each with
        its letters' steps; with how many more lines follow."""
        if limit < 1:
            raise InputError(f"--limit {limit}: show at least 1 event")
        case = self.case(case_id, actor_id)
        self._noted(case, actor_id, "its history")
        steps = self._letter_steps(case.id)
        shown: list[HistoryEntry | LetterStep] = []
        more = 0
        with self.store.reads() as r:
            events = 0
            for entry in self._trail(r, case.id, after, steps):
                if isinstance(entry, HistoryEntry):
                    events += 1
                    if events > limit:  # the next page's first line, and all after it:
                        # its events, and the steps not yet shown (none before it is)
                        more = 1 + r.count_events_after(case.id, entry.seq) + sum(
                            1 for st in steps if st.at >= entry.occurred_at)
                        break
                shown.append(entry)
        last = [e.seq for e in shown if isinstance(e, HistoryEntry)]
        return Page(f"History of {case_id}", HISTORY_COLUMNS, tuple(shown), more=more,
                    last=str(last[-1]) if last else None)

    def _letter_steps(self, case_id: str) -> list[LetterStep]:
        """Each of the case's letters' steps on its way out, by when it happened."""
        from engine.store.outbox import Outbox

        steps = [LetterStep(h["at"], h["status"], h["detail"], h["template"],
                            h["recipient_name"], h["channel"])
                 for h in Outbox(self.store).history(case_id)]
        from engine.store.impersonations import Impersonations

        # An administrator acting as another on this case is a line of its trail (issue 15).
        acted = [Impersonation.of(row) for row in Impersonations(self.store).of_case(case_id)]
        return sorted([*steps, *acted], key=lambda s: s.at)

    @staticmethod
    def _trail(r: Reads, case_id: str, after: int | None, steps: list[LetterStep]
               ) -> Iterator[HistoryEntry | LetterStep]:
        """The events after ``after`` interleaved with the letters' ``steps`` by when each
        happened (a letter's way out after the event that made it); steps before the
        first event shown belong to an earlier page."""
        if after is not None and (after < 1 or r.count_events_after(case_id, after - 1) == 0):
            raise NotFound(f"--after: no event {after} in {case_id} (see 'liaison history')")
        events = (HistoryEntry.of(e) for e in r.events_after(case_id, after or 0))
        first = next(events, None)
        if after is not None:
            steps = [s for s in steps if first is not None and s.at >= first.occurred_at]
        head = [first] if first is not None else []
        # Events first where times are equal: merge keeps the earlier iterable's first.
        yield from heapq.merge(itertools.chain(head, events), steps,
                               key=lambda x: x.occurred_at if isinstance(x, HistoryEntry)
                               else x.at)

    def view(self, case_id: str, actor_id: str) -> CaseView:
        """Everything ``show`` prints about a case, read in one transaction."""
        who = self.school.member(actor_id)
        with self.store.reads() as r:
            case = self._visible(r.case(case_id), who)
            bans = self._bans(r.cases_in(self._ban_states(), [case.contact_id])
                              if case.contact_id else [])
            deadlines, documents = r.deadlines(case.id), r.documents(case_id=case.id)
        self._noted(case, actor_id, "the case")  # after the read transaction, before shown
        workflow = self.school.workflow(case.workflow)
        return CaseView(
            case=case.id, workflow=case.workflow, title=workflow.title, state=case.state,
            state_title=workflow.states[case.state].title, student=case.student_id,
            contact=case.contact_id, holder=case.holder, version=case.version,
            opened_at=case.opened_at, opened_by=case.opened_by, closed_at=case.closed_at,
            child_protection=case.child_protection, fields=case.fields, bans=bans,
            deadlines=[{"name": d["name"], "due": d["due_at"] or d["due_on"],
                        "status": d["status"], "clause": d["clause"], "met_at": d["met_at"]}
                       for d in deadlines],
            documents=[{"template": d["template"], "recipient": d["recipient_name"],
                        "path": d["path"], "sha256": d["sha256"]} for d in documents])

    def reads_of(self, case_id: str, actor_id: str) -> Listing[CaseRead]:
        """Who has read a restricted case (CLA-3), oldest first; for those who may see it."""
        case = self.case(case_id, actor_id)
        return listing(f"Who has read {case.id}", ("by", "what", "door", "when"),
                       [CaseRead.of(r) for r in self.store.views_of(case.id)])

    def _noted(self, case: CaseRow, actor_id: str, what: str) -> None:
        """A restricted case's record of who has read it (CLA-3): each reading, written
        before the reader is shown anything, so a reading that is shown is never missing."""
        if not case.restricted:
            return
        who = self.school.member(actor_id)
        self.store.record_view(case.id, who.id, who.name, what, self.door,
                               self.clock().isoformat(timespec="seconds"))

    # ------------------------------------------------------------------ letters

    def reprint(self, document: str, actor_id: str, out: Path) -> Message:
        """A document rendered again from what it was made from (its template and the
        context stored with it), to ``out``: the letter as it was sent, whatever has
        changed since (an address re-imported). Only of a case this member of staff may
        see; ``document`` is its path (``liaison documents``) or file name."""
        row = self._document(document, actor_id)
        if not row["context"]:
            raise NotFound(f"{row['path']} was made before letters kept what they were made "
                           "from: it cannot be reprinted (open the file itself)")
        from engine.letters import renderer as letters

        made = json.loads(row["context"])
        template = self.school.letters_dir / row["template"]
        data = letters.render(template, made["context"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        lines = [f"reprinted {row['path']} for {row['recipient_name']} to {out}"]
        if letters.fingerprint(template) != made["template_sha256"]:
            lines.append(f"  note: {row['template']} has been edited since the letter was "
                         "made; this copy follows the template as it is now")
        return Message(tuple(lines), {"document": row["path"], "out": str(out),
                                      "template_changed": len(lines) > 1})

    def document_file(self, document: str, actor_id: str) -> Path:
        """The file of a document of a case this member of staff may see (or its PDF
        print copy, ``NAME.pdf``, when one was made): a web page's download. A path that
        would leave the school's ``cases/`` folder is 'not found'."""
        name, pdf = (document[:-4] + ".docx", True) if document.endswith(".pdf") \
            else (document, False)
        row = self._document(name, actor_id)
        if row["case_id"] is not None:
            self._noted(self.store.case(row["case_id"]), actor_id, Path(document).name)
        base = (self.school.root / "cases").resolve()
        path = (self.school.root / row["path"]).resolve()
        if pdf:
            path = path.with_suffix(".pdf")
        if not path.is_relative_to(base) or not path.is_file():
            raise NotFound(f"no document '{document}' (see 'liaison documents')")
        return path

    def document_case(self, document: str, actor_id: str) -> str | None:
        """The case a document (path or file name, or its PDF) belongs to, if any."""
        name = document[:-4] + ".docx" if document.endswith(".pdf") else document
        return self._document(name, actor_id)["case_id"]  # type: ignore[no-any-return]

    def has_print_copy(self, path: str) -> bool:
        """Whether a document (its path, as recorded) has a PDF print copy beside it."""
        return (self.school.root / path).with_suffix(".pdf").is_file()

    def _document(self, document: str, actor_id: str) -> dict[str, Any]:
        """A document row by path or file name, of a case this member of staff may see."""
        who = self.school.member(actor_id)
        with self.store.reads() as r:
            rows = r.documents_named(document)
            if rows and rows[0]["case_id"] is not None:
                if not self.can_see(r.case(rows[0]["case_id"]), who):
                    rows = []
        if not rows:
            raise NotFound(f"no document '{document}' (see 'liaison documents')")
        return rows[0]

    # ------------------------------------------------------------------ site bans

    def _ban_states(self) -> dict[str, tuple[str, ...]]:
        """Each workflow's states in which a site ban is in force."""
        return {w.name: w.flagged("site_ban") for w in self.school.workflows.values()}

    @staticmethod
    def _bans(cases: list[CaseRow]) -> list[dict[str, str]]:
        return [{"case": b.id, **ban_details(b.fields)} for b in cases]

    # ------------------------------------------------------------------ the audit trail

    def audit_verify(self, actor_id: str, case: str | None = None,
                     processes: int = 1) -> Message:
        """Recompute every case's chain (or one case's), check each case row against its
        trail, each document's file against its SHA-256 and the newest seal (issue 11);
        Tampered names the first link that does not hold. For leaders (school.yaml
        groups): a case they may not see is not named."""
        who = self.leader(actor_id, "verify the audit trail")
        if case is not None:
            self.case(case, actor_id)
        from engine.store.audit import Broken

        result = self.store.verify(self.school.root, case, workers=processes)
        if isinstance(result, Broken):
            raise Tampered(f"audit: {self._unseen(result, who)}")
        sealed = f"; the seal of {result.sealed_on} holds" if result.sealed_on else \
            "; no seal yet (liaison audit seal)"
        if result.disposed:
            sealed += (f"; {result.disposed} disposed case's tombstone holds"
                       if result.disposed == 1 else
                       f"; {result.disposed} disposed cases' tombstones hold")
        if result.exports:
            sealed += f"; the record of {result.exports} subject access export(s) holds"
        if result.letters:
            sealed += f"; {result.letters} letters' ways out hold"
        return Message((f"ok: {result.cases} cases, {result.events} events and "
                        f"{result.documents} documents verified{sealed}",),
                       dataclasses.asdict(result))

    def audit_seal(self, actor_id: str) -> Message:
        """Seal every event recorded so far now (the engine also seals at the day's first
        change); the newest seal's hash, to keep outside the school's server."""
        self.leader(actor_id, "seal the audit trail")
        made = self.store.seal(self.clock().isoformat(timespec="seconds"))
        newest = self.store.newest_seal()
        if newest is None:
            return Message(("nothing to seal: no events yet",), {"seal": None})
        said = "sealed" if made else "already sealed"
        return Message((f"{said}: {newest['cases']} cases up to event {newest['last_event_id']}"
                        f" on {newest['sealed_on']}; keep this hash: {newest['hash']}",),
                       {"seal": newest})

    def leader(self, actor_id: str, what: str) -> Staff:
        who = self.school.member(actor_id)
        leaders = self.school.group("leaders")
        if not who.roles & leaders:
            raise PermissionDenied(f"{who.id} ({who.name}) may not {what}: only "
                                   f"{', '.join(sorted(leaders))}")
        return who

    def _unseen(self, broken: Broken, who: Staff) -> str:
        """The broken link's message, with a case this member of staff may not see
        (CLA-3) named only as such."""
        if broken.case is None:
            return broken.message
        try:
            visible = self.can_see(self.store.case(broken.case), who)
        except NotFound:
            visible = True  # the case row itself is gone: its number is all there is
        return broken.message if visible else \
            broken.message.replace(broken.case, "a case you may not see")

    def bans_in_force(self) -> dict[str, tuple[tuple[str, Mapping[str, Any]], ...]]:
        """Every site ban in force, by contact: a batch of letters reads them once."""
        out: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for case in self.store.cases_in(self._ban_states()):
            out.setdefault(case.contact_id or "", []).append((case.id, case.fields))
        return {k: tuple(v) for k, v in out.items()}


def _marked(contact: Contact, bans: tuple[tuple[str, Mapping[str, Any]], ...],
            seen: set[str]) -> dict[str, Any]:
    """A contact as the student record shows them: barred from correspondence (letters
    never go to them) and under a site ban in force (HSP-5), with the ban's case where this
    member of staff may see it."""
    return {**dataclasses.asdict(contact), "barred": not contact.receives_letters,
            "site_ban": bool(bans), "site_ban_cases": [case for case, _ in bans if case in seen]}


def student_of(row: Mapping[str, Any]) -> Student:
    return Student(**{k: row[k] for k in ("id", "first_name", "last_name", "year", "form",
                                          "house")}, looked_after=bool(row.get("looked_after")),
                   date_of_birth=row.get("date_of_birth"))
