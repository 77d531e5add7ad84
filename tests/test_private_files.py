"""The case store is its owner's alone (issue 15, finding 1).

The red team found every document, restricted disclosures included, and the database
``-rw-r--r--``, and letter previews left in the system's temporary folder with parents'
names and addresses. Here the database, its WAL, every document and every folder under
cases/ are made 0600/0700 whatever the umask the command started with; previews go to
cases/previews/ (owner-only) and are cleaned; ``check`` warns of a store others can read,
and ``doctor`` makes it owner-only again.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Clock, Run, open_conduct, walk

from engine.service.liaison import Liaison

pytestmark = pytest.mark.sqlite_only  # the modes of the SQLite file and its folder

Cli = Callable[..., Run]
PRAISE = ["--set", "term=the Autumn term 2026",
          "--set", "achievement=Liam read forty books for the library challenge."]


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask a login shell usually has (0022): what the red team ran with."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def modes(school: Path) -> dict[str, str]:
    base = school / "cases"
    return {p.relative_to(school).as_posix(): oct(stat.S_IMODE(p.stat().st_mode))
            for p in [base, *base.rglob("*")]}


def test_every_file_and_folder_of_the_store_is_owner_only(
        school: Path, clock: Clock, loose_umask: None, tmp_path: Path) -> None:
    engine = Liaison.at(school, clock=clock)
    try:
        engine.import_students(school / "samples" / "students.csv")
        engine.import_contacts(school / "samples" / "contacts.csv")
        case = open_conduct(engine).case
        walk(engine, case, [("request_meeting", "OF01")])
        made = modes(school)
    finally:
        engine.close()
    assert "cases/liaison.sqlite3-wal" in made  # SQLite's own files are covered too
    assert any(p.endswith(".docx") for p in made)
    wrong = {p: m for p, m in made.items()
             if m != ("0o700" if (school / p).is_dir() else "0o600")}
    assert wrong == {}
    assert os.umask(0o022) == 0o077  # the engine set it for the whole command


def test_a_new_school_starts_owner_only(tmp_path: Path, cli: Cli, loose_umask: None) -> None:
    run = cli("init", tmp_path / "new")
    assert run.code == 0, run.err
    assert modes(tmp_path / "new") == {"cases": "0o700"}


def test_previews_go_under_cases_and_are_cleaned(school_cli: Cli, school: Path) -> None:
    args = ["letters", "preview", "praise_letter", "--student", "S1004", "--as", "ST01",
            *PRAISE]
    first = Path(school_cli(*args).out.splitlines()[-1])
    assert first.is_relative_to(school / "cases" / "previews")
    assert not first.is_relative_to(tempfile.gettempdir()) or str(school).startswith(
        tempfile.gettempdir())  # the test school itself lives in the temporary folder
    assert not list(Path(tempfile.gettempdir()).glob("liaison-preview-*/praise_letter-S1004*"))
    # A preview made an hour or more ago goes when the next is made; a recent one stays.
    old = time.time() - 2 * 3600
    os.utime(first, (old, old))
    second = Path(school_cli(*args).out.splitlines()[-1])
    assert not first.exists() and not first.parent.exists() and second.exists()
    third = Path(school_cli(*args).out.splitlines()[-1])
    assert second.exists() and third.exists()
    run = school_cli("doctor")
    assert run.code == 0 and "removed 2 letter preview(s) from cases/previews" in run.out
    assert list((school / "cases" / "previews").iterdir()) == []


def test_check_warns_of_a_store_others_can_read_and_doctor_tightens_it(
        school_cli: Cli, school: Path, liaison: Liaison) -> None:
    case = open_conduct(liaison).case
    walk(liaison, case, [("request_meeting", "OF01")])
    letter = liaison.store.documents()[0]["path"]
    os.chmod(school / "cases" / "liaison.sqlite3", 0o644)
    os.chmod(school / letter, 0o640)
    os.chmod(school / "cases", 0o755)
    run = school_cli("check")
    assert run.code == 0, run.err
    warnings = [line for line in run.out.splitlines() if "other accounts" in line]
    said = "can be read or changed by other accounts on this machine"
    fix = "run 'liaison doctor' to make cases/ this account's only"
    assert warnings == [f"warning: cases {said} (mode 0755): {fix}",
                        f"warning: {letter} {said} (mode 0640): {fix}",
                        f"warning: cases/liaison.sqlite3 {said} (mode 0644): {fix}"]
    run = school_cli("doctor")
    assert run.code == 0
    assert "made 3 file(s) and folder(s) under cases/ readable by this account only" in run.out
    assert not [line for line in school_cli("check").out.splitlines() if "other accounts" in line]
