"""Suspensions and permanent exclusions (EXC-1..8) on a real school directory, a real case
store and real letters reopened from disk, with dates counted across weekends, bank
holidays, half term and Christmas from the demo school's calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import letter_text, move_clock, snapshot

from engine.errors import FieldError, PermissionDenied, TransitionNotAllowed
from engine.service.liaison import Liaison, Outcome

SUSPENSION = {"kind": ["suspension"], "reasons": ["Assaulted another pupil at lunchtime"],
              "work_arrangements": ["Work set on Google Classroom, marked by the form tutor"],
              "provision": ["at the Millbrook Learning Centre, 9:00 to 15:00"],
              "representations_to": ["the Clerk to the Governors, Hillcrest Academy"]}
PROFESSIONALS = "\n".join((
    "id,student_id,title,first_name,last_name,relationship,address_line1,address_line2,town,"
    "postcode,email,phone,language,separate_correspondence,correspondence,kind",
    "C9001,S1003,Ms,Jo,Carver,Social worker,Westshire Council,Children's Services,Millbrook,"
    "MB1 1AA,jo.carver@example.org,01632 960999,English,no,all,social_worker",
    "C9002,S1003,Mr,Ade,Bello,Virtual school head,Westshire Virtual School,County Hall,"
    "Millbrook,MB1 1AB,ade.bello@example.org,01632 960998,English,no,all,virtual_school_head",
    ""))


def _suspend(engine: Liaison, start: str, end: str, at: str, student: str = "S1001",
             actor: str = "HT01", **given: list[str]) -> Outcome:
    move_clock(engine, max(engine.clock(), dt.datetime.fromisoformat(at)))
    fields = {**SUSPENSION, "start_on": [start], "end_on": [end], **given}
    return engine.open("exclusion", student, actor, fields, at=dt.datetime.fromisoformat(at))


def _permanent(engine: Liaison, start: str, at: str, student: str = "S1001") -> Outcome:
    move_clock(engine, max(engine.clock(), dt.datetime.fromisoformat(at)))
    fields = {**SUSPENSION, "kind": ["permanent"], "start_on": [start]}
    return engine.open("exclusion", student, "HT01", fields, at=dt.datetime.fromisoformat(at))


def _letter(engine: Liaison, outcome: Outcome, template: str, name: str = "") -> str:
    paths = [d.path for d in outcome.documents if d.template == template and name in d.recipient]
    assert paths, f"no {template} to {name or 'anyone'}"
    return letter_text(engine.school.root, paths[0])


def _deadlines(engine: Liaison, case: str) -> dict[str, str]:
    return {d["name"]: d["due_on"] for d in engine.store.deadlines(case)}


def _with_acting_head(school: Path) -> None:
    text = (school / "school.yaml").read_text(encoding="utf-8")
    text = text.replace("roles: [vp_pastoral, deputy_head, senior_leader]",
                        "roles: [vp_pastoral, deputy_head, senior_leader, acting_headteacher]")
    (school / "school.yaml").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- EXC-1


def test_exc_1_only_the_headteacher_or_an_acting_head_suspends(liaison: Liaison,
                                                                school: Path) -> None:
    before = snapshot(liaison)
    for who in ("HY09", "VP02", "OF01"):
        with pytest.raises(PermissionDenied, match=f"{who} .* may not open in exclusion: "
                                                   "only acting_headteacher, headteacher"):
            _suspend(liaison, "2026-11-24", "2026-11-25", "2026-11-23T09:00", actor=who)
    assert snapshot(liaison) == before
    _with_acting_head(school)
    acting = Liaison.at(school, clock=liaison.clock)
    try:
        done = _suspend(acting, "2026-11-24", "2026-11-25", "2026-11-23T09:00", actor="VP02")
        assert done.state == "suspended"
        assert "Mr Samuel Okafor" in _letter(acting, done, "exclusion_notice.docx")
    finally:
        acting.close()


def test_exc_1_exc_7_only_the_head_withdraws(liaison: Liaison) -> None:
    case = _suspend(liaison, "2026-11-24", "2026-11-25", "2026-11-23T09:00").case
    with pytest.raises(PermissionDenied, match="only acting_headteacher, headteacher"):
        liaison.advance(case, "withdraw", "VP02", {"withdrawal_reasons": ["New evidence"]})


def test_exc_1_cli_refuses_a_head_of_year(school_cli) -> None:  # type: ignore[no-untyped-def]
    run = school_cli("open", "exclusion", "--student", "S1001", "--as", "HY09",
                     *[a for k, v in SUSPENSION.items() for a in ("--set", f"{k}={v[0]}")],
                     "--set", "start_on=2026-11-24", "--set", "end_on=2026-11-25")
    assert run.code == 1
    assert run.err.startswith("error: HY09 (Mr Tom Reilly) may not open in exclusion")


# --------------------------------------------------------------------------- EXC-2


def test_exc_2_a_thursday_suspension_over_a_weekend_and_a_bank_holiday(
        liaison: Liaison) -> None:
    """Thursday 30 April 2026 to Friday 8 May: the early May bank holiday (Monday 4 May)
    and the weekend are not school days, so the five named days end on Thursday 7 May and
    the sixth school day is Friday 8 May."""
    done = _suspend(liaison, "2026-04-30", "2026-05-08", "2026-04-29T15:30")
    text = _letter(liaison, done, "exclusion_notice.docx", "Sarah")
    days = ["Thursday 30 April 2026", "Friday 1 May 2026", "Tuesday 5 May 2026",
            "Wednesday 6 May 2026", "Thursday 7 May 2026"]
    listed = text.split("These days are:")[1].split("Work and education")[0].split()
    assert " ".join(listed) == " ".join(days)
    assert "Monday 4 May 2026" not in text
    assert "From the sixth school day, Friday 8 May 2026, full-time education will be " \
           "provided: at the Millbrook Learning Centre, 9:00 to 15:00" in text
    case = liaison.case(done.case, "HT01").fields
    assert case["days"] == ["2026-04-30", "2026-05-01", "2026-05-05", "2026-05-06",
                            "2026-05-07", "2026-05-08"]
    assert case["first_days"] == ["2026-04-30", "2026-05-01", "2026-05-05", "2026-05-06",
                                  "2026-05-07"]


def test_exc_2_the_parents_letter_says_every_element(liaison: Liaison) -> None:
    """Each element of EXC-2, read back from the letter each parent receives."""
    done = _suspend(liaison, "2026-11-24", "2026-11-25", "2026-11-23T09:00")
    for parent in ("Mrs Sarah Hughes", "Mr Daniel Hughes"):  # separate letters (PWP-3.6)
        text = _letter(liaison, done, "exclusion_notice.docx", parent)
        for said in ("Assaulted another pupil at lunchtime",                  # reasons
                     "from Tuesday 24 November 2026 to Wednesday 25 November 2026",  # period
                     "right to make representations to the governing board",
                     "Ethan may be involved in making them",
                     "write to the Clerk to the Governors, Hillcrest Academy",  # how
                     "cannot reinstate Ethan",           # 2 days: the board cannot reinstate
                     "the right to attend, to be represented at your own expense and to "
                     "bring a friend", "held remotely",
                     "not present in a public place during school hours",
                     "Tuesday 24 November 2026", "Wednesday 25 November 2026",
                     "Work set on Google Classroom, marked by the form tutor"):
            assert said in text, said
        assert "sixth school day" not in text  # a two-day suspension has no sixth day
        assert "Dr Helen Marsh" in text


def test_exc_2_exc_5_a_suspension_across_half_term(liaison: Liaison) -> None:
    """Thursday 22 October to Thursday 5 November 2026 spans the October half term: six
    school days, so the board must consider it if the parents make representations, within
    50 school days of the notice."""
    done = _suspend(liaison, "2026-10-22", "2026-11-05", "2026-10-21T16:30")
    text = _letter(liaison, done, "exclusion_notice.docx", "Sarah")
    listed = text.split("These days are:")[1].split("Work and education")[0]
    assert listed.split("\n")[1:6] == ["Thursday 22 October 2026", "Friday 23 October 2026",
                                       "Monday 2 November 2026", "Tuesday 3 November 2026",
                                       "Wednesday 4 November 2026"]
    assert "From the sixth school day, Thursday 5 November 2026" in text
    fields = liaison.case(done.case, "HT01").fields
    assert (fields["days_this_term"], fields["board_duty"]) == (6, "on_representations")
    # 50 school days after Wednesday 21 October: past half term, Christmas and the INSET day
    assert _deadlines(liaison, done.case) == {"board_representations": "2027-01-21"}
    assert "within 50 school days of this notice: by Thursday 21 January 2027" in text


# --------------------------------------------------------------------------- EXC-3


def test_exc_3_the_local_authority_social_worker_and_virtual_school_head_are_told(
        liaison: Liaison, tmp_path: Path) -> None:
    (tmp_path / "professionals.csv").write_text(PROFESSIONALS, encoding="utf-8")
    liaison.import_contacts(tmp_path / "professionals.csv")
    done = _suspend(liaison, "2026-11-24", "2026-11-25", "2026-11-23T09:00", student="S1003")
    made = sorted((d.template, d.recipient) for d in done.documents)
    assert made == [("exclusion_la_notice.docx", "File"),
                    ("exclusion_notice.docx", "Ms Nasreen Rahman"),
                    ("exclusion_professional_notice.docx", "Mr Ade Bello"),
                    ("exclusion_professional_notice.docx", "Ms Jo Carver")]
    la = _letter(liaison, done, "exclusion_la_notice.docx")
    assert "Notification to the local authority: Westshire Council" in la
    assert "School days suspended this term: 2; this school year: 2" in la
    social = _letter(liaison, done, "exclusion_professional_notice.docx", "Carver")
    assert "Dear Ms Carver" in social and "Assaulted another pupil at lunchtime" in social
    parents = _letter(liaison, done, "exclusion_notice.docx")
    assert "Carver" not in parents and "Bello" not in parents


def test_exc_3_a_looked_after_pupil_needs_a_virtual_school_head(liaison: Liaison,
                                                                 tmp_path: Path) -> None:
    students = (liaison.school.root / "samples" / "students.csv").read_text(encoding="utf-8")
    lines = students.splitlines()
    marked = [lines[0] + ",looked_after"] + [
        line + (",yes" if line.startswith("S1002,") else ",no") for line in lines[1:]]
    (tmp_path / "students.csv").write_text("\n".join(marked) + "\n", encoding="utf-8")
    liaison.import_students(tmp_path / "students.csv")
    before = snapshot(liaison)
    with pytest.raises(FieldError, match="S1002 is looked after, and no virtual school head "
                                         r"is known to tell \(EXC-3\)"):
        _suspend(liaison, "2026-11-24", "2026-11-25", "2026-11-23T09:00", student="S1002")
    assert snapshot(liaison) == before
    assert _suspend(liaison, "2026-11-24", "2026-11-25", "2026-11-23T09:00").state \
        == "suspended"  # S1001 is not looked after


# --------------------------------------------------------------------------- EXC-4


def test_exc_4_the_45_day_cap_is_reached_in_the_summer_term_across_three_cases(
        liaison: Liaison) -> None:
    """20 school days in the autumn, 20 in the spring: 5 more in the summer term make 45,
    allowed; a sixth day would be the 46th and is refused, naming the total."""
    cal = liaison.school.calendar
    autumn = _suspend(liaison, "2026-11-02", cal.add_school_days(dt.date(2026, 11, 2), 19)
                      .isoformat(), "2026-10-30T12:00")
    assert liaison.case(autumn.case, "HT01").fields["days_this_year"] == 20
    spring = _suspend(liaison, "2027-01-11", cal.add_school_days(dt.date(2027, 1, 11), 19)
                      .isoformat(), "2027-01-08T12:00")
    assert liaison.case(spring.case, "HT01").fields["days_this_year"] == 40
    before = snapshot(liaison)
    # Monday 26 April to Monday 3 May 2027 (the bank holiday) is 5 school days; to Tuesday 4 May, 6
    with pytest.raises(FieldError, match="days this year would be 46, more than 45 .EXC-4."):
        _suspend(liaison, "2027-04-26", "2027-05-04", "2027-04-23T12:00")
    assert snapshot(liaison) == before
    summer = _suspend(liaison, "2027-04-26", "2027-05-03", "2027-04-23T12:00")
    fields = liaison.case(summer.case, "HT01").fields
    assert (fields["days_this_year"], fields["days_this_term"]) == (45, 5)


def test_exc_4_a_new_school_year_starts_the_count_again(liaison: Liaison) -> None:
    first = _suspend(liaison, "2026-06-01", "2026-07-22", "2026-05-29T12:00")
    assert liaison.case(first.case, "HT01").fields["days_this_year"] == 37
    second = _suspend(liaison, "2026-09-03", "2026-09-04", "2026-09-02T12:00")
    assert liaison.case(second.case, "HT01").fields["days_this_year"] == 2


# --------------------------------------------------------------------------- EXC-5, EXC-6


def test_exc_5_a_permanent_exclusion_deadline_crosses_christmas(liaison: Liaison) -> None:
    """Notice on Wednesday 9 December 2026: 7 school days to the end of term, none over
    Christmas or on the INSET day (Monday 4 January), so the 15th is Thursday 14 January."""
    done = _permanent(liaison, "2026-12-10", "2026-12-09T14:00")
    assert done.state == "permanently_excluded"
    assert _deadlines(liaison, done.case) == {"board_meeting": "2027-01-14"}
    text = _letter(liaison, done, "exclusion_notice.docx", "Sarah")
    assert "exclude Ethan permanently from this school, from Thursday 10 December 2026" in text
    assert "within 15 school days of this notice: by Thursday 14 January 2027" in text
    assert "From the sixth school day, Thursday 17 December 2026" in text


def test_exc_5_over_15_days_in_a_term_or_a_missed_exam_needs_the_board(
        liaison: Liaison) -> None:
    cal = liaison.school.calendar
    long = _suspend(liaison, "2026-11-02", cal.add_school_days(dt.date(2026, 11, 2), 15)
                    .isoformat(), "2026-10-30T12:00")
    assert _deadlines(liaison, long.case) == {"board_meeting": "2026-11-20"}
    exam = _suspend(liaison, "2026-12-01", "2026-12-02", "2026-11-30T12:00", student="S1003",
                    exam_on=["2026-12-02"])
    assert liaison.case(exam.case, "HT01").fields["board_duty"] == "must_consider"


def test_exc_6_a_decision_posted_on_wednesday_is_received_on_friday_before_the_bank_holiday(
        liaison: Liaison) -> None:
    """Posted first class on Wednesday 28 April 2027: deemed received on the second working
    day, Friday 30 April; the 15 school days for an independent review then skip the bank
    holiday (Monday 3 May): the last day is Monday 24 May 2027."""
    case = _permanent(liaison, "2027-04-13", "2027-04-12T15:00").case
    move_clock(liaison, dt.datetime(2027, 4, 28, 16))
    done = liaison.advance(case, "board_upholds", "OF01", {
        "board_met_on": ["2027-04-27"], "decision_reasons": ["The exclusion was lawful"],
        "posted_on": ["2027-04-28"], "review_panel_to": ["Westshire Council, Exclusions Team"]})
    assert done.state == "upheld"
    fields = liaison.case(case, "HT01").fields
    assert (fields["received_on"], fields["review_by"]) == ("2027-04-30", "2027-05-24")
    text = _letter(liaison, done, "exclusion_upheld.docx", "Sarah")
    assert "is treated as received on Friday 30 April 2027" in text
    assert "independent review of the decision, within 15 school days of receiving this " \
           "letter: by Monday 24 May 2027" in text
    deadlines = {d["name"]: (d["due_on"], d["status"]) for d in liaison.store.deadlines(case)}
    # opened Monday 12 April 2027: 15 school days on, past the bank holiday, is 4 May
    assert deadlines == {"board_meeting": ("2027-05-04", "met"),
                         "review_request": ("2027-05-24", "open")}
    with pytest.raises(TransitionNotAllowed, match="not before 2027-05-24"):
        liaison.advance(case, "close", "OF01", {})


def test_exc_6_posted_on_thursday_the_bank_holiday_is_not_a_working_day(
        liaison: Liaison) -> None:
    case = _permanent(liaison, "2027-04-13", "2027-04-12T15:00").case
    move_clock(liaison, dt.datetime(2027, 4, 29, 16))
    liaison.advance(case, "board_upholds", "OF01", {
        "board_met_on": ["2027-04-27"], "decision_reasons": ["Upheld"],
        "posted_on": ["2027-04-29"], "review_panel_to": ["Westshire Council"]})
    assert liaison.case(case, "HT01").fields["received_on"] == "2027-05-04"


# --------------------------------------------------------------------------- EXC-7, EXC-8


def test_exc_7_a_withdrawal_is_recorded_and_the_same_people_told(liaison: Liaison,
                                                                 tmp_path: Path) -> None:
    (tmp_path / "professionals.csv").write_text(PROFESSIONALS, encoding="utf-8")
    liaison.import_contacts(tmp_path / "professionals.csv")
    case = _suspend(liaison, "2026-11-24", "2026-11-27", "2026-11-23T09:00",
                    student="S1003").case
    done = liaison.advance(case, "withdraw", "HT01",
                           {"withdrawal_reasons": ["CCTV shows another pupil started it"]})
    assert done.state == "withdrawn"
    assert sorted(d.recipient for d in done.documents) == [
        "File", "Mr Ade Bello", "Ms Jo Carver", "Ms Nasreen Rahman"]
    text = _letter(liaison, done, "exclusion_withdrawn.docx", "Rahman")
    assert "for these reasons: CCTV shows another pupil started it" in text
    assert "Aisha may return to school without delay." in text
    history = liaison.history(case, "HT01").as_json()
    # withdrawn the day before it began: no day was served (EXC-4)
    assert history[-1]["fields"] == {
        "withdrawal_reasons": "CCTV shows another pupil started it", "days_served": []}


def test_exc_8_nsw_5_when_a_suspension_ends_the_readmission_opens_with_its_dates(
        liaison: Liaison) -> None:
    case = _suspend(liaison, "2026-11-24", "2026-11-26", "2026-11-23T09:00").case
    move_clock(liaison, dt.datetime(2026, 11, 25, 16))
    with pytest.raises(TransitionNotAllowed, match="not before 2026-11-26"):
        liaison.advance(case, "end_suspension", "OF01", {}, at=dt.datetime(2026, 11, 25, 15))
    move_clock(liaison, dt.datetime(2026, 11, 26, 16))
    done = liaison.advance(case, "end_suspension", "OF01", {})
    assert done.state == "ended"
    [readmission] = done.opened
    assert readmission.workflow == "readmission" and readmission.state == "excluded"
    fields = liaison.case(readmission.case, "HY09").fields
    assert fields == {"exclusion_start": "2026-11-24", "exclusion_end": "2026-11-26",
                      "reason": "Assaulted another pupil at lunchtime"}


# --------------------------------------------------------------------------- leftovers


def test_exc_4_exc_7_days_served_before_a_withdrawal_still_count(liaison: Liaison) -> None:
    """Suspended from Monday 2 November 2026 for 20 school days and withdrawn on Monday 9
    November: the five days served (2-6 November) count, so a two-day suspension later in
    the term makes 7 days in the term, over 5: the board considers it on representations."""
    cal = liaison.school.calendar
    case = _suspend(liaison, "2026-11-02", cal.add_school_days(dt.date(2026, 11, 2), 19)
                    .isoformat(), "2026-10-30T12:00").case
    move_clock(liaison, dt.datetime(2026, 11, 9, 12))
    liaison.advance(case, "withdraw", "HT01", {"withdrawal_reasons": ["New evidence"]},
                    at=dt.datetime(2026, 11, 9, 12))
    assert liaison.case(case, "HT01").fields["days_served"] == [
        "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"]
    later = _suspend(liaison, "2026-11-30", "2026-12-01", "2026-11-27T12:00")
    fields = liaison.case(later.case, "HT01").fields
    assert (fields["days_this_term"], fields["days_this_year"], fields["board_duty"]) == \
        (7, 7, "on_representations")


def test_exc_5_a_suspension_across_christmas_is_counted_in_each_term(liaison: Liaison) -> None:
    """Thursday 17 December 2026 to Friday 15 January 2027: 2 school days in the autumn term
    (17, 18 December) and 9 in the spring (5-8 and 11-15 January; 4 January is an INSET
    day). The spring term's 9 are over 5, so the board considers it on representations; the
    local authority is told the larger term's total."""
    done = _suspend(liaison, "2026-12-17", "2027-01-15", "2026-12-16T12:00")
    fields = liaison.case(done.case, "HT01").fields
    assert len(fields["days"]) == 11
    assert (fields["days_this_term"], fields["board_duty"]) == (9, "on_representations")
    assert "School days suspended this term: 9; this school year: 11" in \
        _letter(liaison, done, "exclusion_la_notice.docx")
    # a later spring suspension of 7 days makes 16 in the spring term: the board must meet
    cal = liaison.school.calendar
    spring = _suspend(liaison, "2027-02-01", cal.add_school_days(dt.date(2027, 2, 1), 6)
                      .isoformat(), "2027-01-29T12:00")
    fields = liaison.case(spring.case, "HT01").fields
    assert (fields["days_this_term"], fields["board_duty"]) == (16, "must_consider")


def test_exc_5_the_board_meets_before_a_missed_exam_where_practicable(liaison: Liaison) -> None:
    """Suspended Monday 11 to Friday 22 May 2026 with a public examination on Wednesday 20
    May: the board must consider it, and where practicable before the exam, by Tuesday 19
    May. Meeting later needs the reason recorded."""
    done = _suspend(liaison, "2026-05-11", "2026-05-22", "2026-05-08T12:00",
                    exam_on=["2026-05-20"])
    fields = liaison.case(done.case, "HT01").fields
    assert (fields["board_duty"], fields["exam_missed"], fields["board_before_exam"]) == \
        ("must_consider", "yes", "2026-05-19")
    deadlines = _deadlines(liaison, done.case)
    assert deadlines["board_before_exam"] == "2026-05-19"
    assert "board_meeting" in deadlines
    text = _letter(liaison, done, "exclusion_notice.docx", "Sarah")
    assert "Because Ethan would miss a public examination, the board will meet before it " \
           "where practicable: by Tuesday 19 May 2026." in text
    move_clock(liaison, dt.datetime(2026, 5, 21, 16))
    before = snapshot(liaison)
    late = {"board_met_on": ["2026-05-21"], "decision_reasons": ["Not reinstated"]}
    with pytest.raises(TransitionNotAllowed, match=r"board met on \(2026-05-21\) is after "
                       r"board before exam \(2026-05-19\): say why in after exam because "
                       r"\(EXC-5\)"):
        liaison.advance(done.case, "board_considers", "OF01", late)
    assert snapshot(liaison) == before
    liaison.advance(done.case, "board_considers", "OF01",
                    {**late, "after_exam_because": ["Two governors were ill"]})
    status = {d["name"]: d["status"] for d in liaison.store.deadlines(done.case)}
    assert status["board_before_exam"] == "met"


def test_exc_5_an_exam_the_next_school_day_leaves_no_time_before_it(liaison: Liaison) -> None:
    """Notice on Friday 8 May 2026 of a suspension from Monday 11 May, the exam that day: the
    last school day before it is the notice's own, so meeting before it is not practicable
    and only the 15-school-day deadline is set."""
    done = _suspend(liaison, "2026-05-11", "2026-05-12", "2026-05-08T12:00",
                    exam_on=["2026-05-11"])
    fields = liaison.case(done.case, "HT01").fields
    assert (fields["board_duty"], fields["exam_missed"]) == ("must_consider", "yes")
    assert "board_before_exam" not in fields
    assert list(_deadlines(liaison, done.case)) == ["board_meeting"]
    assert "missed examination" not in _letter(liaison, done, "exclusion_notice.docx", "Sarah")
