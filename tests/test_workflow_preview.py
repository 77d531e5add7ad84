"""Trying a workflow's letter without opening a case (issue 16), through the real CLI.

`liaison letters preview TEMPLATE --workflow W [--event E] [--student S] --as STAFF
[--set ...]` makes the letter as the event would, from sample values and what --set gives,
and writes it under cases/previews/, readable by its owner only. No case is opened: the
database (audit trail included) is byte for byte as before, and cases/documents too.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, case_files

from engine.letters.renderer import docx_text
from engine.service.liaison import Liaison

Cli = Callable[..., Run]


def _documents(school: Path) -> dict[str, str]:
    return {k: v for k, v in case_files(school).items() if not k.startswith("previews/")
            and "/previews/" not in k}


def test_a_workflow_letter_previews_for_a_real_family_and_records_nothing(
        school_cli: Cli, liaison: Liaison, school: Path) -> None:
    before = liaison.store.dump(), _documents(school)
    run = school_cli("letters", "preview", "conduct_site_ban", "--workflow",
                     "conduct_escalation", "--student", "S1004", "--as", "HT01",
                     "--set", "ban_from=2026-12-01", "--set", "reasons=You shouted at staff")
    assert run.code == 0, run.err
    first, where = run.out.splitlines()
    assert first == ("preview of the letter to Mrs Zoë O'Brien (1 of 1); nothing was "
                     "recorded:")
    path = Path(where)
    assert path.parent == school / "cases" / "previews"
    assert path.name.startswith("conduct_site_ban-S1004-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = docx_text(path.read_bytes())
    assert "Dear Mrs O'Brien," in text and "Re: Liam O'Brien, Year 7 (7P)" in text
    assert "from Tuesday 1 December 2026, you are banned temporarily" in text
    assert "You shouted at staff." in text
    assert "Our reference: CON-PREVIEW" in text
    assert "\nDr Helen Marsh\nHeadteacher\n" in text
    assert (liaison.store.dump(), _documents(school)) == before


def test_without_a_student_the_letter_is_for_a_sample_pupil_and_parent(
        school_cli: Cli, liaison: Liaison, school: Path) -> None:
    before = liaison.store.dump()
    run = school_cli("letters", "preview", "conduct_meeting_request.docx", "--workflow",
                     "conduct_escalation", "--as", "HY09", "--set", "with_staff=HY09",
                     "--json")
    assert run.code == 0, run.err
    made = run.json()
    assert made["recipient"] == "Ms Sample Parent"
    text = docx_text(Path(made["path"]).read_bytes())
    assert "Sample Pupil" in text and "Mr Tom Reilly" in text and "O'Brien" not in text
    assert liaison.store.dump() == before


@pytest.mark.parametrize("args,message", [
    (["conduct_site_ban", "--workflow", "conduct_escalation", "--as", "OF01"],
     "error: OF01 (Mrs Janet Cole) may not preview a letter of conduct_escalation "
     "issue_site_ban: only headteacher\n"),
    (["conduct_site_ban", "--workflow", "conduct_escalation", "--event", "issue_ban",
      "--as", "HT01"],
     "error: conduct_escalation issue_ban does not send conduct_site_ban.docx: did you mean "
     "'issue_site_ban'? (it is sent by: issue_site_ban)\n"),
    (["conduct_site_ban", "--workflow", "conduct_escalation", "--as", "HT01",
      "--set", "ban_form=2026-12-01"],
     "error: --set ban_form: conduct_escalation has no field 'ban_form': did you mean "
     "'ban_from'? (see 'liaison workflows show conduct_escalation')\n"),
    (["praise_letter", "--workflow", "conduct_escalation", "--as", "HT01"],
     "error: conduct_escalation sends no letter praise_letter.docx\n"),
])
def test_preview_refusals_are_one_line_and_change_nothing(
        school_cli: Cli, liaison: Liaison, school: Path, args: list[str],
        message: str) -> None:
    before = liaison.store.dump(), case_files(school)
    run = school_cli("letters", "preview", *args)
    assert (run.code, run.err, run.out) == (1, message, "")
    assert (liaison.store.dump(), case_files(school)) == before
