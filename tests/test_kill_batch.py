"""`kill -9` at random points of a batch of letters home (issue 15, "Keep the red team's
checks as tests"), as real processes.

A batch of 150 students (two groups of batch.GROUP: two deliveries) runs as its own
process and is killed with SIGKILL once its folder holds the k-th letter, k drawn from a
seeded random generator (and 0: killed before its first letter). After each kill the
store and the files agree: every row names a file that exists with its size and hash, a
file no row names is only an orphan of the killed process (never counted as made), and
no letter is recorded twice. Then the same command, run again, completes the batch: each
contact has one letter, and after `liaison doctor` every file is a row's. No timing is
asserted: the kill lands wherever the process has got to.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import case_files, year_12

from engine.service.liaison import Liaison

pytestmark = pytest.mark.slow  # a dozen batches of 150 letters as processes

STUDENTS = 150
SEED = 15
POINTS = [0, *sorted(random.Random(SEED).sample(range(1, STUDENTS), 4))]
OPTIONS = ["--set", "evening_date=2027-02-04", "--set", "start_time=18:00",
           "--set", "end_time=20:00", "--set", "venue=the Main Hall",
           "--set", "return_by=2027-02-26"]
BATCHES = Path("cases") / "documents" / "batches"



def _batch(school: Path, name: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LIAISON_SCHOOL": str(school)}
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli.main", "letters", "batch", "options_evening",
         "--as", "OF01", "--year", "12", "--batch", name, *OPTIONS, "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _letters_in(folder: Path) -> int:
    try:
        return sum(1 for _ in os.scandir(folder))
    except FileNotFoundError:
        return 0


def _killed_at(school: Path, name: str, k: int) -> None:
    """The batch, killed with SIGKILL once its folder holds ``k`` letters (or at once)."""
    process = _batch(school, name)
    folder = school / BATCHES / f"options_evening-{name}"
    while k and process.poll() is None and _letters_in(folder) < k:
        time.sleep(0.002)  # poll: the point to kill at is a count of files, not a time
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=300)


def _rows_name_their_files(liaison: Liaison, name: str) -> tuple[set[str], set[str]]:
    """Every row of the batch names a file there with its size and hash, each recipient
    once; returns (the paths rows name, the batch's files on disk)."""
    rows = [d for d in liaison.store.documents()
            if str(d["batch_key"] or "").startswith(f"options_evening-{name}:")]
    for row in rows:
        data = (liaison.school.root / row["path"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (row["size"], row["sha256"])
    keys = [r["batch_key"] for r in rows]
    assert len(keys) == len(set(keys))  # no letter recorded twice
    prefix = (BATCHES / f"options_evening-{name}").as_posix() + "/"
    on_disk = {p for p in case_files(liaison.school.root) if p.startswith(prefix)}
    return {r["path"] for r in rows}, on_disk


@pytest.mark.parametrize("k", POINTS)
def test_a_batch_killed_at_any_point_leaves_a_whole_store_and_a_rerun_completes(
        liaison: Liaison, school: Path, tmp_path: Path, k: int) -> None:
    year_12(liaison, tmp_path, STUDENTS)
    name = f"killed-{k}"
    _killed_at(school, name, k)
    named, on_disk = _rows_name_their_files(liaison, name)
    assert named <= on_disk  # orphans (files no row names) are the killed process's only
    recorded = len(named)
    assert recorded % 100 == 0 or recorded == STUDENTS  # whole groups, or nothing of one

    run = _batch(school, name)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0 and "Traceback" not in err, err
    summary = json.loads(out)
    assert summary["made"] + summary["skipped"]["already_made"] == STUDENTS
    assert summary["skipped"]["already_made"] == recorded
    named, on_disk = _rows_name_their_files(liaison, name)
    assert len(named) == STUDENTS and named <= on_disk

    doctor = subprocess.run([sys.executable, "-m", "engine.cli.main", "doctor"],
                            env={**os.environ, "LIAISON_SCHOOL": str(school)},
                            capture_output=True, text=True, timeout=300)
    assert doctor.returncode == 0 and "Traceback" not in doctor.stderr, doctor.stderr
    named, on_disk = _rows_name_their_files(liaison, name)
    assert named == on_disk
