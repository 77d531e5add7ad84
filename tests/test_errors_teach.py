"""Errors that teach (issue 16): each mistake a school's data manager makes writing a
workflow or a letter gives exactly one `error:` line from the real `liaison check`, at the
line to look at, saying what to write instead. Whole messages are asserted, as
pre-commit's tests do, so a message that stops teaching fails here.

The broken files are those of tests/broken/ (test_check.py also runs every one of them);
the letters are Word files made here with a tag misspelt.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from conftest import Run

from engine.core.school import DEFAULT_ROLES
from engine.service.shipped import copy_school

BROKEN = Path(__file__).resolve().parent / "broken"
ROLES = ", ".join(sorted(DEFAULT_ROLES))
GROUPS = "all_staff, leaders, pastoral_team, query_staff, records, safeguarding, senders"
KEYS = "at, by_time, clause, from, from_receipt, minutes, months, name, school_days, title, when"

# file -> the one message `check` gives for it (after "error: FILE:")
EXPECTED = {
    "role_typo": "18: events.close.roles: unknown role 'ofice': did you mean 'office'? "
                 f"(school.yaml's roles: {ROLES}; its groups: {GROUPS})",
    "from_typo": "17: events.close.from: unknown state 'opn': did you mean 'open'? (the "
                 "states are under states:, line 12)",
    "dedent_key": "18: invalid YAML: line 18 is indented less than the lines around it "
                  "(2 spaces): line it up with 'from' (4 spaces)",
    "dedent_event_key": "20: events.roles: line 20 is indented less than the lines around "
                        "it: 'roles' is a key of an event, so line it up with 'to' under "
                        "'close'",
    "tab_indent": "16:1: invalid YAML: a tab at line 16: indent with spaces (YAML does not "
                  "allow tabs)",
    "days_for_school_days": "21: events.close.deadlines[0].days: unknown key: did you mean "
                            f"'school_days'? (expected one of: {KEYS})",
    "second_deadlines": "21:5: duplicate key 'deadlines' (first at line 19): give each key "
                        "once, with everything under it",
    "no_to": "17: events.close: no 'to:', so the case stays in 'open', and no event leads "
             "from 'open' to a terminal state: a case there could never be closed (did you "
             "mean 'to: closed'?)",
    "stuck_state": "14: states.waiting: a case here could never be closed: no event leads "
                   "from 'waiting' to a terminal state (closed)",
    "recipient_typo": "20: events.close.documents.conduct_meeting_request.docx.to: unknown "
                      "recipient 'contcat': did you mean 'contact'? (one of: contact, "
                      "contacts, each_contact, file, line_manager, role:ROLE, "
                      "kind:social_worker|virtual_school_head; docs/workflows.md)",
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("teach") / "school"
    copy_school(root)
    return root.resolve()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_one_mistake_gives_one_message_that_says_what_to_write(
        name: str, shared: Path, cli: Callable[..., Run]) -> None:
    target = shared / "workflows" / f"{name}.yaml"
    shutil.copyfile(BROKEN / f"{name}.yaml", target)
    try:
        run = cli("check", "--school", shared)
    finally:
        target.unlink()
    assert run.code == 1
    assert run.out == ""
    assert run.err == f"error: {target}:{EXPECTED[name]}\n"
    assert ":0:" not in run.err


def _letter(path: Path, text: str) -> Path:
    document = docx.Document()
    document.add_paragraph("Dear parent,")
    document.add_paragraph(text)
    document.save(str(path))
    (path.with_suffix(".yaml")).write_text("", encoding="utf-8")  # a batch letter's types
    return path


@pytest.mark.parametrize("tag,message", [
    ("{{ student.firstname }}", "unknown name 'student.firstname': did you mean "
     "'first_name'? (student has: first_name, form, full_name, house, last_name, year; "
     "docs/letters.md)"),
    ("{{ studnet.first_name }}", "unknown name 'studnet': did you mean 'student'? (known "
     "names: actor, ban, case, date, deadlines, entries, fields, recipient, reference, "
     "school, signatory, student, titles)"),
    ("{{ recipient.salutaion }}", "unknown name 'recipient.salutaion': did you mean "
     "'salutation'? (recipient has: address_lines, language, name, names, "
     "needs_interpreter, salutation; docs/letters.md)"),
])
def test_a_name_the_letter_will_not_be_given_is_refused_at_check(
        tag: str, message: str, shared: Path, cli: Callable[..., Run]) -> None:
    """`{{ student.firstname }}` fails `check`, not the day a real case is advanced."""
    path = _letter(shared / "letters" / "misspelt.docx", f"About {tag}.")
    try:
        run = cli("check", "--school", shared)
    finally:
        path.unlink()
        path.with_suffix(".yaml").unlink()
    assert run.code == 1
    assert run.err == f'error: {path}: body: {message} (in "About {tag}.")\n'


def test_the_shipped_letters_read_only_what_their_context_holds(
        shared: Path, cli: Callable[..., Run]) -> None:
    run = cli("check", "--school", shared)
    assert run.code == 0, run.err


def test_the_schema_check_knows_is_the_context_a_letter_gets() -> None:
    """SCHEMA (what `check` accepts) is what letter_context builds, key for key."""
    import datetime as dt

    from engine.core import context as ctx
    from engine.core.compose import ban_details
    from engine.core.people import Student
    from engine.core.school import Profile

    built = ctx.letter_context(
        letterhead=Profile(name="Hillcrest", address=("Orchard Lane",)),
        when=dt.date(2026, 12, 1), case={"id": "X", "title": "t", "state": "s",
                                          "state_title": "S", "opened_by": "Dr Marsh"},
        recipient=ctx.FILE, student=Student("S1", "Liam", "O'Brien", 9, "9P", "Kestrel"),
        fields={}, signatory=("a", "b"), actor=("a", "b"),
        ban=ban_details({"contact_route": "by letter"}),
        entries=[{"date": "d", "time": "t", "by": "b", "title": "t", "fields": {}}])
    assert set(built) == set(ctx.SCHEMA) == set(ctx.TOP_LEVEL)
    for name, keys in ctx.SCHEMA.items():
        value = built[name]
        if name == "entries":
            value = value[0]
        if keys is None:
            continue
        assert set(value) == keys, name
