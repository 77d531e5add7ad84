"""Retention (issue 11, PWP-5.6: records kept and disposed of by the school's schedule).

``due`` lists the cases past the end of their workflow's ``retain:`` period, for review;
``dispose`` deletes a case's documents and personal fields and leaves a tombstone (its
number, workflow and dates, who disposed of it and why, its trail's hashes) that
``audit verify`` checks with the rest. A legal hold (``engine.service.amend.hold``) blocks
disposal; a case marked child protection (PWP-4.3) is kept to the date of birth + 25 years
at least and needs a review of its own (``--child-protection-reviewed``). Letters home
sent in batches outside a case are kept ``retention: {letters_home: {years: N}}`` of
school.yaml from a batch's newest letter; ``due`` lists such a batch by its id, and
``dispose`` takes that id as it takes a case's number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from engine.core.fields import People, parse_fields
from engine.core.retention import Kept, add_years, kept_until
from engine.core.rows import CaseRow
from engine.core.school import Staff
from engine.errors import FieldError, NotFound, TransitionNotAllowed
from engine.service.amend import REASON, member_of
from engine.service.liaison import Liaison
from engine.service.views import Listing, Message, listing
from engine.store import files


@dataclass(frozen=True)
class Due:
    """A case past its retention period (or one that cannot be dated), for review."""

    case: str
    workflow: str
    opened: str
    closed: str | None
    kept_until: str | None
    note: str  # on a legal hold, child protection: its own review, why it has no date

    def cells(self) -> list[Any]:
        return [self.case, self.workflow, self.opened[:10], (self.closed or "")[:10],
                self.kept_until or "", self.note]

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case, "workflow": self.workflow, "opened_at": self.opened,
                "closed_at": self.closed, "kept_until": self.kept_until, "note": self.note}


def _kept(engine: Liaison, case: CaseRow, births: dict[str, str | None]) -> Kept | None:
    workflow = engine.school.workflows.get(case.workflow)
    if workflow is None or workflow.retain is None:
        return None
    return kept_until(workflow.retain, case, births.get(case.student_id))


def _note(case: CaseRow, kept: Kept) -> str:
    notes = [kept.waiting] if kept.waiting else []
    if case.legal_hold:
        notes.append("on a legal hold")
    if case.child_protection:
        notes.append("child protection: review it on its own")
    return "; ".join(notes)


def due(engine: Liaison, actor_id: str, today: dt.date) -> Listing[Due]:
    """The cases past the end of their retention period as at ``today``, and closed cases
    that cannot be dated (no date of birth known), that this member of staff may see."""
    who = member_of(engine, actor_id, "leaders", "list the cases due for disposal")
    with engine.store.reads() as r:
        births = {s["id"]: s["date_of_birth"]
                  for s in r.students_by_id(r.student_ids()).values()}
        cases = r.cases()
    rows = []
    for case in cases:
        kept = _kept(engine, case, births)
        if kept is None or not engine.can_see(case, who):
            continue
        if (kept.until is not None and kept.until <= today) or \
                (kept.until is None and kept.waiting != "open" and case.closed_at):
            rows.append(Due(case.id, case.workflow, case.opened_at, case.closed_at,
                            kept.until.isoformat() if kept.until else None, _note(case, kept)))
    rows += _letters_home_due(engine, today)
    return listing(f"Cases past their retention period on {today.isoformat()}",
                   ("case", "workflow", "opened", "closed", "kept until", "note"), rows)


def _letters_home(engine: Liaison) -> dict[str, list[dict[str, Any]]]:
    """The school's letters home outside a case, by batch."""
    batches: dict[str, list[dict[str, Any]]] = {}
    for letter in engine.store.letters_home():
        batches.setdefault(letter["batch"], []).append(letter)
    return batches


def _batch_kept_until(engine: Liaison, letters: list[dict[str, Any]]) -> dt.date | None:
    years = engine.school.letters_home_years
    newest = max(d["created_at"] for d in letters)
    return add_years(dt.date.fromisoformat(newest[:10]), years) if years else None


def _letters_home_due(engine: Liaison, today: dt.date) -> list[Due]:
    """Each batch of letters home past ``retention: letters_home`` from its newest letter."""
    rows = []
    for batch, letters in sorted(_letters_home(engine).items()):
        until = _batch_kept_until(engine, letters)
        if until is not None and until <= today:
            rows.append(Due(batch, "letters home", letters[0]["created_at"],
                            max(d["created_at"] for d in letters), until.isoformat(),
                            f"{len(letters)} letter(s) outside a case"))
    return rows


def dispose(engine: Liaison, case_id: str, actor_id: str, reason: str, today: dt.date,
            child_protection_reviewed: bool = False) -> Message:
    """Dispose of a case past its retention period: its documents (and print copies) are
    deleted from disk, its row, fields, events and deadlines from the store, and its
    tombstone is kept. Refused on a legal hold, before the period ends, and for a case
    marked child protection without its own review."""
    who = member_of(engine, actor_id, "records", "dispose of a case")
    try:
        found = engine.store.case(case_id)
    except NotFound:
        letters = engine.store.letters_home(case_id)
        if not letters:
            raise
        return _dispose_letters(engine, case_id, letters, who, reason, today)
    case = engine._visible(found, who)
    _may_dispose(engine, case, today, child_protection_reviewed)
    why = _reason(engine, case.id, reason, case.student_id)
    at = engine.clock().isoformat(timespec="seconds")
    tombstone, paths = engine.store.dispose(case, at, (who.id, who.name), why)
    removed = files.erase(engine.school.root, paths)
    return Message((f"{case.id} is disposed of: {removed} document file(s) deleted, its "
                    "tombstone kept (liaison audit verify checks it)",),
                   {"case": case.id, "workflow": case.workflow, "files_removed": removed,
                    "tombstone": {k: tombstone[k] for k in
                                  ("case_id", "workflow", "opened_at", "closed_at",
                                   "disposed_at", "disposed_by", "reason", "hash")}})


def _dispose_letters(engine: Liaison, batch: str, letters: list[dict[str, Any]], who: Staff,
                     reason: str, today: dt.date) -> Message:
    """A batch of letters home past its period: the files, their rows, a tombstone."""
    until = _batch_kept_until(engine, letters)
    if until is None:
        raise TransitionNotAllowed(f"batch {batch}: school.yaml declares no retention period "
                                   "for letters home (retention: letters_home:), so they "
                                   "are kept")
    if until > today:
        raise TransitionNotAllowed(f"batch {batch} is kept until {until.isoformat()}")
    why = _reason(engine, batch, reason, "S0")
    at = engine.clock().isoformat(timespec="seconds")
    tombstone = engine.store.dispose_letters(batch, [d["id"] for d in letters], at,
                                             (who.id, who.name), why)
    removed = files.erase(engine.school.root, [d["path"] for d in letters])
    return Message((f"batch {batch} is disposed of: {len(letters)} letter(s) home, "
                    f"{removed} file(s) deleted, its tombstone kept (liaison audit verify "
                    "checks it)",),
                   {"batch": batch, "letters": len(letters), "files_removed": removed,
                    "tombstone": {k: tombstone[k] for k in
                                  ("case_id", "workflow", "opened_at", "closed_at",
                                   "disposed_at", "disposed_by", "reason", "hash")}})


def _reason(engine: Liaison, what: str, reason: str, student_id: str) -> str:
    if not reason.strip():
        raise FieldError(f"{what} dispose: say why (--reason TEXT)")
    people = People(student_id, frozenset(), list(engine.school.staff))
    return str(parse_fields([REASON], {"reason": [reason]}, people, f"{what} dispose")["reason"])


def _may_dispose(engine: Liaison, case: CaseRow, today: dt.date, reviewed: bool) -> None:
    if case.legal_hold:
        raise TransitionNotAllowed(f"{case.id} is on a legal hold: it may not be disposed of "
                                   "until the hold is released (liaison release)")
    with engine.store.reads() as r:
        birth = r.student(case.student_id).get("date_of_birth")
    kept = _kept(engine, case, {case.student_id: birth})
    if kept is None:
        raise TransitionNotAllowed(f"{case.id}: workflow '{case.workflow}' declares no "
                                   "retention period (retain:), so it is kept")
    if kept.until is None:
        raise TransitionNotAllowed(f"{case.id} cannot be dated for disposal yet "
                                   f"({kept.waiting})")
    if kept.until > today:
        raise TransitionNotAllowed(f"{case.id} is kept until {kept.until.isoformat()}")
    if case.child_protection and not reviewed:
        raise TransitionNotAllowed(f"{case.id} is marked child protection (PWP-4.3): review "
                                   "it on its own, then dispose of it with "
                                   "--child-protection-reviewed")

