"""Stored text is never terminal markup nor a terminal control (issue 15, finding 3).

A field, a contact's or a student's name, a member of staff's name holding rich markup
(``[/]``, ``[link=...]``, ``[conceal]``) prints exactly as written through every command
that shows it, with and without ``--json``, and never crashes one. Characters a terminal
acts on (ESC, CR, C1 controls such as U+009B, DEL, bidirectional overrides) are refused
where text comes in (case fields, the MIS's CSV, school.yaml and workflows, each at its
line), and a value stored before that refusal (or by another program) is shown with the
character written as an escape (``\\x1b``), never sent raw.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DATABASE, Run

Cli = Callable[..., Run]

MARKUP = ["[/]", "[link=http://evil.example]click me[/link]", "[conceal]hidden[/conceal]",
          "[white on white]invisible[/]", "[bold", "[/bold]"]
HOSTILE = " ".join(MARKUP)
# What a terminal would act on; each must reach stdout, stderr and --json only as an escape.
CONTROLS = ["\x1b[31m", "\x1b]8;;http://evil.example\x1b\\", "\x9b2J", "\r", "\x07", "\x7f",
            "\u202e", "\x08"]
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _ok(run: Run) -> str:
    assert run.code == 0, run.err
    assert "Traceback" not in run.out + run.err
    assert not RAW.search(run.out + run.err), repr(run.out + run.err)
    return run.out


def _one_error_line(run: Run) -> str:
    assert run.code == 1, (run.out, run.err)
    assert run.err.startswith("error: ") and run.err.count("\n") == 1, run.err
    assert "Traceback" not in run.out + run.err
    assert not RAW.search(run.err), repr(run.err)
    return run.err


def _open(school_cli: Cli, summary: str) -> str:
    run = school_cli("open", "conduct_escalation", "--student", "S1004", "--as", "HY09",
                     "--set", "contact=C2006", "--set", "incident_date=2026-11-20",
                     "--set", "severity=concern", "--set", f"incident_summary={summary}",
                     "--json")
    _ok(run)
    return str(run.json()["case"])


def _rename_head(school: Path, name: str) -> None:
    """The Headteacher's name in school.yaml, as a school might type it."""
    path = school / "school.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name: Dr Helen Marsh", f"name: {json.dumps(name)}", 1),
                    encoding="utf-8")


def _readers(case: str) -> list[list[str]]:
    """Every command that prints a case's fields, a student's, a contact's or staff names."""
    return [["show", case, "--as", "HT01"], ["student", "S1004", "--as", "HT01"],
            ["history", case, "--as", "HT01"], ["cases", "--as", "HT01"],
            ["documents", "--as", "HT01"], ["due", "--as", "HT01"], ["staff"],
            ["actions", case, "--as", "HT01"], ["audit", "verify", "--as", "HT01"]]


def test_markup_in_a_field_a_contact_and_a_staff_name_prints_as_written(
        school_cli: Cli, school: Path, tmp_path: Path) -> None:
    _rename_head(school, f"Dr {HOSTILE} Marsh")
    contacts = tmp_path / "contacts.csv"
    header = (school / "samples" / "contacts.csv").read_text(encoding="utf-8").splitlines()[0]
    contacts.write_text(f"{header}\nC2999,S1004,Mr,\"{HOSTILE}\",[/]Evil,Uncle,1 Lane,,"
                        "Millbrook,MB4 7QT,,,English,no,all\n", encoding="utf-8")
    _ok(school_cli("import", "contacts", contacts))
    case = _open(school_cli, HOSTILE)
    assert _ok(school_cli("advance", case, "repeat_incident", "--as", "HT01",
                          "--set", "repeat_date=2026-11-21",
                          "--set", f"repeat_summary={HOSTILE}"))
    for args in _readers(case):
        out = _ok(school_cli(*args))
        if args[0] in ("show", "student", "history", "staff"):
            assert "[link=http://evil.example]click me[/link]" in out, (args, out)
            assert "[conceal]hidden[/conceal]" in out, (args, out)
        as_json = _ok(school_cli(*args, "--json")) if args[0] not in ("actions",) else ""
        if args[0] == "show":
            assert json.loads(as_json)["fields"]["incident_summary"] == HOSTILE


def test_controls_are_refused_in_fields_csv_and_school_files(
        school_cli: Cli, school: Path, tmp_path: Path) -> None:
    for char in CONTROLS:
        run = school_cli("open", "conduct_escalation", "--student", "S1004", "--as", "HY09",
                         "--set", "contact=C2006", "--set", "incident_date=2026-11-20",
                         "--set", "severity=concern",
                         "--set", f"incident_summary=Shouted{char}at us")
        if char == "\r":  # a line ending, kept as one (CRLF pasted from a mail)
            assert run.code == 0, run.err
            continue
        assert "incident_summary" in _one_error_line(run)
    header = (school / "samples" / "contacts.csv").read_text(encoding="utf-8").splitlines()[0]
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(f"{header}\nC2999,S1004,Mr,Evil\x9b2J,Uncle,Uncle,1 Lane,,"
                        "Millbrook,MB4 7QT,,,English,no,all\n", encoding="utf-8")
    assert "U+009B" in _one_error_line(school_cli("import", "contacts", contacts))
    _rename_head(school, "Dr Helen \x1b[8mMarsh")
    err = _one_error_line(school_cli("staff"))
    assert re.search(r"school\.yaml:\d+:\d+: character U\+001B at position 10", err), err
    assert "U+001B" in _one_error_line(school_cli("check"))


@pytest.mark.sqlite_only  # writes the SQLite file behind the engine's back
@pytest.mark.parametrize("char", CONTROLS)
def test_controls_already_stored_are_shown_as_escapes(school_cli: Cli, school: Path,
                                                      char: str) -> None:
    case = _open(school_cli, "Shouted at reception")
    hostile = f"Shouted{char}at reception"
    with sqlite3.connect(school / DATABASE) as db:  # written before the refusal existed
        db.execute("UPDATE cases SET fields = json_set(fields, '$.incident_summary', ?)",
                   (hostile,))
        db.execute("UPDATE students SET first_name = ? WHERE id = 'S1004'", (f"Li{char}am",))
    shown = RAW.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 256 else
                    f"\\u{ord(m[0]):04x}", hostile)
    for args in _readers(case):
        out = _ok(school_cli(*args))
        if args[0] == "show":
            assert shown in out, out
    as_json = _ok(school_cli("show", case, "--as", "HT01", "--json"))
    assert json.loads(as_json)["fields"]["incident_summary"] == hostile  # escaped, not lost


def test_an_error_naming_what_was_typed_shows_its_controls(school_cli: Cli) -> None:
    err = _one_error_line(school_cli("show", "CON\x1b[2J\x9b-1", "--as", "HT01"))
    assert "\\x1b[2J\\x9b" in err
