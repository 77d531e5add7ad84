"""Issue 9: the shipped letters read as the parent receiving them would read them.

Each test makes the real letter through the engine (or the CLI), reopens the .docx with
python-docx and asserts the sentences a parent reads: a lawful site-ban letter (HSP-5),
a banned parent's own copy of a joint letter, thanks only to those who attended or signed,
staff's notes quoted as sentences, and times, money and percentages as a school writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    CONDUCT_FIELDS,
    NOW,
    OPENING,
    ROOT,
    Run,
    case_in,
    letter_text,
    move_clock,
    snapshot,
    walk,
)
from test_letters_render import synthesise

from engine.errors import FieldError
from engine.letters import renderer as letters
from engine.letters.renderer import docx_text
from engine.service.liaison import Liaison


def _paragraphs(school: Path, path: str) -> list[str]:
    return letter_text(school, path).split("\n")


def test_hsp_5_a_ban_needs_reasons_a_representations_date_and_the_school_run(
        school_cli: Callable[..., Run], liaison: Liaison) -> None:
    """HSP-5: the national guidance expects a ban letter to give its reasons and the date
    by which representations may be made, and the family to know how the child gets to
    and from school: without any of them the ban is refused and nothing is written."""
    case = case_in(liaison, "warning_issued")
    given = CONDUCT_FIELDS["issue_site_ban"]
    for missing in ("reasons", "representations_by", "arrangements"):
        sets = [a for k, v in given.items() if k != missing for a in ("--set", f"{k}={v[0]}")]
        run = school_cli("advance", case, "issue_site_ban", "--as", "HT01", *sets)
        assert run.code == 1, missing
        assert missing in run.err
    assert school_cli("show", case, "--as", "HT01", "--json").json()["state"] == "warning_issued"


def test_hsp_5_a_review_writes_to_the_parent_with_the_next_review_date(
        liaison: Liaison) -> None:
    """HSP-5: a review changes the review date; the parent is told it, with what the
    review found in words for her, so she never holds the old date."""
    case = case_in(liaison, "site_ban_issued")
    reviewed = walk(liaison, case, [("review_ban", "HT01")])
    letter = next(d for d in reviewed.documents if d.template == "conduct_ban_reviewed.docx")
    assert letter.recipient == "Mrs Zoë O'Brien"
    lines = _paragraphs(liaison.school.root, letter.path)
    assert ("I am writing to tell you that the ban from the school site and from communication "
            "with staff, in force since Monday 7 December 2026, has been reviewed. There have "
            "been no further incidents, and I thank you for writing to the school as we "
            "asked.") in lines
    assert ("The ban will continue for now. It will next be reviewed by Monday 15 February "
            "2027, and I will write to you again then.") in lines
    assert "Taking Liam to and from school" in lines
    assert ("While the ban is in force, please do not come onto the school site or contact "
            "members of staff. You may write to the school by letter to the School Office."
            ) in lines
    assert not any("please contact the School Office on" in line for line in lines)


def test_hsp_5_confirming_and_lifting_say_where_the_family_stands(liaison: Liaison) -> None:
    """HSP-5, HSP-6: the confirmation repeats the school-run arrangements and the next
    review; the lifting says the parent may bring and collect the child again. A note
    written without a full stop reads as a sentence."""
    case = case_in(liaison, "site_ban_confirmed")
    lines = _paragraphs(liaison.school.root,
                        liaison.documents("HT01", case=case).items[-1].path)
    assert ("I have decided that the ban from the school site and from communication with "
            "staff will continue. It will next be reviewed by Monday 15 February 2027, and I "
            "will write to you after each review.") in lines
    assert ("Liam may be dropped off and collected at the Orchard Lane gate, where a member "
            "of staff will meet him.") in lines
    lifted = walk(liaison, case, [("lift_ban", "HT01")])
    lines = _paragraphs(liaison.school.root, lifted.documents[0].path)
    assert ("I am writing to tell you that the ban from the school site and from communication "
            "with staff, in force since Monday 7 December 2026, is lifted with effect from "
            "today. A restorative plan is agreed.") in lines
    assert ("You are welcome to bring Liam to school and to collect Liam as before, and to "
            "contact members of staff in the usual way.") in lines


# ------------------------------------------------- a ban applies to a person, not a letter

ROUTE = "by letter to the School Office"
# What a banned parent's copy never says: an invitation to come in, to call or to attend.
INVITATIONS = ("contact the School Office", "School Office on", "Reception", "invite you",
               "come in", "telephone the school", "warmly invited", "please contact us")


def _readmission_invited(engine: Liaison, student: str = "S1004") -> tuple[str, dict[str, str]]:
    """A readmission for ``student`` with the parents invited; each letter's text by name."""
    opened = engine.open("readmission", student, "HY09", {
        "exclusion_start": ["2026-12-07"], "exclusion_end": ["2026-12-09"],
        "reason": ["Fighting in the playground"]})
    invited = engine.advance(opened.case, "invite", "HY09", {
        "meeting_at": ["2026-12-10T08:45"], "smt_member": ["VP02"]})
    return opened.case, {d.recipient: letter_text(engine.school.root, d.path)
                         for d in invited.documents}


def test_hsp_5_nsw_5_a_banned_parent_gets_her_own_invitation_and_the_father_the_full_one(
        liaison: Liaison) -> None:
    """HSP-5, NSW-5, PWP-3.6: the O'Briens share correspondence, but Mrs O'Brien is banned
    from the site: the joint invitation is split. Her copy invites her to no visit or call
    and gives the permitted route once; Mr O'Brien's is the normal invitation, with no word
    of a ban."""
    case_in(liaison, "site_ban_issued")
    _case, texts = _readmission_invited(liaison)
    assert set(texts) == {"Mrs Zoë O'Brien", "Mr Seán O'Brien"}
    hers, his = texts["Mrs Zoë O'Brien"], texts["Mr Seán O'Brien"]
    assert "Dear Mrs O'Brien,\n" in hers and "Dear Mr O'Brien,\n" in his
    assert "Liam has been suspended from school from Monday 7 December 2026 to Wednesday 9 " \
           "December 2026." in hers
    assert ("I would like to meet you and Liam on Thursday 10 December 2026 at 8.45am with Mr "
            "Samuel Okafor, a member of the senior management team. As a ban from the school "
            "site is in force, the meeting will be held away from the school site, at a place "
            "we will confirm in writing.") in hers
    assert hers.count(ROUTE) == 1
    for invitation in INVITATIONS:
        assert invitation not in hers, invitation
    assert ("I would like to invite you to a readmission meeting at the school on Thursday 10 "
            "December 2026 at 8.45am with Mr Samuel Okafor") in his
    assert "please contact the School Office as soon as possible" in his
    assert "ban" not in his and "please do not come" not in his
    assert "fixed period" not in hers + his


def test_nsw_4_options_evening_under_a_ban_one_route_paragraph_and_the_father_gets_details(
        school_cli: Callable[..., Run], liaison: Liaison) -> None:
    """NSW-4, HSP-5: the options evening letter to the O'Briens while Mrs O'Brien is banned:
    hers says once how to write, with no date or venue to come to; his has the date, the
    times as a school writes them ("6pm") and the venue."""
    case_in(liaison, "site_ban_issued")
    run = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--year", "7",
                     "--set", "evening_date=2027-02-04", "--set", "start_time=18:00",
                     "--set", "end_time=20:00", "--set", "venue=the Main Hall",
                     "--set", "return_by=2027-02-26")
    assert run.code == 0, run.err
    rows = [d for d in liaison.documents("OF01", student="S1004").items]
    texts = {d.recipient: letter_text(liaison.school.root, d.path) for d in rows}
    hers, his = texts["Mrs Zoë O'Brien"], texts["Mr Seán O'Brien"]
    assert hers.count("please do not come to the school site") == 1
    assert hers.count(ROUTE) == 1
    assert "Main Hall" not in hers and "warmly invited" not in hers
    assert ("You are warmly invited to our Options Evening on Thursday 4 February 2027, from "
            "6pm to 8pm, in the Main Hall.") in his
    assert "return the completed options form to the School Office by Friday 26 February " \
           "2027." in his
    assert "do not come" not in his


@pytest.mark.parametrize("template", sorted(
    p.name for p in (ROOT / "letters").glob("*.docx")
    if "recipient.salutation" in docx_text(p.read_bytes())))
def test_hsp_5_no_letter_to_a_banned_parent_invites_them_in(template: str) -> None:
    """HSP-5: every shipped letter to a parent, rendered for a parent under a ban, invites
    them neither onto the site nor to call, and gives the permitted route at most once."""
    context = synthesise(ROOT / "letters" / template)
    context["ban"] = {"contact_route": ROUTE, "review_on": "Friday 15 January 2027",
                      "ban_from": "Monday 7 December 2026", "arrangements": ""}
    text = docx_text(letters.render(ROOT / "letters" / template, context))
    for invitation in INVITATIONS:
        assert invitation not in text, invitation
    assert text.count(ROUTE) <= 1


# ------------------------------------------------- thanks only to those who took part

def test_nsw_5_thanks_only_the_parent_who_attended(liaison: Liaison) -> None:
    """NSW-5: Mr O'Brien came to the readmission meeting and Mrs O'Brien did not: the
    joint letter thanks him by name; the Hughes parents (separate letters) are thanked
    only where recorded as attending."""
    case, _texts = _readmission_invited(liaison)
    meeting = {"attendees": ["C2007", "S1004", "VP02"], "targets": ["Arrive on time"]}
    move_clock(liaison, NOW + dt.timedelta(days=17, hours=2))
    plan = liaison.advance(case, "record_meeting", "HY09", meeting)
    (joint,) = [d for d in plan.documents if d.template == "readmission_plan.docx"]
    text = letter_text(liaison.school.root, joint.path)
    assert ("Thank you to Mr Seán O'Brien for attending the readmission meeting with Liam on "
            "Thursday 10 December 2026 at 8.45am. I am writing to confirm the targets agreed "
            "there to help Liam settle back into school:") in text
    assert "Thank you for attending" not in text
    case, _texts = _readmission_invited(liaison, "S1001")
    meeting = {"attendees": ["C2001", "S1001", "VP02"], "targets": ["Arrive on time"]}
    plan = liaison.advance(case, "record_meeting", "HY09", meeting)
    texts = {d.recipient: letter_text(liaison.school.root, d.path) for d in plan.documents
             if d.template == "readmission_plan.docx"}
    assert "Thank you for attending the readmission meeting" in texts["Mrs Sarah Hughes"]
    assert "Thank you" not in texts["Mr Daniel Hughes"]
    assert ("A readmission meeting was held with Ethan on Thursday 10 December 2026 at 8.45am. "
            "I am writing to tell you the targets agreed there") in texts["Mr Daniel Hughes"]


def test_nsw_1_thanks_for_signing_only_to_the_parent_who_signed(liaison: Liaison) -> None:
    """NSW-1: Mrs O'Brien signed the agreement; the signed copy goes to both O'Briens
    jointly, so it thanks nobody for signing and names who signed."""
    case = liaison.open("home_school_agreement", "S1004", "OF01", {}).case
    liaison.advance(case, "record_parent_signature", "OF01",
                    {"parent_signed_by": ["C2006"], "parent_signed_on": ["2026-11-23"]})
    signed = liaison.advance(case, "record_principal_signature", "HT01",
                             {"principal_signed_by": ["HT01"],
                              "principal_signed_on": ["2026-11-23"]})
    (copy,) = signed.documents
    assert copy.recipient == "Mrs Zoë O'Brien and Mr Seán O'Brien"
    text = letter_text(liaison.school.root, copy.path)
    assert "Thank you for signing" not in text
    assert ("The Home–School Agreement for Liam has now been signed by both home and "
            "school:") in text
    assert "signed by Mrs Zoë O'Brien, parent or carer, on Monday 23 November 2026" in text


# ------------------------------------------------- staff's words, as a parent reads them

def test_hsp_3_the_warning_quotes_what_happened_as_a_sentence(liaison: Liaison) -> None:
    """HSP-3: the summary of the repeat is its own sentence, with its full stop, not
    dropped after a colon ("on Thursday 19 November 2026: Abusive emails to ...")."""
    case = case_in(liaison, "incident_reported")
    warned = walk(liaison, case, [("repeat_incident", "HY09")], repeat_incident={
        "repeat_date": ["2026-11-19"], "repeat_summary": ["you sent abusive emails to three "
                                                          "teachers"]})
    lines = _paragraphs(liaison.school.root, warned.documents[0].path)
    assert ("I am writing about your conduct towards members of the school community on "
            "Thursday 19 November 2026. You sent abusive emails to three teachers.") in lines
    assert not any(": " in line and "2026:" in line for line in lines)


def test_hsp_6_a_note_that_speaks_of_the_parent_to_the_parent_is_refused(
        liaison: Liaison) -> None:
    """HSP-6: "Mrs O'Brien has agreed to the restorative plan." is not sent to Mrs
    O'Brien: the note is refused, naming the field, and nothing is written; written to
    her as "you", it goes."""
    case = case_in(liaison, "site_ban_issued")
    before = snapshot(liaison)
    with pytest.raises(FieldError) as info:
        walk(liaison, case, [("lift_ban", "HT01")], lift_ban={
            "lift_reason": ["Mrs O'Brien has agreed to the restorative plan."]})
    assert str(info.value) == (
        "field 'lift_reason': it speaks of Mrs O'Brien, to whom conduct_ban_lifted.docx is "
        "written: write to the parent as 'you' (e.g. 'You have agreed ...')")
    assert snapshot(liaison) == before
    lifted = walk(liaison, case, [("lift_ban", "HT01")], lift_ban={
        "lift_reason": ["you have agreed to the restorative plan"]})
    text = letter_text(liaison.school.root, lifted.documents[0].path)
    assert "is lifted with effect from today. You have agreed to the restorative plan.\n" in text


def test_bem_2_the_reconvened_meeting_has_its_own_letter(liaison: Liaison) -> None:
    """BEM-2: the letter reconvening a meeting says the first was ended, and that a member
    of the Leadership Team will be there; it does not repeat the first letter."""
    case = case_in(liaison, "meeting_ended")
    again = walk(liaison, case, [("reconvene_meeting", "VP02")])
    (letter,) = again.documents
    assert letter.template == "conduct_meeting_reconvened.docx"
    lines = _paragraphs(liaison.school.root, letter.path)
    assert ("Our earlier meeting about Liam, following the incident on Friday 20 November "
            "2026, was brought to a close before we could finish, and has been reported to the "
            "school's leadership as our policy requires.") in lines
    assert ("I would like to meet you again on Tuesday 1 December 2026 at 4.15pm at the school, "
            "with Mr Samuel Okafor, a member of the Leadership Team. Please report to Reception "
            "when you arrive. If this time is not convenient, please contact the School Office "
            "so that we can arrange another.") in lines


def test_nsw_1_the_agreement_calls_the_head_by_the_schools_own_title(
        liaison: Liaison) -> None:
    """NSW-1: the demo school's staff list calls its head "Headteacher": so does the
    agreement, never "Principal"."""
    opened = liaison.open("home_school_agreement", "S1009", "OF01", {})
    text = letter_text(liaison.school.root, opened.documents[0].path)
    assert "It will then be signed by or for the Headteacher, and we will send you" in text
    assert "Signed (by or for the Headteacher):" in text
    assert "Principal" not in text


def test_pwp_5_2_the_acknowledgement_says_by_when_the_parent_will_hear(
        liaison: Liaison) -> None:
    """PWP-5.2: a letter is answered within 10 school days of receipt; the acknowledgement
    gives that date (the deadline the case holds), and the count from the workflow."""
    opened = liaison.open("query_routing", "S1004", "OF01", {
        "contact": ["C2006"], "kind": ["general"], "channel": ["letter"],
        "received_at": ["2026-11-20T10:00"], "summary": ["Asks about the uniform"]})
    assert {"name": "respond_by", "due": "2026-12-04"} in opened.deadlines
    acknowledged = liaison.advance(opened.case, "acknowledge", "OF01", {})
    (letter,) = acknowledged.documents
    lines = _paragraphs(liaison.school.root, letter.path)
    assert ("You will have a full response from us by Friday 4 December 2026, within 10 "
            "school days of receiving your letter, as our Partnership with Parents Policy "
            "sets out.") in lines
    assert not any("We aim to" in line for line in lines)


def test_pwp_5_2_check_refuses_a_deadline_the_workflow_does_not_set(
        cli: Callable[..., Run], school: Path) -> None:
    """A letter that reads ``deadlines.respond_bye`` is refused by check at the document's
    line, with the name meant."""
    import docx

    template = school / "letters" / "query_acknowledgement.docx"
    document = docx.Document(str(template))
    document.add_paragraph("By {{ deadlines.respond_bye.date }}.")
    document.save(str(template))
    run = cli("check", "--school", school)
    assert run.code == 1
    assert ("events.acknowledge.documents.query_acknowledgement.docx: the letter reads "
            "deadline 'respond_bye', which the workflow does not set: did you mean "
            "'respond_by'?") in run.err


def test_hsp_3_the_warning_is_signed_by_the_head_of_the_pupils_own_year(
        liaison: Liaison) -> None:
    """HSP-3: Liam is in Year 7; the Head of Year 9 records the repeat, and the warning
    goes out over the Head of Year 7's name (``signed_by: head_of_year``); the history
    still says who recorded it."""
    case = case_in(liaison, "warning_issued")
    letter = liaison.documents("HY09", case=case).items[-1]
    text = letter_text(liaison.school.root, letter.path)
    assert "Yours sincerely,\n\n\nMs Rosa Lindqvist\nHead of Year 7\n" in text
    assert "Mr Tom Reilly" not in text
    assert liaison.history(case, "HY09").items[-1].actor == "HY09"


def test_hsp_3_with_no_head_for_the_pupils_year_the_actor_signs_and_is_told(
        liaison: Liaison) -> None:
    """HSP-3: school.yaml names no Head of Year 11; Amira's warning is signed by the Head
    of Year 9 who recorded it, and the advance says why, naming the key to add."""
    move_clock(liaison, NOW)
    case = liaison.open("conduct_escalation", "S1005", "HY09",
                        {**OPENING, "contact": ["C2008"]}).case
    warned = walk(liaison, case, [("repeat_incident", "HY09")])
    text = letter_text(liaison.school.root, warned.documents[0].path)
    assert "Yours sincerely,\n\n\nMr Tom Reilly\nHead of Year 9\n" in text
    assert warned.warnings == [
        "conduct_formal_warning.docx signed by Mr Tom Reilly (Head of Year 9): school.yaml "
        "names no head of year for Year 11 or Heron house (give one 'year: 11')"]
