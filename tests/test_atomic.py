"""One advance, atomically (DESIGN.md): files are fsynced into place first, then one
transaction names them. A failure before the commit leaves no row (and the service removes
its files); a crash between the files and the commit leaves only files no row names, which
`liaison doctor` removes; a row never names a missing file.

Failures are real: a SQLite trigger that aborts the insert of the event row, and a child
process that dies (os._exit) inside the transaction, after its letters were written.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest
from conftest import (
    CONDUCT_FIELDS,
    ONE_STEP_FIELDS,
    OPENING,
    Clock,
    Run,
    case_files,
    one_step_workflow,
    open_conduct,
    snapshot,
    walk,
)
from sqlalchemy import event as sa_event
from sqlalchemy.exc import DatabaseError

from engine.errors import LetterError
from engine.service.liaison import Liaison
from engine.store import migrations as schema

CRASHED = 3


def _rows_name_real_files(liaison: Liaison) -> None:
    """Every document row's file exists, with the size and SHA-256 the row records."""
    rows = liaison.store.documents()
    for row in rows:
        data = (liaison.school.root / row["path"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (row["size"], row["sha256"])
    assert set(case_files(liaison.school.root)) == {r["path"] for r in rows}


@pytest.mark.sqlite_only  # SQLite's own SQL (a trigger, a table)
def test_a_failed_commit_leaves_no_row_and_no_file(liaison: Liaison) -> None:
    """The event row cannot be inserted (a trigger aborts it, as a full disk would): the
    transaction rolls back, the letter already written is removed, nothing changes."""
    case = open_conduct(liaison).case
    before = snapshot(liaison)
    liaison.store.execute("CREATE TRIGGER refuse BEFORE INSERT ON events "
                          "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
    dumped = liaison.store.dump()
    with pytest.raises(DatabaseError, match="the disk is full"):
        walk(liaison, case, [("request_meeting", "OF01")])
    assert liaison.store.dump() == dumped
    assert case_files(liaison.school.root) == before[1]
    assert liaison.store.case(case).version == 1


def _crash_inside_the_transaction(school: str, case: str | None) -> None:
    """In a forked child: advance (or open) with a trigger that kills the process when the
    event row is inserted, i.e. after the letters are on disk, before the commit."""
    engine = Liaison.at(Path(school), clock=Clock())

    def arm(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.create_function("crash", 0, lambda: os._exit(CRASHED))
        dbapi_conn.execute("CREATE TEMP TRIGGER IF NOT EXISTS crash BEFORE INSERT ON events "
                           "BEGIN SELECT crash(); END")

    sa_event.listen(engine.store.engine, "checkout", arm)
    if case is None:
        engine.open("conduct_escalation", "S1004", "HY09", OPENING)
    else:
        engine.advance(case, "request_meeting", "OF01", CONDUCT_FIELDS["request_meeting"])
    os._exit(0)  # not reached: the trigger ends the process


@pytest.mark.sqlite_only  # SQLite's own SQL (a trigger, a table)
@pytest.mark.parametrize("opening", [False, True], ids=["advance", "open"])
def test_a_crash_before_the_commit_leaves_only_orphans_that_doctor_removes(
        liaison: Liaison, school: Path, cli: Callable[..., Run], opening: bool) -> None:
    case = open_conduct(liaison).case
    liaison.store.execute("CREATE TABLE IF NOT EXISTS marker (x)")  # a write before the fork
    before = snapshot(liaison)
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_crash_inside_the_transaction,
                            args=(str(school), None if opening else case))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == CRASHED
    # No row, and no case number used up: the transaction never committed.
    assert liaison.store.dump() == before[0]
    orphans = set(case_files(school)) - set(before[1])
    if not opening:
        assert len(orphans) == 1  # the meeting letter, written and fsynced, named by no row
    run = cli("doctor", "--school", school)
    assert run.code == 0, run.err
    assert f"removed {len(orphans)} orphaned file(s)" in run.out
    assert case_files(school) == before[1]
    _rows_name_real_files(liaison)
    after = walk(liaison, case, [("request_meeting", "OF01")])  # the case carries on
    assert after.state == "meeting_requested"


def test_doctor_keeps_every_file_a_row_names(liaison: Liaison, cli: Callable[..., Run]) -> None:
    case = open_conduct(liaison).case
    walk(liaison, case, [("request_meeting", "OF01"), ("record_meeting", "HY09")])
    before = case_files(liaison.school.root)
    run = cli("doctor", "--school", liaison.school.root)
    assert run.code == 0 and "removed 0 orphaned file(s)" in run.out
    assert case_files(liaison.school.root) == before
    assert run.out.splitlines()[-1] == (f"store: {liaison.store.where} reached, at revision "
                                        f"{schema.HEAD}")


def test_doctor_names_a_store_it_cannot_reach(school: Path, cli: Callable[..., Run],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIAISON_DATABASE_URL",
                       "postgresql+psycopg://liaison_app@127.0.0.1:9/nowhere")
    run = cli("doctor", "--school", school)
    assert run.code == 1 and run.out == ""
    assert run.err.startswith("error: the case store at postgresql+psycopg://liaison_app@"
                              "127.0.0.1:9/nowhere cannot be reached: ")
    assert len(run.err.splitlines()) == 1


def _two_letters(liaison: Liaison) -> Liaison:
    """The school with the `two_letters` workflow added, whose second letter fails when
    rendered (a template reading an attribute a text field does not have)."""
    root = liaison.school.root
    template = docx.Document()
    template.add_paragraph("{{ fields.outcome.no_such_attribute }}")
    template.save(str(root / "letters" / "broken_at_render.docx"))
    one_step_workflow(root, "two_letters", "Two letters, the second cannot be rendered",
                      ["conduct_resolution.docx to each_contact",
                       "broken_at_render.docx to file"])
    return Liaison.at(root, clock=Clock())


def _open_two_letters(engine: Liaison) -> None:
    with pytest.raises(LetterError):
        engine.open("two_letters", "S1001", "OF01", ONE_STEP_FIELDS)


def test_every_letter_is_rendered_before_any_is_written(liaison: Liaison) -> None:
    """The second document fails to render: the first, already rendered in memory, is
    never written, and no case, event or document row exists."""
    engine = _two_letters(liaison)
    try:
        before = snapshot(engine)
        _open_two_letters(engine)
        assert snapshot(engine)[1] == before[1]
        assert engine.store.dump() == before[0]
    finally:
        engine.close()


def test_a_refused_open_does_not_use_up_a_case_number(liaison: Liaison) -> None:
    engine = _two_letters(liaison)
    try:
        before = engine.store.dump()
        _open_two_letters(engine)
        assert engine.store.dump() == before
    finally:
        engine.close()


def test_after_the_demo_every_row_names_a_real_file(tmp_path: Path,
                                                    cli: Callable[..., Run]) -> None:
    """`liaison demo` walks a whole conduct case: every document row's path exists, with the
    size and SHA-256 it records, and no file lies there unnamed."""
    target = tmp_path / "demo"
    run = cli("demo", target, "--json")
    assert run.code == 0, run.err
    engine = Liaison.at(target, clock=Clock())
    try:
        _rows_name_real_files(engine)
        assert len(engine.store.documents()) == len(run.json()) >= 10
    finally:
        engine.close()
