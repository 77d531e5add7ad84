"""Retention, disposal and legal hold (issue 11; PWP-5.6: records kept and disposed of by the
school's Disposal of Records Schedule; PWP-4.3: a child-protection case reviewed on its own).

Disposal is driven through the real CLI against the real SQLite file and the documents on
disk; `audit verify` must still hold afterwards, and must find a tombstone tampered with.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import NOW, ONE_STEP, ONE_STEP_FIELDS, Run, case_in, move_clock, snapshot

from engine.core.definitions import Retention
from engine.core.retention import add_years, kept_until
from engine.core.rows import CaseRow
from engine.errors import DefinitionError, ImportRowError, PermissionDenied, TransitionNotAllowed
from engine.service import amend, retention
from engine.service.liaison import Liaison
from engine.service.sources import parse_workflow, read_students
from engine.store.database import events

DATABASE = "cases/liaison.sqlite3"
WORKFLOWS = sorted((Path(__file__).resolve().parent.parent / "workflows").glob("*.yaml"))
HOLD = "A claim against the school is expected (solicitor's letter of 1 December)"


# ---------------------------------------------------------------------------- retain:


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_pwp_5_6_every_shipped_workflow_declares_how_long_it_is_kept(path: Path) -> None:
    workflow = parse_workflow(path)
    assert workflow.retain is not None and workflow.retain.years >= 1
    text = path.read_text(encoding="utf-8")
    assert "Disposal of Records Schedule (PWP-5.6" in text


@pytest.mark.parametrize(("retain", "problem"), [
    ("{years: 0, from: resolved}", "retain.years: 0 years: give 1 to 100"),
    ("{years: six, from: resolved}", "retain.years: expected a whole number, got 'six'"),
    ("{years: 6, from: closed}", "retain.from: 'closed' is not a start (expected one of: "
                                 "resolved, opened, student.date_of_birth)"),
    ("{years: 6}", "retain: missing key 'from'"),
    ("{years: 6, from: resolved, until: 2030}", "retain.until: unknown key"),
])
def test_a_bad_retain_is_named_at_its_line(tmp_path: Path, retain: str, problem: str) -> None:
    text = ONE_STEP.format(name="kept", title="Kept", prefix="KEP",
                           documents="    - {template: conduct_resolution.docx, to: file}")
    path = tmp_path / "kept.yaml"
    path.write_text(text + f"retain: {retain}\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    with pytest.raises(DefinitionError) as raised:
        parse_workflow(path)
    assert any(p.startswith(f"{path}:{line}: {problem}") for p in raised.value.problems), \
        raised.value.problems


def _case(**values: object) -> CaseRow:
    base = dict(id="X-2026-0001", workflow="w", state="s", student_id="S1", contact_id=None,
                holder=None, fields={}, version=1, opened_at="2020-02-29T10:00:00",
                opened_by="OF01", closed_at=None, restricted=False, child_protection=False)
    return CaseRow(**{**base, **values})  # type: ignore[arg-type]


def test_kept_until_counts_from_the_close_the_opening_or_the_date_of_birth() -> None:
    assert add_years(dt.date(2020, 2, 29), 6) == dt.date(2026, 2, 28)
    six = Retention(6, "resolved")
    assert kept_until(six, _case(), None).waiting == "open"
    assert kept_until(six, _case(closed_at="2021-07-20T12:00:00"), None).until == \
        dt.date(2027, 7, 20)
    assert kept_until(Retention(1, "opened"), _case(), None).until == dt.date(2021, 2, 28)
    birth = Retention(25, "student.date_of_birth")
    assert kept_until(birth, _case(), "2012-09-01").until == dt.date(2037, 9, 1)
    assert kept_until(birth, _case(), None).waiting == "no date of birth known"
    # PWP-4.3: a child-protection case is kept as a safeguarding file at least.
    marked = _case(closed_at="2021-07-20T12:00:00", child_protection=True)
    assert kept_until(six, marked, "2012-09-01").until == dt.date(2037, 9, 1)


# ---------------------------------------------------------------------------- date of birth


def test_a_date_of_birth_is_imported_and_a_bad_one_named(liaison: Liaison,
                                                         tmp_path: Path) -> None:
    assert liaison.store.student("S1004")["date_of_birth"] == "2015-01-20"
    bad = tmp_path / "students.csv"
    bad.write_text("id,first_name,last_name,year,form,house,date_of_birth\n"
                   "S1,Ann,Lee,9,9P,Kestrel,2012-02-30\n", encoding="utf-8")
    with pytest.raises(ImportRowError, match=r"students.csv:2: column 'date_of_birth': "
                                             r"'2012-02-30' is not a date \(YYYY-MM-DD\)"):
        read_students(bad)
    older = tmp_path / "older.csv"  # an export without the column keeps what was known
    older.write_text("id,first_name,last_name,year,form,house\nS1004,Liam,O'Brien,7,7P,"
                     "Kestrel\n", encoding="utf-8")
    liaison.import_students(older)
    assert liaison.store.student("S1004")["date_of_birth"] == "2015-01-20"


# ---------------------------------------------------------------------------- due


def test_retention_due_lists_cases_past_their_period_for_leaders(liaison: Liaison) -> None:
    closed = case_in(liaison, "closed")  # closed on 7 December 2026
    case_in(liaison, "warning_issued")  # open: never due
    assert [d.case for d in retention.due(liaison, "HT01", dt.date(2032, 12, 6))] == []
    listed = retention.due(liaison, "OF01", dt.date(2032, 12, 7))
    assert [(d.case, d.kept_until, d.note) for d in listed] == [(closed, "2032-12-07", "")]
    with pytest.raises(PermissionDenied, match="may not list the cases due for disposal"):
        retention.due(liaison, "FT01", dt.date(2032, 12, 7))


@pytest.mark.sqlite_only  # reads or changes the SQLite file itself
def test_a_held_or_child_protection_case_is_listed_with_what_stops_it(liaison: Liaison) -> None:
    held, marked = case_in(liaison, "closed"), case_in(liaison, "closed")
    amend.hold(liaison, held, "HT01", HOLD)
    liaison.mark_child_protection(marked, "AH01", "A disclosure made during the meeting")
    notes = {d.case: (d.kept_until, d.note)
             for d in retention.due(liaison, "HT01", dt.date(2040, 2, 1))}
    # S1004 was born on 20 January 2015: a safeguarding file is kept until 2040.
    assert notes == {held: ("2032-12-07", "on a legal hold"),
                     marked: ("2040-01-20", "child protection: review it on its own")}


# ---------------------------------------------------------------------------- disposal


def _kept_one_year(liaison: Liaison) -> tuple[Liaison, str]:
    """A one-step workflow kept a year from its opening, opened 20 November 2025 with a
    letter to each parent: past its period on any day since 20 November 2026."""
    root = liaison.school.root
    text = ONE_STEP.format(name="kept", title="Kept a year", prefix="KEP",
                           documents="    - {template: conduct_resolution.docx, to: contacts}")
    (root / "workflows" / "kept.yaml").write_text(text + "retain: {years: 1, from: opened}\n",
                                                  encoding="utf-8")
    engine = Liaison.at(root, clock=liaison.clock)
    case = engine.open("kept", "S1001", "OF01", ONE_STEP_FIELDS,
                       at=dt.datetime(2025, 11, 20, 10, 0)).case
    return engine, case


def _sql(school: Path, statement: str, *args: object) -> None:
    with sqlite3.connect(school / DATABASE) as db:
        db.execute(statement, args)


def test_pwp_5_6_dispose_deletes_the_documents_and_fields_and_the_tombstone_verifies(
        liaison: Liaison, school: Path, school_cli: Callable[..., Run]) -> None:
    engine, case = _kept_one_year(liaison)
    other = case_in(engine, "warning_issued")
    paths = [d["path"] for d in engine.store.documents(case_id=case)]
    assert len(paths) == 2 and all((school / p).is_file() for p in paths)
    assert school_cli("audit", "seal", "--as", "HT01").code == 0  # sealed before disposal

    refused = school_cli("retention", "dispose", case, "--as", "OF01", "--reason", "Due")
    assert refused.code == 1 and "may not dispose of a case: only" in refused.err
    early = school_cli("retention", "dispose", other, "--as", "HT01", "--reason", "Due")
    assert early.err == f"error: {other} cannot be dated for disposal yet (open)\n"
    due = school_cli("retention", "due", "--as", "HT01", "--json").json()
    assert [d["case"] for d in due] == [case]

    done = school_cli("retention", "dispose", case, "--as", "HT01", "--reason",
                      "Retention period ended: reviewed by the headteacher")
    assert (done.code, done.err) == (0, "")
    assert done.out.startswith(f"{case} is disposed of: 2 document file(s) deleted")
    assert not any((school / p).exists() for p in paths)
    assert not (school / "cases" / "documents" / case).exists()
    assert school_cli("show", case, "--as", "HT01").err == f"error: no case '{case}'\n"
    with engine.store.reads() as r:
        assert r.conn.scalar(sa.select(sa.func.count()).select_from(events)
                             .where(events.c.case_id == case)) == 0
    dumped = "\n".join(engine.store.dump())  # every table, as the application reads them
    assert case in dumped  # its tombstone
    assert "A fresh start" not in dumped  # the case's own words are gone, from every table
    [tombstone] = engine.store.disposals()
    assert (tombstone["case_id"], tombstone["workflow"], tombstone["disposed_by"]) == (
        case, "kept", "HT01")
    assert tombstone["reason"] == "Retention period ended: reviewed by the headteacher"

    verified = school_cli("audit", "verify", "--as", "HT01")
    assert verified.code == 0, verified.err
    assert verified.out.rstrip().endswith("; 1 disposed case's tombstone holds")
    assert school_cli("retention", "due", "--as", "HT01", "--json").json() == []
    engine.close()


@pytest.mark.parametrize(("tamper", "found"), [
    ("UPDATE disposals SET reason = 'Tidying up'",
     "{case}: the tombstone of the disposed case does not match its hash"),
    ("DELETE FROM disposals",
     "the seal of {day} covered 2 cases and 1 are left: a case sealed then has been deleted"),
])
@pytest.mark.sqlite_only  # reads or changes the SQLite file itself
def test_a_tombstone_edited_or_deleted_is_found(liaison: Liaison, school: Path,
                                                school_cli: Callable[..., Run], tamper: str,
                                                found: str) -> None:
    engine, case = _kept_one_year(liaison)
    case_in(engine, "warning_issued")
    school_cli("audit", "seal", "--as", "HT01")
    day = engine.store.newest_seal()["sealed_on"]  # type: ignore[index]
    assert school_cli("retention", "dispose", case, "--as", "HT01", "--reason", "Due").code == 0
    _sql(school, tamper)
    run = school_cli("audit", "verify", "--as", "HT01")
    assert run.code == 1
    assert run.err == f"error: audit: {found.format(case=case, day=day)}\n"
    engine.close()


def test_a_legal_hold_blocks_disposal_until_released_and_both_are_audited(
        liaison: Liaison, school: Path, school_cli: Callable[..., Run]) -> None:
    engine, case = _kept_one_year(liaison)
    assert school_cli("hold", case, "--as", "HY09", "--reason", HOLD).code == 1
    assert school_cli("hold", case, "--as", "HT01", "--reason", " ").err == \
        f"error: {case} hold: say why (--reason TEXT)\n"
    held = school_cli("hold", case, "--as", "HT01", "--reason", HOLD)
    assert (held.code, held.err) == (0, "")
    again = school_cli("hold", case, "--as", "HT01", "--reason", HOLD)
    assert again.err == f"error: {case} is already on a legal hold\n"
    before = snapshot(engine)
    refused = school_cli("retention", "dispose", case, "--as", "HT01", "--reason", "Due")
    assert refused.err == (f"error: {case} is on a legal hold: it may not be disposed of "
                           "until the hold is released (liaison release)\n")
    assert snapshot(engine) == before
    released = school_cli("release", case, "--as", "VP01", "--reason", "The claim was settled")
    assert released.code == 0, released.err
    history = school_cli("history", case, "--as", "HT01", "--json").json()
    assert [(h["event"], h["actor"], h["fields"]) for h in history[1:]] == [
        ("legal_hold", "HT01", {"reason": HOLD}),
        ("release_hold", "VP01", {"reason": "The claim was settled"})]
    assert school_cli("audit", "verify", "--as", "HT01").code == 0
    assert school_cli("retention", "dispose", case, "--as", "HT01", "--reason", "Due").code == 0
    engine.close()


def test_pwp_4_3_a_child_protection_case_is_disposed_of_only_after_its_own_review(
        liaison: Liaison) -> None:
    case = case_in(liaison, "closed")
    liaison.mark_child_protection(case, "AH01", "A disclosure made during the meeting")
    with pytest.raises(TransitionNotAllowed, match="kept until 2040-01-20"):
        retention.dispose(liaison, case, "HT01", "Due", dt.date(2039, 1, 1))
    with pytest.raises(TransitionNotAllowed, match="review it on its own, then dispose of it "
                                                   "with --child-protection-reviewed"):
        retention.dispose(liaison, case, "HT01", "Due", dt.date(2040, 1, 20))
    retention.dispose(liaison, case, "HT01", "Reviewed by the DSL", dt.date(2040, 1, 20),
                      child_protection_reviewed=True)
    assert [t["case_id"] for t in liaison.store.disposals()] == [case]


def test_pwp_5_6_letters_home_outside_a_case_are_due_and_disposed_of_with_a_tombstone(
        liaison: Liaison, school: Path, school_cli: Callable[..., Run]) -> None:
    """A batch of letters home (no case) is kept for school.yaml's retention:
    letters_home years from its newest letter, listed then, and disposed of by a senior
    leader: the files and rows gone, a tombstone that audit verify checks."""
    sent = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--year", "9",
                      "--set", "evening_date=2027-02-04", "--set", "start_time=18:00",
                      "--set", "end_time=20:00", "--set", "venue=the Main Hall",
                      "--set", "return_by=2027-02-26", "--json")
    assert sent.code == 0, sent.err
    letters = liaison.store.letters_home()
    batch = letters[0]["batch"]
    assert len(letters) == 6 and {d["batch"] for d in letters} == {batch}
    written = dt.date.fromisoformat(max(d["created_at"] for d in letters)[:10])
    kept = add_years(written, 2)  # the shipped school.yaml: letters_home: {years: 2}
    assert list(retention.due(liaison, "HT01", kept - dt.timedelta(days=1))) == []
    [due] = retention.due(liaison, "HT01", kept)
    assert (due.case, due.workflow, due.kept_until, due.note) == (
        batch, "letters home", kept.isoformat(), "6 letter(s) outside a case")
    with pytest.raises(TransitionNotAllowed, match=f"batch {batch} is kept until {kept}"):
        retention.dispose(liaison, batch, "HT01", "Due", kept - dt.timedelta(days=1))
    with pytest.raises(PermissionDenied, match="may not dispose of a case"):
        retention.dispose(liaison, batch, "OF01", "Due", kept)
    done = retention.dispose(liaison, batch, "HT01", "Two years since they were sent", kept)
    assert done.lines == (f"batch {batch} is disposed of: 6 letter(s) home, 6 file(s) "
                          "deleted, its tombstone kept (liaison audit verify checks it)",)
    assert all(not (school / d["path"]).exists() for d in letters)
    assert liaison.store.letters_home() == [] and list(retention.due(liaison, "HT01", kept)) == []
    [tombstone] = liaison.store.disposals()
    assert (tombstone["workflow"], tombstone["disposed_by"], tombstone["reason"]) == (
        "letters_home", "HT01", "Two years since they were sent")
    assert "Main Hall" not in "\n".join(liaison.store.dump())
    verified = school_cli("audit", "verify", "--as", "HT01")
    assert verified.code == 0, verified.err
    assert verified.out.rstrip().endswith("; 1 disposed case's tombstone holds")


# ---------------------------------------------------------------------------- honest undo


def test_a_wrong_child_protection_mark_is_unmarked_by_an_audited_event(
        liaison: Liaison, school_cli: Callable[..., Run]) -> None:
    case = case_in(liaison, "incident_reported")
    liaison.mark_child_protection(case, "AH01", "Marked on the wrong case")
    refused = school_cli("unmark", case, "--child-protection", "--as", "HY09", "--reason", "x")
    assert refused.code == 1 and "may not unmark a child-protection case" in refused.err
    done = amend.unmark_child_protection(liaison, case, "AH01", "Marked by mistake: the "
                                         "disclosure was about another pupil")
    assert done.lines == (f"{case} is no longer marked child protection",)
    assert liaison.case(case, "HT01").child_protection is False
    history = [(e.event, e.actor) for e in liaison.history(case, "HT01")]
    assert history[-2:] == [("mark_child_protection", "AH01"),
                            ("unmark_child_protection", "AH01")]
    assert school_cli("unmark", case, "--child-protection", "--as", "AH01", "--reason",
                      "again").err == f"error: {case} is not marked child protection\n"
    move_clock(liaison, NOW + dt.timedelta(hours=1))
    liaison.advance(case, "request_meeting", "OF01", {"meeting_at": ["2026-11-26T15:30"],
                                                      "with_staff": ["HY09"]})


def test_a_field_is_corrected_by_an_event_saying_from_what_to_what_and_why(
        liaison: Liaison, school: Path, school_cli: Callable[..., Run]) -> None:
    case = case_in(liaison, "incident_reported")
    run = school_cli("correct", case, "incident_date=2026-11-19", "--as", "HY09", "--reason",
                     "The log was written up a day late")
    assert (run.code, run.err) == (0, "")
    assert run.out == f"{case}: corrected incident_date from 2026-11-20 to 2026-11-19\n"
    assert liaison.case(case, "HY09").fields["incident_date"] == "2026-11-19"
    last = liaison.history(case, "HY09")[-1]
    assert (last.event, last.fields) == ("correct", {
        "field": "incident_date", "from": "2026-11-20", "to": "2026-11-19",
        "reason": "The log was written up a day late"})
    assert school_cli("audit", "verify", "--as", "HT01").code == 0
    for args, error in [
        (("incident_date=yesterday",), "field 'incident_date'"),
        (("nonsense=1",), f"{case}: workflow 'conduct_escalation' has no field 'nonsense'"),
        (("contact=C2001",), "the parent concerned cannot be changed"),
    ]:
        bad = school_cli("correct", case, *args, "--as", "HY09", "--reason", "x")
        assert bad.code == 1 and error in bad.err, bad.err
    refused = school_cli("correct", case, "ban_from=2026-12-01", "--as", "HY09",
                         "--reason", "x")
    assert "may not correct 'ban_from'" in refused.err
