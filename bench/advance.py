"""Benchmark: does an advance slow with the case's history? (issue 14)

    python bench/advance.py              # 10, 1,000 and 2,000 earlier events, 21 rounds
    python bench/advance.py --repeat 9

The demo school with its sample people; for each size one student's contact log with that
many earlier ``log_contact`` events (written in bulk, as the engine chains them) and as many
letters already sent to the family (each with its stored context, ~2 KB, as a letter's
row has). Then, in interleaved rounds (a busy moment slows every size alike), one more
``log_contact`` on each case through ``Liaison.advance``, the whole use case with its
commit. The median CPU time (``time.process_time``: the fsyncs of a durable commit wait on
the disk, which history does not change) and wall time of each, and the ratio of each size
to the 10-event case measured in the same run.

Then a durable advance that writes a letter (``request_meeting`` on a new conduct case,
``--repeat`` times): its wall time, the transactions it begins and the fsyncs it asks for
itself (SQLite's one WAL commit, ``synchronous=FULL``, comes on top), against a baseline
measured in the same folder in the same rounds: one letter-sized file written and fsynced
with its folder, plus one SQLite WAL FULL commit of one row (the least a durable advance
with a letter can wait for). Not a test (bench/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from engine.service.liaison import Liaison  # noqa: E402
from engine.service.shipped import copy_school  # noqa: E402
from engine.store.database import chain_hash  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 10, 0)
CALL = {"parent": ["C2001"], "method": ["telephone"], "initiated_by": ["school"],
        "nature": ["positive"], "summary": ["Won the Year 9 maths challenge"]}
STUDENTS = {10: ("S1001", "C2001"), 1000: ("S1002", "C2003"), 2000: ("S1003", "C2004")}


def grow(database: Path, case_id: str, student: str, contact: str, n: int) -> None:
    """Give the case ``n`` events in all and the family ``n`` letters, in one transaction."""
    db = sqlite3.connect(database)
    seq, prev = db.execute("SELECT seq, hash FROM events WHERE case_id = ? ORDER BY seq DESC "
                           "LIMIT 1", (case_id,)).fetchone()
    start = NOW - dt.timedelta(days=400)
    context = '{"context":{"body":"' + "x" * 2000 + '"},"template_sha256":"0"}'
    for i in range(seq + 1, n + 1):
        at = (start + dt.timedelta(hours=4 * i)).isoformat(timespec="seconds")
        body = dict(case_id=case_id, seq=i, event="log_contact", from_state="open",
                    to_state="open", actor="FT01", actor_name="Form Tutor", occurred_at=at,
                    recorded_at=at, fields='{"nature":"positive"}')
        digest = chain_hash(prev, body)
        cursor = db.execute(
            "INSERT INTO events (case_id, seq, event, from_state, to_state, actor, actor_name, "
            "occurred_at, recorded_at, fields, prev_hash, hash) VALUES (:case_id, :seq, "
            ":event, :from_state, :to_state, :actor, :actor_name, :occurred_at, "
            ":recorded_at, :fields, :prev, :hash)", {**body, "prev": prev, "hash": digest})
        db.execute("INSERT INTO documents (case_id, event_id, student_id, template, "
                   "recipient_id, recipient_name, path, sha256, size, created_at, context) "
                   "VALUES (NULL, ?, ?, 'praise_letter.docx', ?, 'Parent', ?, '0', 1, ?, ?)",
                   (cursor.lastrowid, student, contact, f"letters/{case_id}-{i}.docx", at,
                    context))
        prev = digest
    db.execute("UPDATE cases SET version = ? WHERE id = ?", (n, case_id))
    db.commit()
    db.close()


OPENING = {"contact": ["C2006"], "incident_date": ["2026-11-20"], "severity": ["concern"],
           "incident_summary": ["Shouted at reception staff"]}
MEETING = {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]}


def floor_ms(folder: Path, size: int, db: sqlite3.Connection) -> float:
    """One file of ``size`` bytes written and fsynced with its folder, and one WAL FULL
    commit of one row on an open connection: what any durable advance with a letter
    waits for at least."""
    started = time.perf_counter()
    path = folder / f"floor-{time.monotonic_ns()}.docx"
    with open(path, "xb") as fh:
        fh.write(b"x" * size)
        os.fsync(fh.fileno())
    fd = os.open(folder, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (1)")
    db.execute("COMMIT")
    took = (time.perf_counter() - started) * 1000
    path.unlink()
    return took


def _floor_db(folder: Path) -> sqlite3.Connection:
    db = sqlite3.connect(folder / "floor.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS t (x)")
    return db


def durable(engine: Liaison, repeat: int) -> None:
    """A durable advance with a letter: wall time, transactions and fsyncs."""
    counts = {"begin": 0, "fsync": 0}
    event.listen(engine.store.engine, "begin",
                 lambda _conn: counts.__setitem__("begin", counts["begin"] + 1))
    real_fsync = os.fsync

    def counting(fd: int) -> None:
        counts["fsync"] += 1
        real_fsync(fd)
    folder = engine.school.root / "cases" / "documents"
    db = _floor_db(engine.school.root / "cases")
    walls, floors, seen = [], [], []
    for i in range(repeat + 1):  # the first round warms up and is dropped
        student, contact = ("S1004", "C2006") if i % 2 else ("S1001", "C2001")
        case = engine.open("conduct_escalation", student, "HY09",
                           {**OPENING, "contact": [contact]}).case
        counts.update(begin=0, fsync=0)
        os.fsync = counting  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            made = engine.advance(case, "request_meeting", "OF01", MEETING)
            walls.append((time.perf_counter() - started) * 1000)
        finally:
            os.fsync = real_fsync
        seen.append(dict(counts))
        size = (engine.school.root / made.documents[0].path).stat().st_size
        floors.append(floor_ms(folder, size, db))
    db.close()
    wall, floor = statistics.median(walls[1:]), statistics.median(floors[1:])
    print(f"\ndurable advance with one letter (request_meeting), median of {repeat}:")
    print(f"  baseline: a {size // 1024} KB file fsynced with its folder + one WAL FULL "
          f"commit: {floor:6.2f} ms")
    print(f"  Liaison.advance: {wall:6.2f} ms ({wall / floor:4.2f}x the baseline); "
          f"transactions {seen[-1]['begin']} (1 read + 1 write), fsyncs asked for "
          f"{seen[-1]['fsync']} (+ SQLite's WAL commit); a new case's first letter "
          f"also syncs the folder holding its folder")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "school"
        copy_school(root)
        engine = Liaison.at(root, clock=lambda: NOW)
        engine.import_students(root / "samples" / "students.csv")
        engine.import_contacts(root / "samples" / "contacts.csv")
        cases = {}
        for n, (student, contact) in STUDENTS.items():
            case = engine.open("contact_log", student, "FT01", {},
                               at=NOW - dt.timedelta(days=401)).case
            grow(engine.school.database, case, student, contact, n)
            cases[n] = (case, contact)
        cpu: dict[int, list[float]] = {n: [] for n in cases}
        wall: dict[int, list[float]] = {n: [] for n in cases}
        for _ in range(args.repeat + 1):  # the first round warms up and is dropped
            for n, (case, contact) in cases.items():
                c0, w0 = time.process_time(), time.perf_counter()
                engine.advance(case, "log_contact", "FT01", {**CALL, "parent": [contact]})
                cpu[n].append((time.process_time() - c0) * 1000)
                wall[n].append((time.perf_counter() - w0) * 1000)
        base = statistics.median(cpu[10][1:])
        print(f"Liaison.advance(log_contact), median of {args.repeat}:")
        for n in cases:
            ms = statistics.median(cpu[n][1:])
            print(f"  {n:>5} earlier events: CPU {ms:6.2f} ms ({ms / base:4.2f}x the 10-event "
                  f"case), wall {statistics.median(wall[n][1:]):6.2f} ms")
        durable(engine, args.repeat)
        engine.close()


if __name__ == "__main__":
    main()
