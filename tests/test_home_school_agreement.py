"""The Home–School Agreement (NSW-1): issued, signed by the parents and by (or for) the
Principal, and its signed status kept on the student."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from conftest import Run, letter_text, move_clock

from engine.errors import TransitionNotAllowed
from engine.service.liaison import Liaison

PARENT = {"parent_signed_by": ["C2014"], "parent_signed_on": ["2026-11-25"]}
PRINCIPAL = {"principal_signed_by": ["HT01"], "principal_signed_on": ["2026-11-26"]}


def _issued(engine: Liaison) -> str:
    outcome = engine.open("home_school_agreement", "S1009", "OF01", {})
    assert outcome.state == "issued"
    return outcome.case


def test_nsw_1_the_agreement_goes_to_the_parents_to_sign(liaison: Liaison) -> None:
    outcome = liaison.open("home_school_agreement", "S1009", "OF01", {})
    assert [d.recipient for d in outcome.documents] == ["Mrs Anjali Sharma and Mr Vikram Sharma"]
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert "Home–School Agreement" in text
    assert "Name of student: Priya Sharma" in text
    assert "Signed (parent or carer): ______" in text
    assert "Signed (by or for the Headteacher): ______" in text
    assert [(d["name"], d["due_on"]) for d in liaison.store.deadlines(outcome.case)] == [
        ("signed_return", "2026-12-07")]


def test_nsw_1_signed_by_the_parents_then_by_or_for_the_principal(liaison: Liaison) -> None:
    case = _issued(liaison)
    move_clock(liaison, dt.datetime(2026, 11, 25, 9, 0))
    assert liaison.advance(case, "record_parent_signature", "OF01", PARENT).state == \
        "parents_signed"
    move_clock(liaison, dt.datetime(2026, 11, 26, 9, 0))
    outcome = liaison.advance(case, "record_principal_signature", "OF01", PRINCIPAL)
    assert outcome.state == "signed"
    text = letter_text(liaison.school.root, outcome.documents[0].path)
    assert ("signed by Mrs Anjali Sharma, parent or carer, on Wednesday 25 November 2026"
            in text)
    assert ("signed by Dr Helen Marsh, by or for the Headteacher, on Thursday 26 November 2026"
            in text)
    assert liaison.store.deadlines(case)[0]["status"] == "met"


def test_nsw_1_the_principal_signs_after_the_parents(liaison: Liaison) -> None:
    case = _issued(liaison)
    with pytest.raises(TransitionNotAllowed, match="not allowed while the case is 'issued'"):
        liaison.advance(case, "record_principal_signature", "HT01", PRINCIPAL)


def test_nsw_1_only_a_senior_leader_signs_for_the_principal(liaison: Liaison) -> None:
    case = _issued(liaison)
    liaison.advance(case, "record_parent_signature", "OF01", PARENT)
    with pytest.raises(TransitionNotAllowed, match="principal signed by must be a senior "
                                                   "leader"):
        liaison.advance(case, "record_principal_signature", "OF01",
                        {**PRINCIPAL, "principal_signed_by": ["HY09"]})
    with pytest.raises(TransitionNotAllowed, match="principal signed on .2026-11-24. is "
                                                   "before parent signed on .2026-11-25."):
        liaison.advance(case, "record_principal_signature", "OF01",
                        {**PRINCIPAL, "principal_signed_on": ["2026-11-24"]})
    outcome = liaison.advance(case, "record_principal_signature", "OF01",
                              {**PRINCIPAL, "principal_signed_by": ["VP01"]})
    assert outcome.state == "signed"


def test_nsw_1_the_signed_status_is_kept_on_the_student(
        school_cli: Callable[..., Run]) -> None:
    opened = school_cli("open", "home_school_agreement", "--student", "S1009", "--as", "OF01",
                        "--at", "2026-11-16T09:00", "--json").json()["case"]
    assert school_cli("student", "S1009", "--as", "FT01", "--json").json()["status"] == [{
        "workflow": "home_school_agreement", "title": "Home–School Agreement",
        "case": opened, "state": "issued",
        "state_title": "Issued; waiting for the parents' signature",
        "opened_at": "2026-11-16T09:00:00", "closed_at": None}]
    for event, given in (("record_parent_signature", PARENT),
                         ("record_principal_signature", PRINCIPAL)):
        sets = [x for k, v in given.items() for x in ("--set", f"{k}={v[0]}")]
        assert school_cli("advance", opened, event, "--as", "OF01", *sets,
                          "--at", "2026-11-16T10:00").code == 0
    shown = school_cli("student", "S1009", "--as", "FT01")
    assert shown.code == 0
    assert "Home–School Agreement" in shown.out
    assert "Signed by the parents and the Principal" in shown.out


def test_nsw_1_one_agreement_at_a_time(liaison: Liaison) -> None:
    case = _issued(liaison)
    with pytest.raises(TransitionNotAllowed, match=f"already has an open home–school "
                                                   f"agreement \\({case}\\)"):
        _issued(liaison)
