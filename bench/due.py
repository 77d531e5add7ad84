"""Benchmark: the due list over 100,000 cases, with the store's index and without.

    python bench/due.py [--cases 100000] [--repeat 21]

It fills a fresh copy of the demo school's store, in bulk (straight SQL, one transaction:
the engine's one-event-at-a-time path would take minutes and is not what is measured),
with a few years of cases: most closed with their deadlines met or cancelled, 5 % open
with deadlines from three weeks ago to a month ahead, held by one of 200 teachers or by
the office's role. No ``ANALYZE``: a school's store has no statistics either. Then, in the
same run, it times:

- the store's query (``Store.open_deadlines``: open deadlines due by Sunday) for a
  teacher, for the office (whose role holds a tenth of all cases) and for everyone: with
  the store's own indexes (a partial index over open deadlines, an index on the case's
  holder), without the holder index, with a plain index on ``due_on`` instead, and with
  no index at all (a full scan);
- the whole use case (``engine.due.due_list``: the query, the visibility check of every
  row, statuses and ordering) as ``liaison due`` runs it, with the shipped index.

Each index variant is a copy of the same store, and the queries run round-robin over the
copies, so a busy machine slows every variant alike. Medians of ``--repeat`` runs, in
milliseconds, and each variant's ratio to the store's own indexes. Not a test: the
figures depend on the machine (see bench/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.service.due import due_list, holders_for, week_end  # noqa: E402
from engine.service.liaison import Liaison  # noqa: E402
from engine.service.shipped import copy_school  # noqa: E402
from engine.store.database import Store  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 10, 0)  # a Monday in term
OPEN = ("CREATE INDEX ix_deadlines_open ON deadlines (due_on, case_id, name) "
        "WHERE status = 'open'")
HOLDER = "CREATE INDEX ix_cases_holder ON cases (holder)"
PLAIN = "CREATE INDEX ix_deadlines_due_on ON deadlines (due_on)"
INDEXES = ("ix_deadlines_open", "ix_cases_holder", "ix_deadlines_due_on")
NAMES = ("acknowledge_by", "respond_by")
TEACHERS = [f"T{i:03d}" for i in range(200)]


def fill(database: Path, n_cases: int, seed: int = 7) -> None:
    """n_cases cases with two deadlines each; 5 % open. One transaction."""
    rng = random.Random(seed)
    db = sqlite3.connect(database)
    students = [(f"S{i:05d}", "Pat", f"Pupil{i}", 7 + i % 7, "7A", "", "2026-09-01", 0)
                for i in range(2000)]
    db.executemany("INSERT INTO students (id, first_name, last_name, year, form, house, "
                   "updated_at, looked_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", students)
    cases, deadlines = [], []
    for i in range(n_cases):
        case_id = f"QRY-{2024 + i * 3 // n_cases}-{i:06d}"
        is_open = rng.random() < 0.05
        holder = "role:office" if rng.random() < 0.1 else rng.choice(TEACHERS + ["ST01"])
        opened = NOW - dt.timedelta(days=rng.randint(0, 3 * 365))
        cases.append((case_id, "query_routing", "with_subject_teacher" if is_open else "closed",
                      students[i % len(students)][0], holder, "{}", 3,
                      opened.isoformat(timespec="seconds"), "OF01",
                      None if is_open else opened.isoformat(timespec="seconds"), 0, 0))
        for name, days in zip(NAMES, (2, 14), strict=True):
            due = (NOW + dt.timedelta(days=rng.randint(-21, 30)) if is_open
                   else opened + dt.timedelta(days=days))
            status = "open" if is_open else rng.choice(("met", "met", "met", "cancelled"))
            deadlines.append((case_id, name, name.replace("_", " "), "PWP-5.2",
                              due.date().isoformat(), status))
    db.executemany("INSERT INTO cases (id, workflow, state, student_id, holder, fields, "
                   "version, opened_at, opened_by, closed_at, restricted, child_protection) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", cases)
    db.executemany("INSERT INTO deadlines (case_id, name, title, clause, due_on, status) "
                   "VALUES (?, ?, ?, ?, ?, ?)", deadlines)
    db.commit()
    db.close()


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def variant(source: Path, target: Path, *create: str) -> str:
    """A copy of the filled store with only the given due-list indexes; its query plan."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as db:
        src.backup(db)
        for name in INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {name}")
        for sql in create:
            db.execute(sql)
        plan = db.execute("EXPLAIN QUERY PLAN SELECT deadlines.title FROM deadlines JOIN "
                          "cases ON cases.id = deadlines.case_id WHERE status = ? AND "
                          "due_on <= ? AND holder IN (?, ?)",
                          ("open", "2026-11-29", "ST01", "role:subject_teacher")).fetchall()
    return "; ".join(row[3] for row in plan)


VARIANTS = (("the store's indexes", (OPEN, HOLDER)),
            ("without the holder index", (OPEN,)),
            ("a plain index on due_on only", (PLAIN,)),
            ("no index (full scan)", ()))


def compare_indexes(engine: Liaison, folder: Path, repeat: int) -> None:
    """Each query on each variant, round-robin, so a busy machine slows all alike."""
    until = week_end(NOW.date()).isoformat()
    teacher = holders_for(engine.school.member("ST01"), engine.school.staff)
    office = holders_for(engine.school.member("OF01"), engine.school.staff)
    queries = {"a teacher (ST01)": teacher, "the office (OF01)": office,
               "everyone (--all)": None}
    stores = []
    for i, (label, create) in enumerate(VARIANTS):
        path = folder / f"variant{i}.sqlite3"
        print(f"  {label}: {variant(engine.school.database, path, *create)}")
        stores.append(Store(path))
    times: dict[tuple[int, str], list[float]] = {}
    rows: dict[str, int] = {}
    for _ in range(repeat + 1):  # the first round warms the caches and is dropped
        for i, store in enumerate(stores):
            for who, holders in queries.items():
                ms, found = timed(lambda s=store, h=holders: s.open_deadlines(until, h))
                times.setdefault((i, who), []).append(ms)
                rows[who] = len(found)
    print(f"\nStore.open_deadlines(until={until}): median ms of {repeat} (ratio to the "
          "store's indexes)")
    print(f"  {'':<30}" + "".join(f"{who:>22}" for who in queries))
    print(f"  {'rows':<30}" + "".join(f"{rows[who]:>22}" for who in queries))
    for i, (label, _) in enumerate(VARIANTS):
        cells = []
        for who in queries:
            ms = statistics.median(times[(i, who)][1:])
            base = statistics.median(times[(0, who)][1:])
            cells.append(f"{ms:9.2f} ({ms / base:5.1f}x)")
        print(f"  {label:<30}" + "".join(f"{c:>22}" for c in cells))
    for store in stores:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "school"
        copy_school(root)
        engine = Liaison.at(root, clock=lambda: NOW)
        started = time.perf_counter()
        fill(engine.school.database, args.cases)
        print(f"filled {args.cases:,} cases, {2 * args.cases:,} deadlines in "
              f"{time.perf_counter() - started:.1f} s; a teacher's query plan on each copy:")
        compare_indexes(engine, Path(tmp), args.repeat)
        print(f"\nengine.due.due_list (what `liaison due` runs), median ms of {args.repeat}:")
        for who, everyone in (("ST01", False), ("OF01", False), ("OF01", True)):
            runs = [timed(lambda w=who, e=everyone: due_list(engine, w, NOW, e))
                    for _ in range(args.repeat + 1)][1:]
            print(f"  {who} {'--all' if everyone else '     '}  {len(runs[0][1]):>6} items  "
                  f"{statistics.median(ms for ms, _ in runs):8.2f} ms")
        engine.close()


if __name__ == "__main__":
    main()
