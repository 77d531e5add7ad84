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


EVENTS = ("open", "request_meeting", "record_meeting", "repeat_incident", "request_meeting",
          "record_meeting", "seek_legal_advice", "repeat_incident", "resolve", "close")
STUDENTS = [f"S{1001 + i}" for i in range(24)]  # the sample students


def fill(engine: Liaison, n_cases: int, events_per_case: int, rng: random.Random) -> None:
    """``n_cases`` conduct cases of one school, each with ``events_per_case`` events and 2
    deadlines, in one transaction as the school: COPY into temporary tables (COPY FROM
    is refused on a table under row-level security), then one INSERT ... SELECT each,
    which the policy checks row by row as any write."""
    cases, events, deadlines = [], [], []
    for i in range(n_cases):
        case_id = f"CON-{2024 + i * 3 // n_cases}-{i + 1:04d}"
        is_open = rng.random() < 0.05
        opened = NOW - dt.timedelta(days=rng.randint(0, 3 * 365))
        at = opened.isoformat(timespec="seconds")
        student = rng.choice(STUDENTS)
        cases.append((case_id, "conduct_escalation",
                      "meeting_requested" if is_open else "closed", student, None,
                      rng.choice(HOLDERS), "{}", events_per_case, at, "OF01",
                      None if is_open else at, False, False, False))
        for seq in range(1, events_per_case + 1):
            when = (opened + dt.timedelta(hours=seq)).isoformat(timespec="seconds")
            events.append((case_id, seq, EVENTS[(seq - 1) % len(EVENTS)], None, "closed",
                           "OF01", "Office", when, when, "{}", "", "x"))
        for name in ("meeting", "review"):
            due_on = (NOW + dt.timedelta(days=rng.randint(-21, 30)) if is_open
                      else opened + dt.timedelta(days=7)).date().isoformat()
            deadlines.append((case_id, name, name, "HSP-3", due_on,
                              "open" if is_open else "met", None if is_open else due_on))
    columns = {
        "cases": ("id", "workflow", "state", "student_id", "contact_id", "holder", "fields",
                  "version", "opened_at", "opened_by", "closed_at", "restricted",
                  "child_protection", "legal_hold"),
        "events": ("case_id", "seq", "event", "from_state", "to_state", "actor",
                   "actor_name", "occurred_at", "recorded_at", "fields", "prev_hash", "hash"),
        "deadlines": ("case_id", "name", "title", "clause", "due_on", "status", "met_at"),
    }
    rows = {"cases": cases, "events": events, "deadlines": deadlines}
    school = engine.school.school_id
    with engine.store.writing() as conn:
        cursor = conn.connection.driver_connection.cursor()
        for table, names in columns.items():
            listed = ", ".join(names)
            cursor.execute(f"CREATE TEMP TABLE fill_{table} ON COMMIT DROP AS "
                           f"SELECT {listed} FROM {table} WITH NO DATA")
            with cursor.copy(f"COPY fill_{table} ({listed}) FROM STDIN") as copy:
                for row in rows[table]:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {table} (school_id, {listed}) "
                           f"SELECT %s, {listed} FROM fill_{table}", (school,))
        last = max(int(c[0].rsplit("-", 1)[1]) for c in cases if c[0][4:8] == "2026")
        conn.execute(text("INSERT INTO counters (school_id, prefix, last) VALUES "
                          "(:s, 'CON-2026', :n)"), {"s": school, "n": last})


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def made(folder: Path, n_schools: int, n_cases: int, events_per_case: int) -> list[Path]:
    """The schools' folders under ``folder``, filled once: a later run with the same
    ``--keep`` measures them again without filling (``filled.json`` says what is there)."""
    said = folder / "filled.json"
    wanted = {"schools": n_schools, "cases": n_cases, "events": events_per_case}
    if said.is_file() and json.loads(said.read_text()) == wanted:
        return [folder / f"school-{n:02d}" for n in range(n_schools)]
    if folder.exists() and any(folder.iterdir()):
        sys.exit(f"{folder}: not empty, and not filled with {wanted}")
    rng = random.Random(17)
    started = time.perf_counter()
    roots = []
    for n in range(n_schools):
        root = folder / f"school-{n:02d}"
        copy_school(root)
        engine = Liaison.at(root, clock=lambda: NOW)
        engine.import_students(root / "samples" / "students.csv")
        engine.import_contacts(root / "samples" / "contacts.csv")
        fill(engine, n_cases, events_per_case, rng)
        engine.close()
        roots.append(root)
        print(f"  school {n + 1}/{n_schools} filled at {time.perf_counter() - started:.0f} s",
              flush=True)
    print(f"filled {n_schools} schools x {n_cases} cases ({n_schools * n_cases:,} cases, "
          f"{n_schools * n_cases * events_per_case:,} events) in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    said.write_text(json.dumps(wanted))
    return roots


TRUST = """\
trust:
  name: The Bench Trust
  trust_id: bench-trust
schools:
{schools}
staff:
  - {{id: TL01, name: Ms Trust Leader, title: Chief Executive, roles: [trust_leader]}}
security:
  cli_identity: trust
"""


def write_trust(folder: Path, roots: list[Path]) -> Path:
    """trust.yaml beside the schools' folders, naming each (its school_id from school.yaml)."""
    from engine.service.sources import load_profile

    lines = [f"  - {{school_id: {load_profile(r).school_id}, name: {r.name}, folder: {r.name}}}"
             for r in roots]
    (folder / "trust.yaml").write_text(TRUST.format(schools="\n".join(lines)), "utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--events", type=int, default=10, help="events per case")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--keep", type=Path, help="fill the schools here once, and reuse them")
    parser.add_argument("--fill-only", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("LIAISON_BENCH_DATABASE")
    if not url:
        sys.exit("set LIAISON_BENCH_DATABASE to the application role's PostgreSQL URL")
    os.environ["LIAISON_DATABASE_URL"] = url
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        roots = made(folder, args.schools, args.cases, args.events)
        if not args.fill_only:
            measure(write_trust(folder, roots), roots, args.repeat)


def measure(folder: Path, roots: list[Path], repeat: int) -> None:
    from engine.core import totp
    from engine.service.trust import TrustOffice
    from engine.service.users import Users

    one = Liaison.at(roots[0], clock=lambda: NOW)

    def baseline() -> None:
        with one.store.reads() as r:
            r.conn.execute(text("SELECT 1"))

    fresh = [one.open("conduct_escalation", "S1004", "HY09",
                      {"contact": ["C2006"], "incident_date": ["2026-11-20"],
                       "severity": ["concern"], "incident_summary": ["Shouted"]}).case
             for _ in range(repeat)]
    cases = iter(fresh)

    def advance() -> None:
        one.advance(next(cases), "request_meeting", "OF01",
                    {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})

    office = TrustOffice.at(folder)  # the real clock: the code is the authenticator's now
    secret = Users(office).enrol_second_factor("TL01").data["secret"]  # type: ignore[arg-type]
    code = totp.code(secret, totp.step_of(time.time()))
    lead = office.signed_in("TL01", code)  # once, as a session: its reads are many
    year = (dt.date(2025, 9, 1), dt.date(2026, 8, 31))
    figures = {
        "SELECT 1 (a transaction of the store)": median_ms(baseline, repeat),
        "due list of one member of staff (HY09)":
            median_ms(lambda: due.due_list(one, "HY09", NOW), repeat),
        "report of one school, a school year":
            median_ms(lambda: report.report(one, "HT01", *year), repeat),
        f"report of the trust ({len(roots)} schools), a school year":
            median_ms(lambda: lead.report(*year), max(3, repeat // 3)),
        "advance with one letter": median_ms(advance, repeat),
    }
    base = next(iter(figures.values()))
    for name, ms in figures.items():
        print(f"{name:50} {ms:9.2f} ms  {ms / base:8.1f}x")
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}))
    lead.close()
    office.close()
    one.close()


if __name__ == "__main__":
    main()
