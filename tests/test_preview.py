"""Previewing a batch letter and listing the templates, through the CLI (NSW-4, NSW-6).

`liaison letters preview` writes one letter to a temporary folder, prints its path and
records nothing: the database and cases/ are byte for byte as before. `liaison letters
list` names every template, how it is sent, and the fields it needs.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Run, case_files

from engine.core.context import long_date
from engine.letters.renderer import docx_text
from engine.service.liaison import Liaison

Cli = Callable[..., Run]
PRAISE = ["--set", "term=the Autumn term 2026",
          "--set", "achievement=Liam read forty books for the library challenge."]


def preview(school_cli: Cli, *args: str) -> tuple[Run, Path]:
    run = school_cli("letters", "preview", *args)
    assert run.code == 0, run.err
    path = Path(run.out.splitlines()[-1])
    return run, path


@pytest.fixture
def cleanup() -> Iterator[list[Path]]:
    made: list[Path] = []
    yield made
    for path in made:
        shutil.rmtree(path.parent, ignore_errors=True)


def test_nsw_6_preview_writes_one_letter_to_a_temporary_path_and_records_nothing(
        school_cli: Cli, liaison: Liaison, school: Path, cleanup: list[Path]) -> None:
    before = liaison.store.dump(), case_files(school)
    run, path = preview(school_cli, "praise_letter", "--student", "S1004", "--as", "ST01",
                        *PRAISE)
    cleanup.append(path)
    assert run.out.splitlines()[0] == ("preview of the letter to Mrs Zoë O'Brien and Mr Seán "
                                       "O'Brien (1 of 1); nothing was recorded:")
    # Under the school's own owner-only folder, never the system's temporary one (issue 15)
    assert path.name == "praise_letter-S1004.docx"
    assert path.parent.parent == school / "cases" / "previews"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    text = docx_text(path.read_bytes())
    assert text.startswith(f"{long_date(dt.date.today())}\n\nMrs Zoë O'Brien and Mr Seán "
                           "O'Brien\nRose Cottage\n3 Mill Lane\nMillbrook\nMB4 8AX\n\nOur "
                           f"reference: LH-{dt.date.today().year}-")
    assert ("\nDear Mrs O'Brien and Mr O'Brien,\nRe: Liam O'Brien, Year 7 (7P)\nA letter of "
            "praise\nI am delighted to write to you with some very good news about Liam's "
            "achievements during the Autumn term 2026.\nLiam read forty books for the library "
            "challenge.\n") in text
    assert "\nYours sincerely,\n\n\nMiss Hannah Lowe\nTeacher of English\n" in text
    after = {p: h for p, h in case_files(school).items() if not p.startswith("cases/previews")}
    assert (liaison.store.dump(), after) == before


def test_pwp_3_6_preview_says_how_many_letters_the_student_would_get(
        school_cli: Cli, cleanup: list[Path]) -> None:
    run, path = preview(school_cli, "praise_letter", "--student", "S1001", "--as", "OF01",
                        *PRAISE)
    cleanup.append(path)
    assert "to Mrs Sarah Hughes (1 of 2)" in run.out
    assert "\nDear Mrs Hughes,\n" in docx_text(path.read_bytes())


def test_preview_of_a_student_nobody_may_be_written_to_is_refused(
        school_cli: Cli, school: Path, tmp_path: Path) -> None:
    contacts = (school / "samples" / "contacts.csv").read_text(encoding="utf-8")
    barred = contacts.replace("MB5 2RS,nasreen.rahman@example.com,07700 900104,English,no,all",
                              "MB5 2RS,nasreen.rahman@example.com,07700 900104,English,no,none")
    assert barred != contacts
    (tmp_path / "contacts.csv").write_text(barred, encoding="utf-8")
    assert school_cli("import", "contacts", tmp_path / "contacts.csv").code == 0
    run = school_cli("letters", "preview", "praise_letter", "--student", "S1003", "--as",
                     "OF01", *PRAISE)
    assert (run.code, run.err) == (1, "error: student S1003 has no contact who may receive "
                                      "letters\n")


@pytest.mark.parametrize("args,message", [
    (["praise_letter", "--student", "S1004", "--as", "OF01", *PRAISE[:2]],
     "error: praise_letter.docx needs achievement: give --set achievement=...\n"),
    (["praise_letter", "--student", "S9999", "--as", "OF01", *PRAISE],
     "error: no student 'S9999' (import students first)\n"),
    (["praise_letter", "--student", "S1004", "--as", "NOBODY", *PRAISE],
     "error: unknown member of staff 'NOBODY' (see 'liaison staff')\n"),
    (["conduct_meeting_request", "--student", "S1004", "--as", "OF01"],
     "error: conduct_meeting_request.docx is a letter of the conduct_escalation workflow: "
     "it goes out when a case is advanced, not in a batch (try it with 'liaison letters "
     "preview conduct_meeting_request.docx --workflow conduct_escalation --as STAFF')\n"),
])
def test_preview_refusals_are_one_line(school_cli: Cli, liaison: Liaison, school: Path,
                                       args: list[str], message: str) -> None:
    before = liaison.store.dump(), case_files(school)
    run = school_cli("letters", "preview", *args)
    assert (run.code, run.err, run.out) == (1, message, "")
    assert (liaison.store.dump(), case_files(school)) == before


def test_letters_list_names_each_template_its_fields_and_how_it_is_sent(
        school_cli: Cli) -> None:
    run = school_cli("letters", "list", "--json")
    assert run.code == 0, run.err
    rows = {r["template"]: r for r in run.json()}
    assert rows["options_evening.docx"] == {
        "template": "options_evening.docx", "batch": True, "workflows": [], "lists": [],
        "fields": ["end_time", "evening_date", "return_by", "start_time", "venue"],
        "types": {"end_time": "time", "evening_date": "date", "return_by": "date",
                  "start_time": "time", "venue": "text"}}
    assert rows["praise_letter.docx"]["fields"] == ["achievement", "term"]
    assert rows["attendance_concern.docx"]["fields"] == ["attendance", "period"]
    assert rows["trip_permission.docx"]["fields"] == [
        "bring", "cost", "departs", "pay_by", "purpose", "reply_by", "returns", "trip",
        "trip_date"]
    assert rows["trip_permission.docx"]["lists"] == ["bring"]
    assert rows["conduct_site_ban.docx"]["batch"] is False
    assert rows["conduct_site_ban.docx"]["workflows"] == ["conduct_escalation"]
    assert len(rows) == len(list((Path(__file__).parent.parent / "letters").glob("*.docx")))


def test_letters_list_as_a_table(school_cli: Cli) -> None:
    run = school_cli("letters", "list")
    assert run.code == 0, run.err
    lines = [" ".join(line.replace("│", " ").split()) for line in run.out.splitlines()]
    assert any(line.startswith("trip_permission.docx in a batch bring (list), cost (money),")
               for line in lines)
    assert any(line.startswith("options_evening.docx in a batch") for line in lines)
