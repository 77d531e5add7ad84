"""`liaison doctor` alongside writers, as real processes (issue 15, finding 2).

The red team ran `doctor` while a batch wrote its letters: it removed 138-201 in-flight
files in 5 of 5 rounds, the batch died with a traceback, and two doctors racing crashed.
Here a batch of letters home runs as its own process while doctors run beside it, round
after round: afterwards every row names its file with its hash, no file lies unnamed, no
process printed a traceback, and each doctor either did its work or said in one line
that writers were busy. No timing is asserted: each round only makes the race possible.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CONDUCT_FIELDS, Clock, case_files, open_conduct, snapshot, walk, year_12
from sqlalchemy import event as sa_event

from engine.errors import ConflictError
from engine.service.liaison import Liaison
from engine.store import lock

pytestmark = pytest.mark.slow

STUDENTS = 250  # three groups of a batch (batch.GROUP): three deliveries a round
ROUNDS = 3
OPTIONS = ["--set", "evening_date=2027-02-04", "--set", "start_time=18:00",
           "--set", "end_time=20:00", "--set", "venue=the Main Hall",
           "--set", "return_by=2027-02-26"]
BUSY = "error: letters are being written by another command"


def _liaison(school: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LIAISON_SCHOOL": str(school)}
    return subprocess.Popen([sys.executable, "-m", "engine.cli.main", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    assert "Traceback" not in err, err
    return process.returncode, out, err



def _store_is_whole(liaison: Liaison) -> None:
    """Every document row's file exists with its size and hash; no file is unnamed."""
    rows = liaison.store.documents()
    for row in rows:
        data = (liaison.school.root / row["path"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (row["size"], row["sha256"])
    assert set(case_files(liaison.school.root)) == {r["path"] for r in rows}


def test_doctor_beside_a_batch_never_removes_a_letter_in_flight(
        liaison: Liaison, school: Path, tmp_path: Path) -> None:
    year_12(liaison, tmp_path, STUDENTS)
    for round_ in range(ROUNDS):
        writer = _liaison(school, "letters", "batch", "options_evening", "--as", "OF01",
                          "--year", "12", "--batch", f"round-{round_}", *OPTIONS)
        doctors = []
        while writer.poll() is None and len(doctors) < 12:  # two at a time, one waiting
            pair = [_liaison(school, "doctor"), _liaison(school, "doctor", "--wait")]
            doctors += [_finished(p) for p in pair]
        code, out, err = _finished(writer)
        assert code == 0, err
        assert out.startswith(f"made {STUDENTS} letters of batch options_evening-round-"), out
        for code, out, err in doctors:
            assert (code, err) == (0, "") and out.startswith("removed 0 orphaned file(s)") or (
                code == 1 and err.startswith(BUSY) and err.count("\n") == 1), (code, out, err)
        _store_is_whole(liaison)
    assert len(liaison.store.documents()) == STUDENTS * ROUNDS


def test_two_doctors_racing_are_safe(liaison: Liaison, school: Path) -> None:
    """Two doctors at once, several times: each removes orphans or says the store is busy;
    none crashes, and between them every orphan is gone."""
    folder = school / "cases" / "documents" / "ORPHANS"
    for round_ in range(ROUNDS):
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(50):
            (folder / f"{round_}-{i}.docx").write_bytes(b"left by a crash")
        runs = [_finished(p) for p in [_liaison(school, "doctor"), _liaison(school, "doctor")]]
        removed = 0
        for code, out, err in runs:
            assert (code == 0 and err == "") or (code == 1 and err.startswith(BUSY)), err
            if code == 0:
                removed += int(out.split()[1])
        assert removed == 50 and list(folder.iterdir()) == []


def test_doctor_without_wait_stops_at_once_while_a_writer_holds_the_lock(
        liaison: Liaison, school: Path) -> None:
    """A writer holding the lock (here, this test process in a delivery's place): doctor
    says so in one line, exits 1, removes nothing; with --wait it waits (run after the
    writer has let go, so nothing here depends on timing)."""
    orphan = school / "cases" / "documents" / "X" / "left.docx"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"in flight")
    with lock.writing(liaison.store.path):
        code, out, err = _finished(_liaison(school, "doctor"))
        assert (code, out) == (1, "") and err.startswith(BUSY) and err.count("\n") == 1
        assert "run 'liaison doctor --wait'" in err
        assert orphan.exists()
    code, out, err = _finished(_liaison(school, "doctor", "--wait"))
    assert code == 0 and out.startswith("removed 1 orphaned file(s)") and not orphan.exists()
    assert (school / "cases" / "liaison.sqlite3.lock").is_file()


def test_a_commit_never_names_a_file_removed_under_it(liaison: Liaison) -> None:
    """Another program removes a letter after it was written, while the transaction that
    would name it runs (a SQLite trigger on the documents row removes the file): the
    commit refuses, nothing is recorded, no file is left."""
    case = open_conduct(liaison).case
    before = snapshot(liaison)

    def arm(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.create_function("lose", 1, lambda path: os.unlink(
            liaison.school.root / path))
        dbapi_conn.execute("CREATE TEMP TRIGGER IF NOT EXISTS lose AFTER INSERT ON documents "
                           "BEGIN SELECT lose(NEW.path); END")

    sa_event.listen(liaison.store.engine, "checkout", arm)
    with pytest.raises(ConflictError, match="was removed before it could be recorded"):
        walk(liaison, case, [("request_meeting", "OF01")])
    sa_event.remove(liaison.store.engine, "checkout", arm)
    assert snapshot(liaison) == before


def _advance_paused_in_its_commit(school: str, case: str, ready: int, go: int) -> None:
    """In a forked child: advance the case, stopping inside the commit (its letter written
    and fsynced, the transaction open) until the parent says go."""
    engine = Liaison.at(Path(school), clock=Clock())

    def pause() -> None:
        os.write(ready, b"r")
        os.read(go, 1)

    def arm(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.create_function("pause", 0, pause)
        dbapi_conn.execute("CREATE TEMP TRIGGER IF NOT EXISTS pause BEFORE INSERT ON events "
                           "BEGIN SELECT pause(); END")

    sa_event.listen(engine.store.engine, "checkout", arm)
    try:
        engine.advance(case, "request_meeting", "OF01", CONDUCT_FIELDS["request_meeting"])
    except BaseException:
        os._exit(1)
    os._exit(0)


def test_doctor_never_removes_the_letter_of_an_advance_in_its_commit(
        liaison: Liaison, school: Path) -> None:
    """Deterministic: an advance stopped between writing its letter and committing.
    doctor refuses in one line and the letter stays; doctor --wait, started while the
    advance is stopped, finishes after it and removes nothing; the advance commits."""
    case = open_conduct(liaison).case
    liaison.store.execute("CREATE TABLE IF NOT EXISTS marker (x)")  # a write before the fork
    before = set(case_files(school))
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    child = multiprocessing.get_context("fork").Process(
        target=_advance_paused_in_its_commit, args=(str(school), case, ready_w, go_r))
    child.daemon = True
    child.start()
    try:
        assert os.read(ready_r, 1) == b"r"  # the letter is on disk; the commit has not ended
        in_flight = set(case_files(school)) - before
        assert len(in_flight) == 1
        code, out, err = _finished(_liaison(school, "doctor"))
        assert code == 1 and err.startswith(BUSY) and err.count("\n") == 1
        assert set(case_files(school)) - before == in_flight
        waiting = _liaison(school, "doctor", "--wait")
    finally:
        os.write(go_w, b"g")
        child.join(timeout=120)
    assert child.exitcode == 0
    code, out, err = _finished(waiting)
    assert code == 0 and out.startswith("removed 0 orphaned file(s)"), (out, err)
    assert liaison.store.case(case).state == "meeting_requested"
    _store_is_whole(liaison)
