"""The school–home contact log and its School–Home Contact Sheet (HSP-1, HSP-8, NSW-2,
NSW-6, PWP-5.4), on a real case store, with the sheet reopened from disk."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import letter_text, move_clock, snapshot

from engine.errors import TransitionNotAllowed
from engine.service.liaison import Liaison

CALL = {"parent": ["C2001"], "method": ["telephone"], "initiated_by": ["school"],
        "nature": ["positive"], "summary": ["Ethan won the Year 9 maths challenge"]}


def _log(engine: Liaison, student: str = "S1001") -> str:
    """The student's log, started at the beginning of November."""
    move_clock(engine, dt.datetime(2026, 11, 2, 8, 30))
    return engine.open("contact_log", student, "FT01", {}).case


def _logged(engine: Liaison, case: str, at: dt.datetime, actor: str = "FT01",
            **given: list[str]) -> None:
    move_clock(engine, at)
    assert engine.advance(case, "log_contact", actor, {**CALL, **given}).state == "open"


def test_nsw_2_a_student_has_one_contact_log(liaison: Liaison) -> None:
    case = _log(liaison)
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed, match=f"student S1001 already has an open "
                                                   f"school–home contact log \\({case}\\)"):
        _log(liaison)
    assert snapshot(liaison) == before
    liaison.advance(case, "close", "HY09", {})
    assert _log(liaison) != case  # a student who returns gets a new log


def test_pwp_5_4_hsp_1_every_call_and_email_is_noted_against_the_student(
        liaison: Liaison) -> None:
    """Each entry is an event in the case's audit trail: who, when, what."""
    case = _log(liaison)
    _logged(liaison, case, dt.datetime(2026, 11, 23, 9, 0))
    _logged(liaison, case, dt.datetime(2026, 11, 23, 9, 0), actor="OF01", method=["email"],
            initiated_by=["parent"], nature=["concern"],
            summary=["Mrs Hughes is worried about homework being too hard"])
    history = liaison.history(case, "HY09")
    assert [(e.event, e.actor, e.fields["nature"]) for e in history[1:]] == [
        ("log_contact", "FT01", "positive"), ("log_contact", "OF01", "concern")]


def test_hsp_8_a_challenge_in_the_day_needs_the_support_agreed_with_parents(
        liaison: Liaison) -> None:
    case = _log(liaison)
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed, match="actions agreed is needed when nature is "
                                                   "challenge"):
        liaison.advance(case, "log_contact", "FT01", {
            **CALL, "nature": ["challenge"], "summary": ["A difficult afternoon in science"]})
    assert snapshot(liaison) == before
    liaison.advance(case, "log_contact", "FT01", {
        **CALL, "nature": ["challenge"], "summary": ["A difficult afternoon in science"],
        "actions_agreed": ["Talk through tomorrow's timetable at home"]})


def test_nsw_2_the_contact_sheet_lists_date_and_reported_by_for_the_range(
        liaison: Liaison) -> None:
    case = _log(liaison)
    _logged(liaison, case, dt.datetime(2026, 11, 16, 15, 40))  # before the range
    _logged(liaison, case, dt.datetime(2026, 11, 18, 16, 5), actor="HY09", method=["in_person"],
            initiated_by=["parent"], nature=["complaint_about_meeting"],
            summary=["Mr Hughes felt the meeting on Monday was rushed"],
            actions_agreed=["A longer meeting with the Head of Year"])
    _logged(liaison, case, dt.datetime(2026, 11, 20, 12, 30))
    move_clock(liaison, dt.datetime(2026, 11, 23, 9, 0))
    outcome = liaison.advance(case, "contact_sheet", "FT01", {"sheet_from": ["2026-11-17"],
                                                              "sheet_to": ["2026-11-20"]})
    assert [(d.template, d.recipient) for d in outcome.documents] == [
        ("contact_sheet.docx", "File")]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "School–Home Contact Sheet" in text
    assert "From Tuesday 17 November 2026 to Friday 20 November 2026" in text
    assert "Monday 16 November" not in text
    assert ("Date: Wednesday 18 November 2026, 16:05. Reported by: Mr Tom Reilly\n"
            "In person with Mrs Sarah Hughes (made by the parent): complaint about a meeting "
            "with staff\nMr Hughes felt the meeting on Monday was rushed\n"
            "Agreed: A longer meeting with the Head of Year\n") in text
    assert ("Date: Friday 20 November 2026, 12:30. Reported by: Mr Daniel Price\n"
            "Telephone with Mrs Sarah Hughes (made by the school): positive\n"
            "Ethan won the Year 9 maths challenge\n") in text


def test_nsw_2_an_empty_range_says_so(liaison: Liaison) -> None:
    case = _log(liaison)
    outcome = liaison.advance(case, "contact_sheet", "FT01", {"sheet_from": ["2026-11-02"],
                                                              "sheet_to": ["2026-11-06"]})
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "No contact with home was logged in these dates." in text


def test_nsw_2_the_range_must_run_forwards(liaison: Liaison) -> None:
    case = _log(liaison)
    with pytest.raises(TransitionNotAllowed, match="sheet to .2026-11-01. is before sheet "
                                                   "from .2026-11-20."):
        liaison.advance(case, "contact_sheet", "FT01", {"sheet_from": ["2026-11-20"],
                                                        "sheet_to": ["2026-11-01"]})


def test_nsw_6_positive_contacts_are_counted_in_the_report(liaison: Liaison) -> None:
    from engine.service.report import report

    case = _log(liaison)
    _logged(liaison, case, dt.datetime(2026, 11, 20, 12, 30))
    _logged(liaison, case, dt.datetime(2026, 11, 23, 9, 0), nature=["concern"])
    result = report(liaison, "HT01", dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    totals = {i["name"]: i["total"] for i in result.indicators}
    assert totals["positive_contacts"] == 1
    assert totals["concerns_recorded"] == 1
