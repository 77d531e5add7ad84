"""Indicators (BEM-7, HSP-9, HSP-5, NSW-6): `liaison report` counts, for a date range and by
month, complaints about meetings, lone visits, disrespectful incidents, site bans issued
and lifted, every workflow's outcomes, and deadlines met, late and missed; the lone visits
themselves are listed. Built here from a real case store walked over three months."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CONDUCT_FIELDS, OPENING, Run, move_clock

from engine.service.liaison import Liaison
from engine.service.report import months, report

NOVEMBER, DECEMBER, JANUARY = "2026-11", "2026-12", "2027-01"
FIRST, LAST = dt.date(2026, 11, 1), dt.date(2027, 1, 31)
COMPLAINT = {"parent": ["C2001"], "method": ["telephone"], "initiated_by": ["parent"],
             "nature": ["complaint_about_meeting"],
             "summary": ["Mr Hughes felt he was not listened to at parents' evening"]}
ITINERARY = {"places": ["Home"], "meeting": ["Parent"], "arrive_at": ["{day}T16:00"],
             "depart_at": ["{day}T16:45"], "after_visit": ["go_home"],
             "return_at": ["{day}T17:15"], "contact_numbers": ["07700 900555"],
             "base_contact": ["OF01"], "report_in_at": ["{day}T16:30"]}


def _at(engine: Liaison, when: str) -> None:
    move_clock(engine, dt.datetime.fromisoformat(when))


def _lone_visit(engine: Liaison, student: str, contact: str, day: str,
                report_in: str | None) -> str:
    """A visit made on ``day``; reported in at ``report_in`` (None: never)."""
    _at(engine, f"{day}T08:00")
    case = engine.open("home_visit", student, "HY09", {
        "contact": [contact], "reason": ["curriculum"], "purpose": ["Options"],
        "visitor": ["FT01"]}).case
    engine.advance(case, "assess_risk", "HY09", {"risks": ["None known"], "controls": ["-"]})
    engine.advance(case, "agree_to_visit", "FT01", {})
    engine.advance(case, "arrange_visit", "FT01", {
        "arranged_by": ["telephone"], "visit_at": [f"{day}T16:00"], "call_note": ["Agreed"]})
    _at(engine, f"{day}T15:45")
    engine.advance(case, "set_out", "FT01",
                   {k: [v[0].format(day=day)] for k, v in ITINERARY.items()})
    if report_in:
        _at(engine, f"{day}T{report_in}")
        engine.advance(case, "left_last_visit", "FT01", {})
    return case


@pytest.fixture
def walked(liaison: Liaison) -> Liaison:
    """Three months of a school's work, with one event on either side of the range."""
    _at(liaison, "2026-10-20T10:00")  # before the range: not counted
    liaison.open("conduct_escalation", "S1007", "HY09",
                 {**OPENING, "contact": ["C2011"]})
    _at(liaison, "2026-11-02T09:30")
    conduct = liaison.open("conduct_escalation", "S1004", "HY09", OPENING).case
    liaison.advance(conduct, "request_meeting", "OF01",
                    {"meeting_at": ["2026-11-05T15:30"], "with_staff": ["HY09"]})
    _at(liaison, "2026-11-05T17:00")
    liaison.advance(conduct, "record_meeting", "HY09", CONDUCT_FIELDS["record_meeting"])
    _at(liaison, "2026-12-03T12:00")
    liaison.advance(conduct, "repeat_incident", "HY09", CONDUCT_FIELDS["repeat_incident"])
    _at(liaison, "2026-12-04T15:00")
    liaison.advance(conduct, "issue_site_ban", "HT01", CONDUCT_FIELDS["issue_site_ban"])
    _at(liaison, "2027-01-14T10:00")
    liaison.advance(conduct, "lift_ban", "HT01", CONDUCT_FIELDS["lift_ban"])

    _at(liaison, "2026-11-03T08:30")
    log = liaison.open("contact_log", "S1001", "FT01", {}).case
    for when, nature in (("2026-11-10T16:00", "complaint_about_meeting"),
                         ("2026-11-12T16:00", "positive"),
                         ("2026-12-08T16:00", "complaint_about_meeting")):
        _at(liaison, when)
        liaison.advance(log, "log_contact", "FT01", {**COMPLAINT, "nature": [nature]})

    _lone_visit(liaison, "S1002", "C2003", "2026-11-18", report_in="16:25")  # on time
    late = _lone_visit(liaison, "S1003", "C2004", "2026-11-19", report_in="16:40")  # late
    _at(liaison, "2026-11-19T16:50")
    liaison.advance(late, "report_incident", "FT01", {
        "incident_kind": ["aggression"], "incident_details": ["Shouting at the door"]})
    _lone_visit(liaison, "S1005", "C2008", "2026-12-02", report_in=None)  # never reported
    _at(liaison, "2027-02-01T09:00")  # the report is made at the start of February
    return liaison


def _indicators(result: Any) -> dict[str, dict[str, int]]:
    return {i["name"]: i["by_month"] for i in result.indicators}


def test_bem_7_hsp_9_hsp_5_indicators_by_month(walked: Liaison) -> None:
    result = report(walked, "HT01", FIRST, LAST)
    assert result.months == [NOVEMBER, DECEMBER, JANUARY]
    assert _indicators(result) == {
        "complaints_about_meetings": {NOVEMBER: 1, DECEMBER: 1},
        "lone_visits": {NOVEMBER: 2, DECEMBER: 1},
        "visit_incidents": {NOVEMBER: 1},
        "disrespectful_incidents": {NOVEMBER: 1, DECEMBER: 1},
        "site_bans_issued": {DECEMBER: 1},
        "site_bans_lifted": {JANUARY: 1},
        "concerns_recorded": {},
        "positive_contacts": {NOVEMBER: 1},
    }
    assert {i["name"]: i["total"] for i in result.indicators}["lone_visits"] == 3


def test_bem_7_a_record_of_all_lone_visits(walked: Liaison) -> None:
    (record,) = report(walked, "HT01", FIRST, LAST).records
    assert (record["indicator"], record["fields"]) == ("lone_visits",
                                                       ["visitor", "reason", "visit_at"])
    assert [(v["case"], v["student"], v["visitor"], v["reason"], v["at"])
            for v in record["rows"]] == [
        ("VIS-2026-0001", "S1002", "FT01", "curriculum", "2026-11-18T15:45:00"),
        ("VIS-2026-0002", "S1003", "FT01", "curriculum", "2026-11-19T15:45:00"),
        ("VIS-2026-0003", "S1005", "FT01", "curriculum", "2026-12-02T15:45:00")]


def test_deadlines_met_late_and_missed_by_workflow_and_month(walked: Liaison) -> None:
    rows = {(d["workflow"], d["month"]): {k: v for k, v in d.items() if v and k not in (
        "workflow", "month")} for d in report(walked, "HT01", FIRST, LAST).deadlines}
    assert rows[("home_visit", NOVEMBER)] == {"met": 3, "late": 1}  # 2 visits, 2 report-ins
    # The third visit's report-in was never made: missed.
    assert rows[("home_visit", DECEMBER)] == {"met": 1, "missed": 1}
    # The meeting was recorded after it began (late); the ban's review was met by lifting.
    assert rows[("conduct_escalation", NOVEMBER)] == {"late": 1}
    assert rows[("conduct_escalation", JANUARY)] == {"met": 1}


def test_outcomes_per_workflow_and_month(walked: Liaison) -> None:
    events = {(e["workflow"], e["outcome"], e["month"]): e["count"]
              for e in report(walked, "HT01", FIRST, LAST).events}
    assert events[("contact_log", "log_contact", NOVEMBER)] == 2
    assert events[("contact_log", "log_contact", DECEMBER)] == 1
    assert events[("conduct_escalation", "open", NOVEMBER)] == 1  # October's is outside
    assert events[("home_visit", "set_out", NOVEMBER)] == 2
    assert ("conduct_escalation", "open", "2026-10") not in events


def test_the_range_is_inclusive_and_narrows_the_counts(walked: Liaison) -> None:
    december = report(walked, "HT01", dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert december.months == [DECEMBER]
    assert _indicators(december)["lone_visits"] == {DECEMBER: 1}
    one_day = report(walked, "HT01", dt.date(2026, 11, 19), dt.date(2026, 11, 19))
    assert _indicators(one_day)["visit_incidents"] == {NOVEMBER: 1}


def test_report_cli_json_text_and_bad_ranges(walked: Liaison, school: Path,
                                             cli: Callable[..., Run]) -> None:
    args = ["report", "--as", "HT01", "--from", "2026-11-01", "--to", "2027-01-31",
            "--school", school]
    as_json = cli(*args, "--json")
    assert as_json.code == 0
    assert as_json.json()["indicators"] == report(walked, "HT01", FIRST, LAST).indicators
    text = cli(*args)
    assert text.code == 0
    for heading in ("Indicators 2026-11-01 to 2027-01-31", "Outcomes by workflow",
                    "Deadlines", "Lone visits made (BEM-7)"):
        assert heading in text.out
    backwards = cli("report", "--as", "HT01", "--from", "2027-01-31", "--to", "2026-11-01",
                    "--school", school)
    assert (backwards.code, backwards.err) == (1, "error: --to 2026-11-01 is before --from "
                                                  "2027-01-31\n")
    bad = cli("report", "--as", "HT01", "--from", "November", "--school", school)
    assert (bad.code, bad.err) == (1, "error: --from 'November': expected a date "
                                      "(2026-11-24)\n")


def test_indicators_are_those_the_school_s_workflows_declare(
        school: Path, cli: Callable[..., Run]) -> None:
    """A school without the contact log counts no complaints about meetings: the report
    lists what its own workflows declare (``indicators:``), nothing named in code."""
    (school / "workflows" / "contact_log.yaml").unlink()
    result = cli("report", "--as", "HT01", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--school", school, "--json").json()
    names = [i["name"] for i in result["indicators"]]
    assert "complaints_about_meetings" not in names
    assert {"lone_visits", "site_bans_issued"} <= set(names)


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("\n  set_out:\n", "\n  leave_base:\n",
     "indicators.lone_visits.events: unknown event 'set_out'"),
    ("events: [set_out]\n", "events: [set_out]\n    when: {reason: [sightseeing]}\n",
     "indicators.lone_visits.when.reason: event 'set_out' has no field 'reason'"),
    ("record: [visitor, reason, visit_at]", "record: [visitor, mood]",
     "indicators.lone_visits.record: unknown field 'mood'"),
])
def test_bem_7_a_renamed_event_cannot_silently_zero_an_indicator(
        school: Path, cli: Callable[..., Run], old: str, new: str, problem: str) -> None:
    """Renaming set_out in the home visit workflow without its indicator stops the check
    at the indicator's line, instead of the lone-visit count reading zero."""
    path = school / "workflows" / "home_visit.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    run = cli("check", "--school", school)
    assert run.code == 1
    line = next(n for n, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if t.strip() == "lone_visits:") + 1
    assert f"{path}:{line}: {problem}" in run.err, run.err


def test_a_choice_an_indicator_counts_must_be_a_choice(
        school: Path, cli: Callable[..., Run]) -> None:
    path = school / "workflows" / "contact_log.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("when: {nature: [positive]}", "when: {nature: [praise]}"),
                    encoding="utf-8")
    run = cli("check", "--school", school)
    assert run.code == 1
    assert "indicators.positive_contacts.when.nature: 'praise' is not a choice of 'nature'" \
        in run.err, run.err


def test_months_spans_a_new_year() -> None:
    assert months(dt.date(2026, 11, 30), dt.date(2027, 2, 1)) == [
        "2026-11", "2026-12", "2027-01", "2027-02"]
