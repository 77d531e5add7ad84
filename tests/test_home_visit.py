"""Home visits under the lone-working code (BEM-3, BEM-4, BEM-6, BEM-7), on a real school
directory, a real case store and real documents reopened from disk."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import letter_text, move_clock, snapshot

from engine.errors import FieldError, TransitionNotAllowed
from engine.service.liaison import Liaison
from engine.service.report import deadline_status

PROPOSAL = {"contact": ["C2003"], "reason": ["attendance"],
            "purpose": ["Zuzanna has missed eleven days this half term"],
            "why_not_in_school": ["Mrs Nowak works nights and cannot come in"],
            "visitor": ["FT01"]}
RISK = {"risks": ["Dog at the property"], "controls": ["Ask for the dog to be shut away"]}
ARRANGE = {"arranged_by": ["letter"], "visit_at": ["2026-11-25T16:30"]}
SET_OUT = {"places": ["8 Willow Walk, Millbrook"], "meeting": ["Mrs Agnieszka Nowak"],
           "arrive_at": ["2026-11-25T16:30"], "depart_at": ["2026-11-25T17:15"],
           "after_visit": ["return_to_base"], "return_at": ["2026-11-25T17:45"],
           "contact_numbers": ["07700 900555 (school mobile)"], "base_contact": ["OF01"],
           "report_in_at": ["2026-11-25T17:00"]}
VISIT_DAY = dt.datetime(2026, 11, 25, 16, 20)


def _proposed(engine: Liaison, **given: list[str]) -> str:
    return engine.open("home_visit", "S1002", "HY09", {**PROPOSAL, **given}).case


def _agreed(engine: Liaison) -> str:
    case = _proposed(engine)
    engine.advance(case, "assess_risk", "HY09", RISK)
    engine.advance(case, "agree_to_visit", "FT01", {})
    return case


def _on_visit(engine: Liaison, **itinerary: list[str]) -> str:
    case = _agreed(engine)
    engine.advance(case, "arrange_visit", "FT01", ARRANGE)
    move_clock(engine, VISIT_DAY)
    engine.advance(case, "set_out", "FT01", {**SET_OUT, **itinerary})
    return case


def _deadlines(engine: Liaison, case: str) -> list[tuple[str, str, str]]:
    return [(d["name"], d["due_at"] or d["due_on"], d["status"])
            for d in engine.store.deadlines(case)]


@pytest.mark.parametrize("reason", ["discipline", "attendance", "welfare"])
def test_bem_3_discipline_attendance_welfare_visits_say_why_parents_cannot_come_in(
        liaison: Liaison, reason: str) -> None:
    before = snapshot(liaison)
    with pytest.raises(FieldError, match="why not in school is needed when reason is "
                                         "discipline or attendance or welfare"):
        liaison.open("home_visit", "S1002", "HY09",
                     {**PROPOSAL, "reason": [reason], "why_not_in_school": []})
    assert snapshot(liaison) == before


@pytest.mark.parametrize("reason", ["curriculum", "translation"])
def test_bem_3_curriculum_and_translation_visits_need_no_such_reason(
        liaison: Liaison, reason: str) -> None:
    outcome = liaison.open("home_visit", "S1002", "EAL1",
                           {**PROPOSAL, "reason": [reason], "why_not_in_school": [],
                            "visitor": ["EAL1"]})
    assert outcome.state == "proposed"


def test_bem_3_a_visit_has_one_of_the_policys_reasons(liaison: Liaison) -> None:
    with pytest.raises(FieldError, match="'shopping' is not one of: discipline, attendance, "
                                         "welfare, curriculum, translation"):
        _proposed(liaison, reason=["shopping"])


def test_bem_6_the_risk_assessment_comes_before_anything_else(liaison: Liaison) -> None:
    case = _proposed(liaison)
    assert [e.name for e in liaison.actions(case, "HY09")] == ["assess_risk", "cancel"]
    for event, actor in (("agree_to_visit", "FT01"), ("arrange_visit", "OF01")):
        with pytest.raises(TransitionNotAllowed, match="not allowed while the case is "
                                                       "'proposed'"):
            liaison.advance(case, event, actor, ARRANGE if event == "arrange_visit" else {})
    outcome = liaison.advance(case, "assess_risk", "HY09", {
        **RISK, "lone_working_concerns": ["Visit before dark where possible"]})
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "Home visit: risk assessment (Lone Working Code)" in text
    assert "Risks identified\nDog at the property\n" in text
    assert "Concerns about lone working raised with the manager: Visit before dark" in text


def test_bem_4_only_the_colleague_asked_may_agree_to_go(liaison: Liaison) -> None:
    case = _proposed(liaison)
    liaison.advance(case, "assess_risk", "HY09", RISK)
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed, match="only FT01 may do this"):
        liaison.advance(case, "agree_to_visit", "HY09", {})
    assert snapshot(liaison) == before
    # actions offers agreeing and declining to the visitor alone
    assert "agree_to_visit" not in [e.name for e in liaison.actions(case, "HY09")]
    assert {"agree_to_visit", "decline_visit"} <= {e.name for e in liaison.actions(case, "FT01")}
    assert liaison.advance(case, "agree_to_visit", "FT01", {}).state == "agreed"


def test_bem_4_a_colleague_may_decline_and_another_is_asked(liaison: Liaison) -> None:
    case = _proposed(liaison)
    liaison.advance(case, "assess_risk", "HY09", RISK)
    assert liaison.advance(case, "decline_visit", "FT01", {}).state == "declined"
    outcome = liaison.advance(case, "ask_another", "HY09", {"visitor": ["EAL1"]})
    assert outcome.state == "risk_assessed"
    with pytest.raises(TransitionNotAllowed, match="only EAL1 may do this"):
        liaison.advance(case, "agree_to_visit", "FT01", {})
    assert liaison.advance(case, "agree_to_visit", "EAL1", {}).state == "agreed"


def test_bem_6_a_visit_arranged_by_letter_writes_to_the_parent(liaison: Liaison) -> None:
    case = _agreed(liaison)
    outcome = liaison.advance(case, "arrange_visit", "OF01", ARRANGE)
    assert [d.recipient for d in outcome.documents] == ["Mrs Agnieszka Nowak"]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    # the visitor by name and role (issue 9): the parent knows who is coming, and why them
    assert ("arrange a visit to you at home on Wednesday 25 November 2026 at 4.30pm by "
            "Mr Daniel Price, our Form Tutor, 9P, to talk about Zuzanna.") in text
    assert "our staff make only visits that have been arranged in advance" in text
    assert _deadlines(liaison, case) == [("visit", "2026-11-25T16:30", "open")]


def test_bem_6_a_visit_arranged_by_telephone_logs_the_call(liaison: Liaison) -> None:
    case = _agreed(liaison)
    with pytest.raises(TransitionNotAllowed, match="call note is needed when arranged by is "
                                                   "telephone"):
        liaison.advance(case, "arrange_visit", "FT01", {**ARRANGE, "arranged_by": ["telephone"]})
    outcome = liaison.advance(case, "arrange_visit", "FT01", {
        **ARRANGE, "arranged_by": ["telephone"],
        "call_note": ["Mrs Nowak agreed to Wednesday at half past four"]})
    assert outcome.documents == []
    assert liaison.history(case, "FT01")[-1].fields["call_note"].startswith("Mrs Nowak agreed")


def test_bem_6_the_written_record_is_left_at_base(liaison: Liaison) -> None:
    case = _agreed(liaison)
    liaison.advance(case, "arrange_visit", "FT01", ARRANGE)
    move_clock(liaison, VISIT_DAY)
    outcome = liaison.advance(case, "set_out", "FT01", SET_OUT)
    assert outcome.state == "on_visit"
    assert liaison.case(case, "OF01").holder == "role:office"
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    for line in ("Where the visitor is going throughout the day\n8 Willow Walk, Millbrook",
                 "Meeting\nMrs Agnieszka Nowak",
                 "Estimated arrival: Wednesday 25 November 2026 at 4.30pm",
                 "Estimated departure: Wednesday 25 November 2026 at 5.15pm",
                 "After the last visit the visitor will return to base, estimated at "
                 "Wednesday 25 November 2026 at 5.45pm",
                 "Contact numbers through the day: 07700 900555 (school mobile)",
                 "Colleague at base: Mrs Janet Cole",
                 "First report-in to base: Wednesday 25 November 2026 at 5pm"):
        assert line in text


def test_bem_6_the_itinerary_must_be_in_time_order(liaison: Liaison) -> None:
    case = _agreed(liaison)
    liaison.advance(case, "arrange_visit", "FT01", ARRANGE)
    move_clock(liaison, VISIT_DAY)
    with pytest.raises(TransitionNotAllowed, match="return at .* is before depart at"):
        liaison.advance(case, "set_out", "FT01", {**SET_OUT, "return_at": ["2026-11-25T17:00"]})


def test_bem_6_a_missed_report_in_is_overdue_at_that_minute(liaison: Liaison) -> None:
    """Deadlines in minutes, not school days: a report-in due at 17:00 is missed at 17:01."""
    case = _on_visit(liaison)
    assert _deadlines(liaison, case) == [("visit", "2026-11-25T16:30", "met"),
                                         ("report_in", "2026-11-25T17:00", "open")]
    row = next(d for d in liaison.store.deadlines(case) if d["name"] == "report_in")
    assert deadline_status(row, dt.datetime(2026, 11, 25, 16, 59)) == "pending"
    assert deadline_status(row, dt.datetime(2026, 11, 25, 17, 1)) == "missed"
    move_clock(liaison, dt.datetime(2026, 11, 25, 17, 5))
    liaison.advance(case, "report_in", "OF01", {"next_report_in_at": ["2026-11-25T17:30"]})
    row = next(d for d in liaison.store.deadlines(case) if d["name"] == "report_in")
    assert deadline_status(row, dt.datetime(2026, 11, 25, 17, 6)) == "late"


def test_bem_6_reporting_in_sets_the_next_report_in_time(liaison: Liaison) -> None:
    case = _on_visit(liaison)
    move_clock(liaison, dt.datetime(2026, 11, 25, 16, 58))
    outcome = liaison.advance(case, "report_in", "OF01", {"next_report_in_at":
                                                          ["2026-11-25T17:30"]})
    assert outcome.state == "on_visit"
    assert _deadlines(liaison, case)[1:] == [("report_in", "2026-11-25T17:00", "met"),
                                             ("report_in", "2026-11-25T17:30", "open")]


def test_bem_6_leaving_the_last_visit_is_reported_and_the_return_watched(
        liaison: Liaison) -> None:
    case = _on_visit(liaison)
    move_clock(liaison, dt.datetime(2026, 11, 25, 17, 10))
    outcome = liaison.advance(case, "left_last_visit", "FT01", {})
    assert outcome.state == "left"
    assert _deadlines(liaison, case)[1:] == [("report_in", "2026-11-25T17:00", "met"),
                                             ("back_at_base", "2026-11-25T17:45", "open")]


def test_bem_6_going_home_after_the_last_visit_sets_no_return_to_base(
        liaison: Liaison) -> None:
    case = _on_visit(liaison, after_visit=["go_home"])
    move_clock(liaison, dt.datetime(2026, 11, 25, 17, 10))
    liaison.advance(case, "left_last_visit", "FT01", {})
    assert [d[0] for d in _deadlines(liaison, case)] == ["visit", "report_in"]


def test_bem_6_accidents_and_aggression_are_reported_to_the_headteacher(
        liaison: Liaison) -> None:
    case = _on_visit(liaison)
    outcome = liaison.advance(case, "report_incident", "FT01", {
        "incident_kind": ["aggression"],
        "incident_details": ["A visitor to the house shouted and blocked the door"]})
    assert outcome.state == "on_visit"
    assert sorted(d.recipient for d in outcome.documents) == ["Dr Helen Marsh", "File"]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "What happened: aggression" in text
    assert "A visitor to the house shouted and blocked the door" in text


def test_bem_6_bem_7_the_outcome_is_recorded_and_copied_to_the_learning_director(
        liaison: Liaison) -> None:
    case = _on_visit(liaison)
    move_clock(liaison, dt.datetime(2026, 11, 25, 17, 10))
    liaison.advance(case, "left_last_visit", "FT01", {})
    move_clock(liaison, dt.datetime(2026, 11, 25, 17, 40))
    outcome = liaison.advance(case, "record_outcome", "FT01", {
        "outcome": ["Mrs Nowak will ring the office on any day of absence"],
        "follow_up": ["Attendance check in two weeks"]})
    assert outcome.state == "completed"
    assert sorted(d.recipient for d in outcome.documents) == ["File", "Mrs Grace Adeyemi"]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "Home visit: record of the visit" in text
    assert "Mrs Nowak will ring the office on any day of absence" in text
    assert ("back_at_base", "2026-11-25T17:45", "met") in _deadlines(liaison, case)


def test_home_visit_can_be_cancelled_before_it_is_made(liaison: Liaison) -> None:
    case = _agreed(liaison)
    outcome = liaison.advance(case, "cancel", "HY09", {"cancel_reason": ["Mrs Nowak came in"]})
    assert outcome.state == "cancelled"
    assert liaison.case(case, "HY09").closed_at is not None
