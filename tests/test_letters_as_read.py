"""Issue 9: the shipped letters read as the parent receiving them would read them.

Each test makes the real letter through the engine (or the CLI), reopens the .docx with
python-docx and asserts the sentences a parent reads: a lawful site-ban letter (HSP-5),
a banned parent's own copy of a joint letter, thanks only to those who attended or signed,
staff's notes quoted as sentences, and times, money and percentages as a school writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import CONDUCT_FIELDS, Run, case_in, letter_text, walk

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
