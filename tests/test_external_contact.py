"""Disclosure of contact outside school (CLA-1, CLA-2, CLA-3): the workflow itself. Who may
see these cases, command by command, is proved in test_restricted.py."""

from __future__ import annotations

import pytest
from conftest import letter_text

from engine.errors import PermissionDenied
from engine.service.liaison import Liaison

DISCLOSURE = {"summary": ["I coach the under-12s football team that Ethan plays in"],
              "on_school_business": ["no"], "contact": ["C2001"]}


def _disclosed(engine: Liaison) -> str:
    return engine.open("external_contact", "S1001", "FT01", DISCLOSURE).case


def test_cla_2_any_member_of_staff_discloses_and_the_headteacher_is_made_aware(
        liaison: Liaison) -> None:
    outcome = liaison.open("external_contact", "S1001", "OF01", DISCLOSURE)
    assert outcome.state == "disclosed"
    assert [d.recipient for d in outcome.documents] == ["Dr Helen Marsh"]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "CONFIDENTIAL: Headteacher and Assistant Headteacher only" in text
    assert "Disclosed by: Mrs Janet Cole" in text
    assert "Parent or carer concerned: Mrs Sarah Hughes" in text
    assert "I coach the under-12s football team that Ethan plays in" in text
    # The appropriateness is to be discussed within a school week.
    assert [(d["name"], d["due_on"], d["clause"]) for d in
            liaison.store.deadlines(outcome.case)] == [("discussion", "2026-11-30", "CLA-2")]
    assert liaison.case(outcome.case, "HT01").holder == "role:headteacher"


def test_cla_2_only_the_headteacher_decides(liaison: Liaison) -> None:
    case = _disclosed(liaison)
    with pytest.raises(PermissionDenied, match="AH01 .* may not decide in external_contact: "
                                               "only headteacher"):
        liaison.advance(case, "decide", "AH01", {"discussion": ["x"], "decision": ["goes_ahead"]})


def test_cla_3_contact_that_goes_ahead_is_logged_on_the_parent_liaison_form(
        liaison: Liaison) -> None:
    case = _disclosed(liaison)
    outcome = liaison.advance(case, "decide", "HT01", {
        "discussion": ["Appropriate: a community club, no private meetings"],
        "decision": ["goes_ahead"], "conditions": ["No lifts home", "No messages to Ethan"]})
    assert outcome.state == "goes_ahead"
    assert [(d.template, d.recipient) for d in outcome.documents] == [
        ("external_contact_form.docx", "File")]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "Parent/liaison form" in text
    assert "Disclosed by: Mr Daniel Price" in text
    assert "Appropriateness discussed: Appropriate: a community club" in text
    assert "Conditions\nNo lifts home\nNo messages to Ethan" in text
    assert liaison.store.deadlines(case)[0]["status"] == "met"
    note = liaison.advance(case, "log_contact", "AH01",
                           {"contact_note": ["Saturday match, spoke to Mrs Hughes briefly"]})
    assert note.state == "goes_ahead"
    assert liaison.advance(case, "close", "AH01", {}).state == "closed"


def test_cla_2_contact_found_inappropriate_is_recorded_not_to_continue(
        liaison: Liaison) -> None:
    case = _disclosed(liaison)
    outcome = liaison.advance(case, "decide", "HT01", {
        "discussion": ["A conflict of interest with the teaching role"],
        "decision": ["not_to_continue"]})
    assert outcome.state == "not_to_continue"
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "Decision: the contact should not continue." in text


def test_cla_1_nothing_about_a_disclosure_is_ever_sent_to_a_parent(liaison: Liaison) -> None:
    """Every document of the workflow goes to the file or to the Headteacher."""
    workflow = liaison.school.workflow("external_contact")
    recipients = {d.to for e in (workflow.opening, *workflow.events.values())
                  for d in e.documents}
    assert recipients == {"file", "role:headteacher"}
    assert workflow.visible_roles == {"headteacher", "assistant_head"}
    assert workflow.visible_to_opener
