"""HSP-5: `liaison check` proves that no banned parent's copy of any letter invites them.

Each letter that can go to a parent is rendered for a parent under a site ban, and any
invitation to come in, to call or to attend is one error line at the document's line of
its workflow (or at the batch letter), with the template paragraph that says it. Planted
invitations are real paragraphs added to real .docx files with python-docx.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docx
from conftest import Run

from engine.core import ban_copy


def _add_paragraph(template: Path, text: str, *, before: str | None = None) -> None:
    """A paragraph added to a template's body (before the one starting ``before``)."""
    document = docx.Document(str(template))
    if before is None:
        document.add_paragraph(text)
    else:
        anchor = next(p for p in document.paragraphs if p.text.startswith(before))
        anchor.insert_paragraph_before(text)
    document.save(str(template))


def _yaml_line(workflow: Path, template: str) -> int:
    return next(n for n, line in enumerate(workflow.read_text().splitlines(), 1)
                if f"template: {template}" in line)


def test_hsp_5_the_shipped_letters_pass(cli: Callable[..., Run], school: Path) -> None:
    """HSP-5: every shipped letter to a parent, rendered under a ban, invites nobody in."""
    run = cli("check", "--school", school)
    assert run.code == 0, run.err
    assert run.out.splitlines()[-1].startswith("ok: ")


def test_hsp_5_an_invitation_outside_the_ban_condition_fails_at_its_lines(
        cli: Callable[..., Run], school: Path) -> None:
    """HSP-5: a warning letter that asks every parent to telephone fails check, at the
    document's line of conduct_escalation.yaml and the template's paragraph; exit 1."""
    _add_paragraph(school / "letters" / "conduct_formal_warning.docx",
                   "Please telephone the school on {{ school.phone }} to talk this over.",
                   before="Yours sincerely")
    run = cli("check", "--school", school)
    assert run.code == 1
    workflow = school / "workflows" / "conduct_escalation.yaml"
    line = _yaml_line(workflow, "conduct_formal_warning.docx")
    (error,) = [e for e in run.err.splitlines() if "('telephone the school'" in e]
    assert error.startswith(f"error: {workflow}:{line}: events.repeat_incident.documents."
                            "conduct_formal_warning.docx: conduct_formal_warning.docx invites "
                            "a parent barred from the site to come in or call ('telephone the "
                            "school', in \"body line ")
    assert "Please telephone the school on {{ school.phone }} to talk this over." in error
    assert "put it under {%p if not ban %}" in error
    # the school's number in the body is an invitation to call, said once more
    assert sum("'01632 960410'" in e for e in run.err.splitlines()) == 1
    assert "Traceback" not in run.err


def test_hsp_5_a_batch_letter_that_invites_a_banned_parent_fails(
        cli: Callable[..., Run], school: Path) -> None:
    """HSP-5, NSW-6: a praise letter inviting the family to come in fails at the batch
    letter; the same words under ``{%p if not ban %}`` pass."""
    template = school / "letters" / "praise_letter.docx"
    _add_paragraph(template, "Do come in and see the display of work in the library.",
                   before="Yours sincerely")
    run = cli("check", "--school", school)
    assert run.code == 1
    (error,) = [e for e in run.err.splitlines() if "('come in'" in e]
    assert error.startswith(f"error: {template}: praise_letter.docx invites a parent barred "
                            "from the site to come in or call ('come in', in \"body line ")
    document = docx.Document(str(template))
    planted = next(p for p in document.paragraphs if p.text.startswith("Do come in"))
    planted.insert_paragraph_before("{%p if not ban %}")
    following = planted.insert_paragraph_before("x")  # then move the planted one above it
    following._p.addprevious(planted._p)
    following.text = "{%p endif %}"
    document.save(str(template))
    run = cli("check", "--school", school)
    assert run.code == 0, run.err


def test_invitation_wording_is_found_whole_words_and_not_in_the_ban_sentence() -> None:
    body = ("While the present arrangements are in force, please do not come to the school "
            "site or contact members of staff. You may write to the school by letter to the "
            "School Office.\nWe are uninvited guests.\nPlease report to Reception at 8.40am.")
    found = ban_copy.invitations(body, phone="01632 960410")
    assert [(i.says, i.paragraph) for i in found] == [
        ("report to reception", "Please report to Reception at 8.40am.")]
    assert ban_copy.invitations("Call us on 01632 960410.", phone="01632 960410")[0].says \
        == "01632 960410"
