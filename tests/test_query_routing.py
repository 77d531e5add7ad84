"""The parent query workflow, clause by clause (PWP-5.1 to 5.6, PWP-5.4a, HSP-1), on a real
school directory with a real case store and real letters reopened from disk.

PWP-5.1 (Appendix 1): a general query sits with the School Office; an academic concern
goes Subject Teacher -> Head of Department -> Vice-Principal Teaching & Learning ->
Principal, a pastoral one Form Teacher -> Head of Year -> Vice-Principal Pastoral ->
Principal, each step only if the matter remains unresolved. Deadlines count school days
from the day the message counts as received (PWP-5.2 letters, 5.3 emails, 5.4 calls,
5.6 requests for a meeting).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NOW, Run, case_in, letter_text, move_clock, snapshot

from engine.errors import FieldError, PermissionDenied, TransitionNotAllowed
from engine.service.liaison import Liaison, Outcome

WORKFLOW = "query_routing"

# An academic letter from Ethan Hughes's mother (she asked for separate correspondence).
QUERY = {"contact": "C2001", "kind": "academic", "channel": "letter",
         "received_at": "2026-11-20T14:00", "summary": "Ethan finds the maths homework too hard",
         "subject_area": "Mathematics"}

# Each chain's states and the member of staff of the demo school who holds each step.
ACADEMIC = [("with_subject_teacher", "ST01"), ("with_head_of_department", "HD01"),
            ("with_vp_teaching_learning", "VP01"), ("with_principal", "HT01")]
PASTORAL = [("with_form_teacher", "FT01"), ("with_head_of_year", "HY09"),
            ("with_vp_pastoral", "VP02"), ("with_principal", "HT01")]

STAFF = ("HT01", "VP01", "VP02", "AH01", "HY09", "HH01", "HD01", "FT01", "ST01", "EAL1", "OF01")

# Who may take a query one step up from each step (PWP-5.1): someone at that step or
# above on its chain, worked out by hand from the demo staff's roles in school.yaml.
MAY_ESCALATE = {
    "with_subject_teacher": {"ST01", "FT01", "EAL1", "HD01", "VP01", "HT01"},
    "with_head_of_department": {"HD01", "VP01", "HT01"},
    "with_vp_teaching_learning": {"VP01", "HT01"},
    "with_form_teacher": {"FT01", "HY09", "VP02", "HT01"},
    "with_head_of_year": {"HY09", "VP02", "HT01"},
    "with_vp_pastoral": {"VP02", "HT01"},
}


def open_query(engine: Liaison, student: str = "S1001", actor: str = "OF01",
               **fields: str | None) -> Outcome:
    """Open a query now; a field given as None is left out."""
    given = {k: [v] for k, v in {**QUERY, **fields}.items() if v is not None}
    return engine.open(WORKFLOW, student, actor, given)


def later(engine: Liaison, minutes: int = 10) -> None:
    move_clock(engine, engine.clock() + dt.timedelta(minutes=minutes))


def fire(engine: Liaison, case: str, event: str, actor: str, **fields: str) -> Outcome:
    """Fire an event a few minutes after the last one."""
    later(engine)
    return engine.advance(case, event, actor, {k: [v] for k, v in fields.items()})


def query_at(engine: Liaison, state: str, **fields: str | None) -> str:
    """A new query walked to ``state`` by the holder of each step; returns its id."""
    chain = PASTORAL if state in dict(PASTORAL) and state != "with_principal" else ACADEMIC
    kind = "pastoral" if chain is PASTORAL else "academic"
    area = None if kind == "pastoral" else "Mathematics"
    case = open_query(engine, **{"kind": kind, "subject_area": area, **fields}).case
    if state == "received":
        return case
    fire(engine, case, "route", "OF01", passed_to=chain[0][1])
    for step, holder in chain:
        if step == state:
            return case
        fire(engine, case, "escalate", holder, unresolved_because="The parent is not satisfied")
    raise AssertionError(state)


def documents(outcome: Outcome) -> dict[str, str]:
    """template + recipient -> path of each document an event wrote."""
    return {f"{d.template} {d.recipient}": d.path for d in outcome.documents}


# ---------------------------------------------------------------------- routing (PWP-5.1)


@pytest.mark.parametrize("chain", [ACADEMIC, PASTORAL], ids=["academic", "pastoral"])
def test_pwp_5_1_each_chain_is_walked_to_the_principal(liaison: Liaison, school: Path,
                                                       chain: list[tuple[str, str]]) -> None:
    """Each escalation moves one step, hands the case to that step's holder and tells the
    parent, by letter, who now holds it."""
    kind = "academic" if chain is ACADEMIC else "pastoral"
    case = open_query(liaison, kind=kind, subject_area="Mathematics" if kind == "academic"
                      else None).case
    assert liaison.store.case(case).state == "received"
    assert liaison.store.case(case).holder == "role:office"
    fire(liaison, case, "route", "OF01", passed_to=chain[0][1])
    assert (liaison.store.case(case).state, liaison.store.case(case).holder) == chain[0]
    titles = {"with_head_of_department": "Head of Department, Ms Fatima Begum",
              "with_vp_teaching_learning": "Vice-Principal Teaching & Learning, Mrs Priya Raman",
              "with_head_of_year": "Head of Year, Mr Tom Reilly",
              "with_vp_pastoral": "Vice-Principal Pastoral, Mr Samuel Okafor",
              "with_principal": "Principal, Dr Helen Marsh"}
    for (_, holder), (step, next_holder) in zip(chain, chain[1:], strict=False):
        outcome = fire(liaison, case, "escalate", holder,
                       unresolved_because="The parent is not satisfied")
        assert outcome.state == step
        assert liaison.store.case(case).holder == next_holder
        (path,) = documents(outcome).values()
        text = letter_text(school, path)
        assert (f"has not yet been resolved, so it has been passed to the {titles[step]}, "
                "who will now deal with it.") in text
    assert liaison.store.case(case).state == "with_principal"
    later(liaison)
    with pytest.raises(TransitionNotAllowed, match="not allowed while the case is "
                       "'with_principal'"):
        liaison.advance(case, "escalate", "HT01", {"unresolved_because": ["Still unhappy"]})


def test_pwp_5_1_a_general_query_sits_with_the_school_office(liaison: Liaison) -> None:
    case = open_query(liaison, kind="general", subject_area=None).case
    outcome = fire(liaison, case, "route", "OF01")
    assert outcome.state == "with_office"
    assert liaison.store.case(case).holder == "OF01"  # the only member of office staff
    before = snapshot(liaison)
    for actor in ("OF01", "HT01"):
        with pytest.raises((TransitionNotAllowed, PermissionDenied)):
            liaison.advance(case, "escalate", actor, {"unresolved_because": ["x"]})
    assert snapshot(liaison) == before
    assert fire(liaison, case, "resolve", "OF01", outcome="Term dates sent").state == "resolved"


def test_pwp_5_1_an_academic_query_names_its_subject(liaison: Liaison) -> None:
    before = snapshot(liaison)
    with pytest.raises(FieldError, match="open query_routing: subject area is needed when "
                       "kind is academic"):
        open_query(liaison, subject_area=None)
    assert snapshot(liaison) == before
    assert open_query(liaison, kind="pastoral", subject_area=None).state == "received"


def test_pwp_5_1_routed_to_a_role_held_by_many_until_someone_is_named(liaison: Liaison) -> None:
    """Four members of staff teach a subject: unnamed, the case is held by the role."""
    case = open_query(liaison).case
    fire(liaison, case, "route", "OF01")
    assert liaison.store.case(case).holder == "role:subject_teacher"


def test_pwp_5_1_the_named_holder_must_hold_the_step(liaison: Liaison) -> None:
    case = query_at(liaison, "with_subject_teacher")
    before = snapshot(liaison)
    with pytest.raises(FieldError, match="field 'passed_to': ST01 \\(Miss Hannah Lowe\\) is "
                       "not a head of department"):
        liaison.advance(case, "escalate", "ST01", {"unresolved_because": ["x"],
                                                   "passed_to": ["ST01"]})
    assert snapshot(liaison) == before


@pytest.mark.parametrize("state", list(MAY_ESCALATE))
def test_pwp_5_1_only_the_step_or_above_may_escalate(liaison: Liaison, state: str) -> None:
    """Someone below the step holding a query (or off its chain) cannot take it further;
    a refusal writes nothing."""
    case = query_at(liaison, state)
    before = snapshot(liaison)
    for actor in sorted(set(STAFF) - MAY_ESCALATE[state]):
        with pytest.raises((TransitionNotAllowed, PermissionDenied)) as refused:
            liaison.advance(case, "escalate", actor, {"unresolved_because": ["x"]})
        if isinstance(refused.value, TransitionNotAllowed):
            assert "step of its route: only a" in str(refused.value)
        assert "escalate" not in {e.name for e in liaison.actions(case, actor)}
    assert snapshot(liaison) == before
    for actor in sorted(MAY_ESCALATE[state]):
        fresh = query_at(liaison, state)
        assert "escalate" in {e.name for e in liaison.actions(fresh, actor)}
        assert fire(liaison, fresh, "escalate", actor, unresolved_because="x").state != state


def test_pwp_5_1_only_the_step_or_above_may_resolve(liaison: Liaison) -> None:
    case = query_at(liaison, "with_head_of_department")
    with pytest.raises(TransitionNotAllowed, match="only a head of department or vp teaching "
                       "learning or headteacher may do this"):
        liaison.advance(case, "resolve", "ST01", {"outcome": ["Sorted"]})
    assert fire(liaison, case, "resolve", "VP01", outcome="Sorted").state == "resolved"


# ---------------------------------------------------------------------- deadlines


# (received at, the 2nd school day, the 10th school day) for the demo school in England:
# autumn term 1 Sep to 18 Dec 2026 (INSET 1 and 2 Sep, half term 26 to 30 Oct), spring
# term from 4 Jan 2027 (INSET 4 Jan), summer 2026 with the May bank holidays, half term
# 25 to 29 May and INSET 26 Jun. School hours end at 16:00. Worked out by hand.
RECEIPTS = [
    ("2026-11-23T10:00", "2026-11-25", "2026-12-07"),  # Monday, in school hours
    ("2026-11-23T16:00", "2026-11-26", "2026-12-08"),  # as school ends: next day
    ("2026-11-24T07:00", "2026-11-26", "2026-12-08"),  # before school: that day
    ("2026-11-27T18:30", "2026-12-02", "2026-12-14"),  # Friday evening
    ("2026-11-28T10:00", "2026-12-02", "2026-12-14"),  # Saturday (the example)
    ("2026-11-22T20:00", "2026-11-25", "2026-12-07"),  # Sunday
    ("2026-12-18T10:00", "2027-01-06", "2027-01-18"),  # last day of term, in hours
    ("2026-12-18T16:30", "2027-01-07", "2027-01-19"),  # last day of term, after hours
    ("2026-12-25T09:00", "2027-01-07", "2027-01-19"),  # Christmas Day: from term-time
    ("2026-10-28T12:00", "2026-11-04", "2026-11-16"),  # October half term
    ("2026-09-01T10:00", "2026-09-07", "2026-09-17"),  # INSET days 1 and 2 September
    ("2026-05-04T09:30", "2026-05-07", "2026-05-19"),  # early May bank holiday
    ("2026-05-22T14:00", "2026-06-02", "2026-06-12"),  # Friday before May half term
    ("2026-06-25T17:00", "2026-07-01", "2026-07-13"),  # evening before an INSET day
]

CHANNELS = {
    "letter": [("acknowledge_by", 2, "PWP-5.2"), ("respond_by", 10, "PWP-5.2")],
    "email": [("acknowledge_by", 2, "PWP-5.3"), ("respond_by", 10, "PWP-5.3")],
    "phone": [("call_back_by", 2, "PWP-5.4"), ("follow_up_by", 10, "PWP-5.4")],
    "meeting_request": [("reply_by", 2, "PWP-5.6")],
}


@pytest.mark.parametrize(("received", "two", "ten"), RECEIPTS, ids=[r[0] for r in RECEIPTS])
def test_pwp_5_2_to_5_6_deadlines_of_each_channel_from_receipt(
        liaison: Liaison, received: str, two: str, ten: str) -> None:
    move_clock(liaison, dt.datetime(2027, 3, 1, 9, 0))
    for channel, expected in CHANNELS.items():
        outcome = open_query(liaison, channel=channel, received_at=received)
        due = {2: two, 10: ten}
        assert outcome.deadlines == [{"name": name, "due": due[n]} for name, n, _ in expected]
        stored = {d["name"]: (d["due_on"], d["due_at"], d["clause"], d["status"])
                  for d in liaison.store.deadlines(outcome.case)}
        assert stored == {name: (due[n], None, clause, "open") for name, n, clause in expected}


def test_pwp_5_2_a_deadline_is_met_by_the_event_that_answers_it(liaison: Liaison) -> None:
    """Acknowledging meets acknowledge_by only; the response meets respond_by."""
    case = query_at(liaison, "with_subject_teacher")
    fire(liaison, case, "acknowledge", "ST01")
    status = {d["name"]: d["status"] for d in liaison.store.deadlines(case)}
    assert status == {"acknowledge_by": "met", "respond_by": "open"}
    fire(liaison, case, "resolve", "ST01", outcome="Extra help on Tuesdays")
    assert {d["name"]: d["status"] for d in liaison.store.deadlines(case)} == {
        "acknowledge_by": "met", "respond_by": "met"}


def test_pwp_5_4_a_call_back_meets_the_call_deadline(liaison: Liaison) -> None:
    case = open_query(liaison, channel="phone").case
    assert "acknowledge" not in {e.name for e in liaison.actions(case, "OF01")}
    outcome = fire(liaison, case, "call_back", "OF01", call_notes="Spoke to Mrs Hughes")
    assert outcome.state == "received" and outcome.documents == []
    assert {d["name"]: d["status"] for d in liaison.store.deadlines(case)} == {
        "call_back_by": "met", "follow_up_by": "open"}


def test_pwp_5_6_a_meeting_request_is_answered_with_an_appointment(liaison: Liaison,
                                                                   school: Path) -> None:
    case = query_at(liaison, "with_form_teacher", channel="meeting_request",
                    contact="C2001")
    outcome = fire(liaison, case, "reply", "FT01", meeting_at="2026-11-26T15:30",
                   with_staff="HY09")
    assert outcome.deadlines == [{"name": "meeting", "due": "2026-11-26T15:30"}]
    text = letter_text(school, documents(outcome)["query_meeting_reply.docx Mrs Sarah Hughes"])
    assert ("Thank you for asking to meet us about Ethan. I am writing to confirm an "
            "appointment on Thursday 26 November 2026 at 3.30pm with Mr Tom Reilly.") in text
    assert "Please report to Reception when you arrive." in text
    assert "interpreter" not in text
    record = fire(liaison, case, "record_meeting", "HY09", attendees="Mrs Hughes",
                  meeting_notes="A homework plan agreed")
    assert record.state == "with_form_teacher"
    text = letter_text(school, documents(record)["query_meeting_record.docx File"])
    assert "Record of a meeting with a parent" in text
    assert "Parent: Mrs Sarah Hughes" in text
    assert "A homework plan agreed" in text
    assert {d["name"]: d["status"] for d in liaison.store.deadlines(case)} == {
        "reply_by": "met", "meeting": "met"}


def test_met_and_missed_deadlines_stay_on_record(liaison: Liaison) -> None:
    """A late acknowledgement is recorded when it happened; closing cancels what is left
    open; no deadline row is ever removed."""
    case = query_at(liaison, "with_subject_teacher", received_at="2026-11-16T10:00")
    fire(liaison, case, "acknowledge", "ST01")
    fire(liaison, case, "log_call", "ST01", call_notes="Mrs Hughes rang about the delay")
    rows = {d["name"]: d for d in liaison.store.deadlines(case)}
    assert rows["acknowledge_by"]["due_on"] == "2026-11-18"
    assert rows["acknowledge_by"]["met_at"][:10] == "2026-11-23"  # met, five days late
    fire(liaison, case, "resolve", "ST01", outcome="Extra help")
    fire(liaison, case, "close", "ST01")
    rows = {d["name"]: d for d in liaison.store.deadlines(case)}
    assert {n: r["status"] for n, r in rows.items()} == {"acknowledge_by": "met",
                                                         "respond_by": "met"}


# ---------------------------------------------------------------------- letters


def test_pwp_5_2_a_letter_is_acknowledged_by_letter(liaison: Liaison, school: Path) -> None:
    """A Polish-speaking parent's letter: the acknowledgement names who deals with it and
    offers an interpreter (PWP-5.6)."""
    case = open_query(liaison, student="S1002", contact="C2003",
                      summary="Zuzanna has lost her reading book").case
    fire(liaison, case, "route", "OF01", passed_to="ST01")
    outcome = fire(liaison, case, "acknowledge", "OF01")
    (path,) = documents(outcome).values()
    text = letter_text(school, path)
    for line in ("Mrs Agnieszka Nowak", "8 Willow Walk", "Our reference: " + case,
                 "Dear Mrs Nowak,", "Re: Zuzanna Nowak, Year 8 (8R)",
                 "Acknowledgement of your letter",
                 "Thank you for your letter about Zuzanna, which we received on Friday 20 "
                 "November 2026 at 2pm.\n",
                 "It is being dealt with by Miss Hannah Lowe (Subject Teacher).",
                 "You will have a full response from us by Friday 4 December 2026, within 10 "
                 "school days of receiving your letter, as our Partnership with Parents Policy "
                 "sets out.",
                 "we will arrange an interpreter (Polish)", "Mrs Janet Cole", "Office Manager"):
        assert line in text


def test_pwp_5_3_an_email_acknowledgement_is_recorded_not_posted(liaison: Liaison) -> None:
    case = open_query(liaison, channel="email").case
    outcome = fire(liaison, case, "acknowledge", "OF01", acknowledged_how="Replied by email")
    assert outcome.documents == []
    assert liaison.history(case, "OF01")[-1].fields == {"acknowledged_how": "Replied by email"}


def test_pwp_5_2_the_response_letter(liaison: Liaison, school: Path) -> None:
    case = query_at(liaison, "with_head_of_department")
    outcome = fire(liaison, case, "resolve", "HD01",
                   outcome="Ethan will join the Tuesday homework club from next week.")
    (path,) = documents(outcome).values()
    text = letter_text(school, path)
    for line in ("Response to your letter",
                 "Thank you for your letter about Ethan, received on Friday 20 November 2026 "
                 "at 2pm. Ethan will join the Tuesday homework club from next week.\n",
                 "If you feel that the matter is not resolved, please let us know and it will "
                 "be passed to the next member of staff on the route",
                 "Ms Fatima Begum", "Head of Mathematics"):
        assert line in text


@pytest.mark.parametrize(("channel", "words"), [("email", "email"),
                                                ("phone", "telephone call"),
                                                ("meeting_request", "request for a meeting")])
def test_letters_name_how_the_parent_got_in_touch(liaison: Liaison, school: Path,
                                                  channel: str, words: str) -> None:
    case = query_at(liaison, "with_subject_teacher", channel=channel)
    changed = fire(liaison, case, "escalate", "ST01", unresolved_because="x")
    assert f"Your {words} has been passed on" in letter_text(
        school, next(iter(documents(changed).values())))
    answered = fire(liaison, case, "resolve", "HD01", outcome="Done")
    assert f"Response to your {words}" in letter_text(
        school, next(iter(documents(answered).values())))


def test_pwp_3_6_the_letter_goes_to_the_parent_who_wrote_at_her_own_address(
        liaison: Liaison, school: Path) -> None:
    """Mr and Mrs Hughes asked for separate correspondence: the reply to her query goes
    to her alone, at her address."""
    case = query_at(liaison, "with_subject_teacher")
    outcome = fire(liaison, case, "resolve", "ST01", outcome="Extra help")
    assert [d.recipient for d in outcome.documents] == ["Mrs Sarah Hughes"]
    text = letter_text(school, outcome.documents[0].path)
    assert "14 Orchard Close" in text and "Daniel" not in text


def test_a_barred_contact_gets_no_letter(liaison: Liaison) -> None:
    """Mr Rahman is barred from correspondence (a court order): his letter is logged and
    acknowledged, but no letter goes to him."""
    case = open_query(liaison, student="S1003", contact="C2005").case
    outcome = fire(liaison, case, "acknowledge", "OF01")
    assert outcome.documents == []
    assert outcome.skipped == [{"template": "query_acknowledgement.docx", "contact": "C2005",
                                "why": "barred from correspondence"}]
    assert {d["name"]: d["status"] for d in liaison.store.deadlines(case)}["acknowledge_by"] \
        == "met"


def test_hsp_5_a_parent_under_a_site_ban_is_given_the_permitted_route(liaison: Liaison,
                                                                      school: Path) -> None:
    """A query from a parent banned from the site: the response invites no call or visit."""
    case_in(liaison, "site_ban_issued")
    move_clock(liaison, dt.datetime(2026, 12, 22, 9, 0))
    case = open_query(liaison, student="S1004", contact="C2006", kind="general",
                      subject_area=None).case
    fire(liaison, case, "route", "OF01")
    outcome = fire(liaison, case, "resolve", "OF01", outcome="Your request is noted.")
    text = letter_text(school, outcome.documents[0].path)
    assert "please do not come to the school site or contact members of staff" in text
    assert "You may write to the school by letter to the School Office." in text
    assert "please contact the School Office on" not in text


# ---------------------------------------------------------------------- calls (PWP-5.4)


def test_pwp_5_4_hsp_1_every_call_is_noted_without_moving_the_case(liaison: Liaison) -> None:
    case = query_at(liaison, "with_head_of_department")
    outcome = fire(liaison, case, "log_call", "FT01", call_notes="Mrs Hughes asked for news")
    assert outcome.state == "with_head_of_department" and outcome.documents == []
    assert liaison.store.case(case).holder == "HD01"  # a note does not take the case
    last = liaison.history(case, "FT01")[-1]
    assert (last.event, last.actor, last.fields) == ("log_call", "FT01",
                                                     {"call_notes": "Mrs Hughes asked for news"})


def test_pwp_5_4a_an_abusive_call_is_ended_and_reported_to_the_line_manager(
        liaison: Liaison, school: Path) -> None:
    case = query_at(liaison, "with_form_teacher", kind="pastoral")
    outcome = fire(liaison, case, "abusive_call", "HY09",
                   call_notes="Mrs Hughes swore at me & hung up")
    assert outcome.state == "with_form_teacher"
    assert outcome.opened == []
    docs = documents(outcome)
    assert set(docs) == {"query_abusive_call.docx Mr Samuel Okafor",
                         "query_abusive_call.docx File"}
    text = letter_text(school, docs["query_abusive_call.docx Mr Samuel Okafor"])
    for line in ("Report of a telephone call ended because the parent became angry or abusive",
                 "Recorded by: Mr Tom Reilly, Head of Year 9", "Copy for: Mr Samuel Okafor",
                 "Parent: Mrs Sarah Hughes",
                 "What the parent said or did: Mrs Hughes swore at me & hung up",
                 "The call was brought to a close and is reported immediately to the line "
                 "manager"):
        assert line in text


def test_pwp_5_4a_an_abusive_call_can_open_a_conduct_case_at_once(liaison: Liaison) -> None:
    case = query_at(liaison, "with_form_teacher", kind="pastoral")
    outcome = fire(liaison, case, "abusive_call", "HY09", call_notes="Threatened staff",
                   open_conduct_case="yes", severity="serious")
    (conduct,) = outcome.opened
    assert (conduct.workflow, conduct.state) == ("conduct_escalation", "incident_reported")
    row = liaison.store.case(conduct.case)
    assert (row.student_id, row.contact_id, row.opened_by) == ("S1001", "C2001", "HY09")
    assert row.fields == {"contact": "C2001", "incident_date": "2026-11-23",
                          "incident_summary": "Threatened staff", "severity": "serious"}
    # The next call opens nothing unless asked again: the choice is not carried over.
    again = fire(liaison, case, "abusive_call", "HY09", call_notes="Rang back, calmer")
    assert again.opened == []
    assert len(liaison.cases("HT01", workflow="conduct_escalation")) == 1


def test_pwp_5_4a_no_conduct_case_from_someone_who_may_not_open_one(liaison: Liaison) -> None:
    """A subject teacher may not open conduct cases: the whole command is refused, so the
    call is reported without the option, and the line manager decides."""
    case = query_at(liaison, "with_subject_teacher")
    before = snapshot(liaison)
    with pytest.raises(PermissionDenied, match="record the abusive call alone and the line "
                       "manager can open it"):
        liaison.advance(case, "abusive_call", "ST01", {
            "call_notes": ["Swore"], "open_conduct_case": ["yes"], "severity": ["concern"]})
    with pytest.raises(FieldError, match="open conduct_escalation: missing field 'severity'"):
        liaison.advance(case, "abusive_call", "OF01", {"call_notes": ["Swore"],
                                                       "open_conduct_case": ["yes"]})
    assert snapshot(liaison) == before


def test_pwp_5_4a_the_headteacher_has_no_line_manager_to_report_to(liaison: Liaison) -> None:
    case = query_at(liaison, "with_principal")
    outcome = fire(liaison, case, "abusive_call", "HT01", call_notes="Shouted")
    assert [d.recipient for d in outcome.documents] == ["File"]
    assert outcome.skipped == [{"template": "query_abusive_call.docx", "contact": "HT01",
                                "why": "no line manager in school.yaml"}]


def test_one_command_reports_the_call_and_opens_the_conduct_case(
        school_cli: Callable[..., Run], liaison: Liaison) -> None:
    """PWP-5.4a through the CLI: `liaison advance QRY-... abusive_call ... --set
    open_conduct_case=yes` writes the report and opens the conduct case."""
    case = query_at(liaison, "with_form_teacher", kind="pastoral")
    run = school_cli("advance", case, "abusive_call", "--as", "HY09", "--at",
                     (NOW + dt.timedelta(hours=2)).isoformat(timespec="minutes"),
                     "--set", "call_notes=Threatened staff", "--set", "open_conduct_case=yes",
                     "--set", "severity=serious")
    assert run.code == 0, run.err
    assert f"{case} (query_routing) is now with_form_teacher" in run.out
    assert "and opened:" in run.out
    assert "CON-2026-0001 (conduct_escalation) is now incident_reported" in run.out


def test_pwp_5_2_a_query_cannot_arrive_after_it_is_logged(liaison: Liaison) -> None:
    """PWP-5.2, 5.3: deadlines count from receipt, so a receipt time later than the moment
    the query is logged (a mistyped year) is refused and nothing is written."""
    from engine.errors import FieldError

    before = snapshot(liaison)
    late = (liaison.clock() + dt.timedelta(days=365)).isoformat(timespec="minutes")
    with pytest.raises(FieldError, match="received at .* is after the time"):
        open_query(liaison, received_at=late)
    assert snapshot(liaison) == before
