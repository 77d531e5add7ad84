"""Fast at every size (issue 14): what proves it without a clock. The queries an advance
runs are answered from an index (SQLite's own query plan says so), and the BEM-5 check
reads only the letters of its window, so an advance on a case's 2,000th event reads the
same rows as on its 2nd (bench/advance.py measures it)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import OPENING, move_clock
from sqlalchemy import event

from engine.service.liaison import Liaison
from engine.store.database import Reads

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself

CALL = {"parent": ["C2006"], "method": ["telephone"], "initiated_by": ["school"],
        "nature": ["positive"], "summary": ["Liam helped at the open evening"]}


@contextmanager
def _statements(engine: Liaison) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement the store runs inside the block, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn, _cursor, sql, params, _context, _many):  # type: ignore[no-untyped-def]
        seen.append((sql, params))
    event.listen(engine.store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.store.engine, "before_cursor_execute", record)


def _plan(engine: Liaison, query: Callable[[Reads], Any]) -> list[str]:
    """SQLite's plan of each statement ``query`` runs, one line per step."""
    with _statements(engine) as seen, engine.store.reads() as r:
        query(r)
    raw = engine.store.engine.raw_connection()
    try:
        return [" ".join(str(c) for c in step) for sql, params in seen
                for step in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]
    finally:
        raw.close()


def test_an_advances_reads_of_the_trail_and_the_familys_letters_use_an_index(
        liaison: Liaison) -> None:
    case = liaison.open("contact_log", "S1004", "FT01", {}).case
    for query in (lambda r: r.last_occurred(case), lambda r: r.next_seq(case),
                  lambda r: r.letters_sent("S1004", "2026-11-13T09:00:00")):
        plan = _plan(liaison, query)
        # SEARCH on an index reads the rows asked for; a SCAN would read every one.
        assert any(" SEARCH " in f" {step} " and "INDEX" in step for step in plan), plan
        assert not any(" SCAN " in f" {step} " for step in plan), plan


def _steps(engine: Liaison, query: Callable[[Reads], Any]) -> int:
    """How many steps SQLite's machine takes to answer ``query``: it grows with the rows
    read, and does not depend on how busy the machine is."""
    count = [0]

    def step() -> int:
        count[0] += 1
        return 0
    with engine.store.reads() as r:
        raw = r.conn.connection.driver_connection
        assert raw is not None
        raw.set_progress_handler(step, 1)
        try:
            query(r)
        finally:
            raw.set_progress_handler(None, 1)
    return count[0]


def _history(engine: Liaison, case: str, n: int) -> None:
    """``n`` more events on the case and ``n`` letters to the family, a year ago."""
    db = sqlite3.connect(engine.school.database)
    seq = db.execute("SELECT MAX(seq) FROM events WHERE case_id = ?", (case,)).fetchone()[0]
    for i in range(seq + 1, seq + n + 1):
        db.execute("INSERT INTO events (case_id, seq, event, from_state, to_state, actor, "
                   "actor_name, occurred_at, recorded_at, fields, prev_hash, hash) VALUES "
                   "(?, ?, 'log_contact', 'open', 'open', 'FT01', 'Tutor', ?, ?, '{}', '', '')",
                   (case, i, f"2025-11-23T09:{i % 60:02d}:00", "2025-11-23T09:00:00"))
        db.execute("INSERT INTO documents (case_id, student_id, template, recipient_id, "
                   "recipient_name, path, sha256, size, created_at) VALUES (?, 'S1004', "
                   "'praise_letter.docx', 'C2006', 'Parent', ?, '0', 1, '2025-11-23T09:00:00')",
                   (case, f"x/{case}-{i}.docx"))
    db.commit()
    db.close()


def test_an_advances_reads_cost_the_same_after_500_earlier_events(liaison: Liaison) -> None:
    case = liaison.open("contact_log", "S1004", "FT01", {}).case
    reads = (lambda r: r.last_occurred(case), lambda r: r.next_seq(case),
             lambda r: r.letters_sent("S1004", "2026-11-13T09:00:00"))
    before = [_steps(liaison, q) for q in reads]
    _history(liaison, case, 500)
    assert [_steps(liaison, q) for q in reads] == before


def test_the_last_event_is_the_newest_by_number(liaison: Liaison) -> None:
    case = liaison.open("contact_log", "S1004", "FT01", {}).case
    for _ in range(3):
        move_clock(liaison, liaison.clock() + dt.timedelta(hours=1))
        liaison.advance(case, "log_contact", "FT01", CALL)
    with liaison.store.reads() as r:
        assert r.last_occurred(case) == "2026-11-23T12:00:00"


def test_bem_5_reads_only_the_letters_of_its_window(liaison: Liaison) -> None:
    meeting = {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]}
    old = liaison.open("conduct_escalation", "S1004", "HY09", OPENING).case
    liaison.advance(old, "request_meeting", "OF01", meeting)
    move_clock(liaison, liaison.clock() + dt.timedelta(days=30))
    recent = liaison.open("conduct_escalation", "S1004", "HY09", OPENING).case
    liaison.advance(recent, "request_meeting", "OF01",
                    {**meeting, "meeting_at": ["2026-12-24T15:30"]})
    with _statements(liaison) as seen:
        outcome = liaison.open("contact_log", "S1004", "FT01", {})
    windows = [params for sql, params in seen if "FROM documents" in sql]
    assert windows and all("2026-12-13T09:00:00" in tuple(p) for p in windows)
    assert len(outcome.warnings) == 1 and recent in outcome.warnings[0]


def test_a_durable_advance_is_one_read_and_one_write_and_syncs_what_it_made(
        liaison: Liaison, monkeypatch: pytest.MonkeyPatch) -> None:
    meeting = {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]}
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)
    begun: list[bool] = []
    event.listen(liaison.store.engine, "begin", lambda conn: begun.append(
        bool(conn.get_execution_options().get("write"))))
    docs = liaison.school.root / "cases" / "documents"
    for first in (True, False):
        case = liaison.open("conduct_escalation", "S1004", "HY09", OPENING).case
        if not first:
            liaison.advance(case, "request_meeting", "OF01", meeting)
            move_clock(liaison, liaison.clock() + dt.timedelta(days=1))
        synced.clear()
        begun.clear()
        monkeypatch.setattr(os, "fsync", fsync)
        made = liaison.advance(case, "repeat_incident" if not first else "request_meeting",
                               "HY09", {"repeat_date": ["2026-11-24"],
                                        "repeat_summary": ["Abusive emails to staff"]}
                               if not first else meeting)
        monkeypatch.setattr(os, "fsync", real)
        letter = str(liaison.school.root / made.documents[0].path)
        assert begun == [False, True]  # one read transaction, one write
        folder = os.path.dirname(letter)
        assert synced[0] == letter  # the file first, then the folders its name is in
        # The school's first letter made cases/documents too: its name is synced as well.
        assert sorted(synced[1:]) == sorted([folder, str(docs), str(docs.parent)] if first
                                            else [folder])
