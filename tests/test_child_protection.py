"""Child protection (PWP-4.3): "in the event of a child protection incident ... it may be
impossible for the school to share information with parents". A senior leader marks the
case, an audited change; from then on the engine refuses to make any letter about it to a
parent, while records for the file go on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import OPENING, Run, snapshot

from engine.errors import FieldError, PermissionDenied, TransitionNotAllowed
from engine.service.liaison import Liaison

MEETING = {"meeting_at": ["2026-11-23T15:30"], "with_staff": ["HY09"]}
REASON = "Disclosure by the student to the designated safeguarding lead"


def _case(engine: Liaison) -> str:
    return engine.open("conduct_escalation", "S1004", "HY09", OPENING).case


def test_pwp_4_3_a_senior_leader_marks_a_case_and_it_is_audited(liaison: Liaison) -> None:
    case = _case(liaison)
    before = liaison.case(case, "AH01")
    liaison.mark_child_protection(case, "AH01", REASON)
    after = liaison.case(case, "AH01")
    assert after.child_protection and after.version == before.version + 1
    assert after.state == before.state and after.fields == before.fields
    last = liaison.history(case, "AH01")[-1]
    assert (last.event, last.actor, last.fields, last.from_state, last.to_state) == (
        "mark_child_protection", "AH01", {"reason": REASON}, before.state, before.state)
    assert liaison.view(case, "HY09").child_protection is True


def test_pwp_4_3_no_letter_about_a_marked_case_goes_to_a_parent(liaison: Liaison) -> None:
    case = _case(liaison)
    liaison.mark_child_protection(case, "HT01", REASON)
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed, match="marked child protection .PWP-4.3.: no "
                                                   "letter about it may go to a parent"):
        liaison.advance(case, "request_meeting", "OF01", MEETING)
    assert snapshot(liaison) == before


def test_pwp_4_3_records_for_the_file_go_on(liaison: Liaison) -> None:
    """An event that makes only file or staff documents is still recorded."""
    case = liaison.open("readmission", "S1001", "HY09", {
        "exclusion_start": ["2026-11-18"], "exclusion_end": ["2026-11-20"],
        "reason": ["Fighting"]}).case
    liaison.mark_child_protection(case, "VP02", REASON)
    with pytest.raises(TransitionNotAllowed, match="child protection"):
        liaison.advance(case, "invite", "HY09", {"meeting_at": ["2026-11-23T08:45"],
                                                 "smt_member": ["VP02"]})
    home_visit = liaison.open("home_visit", "S1001", "HY09", {
        "contact": ["C2001"], "reason": ["welfare"], "purpose": ["Check in"],
        "why_not_in_school": ["Mr Hughes works away"], "visitor": ["HY09"]}).case
    liaison.mark_child_protection(home_visit, "HT01", REASON)
    outcome = liaison.advance(home_visit, "assess_risk", "HY09",
                              {"risks": ["Unknown adults"], "controls": ["Visit in pairs"]})
    assert [d.recipient for d in outcome.documents] == ["File"]


def test_pwp_4_3_only_senior_leaders_may_mark_a_case(liaison: Liaison) -> None:
    case = _case(liaison)
    before = snapshot(liaison)
    for who in ("HY09", "OF01", "FT01"):
        with pytest.raises(PermissionDenied, match=f"{who} .* may not mark a case child "
                                                   "protection: only assistant_head, "
                                                   "deputy_head, headteacher, senior_leader"):
            liaison.mark_child_protection(case, who, REASON)
    assert snapshot(liaison) == before


def test_pwp_4_3_a_mark_needs_a_reason_and_is_made_once(liaison: Liaison) -> None:
    case = _case(liaison)
    with pytest.raises(FieldError, match="say why it is a child-protection matter"):
        liaison.mark_child_protection(case, "HT01", "")
    liaison.mark_child_protection(case, "HT01", REASON)
    with pytest.raises(TransitionNotAllowed, match="already marked child protection"):
        liaison.mark_child_protection(case, "HT01", REASON)


def test_pwp_4_3_marked_through_the_cli_and_shown(school_cli: Callable[..., Run],
                                                  liaison: Liaison) -> None:
    case = _case(liaison)
    refused = school_cli("mark", case, "--as", "HT01", "--reason", REASON)
    assert (refused.code, refused.err) == (1, "error: say what to mark: --child-protection\n")
    marked = school_cli("mark", case, "--child-protection", "--as", "HT01", "--reason", REASON)
    assert marked.code == 0, marked.err
    assert "is marked child protection" in marked.out
    shown = school_cli("show", case, "--as", "HY09")
    assert "CHILD PROTECTION: no letter about this case goes to a parent (PWP-4.3)" in shown.out
    history = school_cli("history", case, "--as", "HY09", "--json").json()
    assert history[-1]["event"] == "mark_child_protection"
