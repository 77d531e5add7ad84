"""The case store (engine.store.database) with real SQLite files, real threads and real processes.

Optimistic locking (a second writer on the same case gets ConflictError and its files are
removed), BEGIN IMMEDIATE for every write, exactly one winner of two racing advances, the
hash-chained audit trail, re-import by id, and all-or-nothing
imports.

The interleavings are made with the engine's own injectable clock: ``advance`` reads the
clock after it has loaded the case and before it writes, so a clock that waits at a
barrier (or lets another writer go first) holds a writer at exactly that point.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import multiprocessing
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CONDUCT_FIELDS,
    NOW,
    Run,
    case_files,
    letter_text,
    open_conduct,
    snapshot,
    walk,
)
from sqlalchemy import event as sa_event

from engine.errors import ConflictError, ImportRowError
from engine.service.liaison import Liaison
from engine.store.database import Store

LATER = NOW + dt.timedelta(hours=1)


class HoldingClock:
    """A clock that, the first time it is read, runs ``first`` (another writer, a barrier)."""

    def __init__(self, first: Callable[[], Any]) -> None:
        self.first: Callable[[], Any] | None = first

    def __call__(self) -> dt.datetime:
        if self.first is not None:
            run, self.first = self.first, None
            run()
        return LATER


def _documents_match_rows(liaison: Liaison) -> None:
    """Every file under cases/ is named by a document row with its hash, and vice versa."""
    rows = {d["path"]: d["sha256"] for d in liaison.store.documents()}
    assert case_files(liaison.school.root) == rows


# --------------------------------------------------------------------------- two writers


def test_a_second_writer_gets_a_conflict_and_its_files_are_removed(liaison: Liaison,
                                                                   school: Path) -> None:
    """Both load the case; A advances it; B's advance, from what it loaded, is refused with
    ConflictError at the conditional UPDATE, and the letter B had written is removed."""
    case = open_conduct(liaison).case
    liaison.clock.now = LATER  # type: ignore[attr-defined]

    def a_goes_first() -> None:
        liaison.advance(case, "request_meeting", "OF01", CONDUCT_FIELDS["request_meeting"])

    b = Liaison.at(school, clock=HoldingClock(a_goes_first))
    try:
        with pytest.raises(ConflictError, match=f"case {case} was changed by someone else"):
            b.advance(case, "repeat_incident", "HY09", CONDUCT_FIELDS["repeat_incident"])
    finally:
        b.close()
    events = liaison.store.events(case)
    assert [e.event for e in events] == ["open", "request_meeting"]
    assert liaison.store.case(case).version == 2
    assert liaison.store.case(case).state == "meeting_requested"
    assert [d["template"] for d in liaison.store.documents(case_id=case)] == [
        "conduct_meeting_request.docx"]
    _documents_match_rows(liaison)
    assert not any("formal_warning" in p for p in case_files(school))


def _race(school: Path, case: str, moves: list[tuple[str, str]]) -> list[Any]:
    """Advance ``case`` from one thread per move, all held until every one has loaded it."""
    barrier = threading.Barrier(len(moves), timeout=60)
    results: list[Any] = [None] * len(moves)

    def run(i: int, event: str, actor: str) -> None:
        engine = Liaison.at(school, clock=HoldingClock(barrier.wait))
        try:
            results[i] = engine.advance(case, event, actor, CONDUCT_FIELDS[event])
        except Exception as exc:  # the loser's error is the result under test
            results[i] = exc
        finally:
            engine.close()

    threads = [threading.Thread(target=run, args=(i, e, a)) for i, (e, a) in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.parametrize("moves", [
    [("request_meeting", "OF01"), ("repeat_incident", "HY09")],
    [("request_meeting", "OF01"), ("request_meeting", "HY09")],
    [("request_meeting", "OF01"), ("repeat_incident", "HY09"), ("resolve", "VP02")],
])
def test_racing_threads_exactly_one_wins_and_makes_letters(liaison: Liaison, school: Path,
                                                           moves: list[tuple[str, str]]) -> None:
    """BEGIN IMMEDIATE + UPDATE ... WHERE version = ?: of writers that all loaded version 1,
    one commits; every other gets ConflictError (never "database is locked"), and only the
    winner's letters exist."""
    case = open_conduct(liaison).case
    results = _race(school, case, moves)
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1, results
    assert all(isinstance(e, ConflictError) for e in lost), lost
    events = liaison.store.events(case)
    assert [e.event for e in events][1:] == [moves[results.index(won[0])][0]]
    assert liaison.store.case(case).version == 2
    made = {d.path for d in won[0].documents}
    assert made and made == {d["path"] for d in liaison.store.documents(case_id=case)}
    _documents_match_rows(liaison)


def _process_writer(school: str, case: str, event: str, actor: str,
                    barrier: Any, results: Any) -> None:
    """One writer in its own process (forked): waits at the barrier after loading the case."""
    engine = Liaison.at(Path(school), clock=HoldingClock(barrier.wait))
    try:
        engine.advance(case, event, actor, CONDUCT_FIELDS[event])
        results.put((event, "won"))
    except Exception as exc:
        results.put((event, type(exc).__name__))
    finally:
        engine.close()


def test_racing_processes_exactly_one_wins(liaison: Liaison, school: Path) -> None:
    """The same race between two operating-system processes, each with its own connection."""
    case = open_conduct(liaison).case
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2, timeout=60), context.Queue()
    moves = [("request_meeting", "OF01"), ("repeat_incident", "HY09")]
    workers = [context.Process(target=_process_writer,
                               args=(str(school), case, e, a, barrier, results))
               for e, a in moves]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sorted(outcomes.values()) == ["ConflictError", "won"], outcomes
    winner = next(e for e, how in outcomes.items() if how == "won")
    assert [e.event for e in liaison.store.events(case)] == ["open", winner]
    _documents_match_rows(liaison)


@pytest.mark.sqlite_only  # SQLite's file and its BEGIN IMMEDIATE
def test_every_write_transaction_begins_immediate(liaison: Liaison) -> None:
    """A deferred transaction that later writes gets "database is locked" at once, ignoring
    the busy timeout: every INSERT, UPDATE and DELETE must run inside BEGIN IMMEDIATE."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper() + " " + statement[:40])

    sa_event.listen(liaison.store.engine, "before_cursor_execute", record)
    case = open_conduct(liaison).case
    walk(liaison, case, [("request_meeting", "OF01"), ("record_meeting", "HY09")])
    liaison.import_students(liaison.school.root / "samples" / "students.csv")
    began: str | None = None
    writes = 0
    for statement in statements:
        if statement.startswith("BEGIN"):
            began = statement
        elif statement.split()[0] in ("INSERT", "UPDATE", "DELETE"):
            writes += 1
            assert began is not None and began.startswith("BEGIN BEGIN IMMEDIATE"), statement
    assert writes > 10


# --------------------------------------------------------------------------- audit trail


def _recompute(rows: list[dict[str, Any]]) -> list[str]:
    """Each event's hash from its row: sha256(previous hash + its canonical JSON body)."""
    out, prev = [], ""
    for row in rows:
        body = {k: row[k] for k in ("case_id", "seq", "event", "from_state", "to_state", "actor",
                                    "actor_name", "occurred_at", "recorded_at", "fields")}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        prev = hashlib.sha256((prev + text).encode()).hexdigest()
        out.append(prev)
    return out


def _event_rows(store: Store, case: str) -> list[dict[str, Any]]:
    with sqlite3.connect(store.path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM events WHERE case_id = ? ORDER BY seq", (case,))
        return [dict(r) for r in rows]


@pytest.mark.sqlite_only  # SQLite's file and its BEGIN IMMEDIATE
def test_the_event_hash_chain_links_every_event_and_shows_an_edit(liaison: Liaison) -> None:
    """Each event row's hash covers its content and the previous row's hash: an edit of
    the audit trail after the fact no longer matches."""
    case = open_conduct(liaison).case
    walk(liaison, case, [("request_meeting", "OF01"), ("end_meeting", "HY09"),
                         ("reconvene_meeting", "VP02")])
    other = open_conduct(liaison, student="S1002", contact="C2003").case
    rows = _event_rows(liaison.store, case)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["prev_hash"] == ""
    assert [r["prev_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    assert _recompute(rows) == [r["hash"] for r in rows]
    assert _event_rows(liaison.store, other)[0]["prev_hash"] == ""  # a chain per case

    with sqlite3.connect(liaison.store.path) as conn:
        conn.execute("UPDATE events SET actor = 'HT01' WHERE case_id = ? AND seq = 2", (case,))
    tampered = _event_rows(liaison.store, case)
    recomputed = _recompute(tampered)
    assert recomputed[0] == tampered[0]["hash"]
    assert recomputed[1] != tampered[1]["hash"]


def test_events_record_when_it_happened_and_when_it_was_entered(liaison: Liaison) -> None:
    case = open_conduct(liaison).case
    liaison.clock.now = NOW + dt.timedelta(days=2)  # type: ignore[attr-defined]
    liaison.advance(case, "request_meeting", "OF01", CONDUCT_FIELDS["request_meeting"],
                    at=NOW + dt.timedelta(days=1))
    event = liaison.store.events(case)[-1]
    assert event.occurred_at == "2026-11-24T09:00:00"
    assert event.recorded_at == "2026-11-25T09:00:00"


# --------------------------------------------------------------------------- the file


@pytest.mark.sqlite_only  # SQLite's file and its BEGIN IMMEDIATE
def test_the_store_uses_write_ahead_logging(liaison: Liaison) -> None:
    with sqlite3.connect(liaison.store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_case_ids_count_per_prefix_and_year(liaison: Liaison) -> None:
    first = open_conduct(liaison).case
    second = open_conduct(liaison).case
    liaison.clock.now = dt.datetime(2027, 1, 5, 9, 0)  # type: ignore[attr-defined]
    third = open_conduct(liaison).case
    assert (first, second, third) == ("CON-2026-0001", "CON-2026-0002", "CON-2027-0001")


# --------------------------------------------------------------------------- people


def _rewrite(source: Path, target: Path, change: Callable[[list[dict[str, str]]], None]) -> Path:
    rows = list(csv.DictReader(io.StringIO(source.read_text(encoding="utf-8"))))
    columns = list(rows[0])
    change(rows)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return target


def test_re_import_updates_students_and_contacts_in_place_by_id(liaison: Liaison,
                                                                 tmp_path: Path) -> None:
    samples = liaison.school.root / "samples"
    case = open_conduct(liaison, student="S1002", contact="C2003").case
    students_before = liaison.store.count("students")
    contacts_before = liaison.store.count("contacts")

    def rename(rows: list[dict[str, str]]) -> None:
        rows[0]["first_name"] = "Ethan James"
        rows.append({**rows[0], "id": "S1999", "first_name": "New", "last_name": "Student"})

    def speaks_english(rows: list[dict[str, str]]) -> None:
        next(r for r in rows if r["id"] == "C2003")["language"] = "English"

    assert liaison.import_students(_rewrite(samples / "students.csv", tmp_path / "s.csv",
                                            rename)) == students_before + 1
    assert liaison.import_contacts(_rewrite(samples / "contacts.csv", tmp_path / "c.csv",
                                            speaks_english)) == contacts_before
    assert liaison.store.count("students") == students_before + 1
    assert liaison.store.count("contacts") == contacts_before
    assert liaison.student("S1001").first_name == "Ethan James"
    assert next(c for c in liaison.contacts("S1002") if c.id == "C2003").language == "English"
    assert liaison.store.case(case).student_id == "S1002"
    asked = walk(liaison, case, [("request_meeting", "OF01")])
    text = letter_text(liaison.school.root, asked.documents[0].path)
    assert "interpreter" not in text  # the letter uses the updated contact


@pytest.mark.parametrize("column,value,problem", [
    ("id", "", "column 'id': is blank; it is required"),
    ("student_id", "S9999", "column 'student_id': unknown student 'S9999'"),
    ("separate_correspondence", "maybe", "column 'separate_correspondence': 'maybe' is not "
                                         "yes or no"),
    ("correspondence", "some", "column 'correspondence': 'some' is not 'all' or 'none'"),
])
def test_a_bad_contact_row_imports_nothing_from_the_file(
        liaison: Liaison, tmp_path: Path, school_cli: Callable[..., Run],
        column: str, value: str, problem: str) -> None:
    """A bad row (missing id, unknown student, bad yes/no) is reported with its line number
    and nothing from that file is imported, not even the good rows before it."""

    def spoil(rows: list[dict[str, str]]) -> None:
        rows[0]["last_name"] = "Changed"  # a good change on line 2 ...
        rows[4][column] = value  # ... and a bad row on line 6

    bad = _rewrite(liaison.school.root / "samples" / "contacts.csv", tmp_path / "bad.csv", spoil)
    before = snapshot(liaison)
    with pytest.raises(ImportRowError) as caught:
        liaison.import_contacts(bad)
    assert str(caught.value).startswith(f"{bad}:6: {problem}")
    run = school_cli("import", "contacts", bad)
    assert run.code == 1
    assert run.err.startswith(f"error: {bad}:6: {problem}")
    assert snapshot(liaison) == before


def test_a_bad_student_row_imports_nothing(liaison: Liaison, tmp_path: Path) -> None:
    def spoil(rows: list[dict[str, str]]) -> None:
        rows[0]["first_name"] = "Changed"
        rows[2]["year"] = "twelve"

    bad = _rewrite(liaison.school.root / "samples" / "students.csv", tmp_path / "bad.csv", spoil)
    before = snapshot(liaison)
    with pytest.raises(ImportRowError, match=r"bad.csv:4: column 'year': 'twelve' is not a year"):
        liaison.import_students(bad)
    assert snapshot(liaison) == before
    assert liaison.student("S1001").first_name == "Ethan"
