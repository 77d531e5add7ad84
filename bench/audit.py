"""Benchmark: `liaison audit verify` over 100,000 cases (issue 11: under 5 s).

    python bench/audit.py [--cases 100000] [--documents 10000] [--repeat 3]

It fills a fresh copy of the demo school's store in bulk (straight SQL, one transaction)
with cases of three events each, chained exactly as the engine chains them
(``database.chain_hash``), one document file per tenth case (37 KB, a
letter's size), and a seal over all of it (``database.seal``). Then, in the same run, it times:

- the baseline: the same rows read with plain ``sqlite3`` (every event and case, in the
  order verify reads them) and every document file read and hashed once with SHA-256,
  with no checking: the least any verify must do;
- ``Store.verify`` as ``liaison audit verify`` runs it (chains, case rows, documents, the
  seal's heads), and with the chains split across two processes (``--processes 2``);
- the whole command, as a process (``python -m engine.cli.main audit verify``).

``--repeat`` rounds, each timing every run once in turn: the median seconds, and the
median of each round's ratio to that round's baseline (the load of a shared machine moves
within seconds). Not a test: the figures depend on the machine (see bench/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.service.liaison import Liaison  # noqa: E402
from engine.service.shipped import copy_school, trust_the_cli  # noqa: E402
from engine.store.database import _json, chain_hash, seal  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 10, 0)
TRAIL = (("open", None, "with_subject_teacher"), ("acknowledge", "with_subject_teacher",
                                                  "with_subject_teacher"),
         ("respond", "with_subject_teacher", "closed"))


def _events(case_id: str, opened: dt.datetime) -> list[dict[str, Any]]:
    prev, out = "", []
    for seq, (event, before, after) in enumerate(TRAIL, 1):
        at = (opened + dt.timedelta(hours=seq)).isoformat(timespec="seconds")
        body = dict(case_id=case_id, seq=seq, event=event, from_state=before, to_state=after,
                    actor="OF01", actor_name="Mrs Janet Cole", occurred_at=at, recorded_at=at,
                    fields=_json({"summary": f"Query {case_id} about homework"}))
        digest = chain_hash(prev, body)
        out.append({**body, "prev_hash": prev, "hash": digest})
        prev = digest
    return out


def fill(root: Path, n_cases: int, n_documents: int) -> None:
    """n_cases closed cases of three chained events, a document per n_cases/n_documents."""
    body = os.urandom(37_000)  # a letter's size
    folder = root / "cases" / "documents" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(root / "cases" / "liaison.sqlite3")
    db.execute("INSERT INTO students (id, first_name, last_name, year, form, house, "
               "updated_at, looked_after) VALUES ('S0', 'Pat', 'Pupil', 9, '9A', '', "
               "'2026-09-01', 0)")
    every = max(1, n_cases // max(1, n_documents))
    for i in range(n_cases):
        case_id = f"QRY-{2024 + i * 3 // n_cases}-{i:06d}"
        opened = NOW - dt.timedelta(minutes=n_cases - i)
        db.execute("INSERT INTO cases (id, workflow, state, student_id, fields, version, "
                   "opened_at, opened_by, restricted, child_protection, legal_hold) VALUES "
                   "(?, 'query_routing', 'closed', 'S0', '{}', 3, ?, 'OF01', 0, 0, 0)",
                   (case_id, opened.isoformat()))
        db.executemany("INSERT INTO events (case_id, seq, event, from_state, to_state, actor, "
                       "actor_name, occurred_at, recorded_at, fields, prev_hash, hash) VALUES "
                       "(:case_id, :seq, :event, :from_state, :to_state, :actor, "
                       ":actor_name, :occurred_at, :recorded_at, :fields, :prev_hash, :hash)",
                       _events(case_id, opened))
        if i % every == 0:
            path = folder / f"{case_id}.docx"
            path.write_bytes(body)
            db.execute("INSERT INTO documents (case_id, student_id, template, recipient_name, "
                       "path, sha256, size, created_at) VALUES (?, 'S0', 'bench', 'Mrs A', "
                       "?, ?, ?, ?)", (case_id, str(path.relative_to(root)),
                                       hashlib.sha256(body).hexdigest(), len(body),
                                       opened.isoformat()))
    db.commit()
    db.close()


def baseline(root: Path) -> int:
    """Every row verify reads, read plainly, and every document file hashed once."""
    db = sqlite3.connect(root / "cases" / "liaison.sqlite3")
    rows = sum(1 for _ in db.execute("SELECT * FROM events ORDER BY case_id, seq"))
    rows += sum(1 for _ in db.execute("SELECT id, state, version FROM cases"))
    for (path,) in db.execute("SELECT path FROM documents ORDER BY id"):
        hashlib.sha256((root / path).read_bytes()).hexdigest()
    db.close()
    return rows


def rounds(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Each run timed once per round, the rounds interleaved: on a machine shared with
    other jobs the load moves within seconds, so each ratio is taken within its round."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liaison-bench-") as tmp:
        root = Path(tmp) / "school"
        copy_school(root)
        trust_the_cli(root)  # the command is run with --as, as the tests run it
        engine = Liaison.at(root, clock=lambda: NOW)
        start = time.perf_counter()
        fill(root, args.cases, args.documents)
        with engine.store.writing() as conn:
            seal(conn, NOW.date().isoformat(), NOW.isoformat())
        print(f"filled {args.cases:,} cases, {3 * args.cases:,} events, "
              f"{args.documents:,} documents in {time.perf_counter() - start:.1f} s")
        command = [sys.executable, "-m", "engine.cli.main", "audit", "verify", "--as", "HT01",
                   "--school", str(root)]
        runs = {
            "baseline: rows read and files hashed": lambda: baseline(root),
            "Store.verify (one process)": lambda: engine.store.verify(root),
            "Store.verify, chains in two processes": lambda: engine.store.verify(root,
                                                                                 workers=2),
            "liaison audit verify (process)": lambda: subprocess.run(
                command, capture_output=True, text=True, cwd=ROOT, check=False),
        }
        times = rounds(runs, args.repeat)
        base = times["baseline: rows read and files hashed"]
        print(f"\n{args.repeat} interleaved rounds: median seconds, and the median of each "
              "round's ratio to its baseline")
        for name, taken in times.items():
            ratio = statistics.median(t / b for t, b in zip(taken, base, strict=True))
            print(f"  {name:<40} {statistics.median(taken):7.2f}  {ratio:.2f}x")
        done = runs["liaison audit verify (process)"]()
        print(f"\n{done.stdout.strip() or done.stderr.strip()}")
        print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
