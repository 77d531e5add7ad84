"""Bad input is one line, never a traceback (issue 15, findings 4 and 5).

The red team got tracebacks from invalid UTF-8 in an id (UnicodeEncodeError), from
``--from 0001-01-01`` and ``--at 0001-01-01`` (OverflowError); ``--at`` with an offset was
recorded with the offset dropped, and ``--at 1900-...`` numbered a case CON-1900-0001.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import OPENING, Run, case_in, snapshot

from engine.service.liaison import Liaison

Cli = Callable[..., Run]
BAD_UTF8 = os.fsdecode(b"S1\xff004")  # what the shell hands over for those bytes


def one_line(run: Run) -> str:
    assert run.code == 1 and run.out == "", (run.out, run.err)
    assert run.err.count("\n") == 1 and "Traceback" not in run.err, run.err
    return run.err.removeprefix("error: ").strip()


def _open(*extra: str) -> list[str]:
    fields = [a for k, v in OPENING.items() for a in ("--set", f"{k}={v[0]}")]
    return ["open", "conduct_escalation", "--as", "HY09", *fields, *extra]


def test_invalid_utf8_in_an_id_is_one_line_naming_the_option(
        school_cli: Cli, liaison: Liaison) -> None:
    before = snapshot(liaison)
    said = one_line(school_cli(*_open("--student", BAD_UTF8)))
    assert said == ("--student 'S1\\xff004' is not valid UTF-8: type it again (ids are "
                    "plain text)")
    case = case_in(liaison, "incident_reported")
    said = one_line(school_cli("show", os.fsdecode(b"CON-\xc3(") , "--as", "OF01"))
    assert said.startswith("argument 2 'CON-\\xc3(' is not valid UTF-8")
    assert school_cli("show", case, "--as", "OF01").code == 0
    assert snapshot(liaison)[1] == before[1]


def test_invalid_utf8_from_a_real_shell(school: Path, liaison: Liaison) -> None:
    done = subprocess.run([os.fsencode(sys.executable), b"-m", b"engine.cli.main", b"student",
                           b"S\xff1", b"--as", b"OF01", b"--school", os.fsencode(school)],
                          capture_output=True, check=False)
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert done.stderr == b"error: argument 2 'S\\xff1' is not valid UTF-8: type it again " \
        b"(ids are plain text)\n"


@pytest.mark.parametrize(("args", "said"), [
    (["calendar", "--from", "0001-01-01"], "--from: '0001-01-01' is outside the years 2000 "
                                           "to 2100"),
    (["calendar", "--to", "9999-12-31"], "--to: '9999-12-31' is outside the years 2000 to 2100"),
    (["report", "--as", "HT01", "--from", "0001-01-01"],
     "--from: '0001-01-01' is outside the years 2000 to 2100"),
    (["due", "--as", "OF01", "--on", "0001-01-01"],
     "--on: '0001-01-01' is outside the years 2000 to 2100"),
    (_open("--student", "S1004", "--at", "0001-01-01"),
     "--at: '0001-01-01' is outside the years 2000 to 2100"),
    (_open("--student", "S1004", "--at", "1900-03-01T10:00"),
     "--at: '1900-03-01T10:00' is outside the years 2000 to 2100"),
    (_open("--student", "S1004", "--at", "2026-11-20T10:00+14:00"),
     "--at: '2026-11-20T10:00+14:00' has a time zone offset: give the school's local time, "
     "without one (2026-11-24T10:30)"),
])
def test_dates_outside_sensible_years_and_offsets_are_refused(
        school_cli: Cli, liaison: Liaison, args: list[str], said: str) -> None:
    before = snapshot(liaison)
    assert one_line(school_cli(*args)) == said
    assert snapshot(liaison) == before


def test_a_field_date_outside_sensible_years_or_with_an_offset_is_refused(
        school_cli: Cli, liaison: Liaison) -> None:
    case = case_in(liaison, "incident_reported")
    before = snapshot(liaison)
    said = one_line(school_cli("advance", case, "request_meeting", "--as", "OF01", "--set",
                               "meeting_at=2026-11-26T15:30+02:00", "--set", "with_staff=HY09"))
    assert "'2026-11-26T15:30+02:00' has a time zone offset" in said
    args = [a.replace("incident_date=2026-11-20", "incident_date=0001-01-01")
            for a in _open("--student", "S1004")]
    said = one_line(school_cli(*args))
    assert "'0001-01-01' is outside the years 2000 to 2100" in said
    assert snapshot(liaison) == before


def test_a_required_text_of_only_spaces_or_signs_is_refused(
        school_cli: Cli, liaison: Liaison) -> None:
    before = snapshot(liaison)
    for blank in ("   ", "\u00a0\u3000", "..."):
        args = [a.replace("incident_summary=Shouted at reception staff",
                          f"incident_summary={blank}") for a in _open("--student", "S1004")]
        assert one_line(school_cli(*args)) == (
            "open conduct_escalation: field 'incident_summary' has no letter or digit in "
            "it; it is required: say what it asks")
    assert snapshot(liaison) == before


def test_an_id_with_an_invisible_character_is_refused_at_its_line(
        school_cli: Cli, liaison: Liaison, tmp_path: Path) -> None:
    """A zero-width space made a second student printing exactly as S1001."""
    before = snapshot(liaison)
    students = tmp_path / "students.csv"
    students.write_text("id,first_name,last_name,year,form,house\n"
                        "S1001\u200b,Ethan,Hughes,9,9P,Kestrel\nS 1002,Zu,Nowak,8,8R,Heron\n",
                        encoding="utf-8")
    run = school_cli("import", "students", students)
    assert run.code == 1 and "Traceback" not in run.err
    assert f"{students}:2: column 'id': 'S1001\\u200b' is not an id: ids are letters, " \
        "digits and signs (printable ASCII) without spaces or invisible characters" in run.err
    assert f"{students}:3: column 'id': 'S 1002' is not an id" in run.err
    assert snapshot(liaison) == before
