"""Readmission after a temporary exclusion (NSW-5, NSW-7, PWP-3.6), on a real school
directory, a real case store and real letters reopened from disk."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import letter_text, move_clock, snapshot

from engine.errors import FieldError, PermissionDenied, TransitionNotAllowed
from engine.service.liaison import Liaison, Outcome

EXCLUSION = {"exclusion_start": ["2026-11-23"], "exclusion_end": ["2026-11-25"],
             "reason": ["Fighting in the playground"]}
INVITE = {"meeting_at": ["2026-11-26T08:45"], "smt_member": ["VP02"]}
MEETING = {"attendees": ["C2001", "S1001", "VP02"],
           "targets": ["Arrive on time for every lesson", "Report to Mr Reilly each day"]}
MEETING_DAY = dt.datetime(2026, 11, 26, 10, 0)


def _open(engine: Liaison, student: str = "S1001", **given: list[str]) -> Outcome:
    return engine.open("readmission", student, "HY09", {**EXCLUSION, **given})


def _invited(engine: Liaison, student: str = "S1001") -> str:
    case = _open(engine, student).case
    engine.advance(case, "invite", "HY09", INVITE)
    return case


def _deadlines(engine: Liaison, case: str) -> list[tuple[str, str, str]]:
    return [(d["name"], d["due_at"] or d["due_on"], d["status"])
            for d in engine.store.deadlines(case)]


def test_nsw_5_the_invitation_is_due_before_the_exclusion_ends(liaison: Liaison) -> None:
    outcome = _open(liaison)
    assert outcome.state == "excluded"
    assert _deadlines(liaison, outcome.case) == [("invitation", "2026-11-25", "open")]


def test_nsw_5_an_exclusion_cannot_end_before_it_starts(liaison: Liaison) -> None:
    before = snapshot(liaison)
    with pytest.raises(FieldError, match="exclusion end .2026-11-20. is before exclusion "
                                         "start .2026-11-23."):
        _open(liaison, exclusion_end=["2026-11-20"])
    assert snapshot(liaison) == before


def test_nsw_5_a_form_tutor_may_not_start_a_readmission(liaison: Liaison) -> None:
    with pytest.raises(PermissionDenied, match="FT01 .* may not open in readmission"):
        liaison.open("readmission", "S1001", "FT01", EXCLUSION)


def test_nsw_5_pwp_3_6_each_parent_is_invited_separately_when_they_asked(
        liaison: Liaison) -> None:
    """S1001's parents asked for separate correspondence: one invitation each."""
    case = _open(liaison).case
    outcome = liaison.advance(case, "invite", "HY09", INVITE)
    assert outcome.state == "invited"
    assert sorted(d.recipient for d in outcome.documents) == ["Mr Daniel Hughes",
                                                              "Mrs Sarah Hughes"]
    for made in outcome.documents:
        text = letter_text(liaison.school.root, made.path)
        assert f"Dear {made.recipient.split()[0]} Hughes," in text
        assert ("readmission meeting at the school on Thursday 26 November 2026 at 8.45am with "
                "Mr Samuel Okafor, a member of the senior management team") in text
        assert "Ethan should come to the meeting with you." in text
        assert "from Monday 23 November 2026 to Wednesday 25 November 2026" in text
    assert _deadlines(liaison, case) == [("invitation", "2026-11-25", "met"),
                                         ("meeting", "2026-11-26T08:45", "open")]


def test_pwp_3_6_parents_who_share_correspondence_get_one_joint_invitation(
        liaison: Liaison) -> None:
    case = _open(liaison, student="S1004").case
    outcome = liaison.advance(case, "invite", "HY09", INVITE)
    assert [d.recipient for d in outcome.documents] == ["Mrs Zoë O'Brien and Mr Seán O'Brien"]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "Dear Mrs O'Brien and Mr O'Brien," in text


def test_nsw_5_the_meeting_is_with_a_member_of_the_senior_management_team(
        liaison: Liaison) -> None:
    case = _open(liaison).case
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed, match="smt member must be a senior leader"):
        liaison.advance(case, "invite", "HY09", {**INVITE, "smt_member": ["HY09"]})
    assert snapshot(liaison) == before


@pytest.mark.parametrize(("attendees", "missing"), [
    (["S1001", "VP02"], "a parent"),
    (["C2001", "VP02"], "a student"),
    (["C2001", "S1001", "HY09"], "a senior leader"),
    (["HY09"], "a parent and a student and a senior leader"),
])
def test_nsw_5_the_meeting_needs_a_parent_the_student_and_a_senior_leader(
        liaison: Liaison, attendees: list[str], missing: str) -> None:
    case = _invited(liaison)
    move_clock(liaison, MEETING_DAY)
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed, match=f"the attendees must include {missing}$"):
        liaison.advance(case, "record_meeting", "VP02", {**MEETING, "attendees": attendees})
    assert snapshot(liaison) == before


def test_nsw_5_a_social_worker_at_the_meeting_is_not_a_parent(liaison: Liaison,
                                                              tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The student's social worker is one of their contacts, but not a parent: a meeting
    with the social worker, the student and a senior leader still lacks a parent (NSW-5)."""
    (tmp_path / "sw.csv").write_text(
        "id,student_id,title,first_name,last_name,relationship,address_line1,address_line2,"
        "town,postcode,email,phone,language,separate_correspondence,correspondence,kind\n"
        "C9101,S1001,Ms,Jo,Carver,Social worker,Westshire Council,Children's Services,"
        "Millbrook,MB1 1AA,jo.carver@example.org,01632 960999,English,no,all,social_worker\n",
        encoding="utf-8")
    liaison.import_contacts(tmp_path / "sw.csv")
    case = _invited(liaison)
    move_clock(liaison, MEETING_DAY)
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed, match="the attendees must include a parent$"):
        liaison.advance(case, "record_meeting", "VP02",
                        {**MEETING, "attendees": ["C9101", "S1001", "VP02"]})
    assert snapshot(liaison) == before
    done = liaison.advance(case, "record_meeting", "VP02",
                           {**MEETING, "attendees": ["C9101", "C2001", "S1001", "VP02"]})
    assert done.state != "invited"


def test_nsw_5_attendees_are_people_of_the_case(liaison: Liaison) -> None:
    case = _invited(liaison)
    move_clock(liaison, MEETING_DAY)
    with pytest.raises(FieldError, match="'C2006' is neither the student, one of their "
                                         "contacts, nor a member of staff"):
        liaison.advance(case, "record_meeting", "VP02",
                        {**MEETING, "attendees": ["C2006", "S1001", "VP02"]})


def test_nsw_5_nsw_7_meeting_record_and_reintegration_plan_to_each_parent(
        liaison: Liaison) -> None:
    case = _invited(liaison)
    move_clock(liaison, MEETING_DAY)
    outcome = liaison.advance(case, "record_meeting", "VP02", MEETING)
    assert outcome.state == "reintegrating"
    made = {(d.template, d.recipient): d.path for d in outcome.documents}
    assert set(made) == {("readmission_meeting_record.docx", "File"),
                         ("readmission_plan.docx", "Mrs Sarah Hughes"),
                         ("readmission_plan.docx", "Mr Daniel Hughes")}
    record = letter_text(liaison.school.root, made["readmission_meeting_record.docx", "File"])
    assert "Attended\nMrs Sarah Hughes\nEthan Hughes\nMr Samuel Okafor\n" in record
    assert "Reintegration targets agreed\nArrive on time for every lesson\n" in record
    assert "Reason: Fighting in the playground" in record
    plan = letter_text(liaison.school.root, made["readmission_plan.docx", "Mrs Sarah Hughes"])
    assert "Thank you for attending the readmission meeting with Ethan" in plan
    absent = letter_text(liaison.school.root, made["readmission_plan.docx", "Mr Daniel Hughes"])
    assert "Thank you" not in absent and "A readmission meeting was held with Ethan" in absent
    assert "Report to Mr Reilly each day" in plan
    # The review falls 10 school days after the meeting (NSW-7).
    assert _deadlines(liaison, case)[-2:] == [("meeting", "2026-11-26T08:45", "met"),
                                              ("review", "2026-12-10", "open")]


def test_nsw_5_parents_who_did_not_attend_are_invited_again(liaison: Liaison) -> None:
    """The missed meeting's deadline is cancelled (not 'met'); the new one is open."""
    case = _invited(liaison)
    move_clock(liaison, MEETING_DAY)
    outcome = liaison.advance(case, "reschedule", "HY09", {
        "missed_because": ["The parents did not come"], "meeting_at": ["2026-11-30T08:45"],
        "smt_member": ["AH01"]})
    assert outcome.state == "invited"
    assert _deadlines(liaison, case) == [("invitation", "2026-11-25", "met"),
                                         ("meeting", "2026-11-26T08:45", "cancelled"),
                                         ("meeting", "2026-11-30T08:45", "open")]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "We were sorry not to see you at the readmission meeting for Ethan" in text
    assert "rearranged the meeting for Monday 30 November 2026 at 8.45am" in text
    assert "with Ms Claire Dunn" in text


def test_nsw_7_the_review_tells_each_parent_how_it_is_going(liaison: Liaison) -> None:
    case = _invited(liaison)
    move_clock(liaison, MEETING_DAY)
    liaison.advance(case, "record_meeting", "VP02", MEETING)
    move_clock(liaison, dt.datetime(2026, 12, 9, 15, 0))
    outcome = liaison.advance(case, "review", "HY09", {
        "progress": ["Ethan has been on time every day"],
        "next_steps": ["Daily report ends on Friday"]})
    assert outcome.state == "reviewed"
    letters = {d.recipient: d.path for d in outcome.documents}
    text = letter_text(liaison.school.root, letters["Mrs Sarah Hughes"])
    assert "Ethan has been on time every day" in text
    assert "Daily report ends on Friday" in text
    assert ("review", "2026-12-10", "met") in _deadlines(liaison, case)
    assert liaison.advance(case, "close", "HY09", {}).state == "closed"


def test_nsw_5_the_student_cannot_be_readmitted_without_a_meeting(liaison: Liaison) -> None:
    case = _open(liaison).case
    with pytest.raises(TransitionNotAllowed, match="not allowed while the case is 'excluded'"):
        liaison.advance(case, "record_meeting", "VP02", MEETING)
