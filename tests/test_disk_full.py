"""A full disk, for real: cases/ on a small tmpfs (issue 15, finding 4).

The red team's 38 disk-full runs ended in 19 tracebacks (OSError ENOSPC, SQLAlchemy's
OperationalError) and left partial .docx files with final-looking names. Here the school's
cases/ folder is its own tmpfs of a few megabytes, filled up but for a little room, and
commands that write letters are run through the real CLI: each says one line, exit 1,
records nothing and leaves no file behind. Mounting needs root: skipped, saying so,
where the machine does not allow it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import DATABASE, Clock, Run, case_files, open_conduct

from engine.service.liaison import Liaison

# The SQLite file and the letters on one small disk (on PostgreSQL the store is elsewhere).
pytestmark = pytest.mark.sqlite_only

Cli = Callable[..., Run]
FULL = "error: no space left on "
FILLER = "cases/filler"


@pytest.fixture
def small_disk(school: Path, _imported: Path) -> Iterator[Path]:
    """The school with cases/ on a 4 MiB tmpfs, its people imported."""
    cases = school / "cases"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs",
                           str(cases)], capture_output=True, text=True, check=False)
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")
    try:
        shutil.copyfile(_imported, school / DATABASE)
        yield school
    finally:
        subprocess.run(["umount", "-l", str(cases)], check=False)


def fill(school: Path, room: int) -> None:
    """Fill the disk but for ``room`` bytes."""
    usage = shutil.disk_usage(school / "cases")
    with open(school / FILLER, "ab") as handle:
        handle.write(b"\0" * max(usage.free - room, 0))


def unfill(school: Path) -> None:
    (school / FILLER).unlink()


def files_but_filler(school: Path) -> dict[str, str]:
    return {p: h for p, h in case_files(school).items() if p != FILLER}


def one_line(run: Run) -> str:
    assert run.code == 1 and run.out == "", (run.out, run.err)
    assert run.err.count("\n") == 1 and "Traceback" not in run.err, run.err
    assert run.err.startswith(FULL), run.err
    return run.err


@pytest.mark.parametrize("room", [0, 16 * 1024, 48 * 1024], ids=["none", "16k", "48k"])
def test_an_advance_on_a_full_disk_says_one_line_and_leaves_nothing(
        small_disk: Path, cli: Cli, room: int) -> None:
    school = small_disk
    engine = Liaison.at(school, clock=Clock())
    try:
        case = open_conduct(engine).case
        before = engine.store.dump(), files_but_filler(school)
    finally:
        engine.close()
    fill(school, room)
    run = cli("advance", case, "request_meeting", "--as", "OF01", "--set",
              "meeting_at=2026-11-26T15:30", "--set", "with_staff=HY09", "--at",
              "2026-11-23T09:00", "--school", school)
    if run.code == 0:  # there was room enough after all: then it is whole
        pytest.skip(f"{room} bytes were enough for the letter and its rows")
    said = one_line(run)
    assert said.endswith("(the disk is full or read-only): nothing was recorded\n")
    assert files_but_filler(school) == before[1]  # no partial letter left, not for doctor
    unfill(school)
    engine = Liaison.at(school, clock=Clock())
    try:
        assert engine.store.dump() == before[0]
        assert engine.store.case(case).version == 1
    finally:
        engine.close()


def test_a_batch_on_a_full_disk_says_one_line_and_keeps_what_it_made(
        small_disk: Path, cli: Cli) -> None:
    school = small_disk
    fill(school, 0)
    run = cli("letters", "batch", "options_evening", "--as", "OF01", "--year", "9",
              "--set", "evening_date=2027-02-04", "--set", "start_time=18:00",
              "--set", "end_time=20:00", "--set", "venue=the Main Hall",
              "--set", "return_by=2027-02-26", "--school", school)
    said = one_line(run)
    assert "nothing was recorded" in said
    assert files_but_filler(school) == {}


def test_a_read_only_store_says_one_line(small_disk: Path, cli: Cli) -> None:
    school = small_disk
    engine = Liaison.at(school, clock=Clock())
    try:
        case = open_conduct(engine).case
    finally:
        engine.close()
    subprocess.run(["mount", "-o", "remount,ro", str(school / "cases")], check=True)
    try:
        run = cli("advance", case, "request_meeting", "--as", "OF01", "--set",
                  "meeting_at=2026-11-26T15:30", "--set", "with_staff=HY09", "--at",
                  "2026-11-23T09:00", "--school", school)
        assert run.code == 1 and run.err.count("\n") == 1 and "Traceback" not in run.err, run.err
        assert run.err.startswith("error: "), run.err
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(school / "cases")], check=True)
