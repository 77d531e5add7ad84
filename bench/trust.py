"""Benchmark: a trust's schools in one PostgreSQL database (issue 17), at a scale stated.

    LIAISON_BENCH_DATABASE=postgresql+psycopg://liaison_app@127.0.0.1:55432/liaison \\
        python bench/trust.py [--schools 10] [--cases 2000] [--repeat 21]

The database must be upgraded by its owner (``liaison db upgrade --grant ROLE``); the URL
is the application's role. Each school is a fresh tenant (``liaison init``'s school_id),
its sample people imported and ``--cases`` conduct-style cases filled in bulk (straight
SQL as the school, in one transaction each: 5 events, 2 deadlines a case, 5 % open, held
by one of 40 staff ids). Then, in the same run, medians of ``--repeat``:

- the baseline: a transaction of the store that sets its school and runs ``SELECT 1``;
- the due list of one member of staff (``engine.service.due.due_list``, as ``liaison due``);
- the report of one school for a school year (``engine.service.report.report``);
- an advance with one letter (a fresh case each: ``request_meeting``, one letter written).

Each with its ratio to the baseline. Not a test; figures in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from engine.service import due, report  # noqa: E402
from engine.service.liaison import Liaison  # noqa: E402
from engine.service.shipped import copy_school  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 9, 0)
HOLDERS = [f"T{i:02d}" for i in range(40)] + ["HY09"]


def fill(engine: Liaison, n_cases: int, rng: random.Random) -> None:
    cases, events, deadlines = [], [], []
    for i in range(n_cases):
        case_id = f"CON-{2024 + i * 3 // n_cases}-{i + 1:04d}"
        is_open = rng.random() < 0.05
        opened = NOW - dt.timedelta(days=rng.randint(0, 3 * 365))
        at = opened.isoformat(timespec="seconds")
        cases.append(dict(id=case_id, workflow="conduct_escalation",
                          state="meeting_requested" if is_open else "closed",
                          student_id="S1004", contact_id="C2006",
                          holder=rng.choice(HOLDERS), fields="{}", version=5, opened_at=at,
                          opened_by="OF01", closed_at=None if is_open else at,
                          restricted=False, child_protection=False))
        for seq in range(1, 6):
            events.append(dict(case_id=case_id, seq=seq, event="open", from_state=None,
                               to_state="closed", actor="OF01", actor_name="Office",
                               occurred_at=at, recorded_at=at, fields="{}", prev_hash="",
                               hash="x"))
        for name in ("meeting", "review"):
            due_on = (NOW + dt.timedelta(days=rng.randint(-21, 30)) if is_open
                      else opened + dt.timedelta(days=7)).date().isoformat()
            deadlines.append(dict(case_id=case_id, name=name, title=name, clause="HSP-3",
                                  due_on=due_on, status="open" if is_open else "met",
                                  met_at=None if is_open else due_on))
    columns = {"cases": cases, "events": events, "deadlines": deadlines}
    with engine.store.writing() as conn:
        for table, rows in columns.items():
            names = ["school_id", *rows[0]]
            conn.execute(text(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                              f"({', '.join(':' + n for n in names)})"),
                         [{"school_id": engine.school.school_id, **r} for r in rows])
        last = max(int(c["id"].rsplit("-", 1)[1]) for c in cases if c["id"][4:8] == "2026")
        conn.execute(text("INSERT INTO counters (school_id, prefix, last) VALUES "
                          "(:s, 'CON-2026', :n)"), {"s": engine.school.school_id, "n": last})


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    url = os.environ.get("LIAISON_BENCH_DATABASE")
    if not url:
        sys.exit("set LIAISON_BENCH_DATABASE to the application role's PostgreSQL URL")
    os.environ["LIAISON_DATABASE_URL"] = url
    rng = random.Random(17)
    with tempfile.TemporaryDirectory() as tmp:
        engines = []
        started = time.perf_counter()
        for n in range(args.schools):
            root = Path(tmp) / f"school-{n}"
            copy_school(root)
            engine = Liaison.at(root, clock=lambda: NOW)
            engine.import_students(root / "samples" / "students.csv")
            engine.import_contacts(root / "samples" / "contacts.csv")
            fill(engine, args.cases, rng)
            engines.append(engine)
        print(f"filled {args.schools} schools x {args.cases} cases "
              f"({args.schools * args.cases * 5} events) in "
              f"{time.perf_counter() - started:.0f} s")
        one = engines[0]

        def baseline() -> None:
            with one.store.reads() as r:
                r.conn.execute(text("SELECT 1"))

        opened = iter(one.open("conduct_escalation", "S1004", "HY09",
                               {"contact": ["C2006"], "incident_date": ["2026-11-20"],
                                "severity": ["concern"], "incident_summary": ["Shouted"]}
                               ).case for _ in range(args.repeat))
        fresh = list(opened)
        cases = iter(fresh)

        def advance() -> None:
            one.advance(next(cases), "request_meeting", "OF01",
                        {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})

        figures = {
            "SELECT 1 (a transaction of the store)": median_ms(baseline, args.repeat),
            "due list of one member of staff (HY09)":
                median_ms(lambda: due.due_list(one, "HY09", NOW), args.repeat),
            "report of one school, a school year":
                median_ms(lambda: report.report(one, "HT01", dt.date(2025, 9, 1),
                                                dt.date(2026, 8, 31)), args.repeat),
            "advance with one letter": median_ms(advance, args.repeat),
        }
        base = next(iter(figures.values()))
        for name, ms in figures.items():
            print(f"{name:45} {ms:9.2f} ms  {ms / base:8.1f}x")
        print(json.dumps({k: round(v, 2) for k, v in figures.items()}))
        for engine in engines:
            engine.close()


if __name__ == "__main__":
    main()
