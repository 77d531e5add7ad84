"""The parent conduct escalation workflow, clause by clause (HSP-2..7, BEM-1, BEM-2,
PWP-5.4a, PWP-5.6), on a real school directory with a real case store and real letters.

The letters' wording and addressing are in test_conduct_letters.py; here: who may do
what, from where, what each step records, and how a site ban shows on every case.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    CONDUCT_FIELDS,
    NOW,
    Run,
    case_in,
    letter_text,
    move_clock,
    open_conduct,
    snapshot,
    walk,
)

from engine.errors import FieldError, PermissionDenied, TransitionNotAllowed
from engine.service.liaison import Liaison
from engine.service.sources import parse_workflow as parse

ARRANGEMENTS = CONDUCT_FIELDS["issue_site_ban"]["arrangements"][0]

TESTS = Path(__file__).resolve().parent
WORKFLOW = TESTS.parent / "workflows" / "conduct_escalation.yaml"
ENCODED = ("HSP-2", "HSP-3", "HSP-4", "HSP-5", "HSP-6", "HSP-7", "BEM-1", "BEM-2",
           "PWP-5.4a", "PWP-5.6")


def _cited_in_tests() -> str:
    """Every test function's name and docstring in this suite, as one text."""
    parts = []
    for path in TESTS.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                parts += [node.name, ast.get_docstring(node) or ""]
    return "\n".join(parts)


def _as_test_name(clause: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", clause.lower())


def test_every_clause_the_workflow_encodes_has_a_test_citing_it() -> None:
    """Done means: each clause of conduct_escalation is cited by a test's name or docstring."""
    workflow = parse(WORKFLOW)
    assert set(workflow.clauses) == set(ENCODED)
    cited = _cited_in_tests()
    missing = [c for c in workflow.clauses
               if c not in cited and _as_test_name(c) not in cited.lower()]
    assert missing == []


def test_every_clause_the_workflow_encodes_is_cited_by_an_event() -> None:
    workflow = parse(WORKFLOW)
    by_events = {c for e in workflow.events.values() for c in e.clauses}
    assert set(workflow.clauses) <= by_events


# --------------------------------------------------------------------------- roles


def _staff_roles(liaison: Liaison) -> dict[str, frozenset[str]]:
    return {s.id: s.roles for s in liaison.school.staff.values()}


@pytest.mark.parametrize("event", ["issue_site_ban", "confirm_ban", "lift_ban"])
def test_hsp_5_only_the_headteacher_bans_confirms_or_lifts(liaison: Liaison, event: str) -> None:
    """HSP-5: the site ban is the headteacher's letter; nobody else may issue, confirm or
    lift it, and a refusal writes nothing."""
    workflow = liaison.school.workflow("conduct_escalation")
    assert workflow.events[event].roles == {"headteacher"}
    state = {"issue_site_ban": "warning_issued", "confirm_ban": "site_ban_issued",
             "lift_ban": "site_ban_confirmed"}[event]
    case = case_in(liaison, state)
    before = snapshot(liaison)
    for staff_id, roles in _staff_roles(liaison).items():
        if "headteacher" in roles:
            continue
        with pytest.raises(PermissionDenied, match=f"{staff_id} .* may not .*only headteacher"):
            liaison.advance(case, event, staff_id, CONDUCT_FIELDS[event])
        assert event not in [e.name for e in liaison.actions(case, staff_id)]
    assert snapshot(liaison) == before
    move_clock(liaison, dt.datetime(2027, 1, 4, 9, 0))  # representations have closed
    assert event in [e.name for e in liaison.actions(case, "HT01")]
    assert liaison.advance(case, event, "HT01", CONDUCT_FIELDS[event]).state != state


# What may happen next, from each state, to a case opened as a `concern` (case_in): the
# ban is still under representations (until 14 December) when it has just been issued.
NEXT: dict[str, set[str]] = {
    "incident_reported": {"request_meeting", "repeat_incident", "resolve"},
    "meeting_requested": {"end_meeting", "record_meeting", "repeat_incident", "resolve"},
    "meeting_ended": {"reconvene_meeting", "repeat_incident", "resolve"},
    "meeting_held": {"repeat_incident", "resolve"},
    "warning_issued": {"seek_legal_advice", "issue_site_ban", "resolve"},
    "legal_advice_sought": {"issue_site_ban", "resolve"},
    "site_ban_issued": {"review_ban", "lift_ban"},
    "site_ban_confirmed": {"review_ban", "lift_ban"},
    "ban_lifted": {"resolve", "close"},
    "resolved": {"close"},
    "closed": set(),
}


@pytest.mark.parametrize("state", list(NEXT))
def test_actions_offer_exactly_the_events_each_role_may_fire_now(liaison: Liaison,
                                                                  state: str) -> None:
    """Every event's roles, for every member of staff: `actions` lists an event iff it may
    fire from the case's state now and the person holds one of its roles; any other
    attempt is refused (PermissionDenied or TransitionNotAllowed) and changes nothing."""
    workflow = liaison.school.workflow("conduct_escalation")
    case = case_in(liaison, state)
    before = snapshot(liaison)
    for staff_id, roles in _staff_roles(liaison).items():
        expected = {name for name in NEXT[state] if roles & workflow.events[name].roles}
        assert {e.name for e in liaison.actions(case, staff_id)} == expected, staff_id
        for name in set(workflow.events) - expected:
            with pytest.raises((PermissionDenied, TransitionNotAllowed)):
                liaison.advance(case, name, staff_id, CONDUCT_FIELDS[name])
    assert snapshot(liaison) == before


def test_an_unknown_member_of_staff_is_refused_everywhere(liaison: Liaison) -> None:
    case = open_conduct(liaison).case
    before = snapshot(liaison)
    with pytest.raises(PermissionDenied, match="unknown member of staff 'NOBODY'"):
        liaison.advance(case, "request_meeting", "NOBODY", CONDUCT_FIELDS["request_meeting"])
    for read in (liaison.view, liaison.actions, liaison.history):
        with pytest.raises(PermissionDenied):
            read(case, "NOBODY")
    with pytest.raises(PermissionDenied):
        open_conduct(liaison, actor="NOBODY")
    assert snapshot(liaison) == before


def test_a_subject_teacher_may_not_record_an_incident(liaison: Liaison) -> None:
    before = snapshot(liaison)
    with pytest.raises(PermissionDenied, match="ST01 .* may not open"):
        open_conduct(liaison, actor="ST01")
    assert snapshot(liaison) == before


# --------------------------------------------------------------------------- the steps


def test_hsp_2_a_meeting_is_requested_in_writing_and_its_actions_confirmed(
        liaison: Liaison) -> None:
    """HSP-2: request a meeting, confirmed in writing; then a letter confirming the actions
    agreed. Each letter goes to the parent concerned; the meeting sets a deadline that
    recording it meets."""
    case = open_conduct(liaison).case
    asked = walk(liaison, case, [("request_meeting", "OF01")])
    assert asked.state == "meeting_requested"
    assert [(d.template, d.recipient) for d in asked.documents] == [
        ("conduct_meeting_request.docx", "Mrs Zoë O'Brien")]
    text = letter_text(liaison.school.root, asked.documents[0].path)
    assert "confirm the meeting on Thursday 26 November 2026 at 3.30pm" in text
    assert "with Mr Tom Reilly" in text
    assert asked.deadlines == [{"name": "meeting", "due": "2026-11-26T15:30"}]

    held = walk(liaison, case, [("record_meeting", "HY09")])
    assert held.state == "meeting_held"
    letter = next(d for d in held.documents if d.template == "conduct_actions_agreed.docx")
    text = letter_text(liaison.school.root, letter.path)
    assert "confirm the actions we agreed" in text
    assert "Write to the School Office\nA weekly phone call" in text
    assert [d["status"] for d in liaison.store.deadlines(case)] == ["met"]


def test_bem_1_the_meeting_record_goes_to_the_learning_director_and_the_file(
        liaison: Liaison) -> None:
    """BEM-1: the outcome of every meeting with parents is documented to the Head of House
    and/or Learning Director; PWP-5.6: the member of staff takes a record of the meeting."""
    case = case_in(liaison, "meeting_held")
    docs = liaison.view(case, "HY09").documents
    records = [d for d in docs if d["template"] == "conduct_meeting_record.docx"]
    directors = [s.name for s in liaison.school.holders_of("learning_director")]
    assert sorted(d["recipient"] for d in records) == sorted(["File", *directors])
    text = letter_text(liaison.school.root, records[0]["path"])
    assert "Record of meeting with parent" in text
    assert "Mrs O'Brien\nMr Okafor" in text  # who attended
    assert "Write to the School Office\nA weekly phone call" in text  # actions agreed


def test_hsp_3_a_repeat_brings_a_formal_warning_naming_the_ban_it_risks(
        liaison: Liaison) -> None:
    """HSP-3: on a repeat, a formal warning letter stating that a further offence may lead
    to a ban from the site and from communication with staff (email, telephone, face to
    face). A repeat may follow the incident, a meeting request, an ended or a held meeting."""
    for state in ("incident_reported", "meeting_requested", "meeting_ended", "meeting_held"):
        case = case_in(liaison, state)
        warned = walk(liaison, case, [("repeat_incident", "HY09")])
        assert warned.state == "warning_issued"
        (letter,) = warned.documents
        text = letter_text(liaison.school.root, letter.path)
        assert "Formal warning about your conduct" in text
        assert ("a further offence may result in a ban from the school site and from "
                "communication with staff, whether by email, telephone or face to face") in text
        assert "Abusive emails to three teachers" in text


def test_hsp_4_legal_advice_is_a_record_for_the_file_not_a_letter(liaison: Liaison) -> None:
    """HSP-4: advice is sought from the Local Authority's legal team after a warning; the
    request is recorded for the file and nothing goes to the parent."""
    with pytest.raises(TransitionNotAllowed):
        walk(liaison, case_in(liaison, "incident_reported"), [("seek_legal_advice", "VP02")])
    case = case_in(liaison, "warning_issued")
    sought = walk(liaison, case, [("seek_legal_advice", "VP02")])
    assert sought.state == "legal_advice_sought"
    assert [d.recipient for d in sought.documents] == ["File"]
    text = letter_text(liaison.school.root, sought.documents[0].path)
    assert "Request for advice from the Local Authority's legal team" in text
    assert "Local Authority: Westshire Council" in text
    assert "Grounds for seeking advice: Persistent abusive posts naming staff" in text


def test_hsp_7_the_lado_and_police_informed_are_recorded(liaison: Liaison) -> None:
    """HSP-7: unacceptable behaviour may be reported to the LADO, the legal services and the
    police: whoever else was informed is listed on the record."""
    case = case_in(liaison, "warning_issued")
    given = {**CONDUCT_FIELDS["seek_legal_advice"], "also_informed": ["LADO", "Police"]}
    sought = walk(liaison, case, [("seek_legal_advice", "VP02")], seek_legal_advice=given)
    text = letter_text(liaison.school.root, sought.documents[0].path)
    assert "Also informed:\nLADO\nPolice" in text
    quiet = walk(liaison, case_in(liaison, "warning_issued"), [("seek_legal_advice", "VP02")])
    assert "Also informed" not in letter_text(liaison.school.root, quiet.documents[0].path)


@pytest.mark.parametrize("state,severity", [("warning_issued", "concern"),
                                            ("legal_advice_sought", "concern"),
                                            ("incident_reported", "serious")])
def test_hsp_5_a_ban_may_follow_a_warning_legal_advice_or_a_serious_incident(
        liaison: Liaison, state: str, severity: str) -> None:
    """HSP-5: a ban can follow a formal warning, the legal-advice step, or, for a serious
    incident, the incident itself."""
    case = case_in(liaison, state, severity=severity)
    assert "issue_site_ban" in [e.name for e in liaison.actions(case, "HT01")]
    banned = walk(liaison, case, [("issue_site_ban", "HT01")])
    assert banned.state == "site_ban_issued"
    assert [d.template for d in banned.documents] == ["conduct_site_ban.docx"]
    assert banned.deadlines == [{"name": "ban_review", "due": "2027-01-15"}]


@pytest.mark.parametrize("state", ["incident_reported", "meeting_requested", "meeting_ended",
                                   "meeting_held", "resolved"])
def test_hsp_5_a_concern_never_leads_straight_to_a_ban(liaison: Liaison, state: str) -> None:
    """HSP-5: a `concern` incident (or a meeting) cannot be followed directly by a ban; the
    refusal says why and changes nothing."""
    case = case_in(liaison, state, severity="concern")
    assert "issue_site_ban" not in [e.name for e in liaison.actions(case, "HT01")]
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed, match=f"not allowed while the case is '{state}'"):
        walk(liaison, case, [("issue_site_ban", "HT01")])
    assert snapshot(liaison) == before


def test_hsp_5_confirm_ban_is_refused_before_representations_close(liaison: Liaison) -> None:
    """HSP-5 and the guidance on site bans: the parent may make representations until the
    date given; the ban cannot be confirmed before then (the day itself is allowed)."""
    case = case_in(liaison, "site_ban_issued")  # representations_by 2026-12-14
    move_clock(liaison, dt.datetime(2026, 12, 13, 16, 0))
    assert "confirm_ban" not in [e.name for e in liaison.actions(case, "HT01")]
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed, match=r"not before 2026-12-14 \(representations by\)"):
        liaison.advance(case, "confirm_ban", "HT01", CONDUCT_FIELDS["confirm_ban"])
    assert snapshot(liaison) == before
    move_clock(liaison, dt.datetime(2026, 12, 14, 9, 0))
    assert "confirm_ban" in [e.name for e in liaison.actions(case, "HT01")]
    confirmed = liaison.advance(case, "confirm_ban", "HT01", CONDUCT_FIELDS["confirm_ban"])
    assert confirmed.state == "site_ban_confirmed"
    assert confirmed.deadlines == [{"name": "ban_review", "due": "2027-02-15"}]


def test_hsp_5_a_ban_is_reviewed_in_place_and_lifted_from_either_ban_state(
        liaison: Liaison) -> None:
    """HSP-5: a review records what it found and sets the next review, leaving the ban in
    force; the headteacher lifts a ban whether or not it was confirmed."""
    for state in ("site_ban_issued", "site_ban_confirmed"):
        case = case_in(liaison, state)
        reviewed = walk(liaison, case, [("review_ban", "VP02")])
        assert reviewed.state == state
        assert [d.recipient for d in reviewed.documents] == ["File", "Mrs Zoë O'Brien"]
        deadlines = liaison.store.deadlines(case)
        assert [d["status"] for d in deadlines if d["name"] == "ban_review"][-1] == "open"
        assert deadlines[-1]["due_on"] == "2027-02-15"
        lifted = walk(liaison, case, [("lift_ban", "HT01")])
        assert lifted.state == "ban_lifted"
        text = letter_text(liaison.school.root, lifted.documents[0].path)
        assert "The ban from the school site is lifted" in text
        assert all(d["status"] != "open" for d in liaison.store.deadlines(case))


@pytest.mark.parametrize("state", ["incident_reported", "meeting_requested", "meeting_ended",
                                   "meeting_held", "warning_issued", "legal_advice_sought",
                                   "ban_lifted"])
def test_hsp_6_a_case_can_be_resolved_at_any_step(liaison: Liaison, state: str) -> None:
    """HSP-6: responses are proportional and restorative: a case can be resolved at any
    step (a ban is lifted by the headteacher first), then closed."""
    case = case_in(liaison, state)
    resolved = walk(liaison, case, [("resolve", "HY09")])
    assert resolved.state == "resolved"
    text = letter_text(liaison.school.root, resolved.documents[0].path)
    assert "\nA fresh start agreed.\n" in text
    closed = walk(liaison, case, [("close", "OF01")])
    assert closed.state == "closed"
    assert liaison.store.case(case).closed_at is not None
    assert all(d["status"] != "open" for d in liaison.store.deadlines(case))


@pytest.mark.parametrize("state", ["site_ban_issued", "site_ban_confirmed"])
def test_hsp_6_a_ban_in_force_is_lifted_before_resolving(liaison: Liaison, state: str) -> None:
    """HSP-5/HSP-6: only the headteacher ends a ban, so `resolve` waits for `lift_ban`."""
    case = case_in(liaison, state)
    with pytest.raises(TransitionNotAllowed):
        walk(liaison, case, [("resolve", "HT01")])


def test_a_closed_case_takes_no_more_events(liaison: Liaison) -> None:
    case = case_in(liaison, "closed")
    before = snapshot(liaison)
    for event in CONDUCT_FIELDS:
        with pytest.raises((TransitionNotAllowed, PermissionDenied)):
            liaison.advance(case, event, "HT01", CONDUCT_FIELDS[event])
    assert list(liaison.actions(case, "HT01")) == []
    assert snapshot(liaison) == before


def test_bem_2_pwp_5_4a_an_abusive_meeting_is_ended_and_reported(liaison: Liaison) -> None:
    """BEM-2 / PWP-5.4a / PWP-5.6: a meeting the parent makes threatening or abusive is
    brought to a close and reported immediately to the line manager: a record for the
    file, no letter to the parent."""
    case = case_in(liaison, "meeting_requested")
    ended = walk(liaison, case, [("end_meeting", "HY09")])
    assert ended.state == "meeting_ended"
    assert [d.recipient for d in ended.documents] == ["File"]
    text = letter_text(liaison.school.root, ended.documents[0].path)
    assert ("The meeting was brought to a close because: The parent shouted and would not "
            "stop") in text
    assert "reported immediately to the line manager" in text
    assert [d["status"] for d in liaison.store.deadlines(case)] == ["met"]


def test_bem_2_a_meeting_is_reconvened_only_with_a_senior_leader(liaison: Liaison) -> None:
    """BEM-2: the ended meeting is reconvened, if appropriate, with a member of the
    Leadership Team: naming anyone else is refused and changes nothing."""
    case = case_in(liaison, "meeting_ended")
    before = snapshot(liaison)
    not_senior = {**CONDUCT_FIELDS["reconvene_meeting"], "with_staff": ["HY09"]}
    with pytest.raises(TransitionNotAllowed, match="with staff must be a senior leader"):
        walk(liaison, case, [("reconvene_meeting", "HY09")], reconvene_meeting=not_senior)
    unknown = {**CONDUCT_FIELDS["reconvene_meeting"], "with_staff": ["NOBODY"]}
    with pytest.raises(FieldError, match="no member of staff 'NOBODY'"):
        walk(liaison, case, [("reconvene_meeting", "HY09")], reconvene_meeting=unknown)
    assert snapshot(liaison) == before
    again = walk(liaison, case, [("reconvene_meeting", "HY09")])
    assert again.state == "meeting_requested"
    assert again.deadlines == [{"name": "meeting", "due": "2026-12-01T16:15"}]
    text = letter_text(liaison.school.root, again.documents[0].path)
    assert "with Mr Samuel Okafor" in text


# --------------------------------------------------------------------------- bans in force


def _ban_case_and_second_case(liaison: Liaison) -> tuple[str, str]:
    """Case A walked to a site ban on C2006; case B, a second conduct case for C2006."""
    banned = case_in(liaison, "site_ban_issued")
    second = open_conduct(liaison, incident_summary="Rude to the school nurse").case
    return banned, second


def test_hsp_5_a_ban_in_force_shows_on_every_case_of_that_parent(
        liaison: Liaison, school_cli: Callable[..., Run]) -> None:
    """HSP-5: while a ban is in force, every case of that parent shows it, in `show` and
    `show --json`; once lifted, none does."""
    banned, second = _ban_case_and_second_case(liaison)
    other_parent = open_conduct(liaison, student="S1002", contact="C2003").case
    for case in (banned, second):
        view = school_cli("show", case, "--as", "OF01", "--json").json()
        assert view["bans"] == [{"case": banned, "contact_route": "by letter to the School Office",
                                 "arrangements": ARRANGEMENTS,
                                 "review_on": "Friday 15 January 2027",
                                 "ban_from": "Monday 7 December 2026"}]
        shown = school_cli("show", case, "--as", "OF01")
        assert shown.code == 0
        assert (f"SITE BAN IN FORCE ({banned}): contact only by letter to the School Office; "
                "review by Friday 15 January 2027") in shown.out
    assert school_cli("show", other_parent, "--as", "OF01", "--json").json()["bans"] == []

    move_clock(liaison, dt.datetime(2027, 1, 4, 9, 0))
    liaison.advance(banned, "lift_ban", "HT01", CONDUCT_FIELDS["lift_ban"])
    for case in (banned, second):
        assert school_cli("show", case, "--as", "OF01", "--json").json()["bans"] == []
        assert "SITE BAN" not in school_cli("show", case, "--as", "OF01").out


def test_hsp_5_the_student_record_marks_a_banned_and_a_barred_contact(
        liaison: Liaison, school_cli: Callable[..., Run]) -> None:
    """`liaison student` says which contact is under a site ban in force (HSP-5) and which
    is barred from correspondence, so reception need not open every case to know."""
    banned, _ = _ban_case_and_second_case(liaison)
    record = school_cli("student", "S1004", "--as", "OF01", "--json").json()
    marks = {c["id"]: (c["site_ban"], c["site_ban_cases"], c["barred"])
             for c in record["contacts"]}
    assert marks == {"C2006": (True, [banned], False), "C2007": (False, [], False)}
    text = school_cli("student", "S1004", "--as", "OF01")
    row = next(line for line in text.out.splitlines() if "C2006" in line)
    assert f"in force ({banned})" in row
    barred = school_cli("student", "S1003", "--as", "OF01")
    row = next(line for line in barred.out.splitlines() if "C2005" in line)
    assert "barred" in row and "in force" not in row

    move_clock(liaison, dt.datetime(2027, 1, 4, 9, 0))
    liaison.advance(banned, "lift_ban", "HT01", CONDUCT_FIELDS["lift_ban"])
    lifted = school_cli("student", "S1004", "--as", "OF01", "--json").json()
    assert [c["site_ban"] for c in lifted["contacts"]] == [False, False]


def test_hsp_5_a_letter_to_a_banned_parent_gives_the_permitted_route(liaison: Liaison) -> None:
    """HSP-5: any letter to a banned parent, from another case too, gives the permitted
    contact route instead of inviting them in or to call."""
    banned, second = _ban_case_and_second_case(liaison)
    warned = walk(liaison, second, [("repeat_incident", "HY09")])
    text = letter_text(liaison.school.root, warned.documents[0].path)
    assert ("please do not come to the school site or contact members of staff. You may "
            "write to the school by letter to the School Office.") in text
    assert "please contact the School Office on" not in text
    assert "01632 960410" not in text.split("Yours sincerely")[0]

    move_clock(liaison, dt.datetime(2027, 1, 4, 9, 0))
    liaison.advance(banned, "lift_ban", "HT01", CONDUCT_FIELDS["lift_ban"])
    resolved = walk(liaison, second, [("resolve", "HY09")])
    text = letter_text(liaison.school.root, resolved.documents[0].path)
    assert "please contact the School Office on 01632 960410" in text
    assert "please do not come to the school site" not in text


INVITING = ("please contact the School Office", "report to Reception", "telephone us",
            "call the school")


@pytest.mark.parametrize("steps", [
    [("request_meeting", "OF01")],
    [("request_meeting", "OF01"), ("record_meeting", "HY09")],
    [("repeat_incident", "HY09")],
    [("resolve", "HY09")],
], ids=lambda steps: steps[-1][0])
def test_hsp_5_no_letter_invites_a_banned_parent_in_or_to_call(
        liaison: Liaison, steps: list[tuple[str, str]]) -> None:
    """HSP-5: while the ban is in force, every letter of another case to that parent gives
    the permitted route, and none invites them in or to call."""
    _ban_case_and_second_case(liaison)
    second = liaison.store.cases()[-1].id
    made = walk(liaison, second, steps)
    (letter,) = [d for d in made.documents if d.recipient == "Mrs Zoë O'Brien"]
    text = letter_text(liaison.school.root, letter.path)
    assert "You may write to the school by letter to the School Office." in text
    for phrase in INVITING:
        assert phrase not in text, phrase


def test_hsp_5_the_other_parent_is_not_barred_by_a_ban_on_one(liaison: Liaison) -> None:
    """A ban is on the parent concerned, not the family: a case about the other parent of
    the same student shows no ban and invites contact as usual."""
    case_in(liaison, "site_ban_issued")  # on C2006
    father = open_conduct(liaison, contact="C2007").case
    assert liaison.view(father, "OF01").bans == []
    asked = walk(liaison, father, [("request_meeting", "OF01")])
    text = letter_text(liaison.school.root, asked.documents[0].path)
    assert "please contact the School Office" in text


def test_deadlines_and_history_record_who_did_what_when(liaison: Liaison) -> None:
    case = case_in(liaison, "site_ban_confirmed")
    history = liaison.history(case, "HT01")
    assert [(e.event, e.from_state, e.to_state, e.actor) for e in history] == [
        ("open", None, "incident_reported", "HY09"),
        ("repeat_incident", "incident_reported", "warning_issued", "HY09"),
        ("issue_site_ban", "warning_issued", "site_ban_issued", "HT01"),
        ("confirm_ban", "site_ban_issued", "site_ban_confirmed", "HT01"),
    ]
    assert [e.occurred_at for e in history] == [
        (NOW + dt.timedelta(days=7 * i)).isoformat() for i in range(4)]
    assert history[2].fields == {
        "ban_from": "2026-12-07", "review_on": "2027-01-15",
        "contact_route": "by letter to the School Office", "reasons": "Repeated abuse of staff",
        "representations_by": "2026-12-14", "arrangements": ARRANGEMENTS}
    assert liaison.store.case(case).holder == "role:headteacher"


def test_an_event_may_not_be_dated_before_the_cases_last_event(liaison: Liaison) -> None:
    """The audit trail reads in the order things happened: `--at` earlier than the case's
    last event is refused and nothing is written; in the future it is refused too."""
    from engine.errors import InputError

    case = open_conduct(liaison).case
    before = snapshot(liaison)
    with pytest.raises(InputError, match="before the case's last event"):
        liaison.advance(case, "repeat_incident", "HY09", CONDUCT_FIELDS["repeat_incident"],
                        at=NOW - dt.timedelta(days=1))
    with pytest.raises(InputError, match="is in the future"):
        liaison.advance(case, "repeat_incident", "HY09", CONDUCT_FIELDS["repeat_incident"],
                        at=NOW + dt.timedelta(hours=1))
    assert snapshot(liaison) == before
