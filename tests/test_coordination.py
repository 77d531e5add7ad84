"""Co-ordinating visits and letters to one family (BEM-5): opening a case, or sending a
letter home, while the family has a recent letter or a home visit pending warns the user
and names the case it came from. A warning never stops the work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from conftest import OPENING, Run, move_clock

from engine.core.coordination import LETTER_DAYS
from engine.service.liaison import Liaison

MEETING = {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]}
VISIT = {"contact": ["C2006"], "reason": ["curriculum"], "purpose": ["Year 7 reading"],
         "visitor": ["HY09"]}
EXCLUSION = {"exclusion_start": ["2026-11-23"], "exclusion_end": ["2026-11-25"],
             "reason": ["Fighting"]}


def _letter_home(engine: Liaison) -> str:
    """A conduct case for S1004 whose meeting request went to Mrs O'Brien today."""
    case = engine.open("conduct_escalation", "S1004", "HY09", OPENING).case
    assert engine.advance(case, "request_meeting", "OF01", MEETING).documents
    return case


def test_bem_5_opening_a_case_names_a_recent_letter_to_the_family(liaison: Liaison) -> None:
    conduct = _letter_home(liaison)
    move_clock(liaison, liaison.clock() + dt.timedelta(days=3))
    outcome = liaison.open("readmission", "S1004", "HY09", EXCLUSION)
    assert outcome.warnings == [
        f"{conduct} (Parent conduct escalation): a letter to Mrs Zoë O'Brien in the last "
        f"{LETTER_DAYS} days, the latest conduct_meeting_request.docx on 2026-11-23; "
        "co-ordinate with it (BEM-5)"]


def test_bem_5_an_older_letter_is_not_a_clash(liaison: Liaison) -> None:
    _letter_home(liaison)
    move_clock(liaison, liaison.clock() + dt.timedelta(days=LETTER_DAYS, minutes=1))
    assert liaison.open("readmission", "S1004", "HY09", EXCLUSION).warnings == []


def test_bem_5_another_familys_letters_do_not_warn(liaison: Liaison) -> None:
    _letter_home(liaison)
    assert liaison.open("readmission", "S1001", "HY09", EXCLUSION).warnings == []


def test_bem_5_a_letter_home_while_a_visit_is_pending_names_the_visit(
        liaison: Liaison) -> None:
    visit = liaison.open("home_visit", "S1004", "HY09", VISIT)
    assert visit.warnings == []
    readmission = liaison.open("readmission", "S1004", "HY09", EXCLUSION)
    pending = (f"{visit.case}: a home visit is pending (Proposed; risk assessment to record); "
               "co-ordinate with it (BEM-5)")
    assert readmission.warnings == [pending]
    invited = liaison.advance(readmission.case, "invite", "HY09",
                              {"meeting_at": ["2026-11-26T08:45"], "smt_member": ["VP02"]})
    assert invited.warnings == [pending]


def test_bem_5_an_arranged_visit_shows_when_it_is(liaison: Liaison) -> None:
    visit = liaison.open("home_visit", "S1004", "HY09", VISIT).case
    liaison.advance(visit, "assess_risk", "HY09", {"risks": ["None"], "controls": ["None"]})
    liaison.advance(visit, "agree_to_visit", "HY09", {})
    liaison.advance(visit, "arrange_visit", "HY09", {
        "arranged_by": ["telephone"], "visit_at": ["2026-11-27T16:00"], "call_note": ["Agreed"]})
    warnings = liaison.open("readmission", "S1004", "HY09", EXCLUSION).warnings
    assert warnings == [f"{visit}: a home visit is pending (Arranged with the family, "
                        "arranged for 2026-11-27 16:00); co-ordinate with it (BEM-5)"]


def test_bem_5_an_event_that_sends_nothing_home_does_not_warn(liaison: Liaison) -> None:
    _letter_home(liaison)
    log = liaison.open("contact_log", "S1004", "FT01", {})
    assert log.warnings  # opening a case always checks
    logged = liaison.advance(log.case, "log_contact", "FT01", {
        "parent": ["C2006"], "method": ["telephone"], "initiated_by": ["school"],
        "nature": ["positive"], "summary": ["Liam helped at the open evening"]})
    assert logged.warnings == []


def test_bem_5_letters_of_the_same_case_do_not_warn(liaison: Liaison) -> None:
    case = _letter_home(liaison)
    move_clock(liaison, dt.datetime(2026, 11, 26, 17, 0))
    outcome = liaison.advance(case, "record_meeting", "HY09", {
        "attendees": ["Mrs O'Brien", "Mr Reilly"], "actions": ["A weekly call"]})
    assert [d.template for d in outcome.documents if d.recipient != "File"]
    assert outcome.warnings == []


def test_bem_5_the_cli_prints_each_warning(school_cli: Callable[..., Run]) -> None:
    assert school_cli("open", "home_visit", "--student", "S1004", "--as", "HY09",
                      *[x for k, v in VISIT.items() for x in ("--set", f"{k}={v[0]}")],
                      "--at", "2026-11-16T09:00").code == 0
    opened = school_cli("open", "readmission", "--student", "S1004", "--as", "HY09",
                        *[x for k, v in EXCLUSION.items() for x in ("--set", f"{k}={v[0]}")],
                        "--at", "2026-11-16T09:05")
    assert opened.code == 0
    assert ("  warning: VIS-2026-0001: a home visit is pending (Proposed; risk assessment to "
            "record); co-ordinate with it (BEM-5)\n") in opened.out
    as_json = school_cli("open", "contact_log", "--student", "S1004", "--as", "HY09",
                         "--at", "2026-11-16T09:10", "--json").json()
    assert [w.split(":")[0] for w in as_json["warnings"]] == ["VIS-2026-0001"]
