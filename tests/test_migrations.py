"""The schema as Alembic revisions: a new store is made at the newest, a store made by the
release before Alembic (its ``migrations`` table of named steps) upgrades in place, and
``liaison db status`` / ``liaison db upgrade`` say and do so.

``tests/data/release-c7b872e.sqlite3`` was made by ``liaison demo`` on main at c7b872e
(the last release with named steps), then copied with ``VACUUM INTO``.
"""

from __future__ import annotations

import ast
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import DATABASE, Clock

from engine.service.liaison import Liaison
from engine.store import migrations as schema
from engine.store.database import Store

pytestmark = pytest.mark.sqlite_only  # SQLite files; tests/test_tenancy.py is the other

RELEASE = Path(__file__).parent / "data" / "release-c7b872e.sqlite3"


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _version(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_each_revision_is_named_by_its_file_and_follows_the_one_before() -> None:
    """Adding a revision is mechanical: its id is its file's name and its down_revision
    the file before it (docs/architecture.md, "Adding a migration")."""
    names = schema.revisions()
    assert names[0] == "0001_initial" and schema.HEAD == names[-1]
    before = None
    for name in names:
        tree = ast.parse((schema.VERSIONS / f"{name}.py").read_text("utf-8"))
        values = {t.id: ast.literal_eval(n.value) for n in tree.body
                  if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        assert (values["revision"], values["down_revision"]) == (name, before)
        before = name


def test_alembic_sees_one_line_of_revisions_ending_at_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(schema.VERSIONS.parent))
    assert ScriptDirectory.from_config(config).get_heads() == [schema.HEAD]


def test_a_new_store_is_made_at_the_newest_revision_and_reopening_changes_nothing(
        tmp_path: Path) -> None:
    path = tmp_path / "cases" / "liaison.sqlite3"
    Store(path).close()
    first = Store(path)
    dump = first.dump()
    first.close()
    again = Store(path)
    assert again.dump() == dump
    assert again.revision() == (schema.HEAD, False)
    again.close()
    assert _version(path) == schema.HEAD
    assert "migrations" not in _tables(path)


def _release_school(school: Path) -> Path:
    path = school / DATABASE
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(RELEASE, path)
    return path


def test_db_status_and_upgrade_convert_a_store_made_by_the_release_before(cli, school: Path
                                                                         ) -> None:
    path = _release_school(school)
    status = cli("db", "status", "--json", "--school", str(school))
    assert status.code == 0, status.err
    assert json.loads(status.out) == {"store": str(path), "revision": "0008_logins",
                                      "head": schema.HEAD, "named_step": True,
                                      "current": False}
    done = cli("db", "upgrade", "--school", str(school))
    assert done.code == 0, done.err
    assert f"upgraded from 0008_logins (a named step) to {schema.HEAD}" in done.out
    assert _version(path) == schema.HEAD and "migrations" not in _tables(path)
    again = cli("db", "status", "--school", str(school))
    assert f"revision: {schema.HEAD} (newest {schema.HEAD}: up to date)" in again.out
    assert "already at" in cli("db", "upgrade", "--school", str(school)).out

    shown = cli("history", "CON-2026-0001", "--as", "HT01", "--json", "--school", str(school))
    assert shown.code == 0, shown.err
    assert len(json.loads(shown.out)) == 12  # the release's demo case, whole


def test_opening_a_store_of_the_release_before_upgrades_it_in_place(school: Path) -> None:
    path = _release_school(school)
    engine = Liaison.at(school, clock=Clock())
    try:
        case = engine.store.case("CON-2026-0001")
        assert (case.state, case.version) == ("closed", 12)
        assert len(engine.store.events("CON-2026-0001")) == 12
    finally:
        engine.close()
    assert _version(path) == schema.HEAD


def test_a_store_behind_gets_only_the_revisions_it_lacks(liaison: Liaison, school: Path) -> None:
    """A store stamped before 0002 (no partial due-list index) keeps its cases and gains
    the index when opened."""
    from conftest import open_conduct

    case = open_conduct(liaison).case
    path = liaison.store.path
    liaison.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX ix_deadlines_open")
        conn.execute("UPDATE alembic_version SET version_num = '0001_initial'")
    reopened = Liaison.at(school, clock=Clock())
    try:
        assert reopened.store.case(case).state == "incident_reported"
    finally:
        reopened.close()
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_deadlines_open" in indexes
    assert _version(path) == schema.HEAD


def test_db_backup_and_restore_round_trip_and_refuse_what_is_not_a_store(
        liaison: Liaison, school: Path, cli, tmp_path: Path) -> None:
    from conftest import CONDUCT_FIELDS, open_conduct

    case = open_conduct(liaison).case
    copy = tmp_path / "backup.sqlite3"
    made = cli("db", "backup", copy, "--school", school)
    assert made.code == 0, made.err
    assert f"backed up {liaison.store.path} to {copy}" in made.out
    again = cli("db", "backup", copy, "--school", school)
    assert (again.code, again.err) == (1, f"error: {copy}: already exists (a backup never "
                                          "overwrites a file)\n")
    liaison.advance(case, "request_meeting", "OF01", CONDUCT_FIELDS["request_meeting"])
    assert liaison.store.case(case).version == 2

    done = cli("db", "restore", copy, "--school", school)
    assert done.code == 0, done.err
    assert liaison.store.case(case).version == 1  # as it was when backed up

    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    refused = cli("db", "restore", junk, "--school", school)
    assert refused.code == 1 and refused.err.startswith(f"error: {junk}: not a backup of a "
                                                        "Liaison store")
    assert len(refused.err.splitlines()) == 1
    assert liaison.store.case(case).version == 1  # nothing changed


def test_db_restore_of_a_backup_from_the_release_before_upgrades_it(liaison: Liaison,
                                                                    school: Path, cli) -> None:
    done = cli("db", "restore", RELEASE, "--school", school)
    assert done.code == 0, done.err
    assert f"(revision 0008_logins, now {schema.HEAD})" in done.out
    assert liaison.store.case("CON-2026-0001").version == 12
    assert _version(liaison.store.path) == schema.HEAD


def test_0018_hashes_the_letters_ways_out_recorded_before_it(liaison: Liaison,
                                                             school: Path) -> None:
    """A store of 0017 with letters queued and sent gains the history's chain when opened:
    every row hashed in its order, so audit verify holds (and would find a change)."""
    from conftest import open_conduct
    from test_outbox import configure

    configure(school, 2525, engine=liaison)
    case = open_conduct(liaison).case
    liaison.advance(case, "request_meeting", "OF01",
                    {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})
    path = liaison.store.path
    liaison.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE outbox SET status = 'withheld'")
        conn.execute("INSERT INTO outbox_history (school_id, outbox_id, at, status, attempt, "
                     "detail) SELECT school_id, id, '2026-11-23T10:00:00', 'withheld', 0, "
                     "'withheld: barred' FROM outbox")
        conn.execute("ALTER TABLE outbox_history DROP COLUMN prev_hash")
        conn.execute("ALTER TABLE outbox_history DROP COLUMN hash")
        conn.execute("UPDATE alembic_version SET version_num = '0017_due_count_indexes'")
    reopened = Liaison.at(school, clock=Clock())
    try:
        result = reopened.store.verify(school)
        assert result.letters == 1, result
    finally:
        reopened.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM outbox_history WHERE hash IS NULL "
                            "OR prev_hash IS NULL").fetchone() == (0,)
    assert _version(path) == schema.HEAD
