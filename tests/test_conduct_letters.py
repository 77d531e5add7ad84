"""The conduct letters as a parent receives them: real .docx files reopened from disk.

Addressing, date, reference, salutation, student, signatory and letterhead; the
interpreter sentence (PWP-5.6); separate letters for parents who asked for them (PWP-3.6)
and none for a contact barred from correspondence; awkward names rendered exactly; and
unsafe characters refused before anything is written.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import pytest
from conftest import (
    ONE_STEP_FIELDS,
    Run,
    case_files,
    case_in,
    letter_text,
    one_step_workflow,
    open_conduct,
    snapshot,
    walk,
)

from engine.errors import FieldError
from engine.service.liaison import Liaison, Outcome

LETTERHEAD = ("Hillcrest Academy", "Orchard Lane, Millbrook, Westshire, MB4 7QT",
              "Telephone 01632 960410 · office@hillcrest-academy.example.org",
              "Hillcrest Academy · www.hillcrest-academy.example.org")
TRICKY = "Zoë O'Brien & <Sons> \"Ltd\""


def test_hsp_2_a_letter_is_addressed_dated_and_signed_on_letterhead(liaison: Liaison) -> None:
    """HSP-2: the meeting is confirmed in writing: a real letter to the parent concerned
    at their address, dated, with our reference, Re: the student, signed by the member of
    staff who wrote it, on the school's letterhead. It opens in python-docx."""
    case = open_conduct(liaison).case
    asked = walk(liaison, case, [("request_meeting", "HY09")])
    path = liaison.school.root / asked.documents[0].path
    document = docx.Document(str(path))  # opens as Word would: a valid package
    assert document.paragraphs[0].text == "Tuesday 24 November 2026"
    text = letter_text(liaison.school.root, asked.documents[0].path)
    assert ("Mrs Zoë O'Brien\nRose Cottage\n3 Mill Lane\nMillbrook\nMB4 8AX\n\n"
            f"Our reference: {case}\n\nDear Mrs O'Brien,\n"
            "Re: Liam O'Brien, Year 7 (7P)\n") in text
    assert "Yours sincerely,\n\n\nMr Tom Reilly\nHead of Year 9" in text
    for line in LETTERHEAD:
        assert line in text
    assert "interpreter" not in text  # an English-speaking parent


def test_hsp_5_the_site_ban_is_the_headteachers_letter(liaison: Liaison) -> None:
    """HSP-5: a formal letter from the headteacher banning the parent temporarily from the
    site and all communication with staff until a resolution is agreed, with the reasons,
    the route by which they may still write, the representations date and the review."""
    case = case_in(liaison, "warning_issued")
    banned = walk(liaison, case, [("issue_site_ban", "HT01")])
    (letter,) = banned.documents
    assert (letter.template, letter.recipient) == ("conduct_site_ban.docx", "Mrs Zoë O'Brien")
    text = letter_text(liaison.school.root, letter.path)
    assert ("from Monday 7 December 2026, you are banned temporarily from the school site and "
            "from all communication with members of staff, until a resolution is agreed") in text
    assert ("I have taken this decision for the following reasons. Repeated abuse of "
            "staff.\n") in text
    assert "You may write to the school by letter to the School Office." in text
    assert "representations about this decision, in writing, until Monday 14 December 2026" in text
    assert "The ban will be reviewed by Friday 15 January 2027." in text
    assert ("Taking Liam to and from school\nLiam may be dropped off and collected at the "
            "Orchard Lane gate, where a member of staff will meet him.\n") in text
    assert text.split("Yours sincerely,")[1].lstrip("\n").startswith("Dr Helen Marsh\nHeadteacher")
    assert "please contact the School Office on" not in text
    for line in LETTERHEAD:
        assert line in text


def test_pwp_5_6_a_polish_speaking_parent_is_offered_an_interpreter(liaison: Liaison) -> None:
    """PWP-5.6: an interpreter is obtained where a parent's first language is not English:
    the meeting letter to S1002's mother (C2003, Polish) says one will be arranged."""
    case = open_conduct(liaison, student="S1002", contact="C2003").case
    asked = walk(liaison, case, [("request_meeting", "OF01")])
    text = letter_text(liaison.school.root, asked.documents[0].path)
    assert "Mrs Agnieszka Nowak\n8 Willow Walk\nMillbrook\nMB3 1HD" in text
    assert "Dear Mrs Nowak," in text
    assert ("If it would help, we will arrange an interpreter (Polish) for any meeting with "
            "the school, at no cost to you.") in text


# --------------------------------------------------------------------------- recipients

Family = Callable[[str, str], tuple[Liaison, Outcome]]


@pytest.fixture
def family(liaison: Liaison) -> Iterator[Family]:
    """Open a `family_letter` case writing to ``to`` (contacts | each_contact): the conduct
    workflow writes only to the parent concerned, so the family is written to by this one."""
    opened: list[Liaison] = []

    def open_for(student: str, to: str) -> tuple[Liaison, Outcome]:
        root = liaison.school.root
        one_step_workflow(root, "family_letter", "A letter to the family",
                          [f"conduct_resolution.docx to {to}"])
        engine = Liaison.at(root, clock=liaison.clock)
        opened.append(engine)
        return engine, engine.open("family_letter", student, "OF01", ONE_STEP_FIELDS)

    yield open_for
    for engine in opened:
        engine.close()


def _letters(engine: Liaison, outcome: Outcome) -> dict[str, str]:
    return {d.recipient: letter_text(engine.school.root, d.path) for d in outcome.documents}


def test_pwp_3_6_parents_who_asked_for_separate_letters_each_get_their_own(family: Family) -> None:
    """PWP-3.6: told in writing that information must go to each parent separately, the
    school sends it to each separately: S1001's parents (C2001, C2002) each get a letter
    at their own address."""
    engine, outcome = family("S1001", "contacts")
    letters = _letters(engine, outcome)
    assert sorted(letters) == ["Mr Daniel Hughes", "Mrs Sarah Hughes"]
    mother, father = letters["Mrs Sarah Hughes"], letters["Mr Daniel Hughes"]
    assert "Mrs Sarah Hughes\n14 Orchard Close\nMillbrook\nMB4 7QT" in mother
    assert "Dear Mrs Hughes," in mother and "Daniel" not in mother
    assert "Mr Daniel Hughes\nFlat 3\n27 Station Road\nMillbrook\nMB2 5LP" in father
    assert "Dear Mr Hughes," in father and "Sarah" not in father
    for text in letters.values():
        assert "Re: Ethan Hughes, Year 9 (9P)" in text
        assert "\nA fresh start" in text


def test_pwp_3_6_parents_sharing_correspondence_get_one_joint_letter(family: Family) -> None:
    """PWP-3.6 (the other side): S1009's parents did not ask for separate letters, so
    `to: contacts` writes one letter to both; `to: each_contact` writes one each."""
    engine, joint = family("S1009", "contacts")
    letters = _letters(engine, joint)
    assert list(letters) == ["Mrs Anjali Sharma and Mr Vikram Sharma"]
    text = letters["Mrs Anjali Sharma and Mr Vikram Sharma"]
    assert "Mrs Anjali Sharma and Mr Vikram Sharma\n3 Beech Grove" in text
    assert "Dear Mrs Sharma and Mr Sharma," in text
    engine, each = family("S1009", "each_contact")
    assert sorted(_letters(engine, each)) == ["Mr Vikram Sharma", "Mrs Anjali Sharma"]


def test_a_contact_barred_from_correspondence_never_gets_a_letter(
        family: Family, liaison: Liaison) -> None:
    """A contact with `correspondence: none` (S1003's father C2005, e.g. a court order)
    receives no letter whatever the template says, and is reported as skipped."""
    case = open_conduct(liaison, student="S1003", contact="C2005").case
    asked = walk(liaison, case, [("request_meeting", "OF01")])
    assert asked.documents == []
    assert asked.skipped == [{"template": "conduct_meeting_request.docx", "contact": "C2005",
                              "why": "barred from correspondence"}]
    for to in ("contacts", "each_contact"):
        engine, outcome = family("S1003", to)
        assert [d.recipient for d in outcome.documents] == ["Ms Nasreen Rahman"]
        assert outcome.skipped == [{"template": "conduct_resolution.docx", "contact": "C2005",
                                    "why": "barred from correspondence"}]
    assert all(d["recipient_id"] != "C2005" for d in liaison.store.documents())


def test_a_barred_contact_is_reported_as_skipped_by_the_cli(
        liaison: Liaison, school_cli: Callable[..., Run]) -> None:
    case = open_conduct(liaison, student="S1003", contact="C2005").case
    run = school_cli("advance", case, "request_meeting", "--as", "OF01",
                     "--set", "meeting_at=2026-11-26T15:30", "--set", "with_staff=HY09")
    assert run.code == 0, run.err
    assert ("no conduct_meeting_request.docx for contact C2005: barred from correspondence"
            in run.out)
    run = school_cli("show", case, "--as", "OF01", "--json")
    assert run.json()["documents"] == []


# --------------------------------------------------------------------------- awkward text


def _rename_demo_parent(liaison: Liaison, tmp_path: Path, last_name: str) -> None:
    """Re-import the sample contacts with C2006's last name changed."""
    source = liaison.school.root / "samples" / "contacts.csv"
    rows = list(csv.DictReader(io.StringIO(source.read_text(encoding="utf-8"))))
    for row in rows:
        if row["id"] == "C2006":
            row["last_name"] = last_name
    target = tmp_path / "contacts.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    liaison.import_contacts(target)


def test_a_name_with_ampersand_angle_brackets_and_quotes_renders_exactly(
        liaison: Liaison, tmp_path: Path) -> None:
    """`Zoë O'Brien & <Sons> "Ltd"` in a contact's name and in a field value comes out of
    the letter exactly as typed, and the XML escapes it (nothing vanishes, nothing breaks)."""
    _rename_demo_parent(liaison, tmp_path, "O'Brien & <Sons> \"Ltd\"")
    case = open_conduct(liaison, incident_summary=TRICKY).case
    warned = walk(liaison, case, [("repeat_incident", "HY09")],
                  repeat_incident={"repeat_date": ["2026-12-03"], "repeat_summary": [TRICKY]})
    path = liaison.school.root / warned.documents[0].path
    text = letter_text(liaison.school.root, warned.documents[0].path)
    assert f"Mrs {TRICKY}\nRose Cottage" in text
    assert "Dear Mrs O'Brien & <Sons> \"Ltd\"," in text
    assert f"on Thursday 3 December 2026. {TRICKY}." in text
    body = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    assert "&amp; &lt;Sons&gt;" in body
    assert "<Sons>" not in body
    record = liaison.view(case, "HY09")
    assert record.fields["incident_summary"] == TRICKY


@pytest.mark.parametrize("bad,what", [("\x0b", "U+000B"), ("\x01", "U+0001"),
                                      ("\u202e", "U+202E"), ("\ud800", "U+D800")])
def test_unsafe_characters_in_a_set_value_are_refused_and_nothing_is_written(
        liaison: Liaison, school_cli: Callable[..., Run], bad: str, what: str) -> None:
    """A control character pasted from Word (`\\x0b`), a bidirectional override or a lone
    surrogate is refused with one error line naming the field and the position; the
    database and cases/ are unchanged, on open and on advance."""
    before = snapshot(liaison)
    run = school_cli("open", "conduct_escalation", "--student", "S1004", "--as", "HY09",
                     "--set", "contact=C2006", "--set", "incident_date=2026-11-20",
                     "--set", "severity=concern", "--set", f"incident_summary=Shouted{bad}here")
    assert run.code == 1
    assert run.err.count("\n") == 1 and run.err.startswith("error: ")
    assert_refused(run.err, "incident_summary", what, 8, bad)
    assert snapshot(liaison) == before

    case = open_conduct(liaison).case
    before = snapshot(liaison)
    run = school_cli("advance", case, "repeat_incident", "--as", "HY09",
                     "--set", "repeat_date=2026-11-24", "--set", f"repeat_summary=a{bad}")
    assert run.code == 1
    assert_refused(run.err, "repeat_summary", what, 2, bad)
    assert snapshot(liaison) == before


def assert_refused(err: str, field: str, what: str, position: int, bad: str) -> None:
    """The field and the character's position; a lone surrogate cannot be text at all, so
    it is refused as the argument it came in (issue 15), before any field is read."""
    if bad == "\ud800":
        assert f"--set '{field}=" in err and "is not valid UTF-8" in err
    else:
        assert f"field '{field}'" in err and f"{what} at position {position}" in err


def test_text_is_normalised_and_capped(liaison: Liaison) -> None:
    """Field values are stored in NFC (one spelling of "Zoë"); over-long text is refused."""
    case = open_conduct(liaison, incident_summary="Zoe\u0308 shouted").case
    assert liaison.store.case(case).fields["incident_summary"] == "Zoë shouted"
    before = snapshot(liaison)
    with pytest.raises(FieldError, match="field 'repeat_summary': text is 2001 characters"):
        walk(liaison, case, [("repeat_incident", "HY09")],
             repeat_incident={"repeat_date": ["2026-11-24"], "repeat_summary": ["x" * 2001]})
    assert snapshot(liaison) == before


def test_every_letter_of_a_full_case_opens_and_names_its_recipient(liaison: Liaison) -> None:
    """Every document of a case walked through every event opens with python-docx, is
    addressed to the recipient its row names, and is the file its row's hash says."""
    case = case_in(liaison, "site_ban_confirmed")
    walk(liaison, case, [("review_ban", "HT01"), ("lift_ban", "HT01"), ("resolve", "HY09")])
    other = case_in(liaison, "meeting_requested")
    walk(liaison, other, [("end_meeting", "HY09"), ("reconvene_meeting", "VP02"),
                          ("record_meeting", "VP02"), ("repeat_incident", "HY09"),
                          ("seek_legal_advice", "VP02")])
    documents = liaison.store.documents()
    made = {d["template"] for d in documents}
    templates = {d.template for e in liaison.school.workflow("conduct_escalation").events.values()
                 for d in e.documents}
    assert made == templates
    files = case_files(liaison.school.root)
    assert set(files) == {d["path"] for d in documents}
    for row in documents:
        assert files[row["path"]] == row["sha256"]
        text = letter_text(liaison.school.root, row["path"])
        assert row["recipient_name"] in text
