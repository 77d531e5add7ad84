"""The hostile corpus through the newer commands (issue 15, "the hostile corpus through
every command"): outbox, post, retention due and dispose, hold, release, unmark, correct,
export subject, readers, letters preview, and an administrator's --because.

Each value of the corpus (markup and XML's specials, terminal controls, bidirectional
marks, invisible characters, very long text, invalid UTF-8 as the shell hands it over, a
NUL) goes into each slot of each command: an id, a reason, a field's value, a template's
name, a path. Every run either succeeds, printing no raw control character, or says one
``error:`` line (exit 1, or 2 for usage), never a traceback: an exception escaping the
CLI fails the test with the command that raised it. Every failure is collected, so one
run lists them all. Then the values the engine accepted are printed back by the commands
that show them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, case_in

from engine.service.liaison import Liaison

Cli = Callable[..., Run]

CORPUS = [
    "&<>\"'", "Tom & Jerry <b>\"hi\"</b> 'x'", "<script>alert('x')</script>",
    "{{ school.name }}{% raw %}", "[/]",
    "[link=http://evil.example]click me[/link]", "\x1b[31mred\x1b[0m", "\x9b2J", "\x07\x08",
    "a\x00b", "\u202eevil\u202c", "\u200fRTL\u200e", "\u2066isolate\u2069", "S1001\u200b",
    "\ufeffBOM", "\ud800", "caf\udce9", "x" * 5000, "y" * 100_000, " ", "", "../../etc/passwd",
    "-", "--json", "Zoë 😀 \u0301", "\n\nline\r\nbreaks",
]
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
V = "{v}"  # where the corpus value goes


def _slots(case: str, out: Path) -> dict[str, list[str]]:
    """Each newer command, with the corpus value in one of its slots."""
    return {
        "outbox --as": ["outbox", "--as", V],
        "post --as": ["post", "--as", V, "--json"],
        "retention due --as": ["retention", "due", "--as", V],
        "retention dispose CASE": ["retention", "dispose", V, "--reason", "Ended", "--as",
                                   "HT01"],
        "retention dispose --reason": ["retention", "dispose", case, "--reason", V, "--as",
                                       "HT01"],
        "hold CASE": ["hold", V, "--reason", "A claim", "--as", "HT01"],
        "hold --reason": ["hold", case, "--reason", V, "--as", "HT01"],
        "release --reason": ["release", case, "--reason", V, "--as", "HT01"],
        "release --at": ["release", case, "--reason", "Ended", "--as", "HT01", "--at", V],
        "unmark --reason": ["unmark", case, "--child-protection", "--reason", V, "--as",
                            "HT01"],
        "correct FIELD=VALUE": ["correct", case, f"incident_summary={V}", "--reason", "Typo",
                                "--as", "HY09"],
        "correct FIELD": ["correct", case, f"{V}=x", "--reason", "Typo", "--as", "HY09"],
        "correct --reason": ["correct", case, "incident_summary=Shouted", "--reason", V,
                             "--as", "HY09"],
        "export subject --student": ["export", "subject", str(out), "--student", V, "--as",
                                     "HT01"],
        "export subject --contact": ["export", "subject", str(out), "--contact", V, "--as",
                                     "HT01"],
        "export subject OUT": ["export", "subject", V, "--student", "S1004", "--as", "HT01"],
        "readers CASE": ["readers", V, "--as", "HT01"],
        "letters preview TEMPLATE": ["letters", "preview", V, "--as", "OF01"],
        "letters preview --set": ["letters", "preview", "conduct_meeting_request",
                                  "--workflow", "conduct_escalation", "--event",
                                  "request_meeting", "--as", "OF01", "--set", f"with_staff={V}"],
        "letters preview --student": ["letters", "preview", "conduct_meeting_request",
                                      "--workflow", "conduct_escalation", "--student", V,
                                      "--as", "OF01"],
        "letters preview --workflow": ["letters", "preview", "conduct_meeting_request",
                                       "--workflow", V, "--as", "OF01"],
        "letters preview --event": ["letters", "preview", "conduct_meeting_request",
                                    "--workflow", "conduct_escalation", "--event", V,
                                    "--as", "OF01"],
        "--because": ["--because", V, "readers", case, "--as", "HT01"],
    }


def _judged(cli: Cli, args: list[str]) -> str | None:
    """What is wrong with this run, or None: a success printing no raw control, or one
    error line; never an exception out of the CLI."""
    try:
        run = cli(*args)
    except BaseException as exc:  # noqa: BLE001  (a traceback is the finding)
        return f"{type(exc).__name__}: {str(exc)[:120]}"
    said = run.out + run.err
    if "Traceback" in said or RAW.search(said):
        return f"raw control or traceback: {said[:160]!r}"
    if run.code == 0:
        return None
    if run.code not in (1, 2):
        return f"exit {run.code}"
    if run.err.count("\n") != 1 or not run.err.startswith("error: "):
        return f"not one error line: {run.err[:200]!r}"
    return None


@pytest.fixture
def hostile_school(school_cli: Cli, liaison: Liaison, tmp_path: Path) -> tuple[str, Path]:
    return case_in(liaison, "incident_reported"), tmp_path / "subject.zip"


@pytest.mark.slow  # 23 slots x 26 values: 598 runs of the CLI, minutes on a loaded machine
@pytest.mark.parametrize("slot", list(_slots("CASE", Path("OUT"))))
def test_each_hostile_value_in_each_slot_gives_one_line_or_a_correct_output(
        school_cli: Cli, hostile_school: tuple[str, Path], slot: str) -> None:
    case, out = hostile_school
    failures = []
    for value in CORPUS:
        args = [value if a == V else a.replace(V, value)
                for a in _slots(case, out)[slot]]
        if (problem := _judged(school_cli, args)) is not None:
            failures.append(f"{slot} {value[:20]!r}: {problem}")
    assert not failures, "\n".join(failures)


def test_what_the_engine_accepted_prints_back_safely(
        school_cli: Cli, hostile_school: tuple[str, Path]) -> None:
    """Each value the engine took into a case (a corrected field, a hold's reason) is
    shown by show, history, readers and the subject export without a raw control."""
    case, out = hostile_school
    taken = []
    for value in CORPUS:
        run = school_cli("correct", case, f"incident_summary={value}", "--reason",
                         f"Typo {value[:50]}", "--as", "HY09")
        if run.code == 0:
            taken.append(value)
    assert "Tom & Jerry <b>\"hi\"</b> 'x'" in taken  # what a parent may write is kept
    assert "[link=http://evil.example]click me[/link]" in taken
    assert not any(RAW.search(v) for v in taken if v not in ("\n\nline\r\nbreaks",))
    failures = [f"{args}: {problem}" for args in (
        ["show", case, "--as", "HT01"], ["history", case, "--as", "HT01"],
        ["history", case, "--as", "HT01", "--json"], ["readers", case, "--as", "HT01"],
        ["outbox", "--as", "HT01"], ["retention", "due", "--as", "HT01"],
        ["export", "subject", str(out), "--student", "S1004", "--as", "HT01"])
        if (problem := _judged(school_cli, args)) is not None]
    assert not failures, "\n".join(failures)
