"""Benchmark: the listings and the report at 100,000 cases, as whole processes and in-process,
against baselines measured in the same run (issue 14).

    python bench/listings.py                       # 10,000 and 100,000 cases
    python bench/listings.py --sizes 100000 --n 5

For each size it fills a fresh copy of the demo school's store in bulk (``bench/due.py``'s
``fill``: query cases, two deadlines each, 5 % open; plus two events a case, its opening
and its routing or closing, spread over three years). Then, in interleaved rounds so that a
busy moment on a shared machine falls on every command alike, each command as a fresh
process (output to a file, as when piped): the median wall time of ``--n`` runs and the
process's peak RSS (``VmHWM``, read by the process itself at exit):

- ``liaison staff --json``: the baseline the issue's goal is set against (1.5x of it);
- ``liaison cases --as OF01`` (the table), ``liaison cases --as OF01 --json`` and
  ``liaison due --as OF01 --all``.

In-process, medians of ``--n``: ``SELECT`` of the listing's columns of every case with
sqlite3 (the raw baseline), and ``engine.service.report.report`` over three years against
the raw SQL that reads the same events and deadlines. Not a test: the figures depend on
the machine (bench/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from due import NOW, fill  # noqa: E402

from engine.service.liaison import Liaison  # noqa: E402
from engine.service.shipped import copy_school, trust_the_cli  # noqa: E402

# Runs the CLI and, at exit, writes the process's peak RSS (kB) to the file $PEAK_TO.
PEAK = """
import atexit, os, runpy, sys
def peak():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            open(os.environ['PEAK_TO'], 'w').write(line.split()[1])
atexit.register(peak)
sys.argv = ['liaison', *sys.argv[1:]]
runpy.run_module('engine.cli.main', run_name='__main__')
"""


def add_events(database: Path, seed: int = 11) -> int:
    """Two events a case (open, then route or close), in one transaction."""
    rng = random.Random(seed)
    db = sqlite3.connect(database)
    rows = []
    for case_id, state, opened in db.execute("SELECT id, state, opened_at FROM cases"):
        at = dt.datetime.fromisoformat(opened)
        later = (at + dt.timedelta(days=rng.randint(0, 20))).isoformat(timespec="seconds")
        second = ("close", "closed") if state == "closed" else ("route", state)
        for seq, (event, to, when) in enumerate(
                (("open", "new", opened), (*second, later)), start=1):
            rows.append((case_id, seq, event, None if seq == 1 else "new", to, "OF01",
                         "Office", when, when, "{}", "", f"h{case_id}{seq}"))
    db.executemany("INSERT INTO events (case_id, seq, event, from_state, to_state, actor, "
                   "actor_name, occurred_at, recorded_at, fields, prev_hash, hash) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    # A deadline met or cancelled has the moment it was (fill leaves it out).
    db.execute("UPDATE deadlines SET met_at = due_on || 'T12:00:00' WHERE status != 'open'")
    db.commit()
    db.close()
    return len(rows)


def run(school: Path, args: list[str], n: int) -> tuple[float, float, int, int]:
    """Median wall ms and CPU ms (user + system) of ``n`` fresh processes, peak RSS in MB,
    bytes printed. CPU time is the steadier figure on a shared machine: the wall clock
    also counts the time slices other processes took."""
    times, cpu, peaks, size = [], [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        peak, printed = Path(tmp) / "peak", Path(tmp) / "out"
        env = {**os.environ, "PEAK_TO": str(peak), "LIAISON_SCHOOL": str(school),
               "PYTHONPYCACHEPREFIX": str(school.parent / "pycache")}
        # As installed by pip, which compiles every module: with PYTHONDONTWRITEBYTECODE
        # set (this machine's shell does), each process would compile the engine afresh.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for _ in range(n):
            with printed.open("wb") as out:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", PEAK, *args], check=True, stdout=out,
                               env=env, cwd=ROOT)
                times.append((time.perf_counter() - started) * 1000)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append((after.ru_utime + after.ru_stime - before.ru_utime
                            - before.ru_stime) * 1000)
            peaks.append(int(peak.read_text()))
            size = printed.stat().st_size
    return statistics.median(times), statistics.median(cpu), max(peaks) // 1024, size


COMMANDS = {
    "liaison staff --json (baseline)": ["staff", "--json"],
    "liaison cases --as OF01": ["cases", "--as", "OF01"],
    "liaison cases --as OF01 --json": ["cases", "--as", "OF01", "--json"],
    "liaison due --as OF01 --all": ["due", "--as", "OF01", "--all", "--on",
                                    NOW.isoformat(timespec="minutes")],
}


def median_ms(fn, n: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(n):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def peak_mb(fn) -> float:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def in_process(school: Path, n: int) -> None:
    from engine.service.report import report

    database = school / "cases" / "liaison.sqlite3"
    db = sqlite3.connect(database)

    def raw_cases() -> list[tuple]:  # type: ignore[type-arg]
        return db.execute("SELECT id, workflow, state, student_id, holder, opened_at FROM "
                          "cases ORDER BY opened_at, id").fetchall()

    start, end = dt.date(2023, 11, 24), NOW.date()

    def raw_report() -> list[tuple]:  # type: ignore[type-arg]
        return (db.execute("SELECT e.case_id, e.event, e.occurred_at, e.fields, c.workflow "
                           "FROM events e JOIN cases c ON c.id = e.case_id WHERE "
                           "e.occurred_at >= ? AND e.occurred_at < ?",
                           (start.isoformat(), "2026-11-24")).fetchall()
                + db.execute("SELECT d.due_on, d.due_at, d.status, d.met_at, c.workflow "
                             "FROM deadlines d JOIN cases c ON c.id = d.case_id WHERE "
                             "d.due_on >= ? AND d.due_on <= ?",
                             (start.isoformat(), end.isoformat())).fetchall())

    engine = Liaison.at(school, clock=lambda: NOW)
    ms_raw, rows = median_ms(raw_cases, n)
    ms_rraw, _ = median_ms(raw_report, n)
    ms_rep, _ = median_ms(lambda: report(engine, "HT01", start, end), n)
    mb_rep = peak_mb(lambda: report(engine, "HT01", start, end))
    print(f"  raw SELECT of the listing's columns, {len(rows):,} rows: {ms_raw:8.1f} ms")  # type: ignore[arg-type]
    print(f"  raw SQL of the report's rows (3 years):      {ms_rraw:8.1f} ms")
    print(f"  report(HT01, 3 years) in-process:            {ms_rep:8.1f} ms  "
          f"{ms_rep / ms_rraw:5.2f}x raw; peak Python allocations {mb_rep:.1f} MB")
    engine.close()
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--n", type=int, default=5)
    args = parser.parse_args()
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            school = Path(tmp) / "school"
            copy_school(school)
            trust_the_cli(school)  # --as is believed: the bench is one person
            Liaison.at(school).close()  # the store, migrated
            started = time.perf_counter()
            fill(school / "cases" / "liaison.sqlite3", size)
            events = add_events(school / "cases" / "liaison.sqlite3")
            print(f"\n{size:,} cases, {events:,} events: filled in "
                  f"{time.perf_counter() - started:.1f} s")
            got: dict[str, list[tuple[float, float, int, int]]] = {n: [] for n in COMMANDS}
            for argv in COMMANDS.values():  # once untimed: the bytecode written
                run(school, argv, 1)
            for _ in range(3):  # interleaved rounds
                for name, argv in COMMANDS.items():
                    got[name].append(run(school, argv, max(1, args.n // 3)))
            base = [statistics.median(r[i] for r in got["liaison staff --json (baseline)"])
                    for i in (0, 1)]
            for name, runs in got.items():
                ms, cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))
                print(f"  {name:34} {ms:7.1f} ms {ms / base[0]:5.2f}x  CPU {cpu:6.1f} ms "
                      f"{cpu / base[1]:5.2f}x  peak RSS {max(r[2] for r in runs):3d} MB  "
                      f"printed {runs[-1][3] / 1e6:5.2f} MB")
            in_process(school, args.n)


if __name__ == "__main__":
    main()
