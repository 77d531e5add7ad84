"""Backup and restore of a trust's schools (issue 17): on PostgreSQL one school's rows by
pg_dump/pg_restore through row-level security as that school, and every school of a
trust.yaml at once; on SQLite the same commands copy each school's file. A round trip
gives back the school's rows exactly, and leaves every other school's as they were.

The PostgreSQL tests run where LIAISON_TEST_DATABASE is set (.ci/run), and there they
need LIAISON_TEST_OWNER_DATABASE, the owner's URL (a backup reads the id sequences): a
missing one fails, it does not skip.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import NOW, POSTGRESQL, Clock, move_clock, open_conduct, school_at, walk

from engine.service.liaison import Liaison
from engine.store.pgdump import _program

TRUST = """\
trust: {{name: Test Trust, trust_id: {trust_id}}}
schools:
  - {{school_id: {a}, name: A, folder: a}}
  - {{school_id: {b}, name: B, folder: b}}
staff:
  - {{id: TL01, name: Mrs Helen Ward, roles: [trust_leader]}}
security: {{cli_identity: trust}}
"""


@pytest.fixture
def two(tmp_path: Path, clock: Clock):
    a, b = school_at(tmp_path / "a", clock), school_at(tmp_path / "b", clock)
    walk(a, open_conduct(a).case, [("request_meeting", "OF01")])
    open_conduct(b)
    (tmp_path / "trust.yaml").write_text(TRUST.format(
        trust_id=f"t-{a.school.school_id[-6:]}", a=a.school.school_id,
        b=b.school.school_id), "utf-8")
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def owner(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI as the database's owner (held to each school by FORCE row-level security),
    as `liaison db backup` and `restore` run on PostgreSQL."""
    if POSTGRESQL:
        url = os.environ.get("LIAISON_TEST_OWNER_DATABASE")
        assert url, "set LIAISON_TEST_OWNER_DATABASE to the owner's URL (.ci/run does)"
        monkeypatch.setenv("LIAISON_DATABASE_URL", url)


def _more(engine: Liaison) -> None:
    """Changes after the backup: a new case and its letter."""
    move_clock(engine, NOW.replace(day=30))
    case = open_conduct(engine, student="S1002", contact="C2003").case
    walk(engine, case, [("request_meeting", "OF01")])


def test_a_school_round_trips_and_the_other_school_is_untouched(two, owner, cli,
                                                                tmp_path: Path) -> None:
    a, b = two
    before = a.store.dump()
    school = ("--school", str(a.school.root))
    made = cli("db", "backup", tmp_path / "a.backup", *school)
    assert made.code == 0, made.err
    assert (tmp_path / "a.backup").stat().st_mode & 0o077 == 0  # the owner's alone
    again = cli("db", "backup", tmp_path / "a.backup", *school)
    assert again.code == 1 and "already exists" in again.err
    _more(a)
    _more(b)
    theirs = b.store.dump()
    assert a.store.dump() != before
    done = cli("db", "restore", tmp_path / "a.backup", *school)
    assert done.code == 0, done.err
    assert a.store.dump() == before
    assert b.store.dump() == theirs
    verified = cli("audit", "verify", "--as", "HT01", "--json", *school)
    assert verified.code == 0, verified.err
    assert open_conduct(a, student="S1003", contact="C2004").case == "CON-2026-0002"


@pytest.mark.postgresql
def test_a_backup_holds_its_school_alone_and_is_refused_by_another(two, owner, cli,
                                                                   tmp_path: Path) -> None:
    a, b = two
    assert cli("db", "backup", tmp_path / "a.backup", "--school", a.school.root).code == 0
    sql = subprocess.run([_program("pg_restore"), "--file", "-", tmp_path / "a.backup"],
                         capture_output=True, text=True, check=True).stdout
    assert f"'{a.school.school_id}'" in sql and f"'{b.school.school_id}'" not in sql
    theirs = b.store.dump()
    refused = cli("db", "restore", tmp_path / "a.backup", "--school", b.school.root)
    assert refused.code == 1
    assert refused.err == (f"error: {tmp_path / 'a.backup'}: cannot be restored here: its "
                           "rows are another school's (row-level security refused them)\n")
    assert b.store.dump() == theirs  # nothing deleted: one transaction


@pytest.mark.postgresql
def test_the_application_role_is_told_to_back_up_as_the_owner(two, cli,
                                                              tmp_path: Path) -> None:
    a, _ = two
    run = cli("db", "backup", tmp_path / "a.backup", "--school", a.school.root)
    assert run.code == 1 and "run it as the database's owner" in run.err
    assert not (tmp_path / "a.backup").exists()
    assert "Traceback" not in run.err


def test_the_whole_trust_round_trips(two, owner, cli, tmp_path: Path) -> None:
    a, b = two
    before = a.store.dump(), b.store.dump()
    trust = ("--trust-dir", str(tmp_path))
    made = cli("db", "backup", tmp_path / "backup", *trust)
    assert made.code == 0, made.err
    names = sorted(p.name for p in (tmp_path / "backup").iterdir())
    assert names == sorted(["manifest.json", f"{a.school.school_id}.backup",
                            f"{b.school.school_id}.backup",
                            f"t-{a.school.school_id[-6:]}.backup"])
    _more(a)
    _more(b)
    done = cli("db", "restore", tmp_path / "backup", *trust)
    assert done.code == 0, done.err
    assert (a.store.dump(), b.store.dump()) == before
    # A file that does not match its manifest: nothing is restored.
    _more(a)
    changed = a.store.dump()
    part = tmp_path / "backup" / f"{b.school.school_id}.backup"
    part.write_bytes(part.read_bytes() + b"x")
    refused = cli("db", "restore", tmp_path / "backup", *trust)
    assert refused.code == 1 and "does not match manifest.json: nothing restored" in refused.err
    assert a.store.dump() == changed
