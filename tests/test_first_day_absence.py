"""First-day absence calls (NSW-3, NSW-4): the call home is due by the middle of the
morning, on the due list by the minute; an absence still unexplained leads to the
attendance letter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from conftest import Run, letter_text, move_clock

from engine.errors import TransitionNotAllowed
from engine.service.liaison import Liaison

REGISTRATION = dt.datetime(2026, 11, 23, 8, 50)
NO_ANSWER = {"call_outcome": ["no_answer"]}


def _absent(engine: Liaison, student: str = "S1003") -> str:
    move_clock(engine, REGISTRATION)
    return engine.open("first_day_absence", student, "OF01",
                       {"absence_date": ["2026-11-23"]}).case


def _deadlines(engine: Liaison, case: str) -> list[tuple[str, str, str]]:
    return [(d["name"], d["due_at"] or d["due_on"], d["status"])
            for d in engine.store.deadlines(case)]


def test_nsw_3_the_call_home_is_due_by_half_past_ten(liaison: Liaison) -> None:
    case = _absent(liaison)
    assert _deadlines(liaison, case) == [("call_home", "2026-11-23T10:30", "open")]
    assert liaison.case(case, "OF01").holder == "role:office"


def test_nsw_3_the_call_is_overdue_on_the_due_list_from_10_31(
        school_cli: Callable[..., Run]) -> None:
    assert school_cli("open", "first_day_absence", "--student", "S1003", "--as", "OF01",
                      "--set", "absence_date=2026-11-16", "--at", "2026-11-16T08:50").code == 0
    for on, status in (("2026-11-16T10:29", "due_today"), ("2026-11-16T10:31", "overdue")):
        items = school_cli("due", "--as", "OF01", "--on", on, "--json").json()
        assert [(i["case"], i["deadline"], i["due"], i["status"]) for i in items] == [
            ("ABS-2026-0001", "call_home", "2026-11-16T10:30", status)]


def test_nsw_3_a_reason_given_on_the_call_explains_the_absence(liaison: Liaison) -> None:
    case = _absent(liaison)
    move_clock(liaison, dt.datetime(2026, 11, 23, 9, 40))
    with pytest.raises(TransitionNotAllowed, match="reason is needed when call outcome is "
                                                   "reason_given"):
        liaison.advance(case, "log_call", "OF01", {"call_outcome": ["reason_given"],
                                                   "spoke_to": ["C2004"]})
    outcome = liaison.advance(case, "log_call", "OF01", {
        "call_outcome": ["reason_given"], "spoke_to": ["C2004"],
        "reason": ["Aisha has a temperature"]})
    assert outcome.state == "explained"
    assert outcome.documents == []
    assert _deadlines(liaison, case) == [("call_home", "2026-11-23T10:30", "met")]
    assert liaison.advance(case, "close", "OF01", {}).state == "closed"


def test_nsw_3_nsw_4_still_unexplained_after_the_call_leads_to_the_attendance_letter(
        liaison: Liaison) -> None:
    case = _absent(liaison)
    move_clock(liaison, dt.datetime(2026, 11, 23, 9, 40))
    assert liaison.advance(case, "log_call", "OF01", NO_ANSWER).state == "still_unexplained"
    # a second attempt is logged too, and the letter stays due
    assert liaison.advance(case, "log_call", "OF01",
                           {"call_outcome": ["message_left"]}).state == "still_unexplained"
    assert _deadlines(liaison, case) == [("call_home", "2026-11-23T10:30", "met"),
                                         ("attendance_letter", "2026-11-24", "open")]
    move_clock(liaison, dt.datetime(2026, 11, 24, 9, 0))
    outcome = liaison.advance(case, "send_attendance_letter", "OF01", {})
    assert outcome.state == "letter_sent"
    # The Rahmans share correspondence, but Mr Rahman's correspondence is 'none'.
    assert [d.recipient for d in outcome.documents] == ["Ms Nasreen Rahman"]
    assert [s["contact"] for s in outcome.skipped] == ["C2005"]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "Absence from school on Monday 23 November 2026" in text
    assert "Aisha was not in school on Monday 23 November 2026 and we have not been told" in text
    assert _deadlines(liaison, case)[-1] == ("attendance_letter", "2026-11-24", "met")


def test_nsw_3_a_reason_given_later_stops_the_letter(liaison: Liaison) -> None:
    case = _absent(liaison)
    move_clock(liaison, dt.datetime(2026, 11, 23, 9, 40))
    liaison.advance(case, "log_call", "OF01", NO_ANSWER)
    move_clock(liaison, dt.datetime(2026, 11, 23, 13, 0))
    outcome = liaison.advance(case, "reason_received", "OF01", {
        "reason": ["A hospital appointment"], "spoke_to": ["C2004"]})
    assert outcome.state == "explained"
    assert [d[2] for d in _deadlines(liaison, case)] == ["met", "met"]
    with pytest.raises(TransitionNotAllowed, match="not allowed while the case is 'explained'"):
        liaison.advance(case, "send_attendance_letter", "OF01", {})


def test_nsw_3_one_first_day_absence_at_a_time(liaison: Liaison) -> None:
    case = _absent(liaison)
    with pytest.raises(TransitionNotAllowed, match=f"already has an open first-day absence "
                                                   f"call \\({case}\\)"):
        _absent(liaison)
