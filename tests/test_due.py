"""The due list, `liaison due --as STAFF [--on DATE] [--all] [--json]`, through the real CLI
with fixed dates (PWP-5.2, 5.3, 5.4, 5.6: what must be acknowledged, returned, replied to
and answered, and by when; CLA-3: restricted cases stay hidden).

The week of Monday 23 November 2026 in the demo school. Cases are opened on the engine at
09:00 that Monday; the CLI then reads them as at the date or moment given by --on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Clock, Run, move_clock

from engine.service.due import holders_for, status_of, week_end
from engine.service.liaison import Liaison

# A restricted workflow (CLA-3) with a deadline in minutes, as a home visit's report-in
# will have (BEM-6), and one in school days. Seen by the headteacher, the assistant head
# and whoever opened it; held by the form tutors.
PRIVATE = """\
workflow: private_note
title: Private note
policy: Test policy
prefix: PRV
clauses: [CLA-3]
visible_to: {roles: [headteacher, assistant_head], opener: true}
open:
  roles: [office, headteacher]
  to: noted
  fields:
    report_at: {type: datetime, title: Report in from}
  deadlines:
    - {name: report_in, title: Report in to base, minutes: 30, from: report_at, clause: BEM-6}
    - {name: review, title: Review the note, school_days: 1, clause: CLA-3}
states:
  noted: {title: Noted, holder: form_tutor}
  closed: {title: Closed, terminal: true}
events:
  close: {from: [noted], to: closed, roles: [headteacher]}
"""


def query(engine: Liaison, kind: str, channel: str, received: str) -> str:
    fields = {"contact": "C2001", "kind": kind, "channel": channel, "received_at": received,
              "summary": f"A {kind} {channel}"}
    if kind == "academic":
        fields["subject_area"] = "Science"
    return engine.open("query_routing", "S1001", "OF01",
                       {k: [v] for k, v in fields.items()}).case


def fire(engine: Liaison, case: str, event: str, actor: str, **fields: str) -> None:
    move_clock(engine, engine.clock() + dt.timedelta(minutes=5))
    engine.advance(case, event, actor, {k: [v] for k, v in fields.items()})


@pytest.fixture
def cases(school: Path) -> Iterator[dict[str, str]]:
    """Six cases on Monday 23 November 2026 at 09:00; their deadlines in comments."""
    (school / "workflows" / "private_note.yaml").write_text(PRIVATE)
    engine = Liaison.at(school, clock=Clock())
    engine.import_students(school / "samples" / "students.csv")
    engine.import_contacts(school / "samples" / "contacts.csv")
    try:
        made = {
            # acknowledge_by Fri 20 Nov (overdue), respond_by Wed 2 Dec; with ST01
            "A": query(engine, "academic", "letter", "2026-11-18T10:00"),
            # call_back_by Mon 23 Nov (today), follow_up_by Thu 3 Dec; with FT01
            "B": query(engine, "pastoral", "phone", "2026-11-19T10:00"),
            # reply_by Wed 25 Nov; with the School Office (OF01)
            "C": query(engine, "general", "meeting_request", "2026-11-23T08:00"),
            # acknowledge_by Tue 24 Nov, respond_by Fri 4 Dec; received, held by role:office
            "D": query(engine, "general", "email", "2026-11-20T10:00"),
            # acknowledge_by Wed 18 Nov, but answered and closed: never on the list
            "F": query(engine, "general", "letter", "2026-11-16T10:00"),
            # report_in 09:30 today, review Tue 24 Nov; restricted, held by role:form_tutor
            "E": engine.open("private_note", "S1001", "OF01",
                             {"report_at": ["2026-11-23T09:00"]}).case,
        }
        fire(engine, made["A"], "route", "OF01", passed_to="ST01")
        fire(engine, made["B"], "route", "OF01")
        fire(engine, made["C"], "route", "OF01")
        fire(engine, made["F"], "route", "OF01")
        fire(engine, made["F"], "resolve", "OF01", outcome="Answered")
        fire(engine, made["F"], "close", "OF01")
        yield made
    finally:
        engine.close()


Due = Callable[..., list[tuple[str, str, str, str]]]


@pytest.fixture
def due(cli: Callable[..., Run], school: Path, cases: dict[str, str]) -> Due:
    """`liaison due --json` as (case letter, deadline, status, due) rows, in order."""
    letters = {v: k for k, v in cases.items()}

    def run(*args: str) -> list[tuple[str, str, str, str]]:
        result = cli("due", *args, "--json", "--school", school)
        assert result.code == 0, result.err
        return [(letters[i["case"]], i["deadline"], i["status"], i["due"])
                for i in result.json()]

    return run


def test_pwp_5_2_overdue_first_then_due_today_then_the_rest_of_the_week(due: Due) -> None:
    """Office staff see every case they may see, in the order to deal with them; a
    deadline with a time (report in by 09:30) is overdue from that moment."""
    assert due("--as", "OF01", "--all", "--on", "2026-11-23T10:00") == [
        ("A", "acknowledge_by", "overdue", "2026-11-20"),
        ("E", "report_in", "overdue", "2026-11-23T09:30"),
        ("B", "call_back_by", "due_today", "2026-11-23"),
        ("E", "review", "upcoming", "2026-11-24"),
        ("D", "acknowledge_by", "upcoming", "2026-11-24"),
        ("C", "reply_by", "upcoming", "2026-11-25"),
    ]


def test_a_deadline_with_a_time_is_due_today_until_that_moment(due: Due) -> None:
    """--on a date means the start of that day: the 09:30 report-in is still to come."""
    rows = due("--as", "AH01", "--all", "--on", "2026-11-23")
    assert rows[:3] == [("A", "acknowledge_by", "overdue", "2026-11-20"),
                        ("E", "report_in", "due_today", "2026-11-23T09:30"),
                        ("B", "call_back_by", "due_today", "2026-11-23")]
    assert due("--as", "AH01", "--all", "--on", "2026-11-23T09:30")[1] == (
        "E", "report_in", "overdue", "2026-11-23T09:30")


def test_the_week_ends_on_sunday(due: Due) -> None:
    """On Friday the next week's deadlines are not listed; on Monday they are."""
    assert due("--as", "ST01", "--on", "2026-11-27") == [
        ("A", "acknowledge_by", "overdue", "2026-11-20")]
    assert due("--as", "ST01", "--on", "2026-11-30") == [
        ("A", "acknowledge_by", "overdue", "2026-11-20"),
        ("A", "respond_by", "upcoming", "2026-12-02")]


def test_by_default_only_the_cases_held_or_managed(due: Due) -> None:
    """ST01 holds A; HD01 is ST01's line manager; FT01 holds B, HY09 manages FT01; the
    office holds C and D. Nobody else's cases show."""
    assert due("--as", "ST01", "--on", "2026-11-23") == [
        ("A", "acknowledge_by", "overdue", "2026-11-20")]
    assert due("--as", "HD01", "--on", "2026-11-23") == [
        ("A", "acknowledge_by", "overdue", "2026-11-20")]
    assert due("--as", "FT01", "--on", "2026-11-23") == [
        ("B", "call_back_by", "due_today", "2026-11-23")]
    assert due("--as", "HY09", "--on", "2026-11-23") == [
        ("B", "call_back_by", "due_today", "2026-11-23")]
    assert due("--as", "OF01", "--on", "2026-11-23") == [
        ("D", "acknowledge_by", "upcoming", "2026-11-24"),
        ("C", "reply_by", "upcoming", "2026-11-25")]
    assert due("--as", "EAL1", "--on", "2026-11-23") == []


def test_cla_3_a_restricted_case_never_shows_to_staff_who_may_not_see_it(due: Due) -> None:
    """E is held by the form tutors' role, but only the headteacher, the assistant head
    and the member of staff who opened it may see it, with or without --all."""
    for who in ("FT01", "HY09"):
        assert "E" not in {row[0] for row in due("--as", who, "--on", "2026-11-23")}
    assert "E" not in {row[0] for row in due("--as", "VP01", "--all", "--on", "2026-11-23")}
    for who in ("HT01", "AH01", "OF01"):
        assert "E" in {row[0] for row in due("--as", who, "--all", "--on", "2026-11-23")}


def test_pwp_5_3_a_met_deadline_leaves_the_list(due: Due, school: Path,
                                                cases: dict[str, str]) -> None:
    engine = Liaison.at(school, clock=Clock(dt.datetime(2026, 11, 23, 11, 0)))
    try:
        engine.advance(cases["D"], "acknowledge", "OF01", {})
    finally:
        engine.close()
    assert due("--as", "OF01", "--on", "2026-11-23") == [
        ("C", "reply_by", "upcoming", "2026-11-25")]


def test_json_names_case_deadline_due_status_and_holder(cli: Callable[..., Run],
                                                        school: Path,
                                                        cases: dict[str, str]) -> None:
    run = cli("due", "--as", "HD01", "--on", "2026-11-23", "--json", "--school", school)
    assert run.code == 0, run.err
    (item,) = run.json()
    assert item == {"case": cases["A"], "deadline": "acknowledge_by", "due": "2026-11-20",
                    "status": "overdue", "holder": "ST01", "holder_name": "Miss Hannah Lowe",
                    "title": "Acknowledge the letter", "clause": "PWP-5.2",
                    "student": "S1001", "student_name": "Ethan Hughes",
                    "workflow": "query_routing", "state": "with_subject_teacher"}


def test_the_list_shows_each_section_in_order(cli: Callable[..., Run], school: Path,
                                              cases: dict[str, str]) -> None:
    """One line per deadline: when, case, student, what is due, clause, who holds it."""
    run = cli("due", "--as", "OF01", "--all", "--on", "2026-11-23T10:00", "--school", school)
    assert run.code == 0, run.err
    # The private note's number is drawn at random (a restricted workflow, issue 15).
    assert re.fullmatch(r"PRV-2026-[2-9A-HJ-NP-Z]{6}", cases["E"])
    assert run.out.replace(f"{cases['E']}  ", "PRV-2026-0001   ").splitlines() == [
        "Overdue (2)",
        "  2026-11-20        QRY-2026-0001   Ethan Hughes: Acknowledge the letter (PWP-5.2)"
        "  held by Miss Hannah Lowe",
        "  2026-11-23T09:30  PRV-2026-0001   Ethan Hughes: Report in to base (BEM-6)"
        "  held by any form tutor",
        "Due today (1)",
        "  2026-11-23        QRY-2026-0002   Ethan Hughes: Return the call (PWP-5.4)"
        "  held by Mr Daniel Price",
        "Rest of the week (3)",
        "  2026-11-24        PRV-2026-0001   Ethan Hughes: Review the note (CLA-3)"
        "  held by any form tutor",
        "  2026-11-24        QRY-2026-0004   Ethan Hughes: Acknowledge the email (PWP-5.3)"
        "  held by any office",
        "  2026-11-25        QRY-2026-0003   Ethan Hughes: Reply to the request for a meeting "
        "(PWP-5.6)  held by Mrs Janet Cole",
    ]


def test_nothing_due_says_so(cli: Callable[..., Run], school: Path,
                             cases: dict[str, str]) -> None:
    run = cli("due", "--as", "EAL1", "--on", "2026-11-23", "--school", school)
    assert (run.code, run.out.strip()) == (0, "nothing due for EAL1 this week")


@pytest.mark.parametrize(("args", "message"), [
    (("--as", "ST01", "--all"), "error: ST01 (Miss Hannah Lowe) may not list every case's "
                                "deadlines: only office staff and leaders"),
    (("--as", "NOBODY"), "error: unknown member of staff 'NOBODY'"),
    (("--as", "OF01", "--on", "Monday"), "error: --on 'Monday': expected a date"),
])
def test_refused_with_one_error_line(cli: Callable[..., Run], school: Path,
                                     cases: dict[str, str], args: tuple[str, ...],
                                     message: str) -> None:
    run = cli("due", *args, "--school", school)
    assert run.code == 1
    assert run.out == ""
    assert len(run.err.splitlines()) == 1 and run.err.startswith(message)


# ---------------------------------------------------------------------- the pure parts


def test_week_end_is_the_coming_sunday() -> None:
    assert week_end(dt.date(2026, 11, 23)) == dt.date(2026, 11, 29)
    assert week_end(dt.date(2026, 11, 29)) == dt.date(2026, 11, 29)


@pytest.mark.parametrize(("due_on", "due_at", "now", "expected"), [
    ("2026-11-20", None, "2026-11-23T00:00", "overdue"),
    ("2026-11-23", None, "2026-11-23T23:59", "due_today"),
    ("2026-11-24", None, "2026-11-23T23:59", "upcoming"),
    ("2026-11-23", "2026-11-23T09:30", "2026-11-23T09:29", "due_today"),
    ("2026-11-23", "2026-11-23T09:30", "2026-11-23T09:30", "overdue"),
    ("2026-11-24", "2026-11-24T00:10", "2026-11-23T23:59", "upcoming"),
])
def test_status_as_at_a_moment(due_on: str, due_at: str | None, now: str,
                               expected: str) -> None:
    at = dt.datetime.fromisoformat(due_at) if due_at else None
    assert status_of(dt.date.fromisoformat(due_on), at,
                     dt.datetime.fromisoformat(now)) == expected


def test_holders_include_direct_reports_and_their_roles(liaison: Liaison) -> None:
    staff = liaison.school.staff
    assert holders_for(staff["ST01"], staff) == {"ST01", "role:subject_teacher"}
    assert holders_for(staff["AH01"], staff) == {
        "AH01", "role:assistant_head", "role:senior_leader",
        "OF01", "role:office", "EAL1", "role:eal_coordinator", "role:subject_teacher"}


def test_the_count_in_the_web_pages_header_is_the_due_lists_length(
        school: Path, cases: dict[str, str]) -> None:
    """``due_count`` counts in the store what ``due_list`` lists, for everyone: holders,
    line managers, and the restricted case E only for those who may see it (CLA-3)."""
    from engine.service.due import due_count, due_list

    engine = Liaison.at(school, clock=Clock())
    try:
        now = dt.datetime(2026, 11, 23, 9, 0)
        for who in engine.school.staff:
            assert due_count(engine, who, now) == len(due_list(engine, who, now).items), who
        assert {due_count(engine, w, now) for w in engine.school.staff} != {0}
    finally:
        engine.close()


@pytest.mark.parametrize("at", ["2026-11-23T09:00", "2026-11-23T09:30", "2026-11-23T10:00",
                                "2026-11-25T12:00"])
def test_the_web_pages_due_list_in_pages_is_the_due_list(school: Path, cases: dict[str, str],
                                                         at: str) -> None:
    """``due_page`` (Today on the web page: the store orders, pages and counts) gives what
    ``due_list`` gives, page after page, with the count of each status, for everyone and
    for every case where allowed: holders, line managers, and the restricted case E only
    for those who may see it (CLA-3); a deadline at 09:30 overdue from 09:30 exactly."""
    from engine.service.due import due_list, due_page, may_list_all

    engine = Liaison.at(school, clock=Clock())
    try:
        now = dt.datetime.fromisoformat(at)
        seen = 0
        for who in engine.school.staff:
            for everyone in (False, True) if may_list_all(engine, who) else (False,):
                listed = due_list(engine, who, now, everyone).items
                # letters not sent are a section of their own on the page
                whole = tuple(i for i in listed if i.deadline != "letter")
                for size in (1, 2, 5):
                    pages, start = [], 0
                    while True:
                        page = due_page(engine, who, now, everyone, start, size)
                        assert page.total == len(listed)
                        assert page.unsent == tuple(i for i in listed
                                                    if i.deadline == "letter")
                        assert dict(page.counts) == {s: sum(i.status == s for i in whole)
                                                     for s in ("overdue", "due_today",
                                                               "upcoming")}
                        pages += page.items
                        start += size
                        if not page.more:
                            break
                    assert tuple(pages) == whole, (who, everyone, size)
                seen += len(whole)
        assert seen
        assert due_page(engine, "OF01", now, True, 100, 5).items == ()  # past the end
    finally:
        engine.close()
