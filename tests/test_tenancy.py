"""Schools in one PostgreSQL database, kept apart by the database itself (issue 17).

Runs where LIAISON_TEST_DATABASE names a database upgraded by its owner (.ci/run): the
catalogue shows row-level security ENABLEd and FORCEd with a policy on every table of
school rows, school_id leading every key and index, and an application role that owns
nothing and cannot bypass it. Two schools in the database: school A's staff guessing B's
case ids find nothing, and raw SQL sees A's rows when A is set and none when nothing is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import POSTGRESQL, Run, open_conduct, school_at, walk

from engine.service.liaison import Liaison
from engine.store.migrations import tenancy

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def db() -> sa.engine.Engine:
    assert POSTGRESQL
    engine = sa.create_engine(POSTGRESQL, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


def _tables(db: sa.engine.Engine) -> list[str]:
    with db.connect() as conn:
        return sorted(conn.scalars(sa.text(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")))


def test_every_table_of_school_rows_forces_row_level_security_with_a_policy(db) -> None:
    tables = _tables(db)
    assert {"cases", "events", "documents", "students"} <= set(tables)
    with db.connect() as conn:
        found = {r.relname: r for r in conn.execute(sa.text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"))}
    lacking = [t for t in tables if t not in tenancy.SHARED and not (
        found[t].relrowsecurity and found[t].relforcerowsecurity and found[t].policies)]
    assert lacking == [], f"without ENABLE + FORCE row-level security and a policy: {lacking}"


def test_school_id_leads_every_primary_key_and_index(db) -> None:
    with db.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT t.relname AS tab, i.relname AS ix, a.attname AS first "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] "
            "WHERE n.nspname = 'public'")).all()
        keys = conn.execute(sa.text(
            "SELECT conrelid::regclass::text AS tab, conname, "
            "(SELECT attname FROM pg_attribute WHERE attrelid = conrelid "
            " AND attnum = conkey[1]) AS first FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = 'public' AND contype IN ('p', 'u', 'f')")).all()
    assert len(rows) > 15
    bad = [(r.tab, r.ix, r.first) for r in rows
           if r.tab not in tenancy.SHARED and r.first != "school_id"]
    bad += [(k.tab, k.conname, k.first) for k in keys
            if k.tab not in tenancy.SHARED and k.first != "school_id"]
    assert bad == []


def test_the_application_role_owns_nothing_and_cannot_bypass_row_level_security(db) -> None:
    with db.connect() as conn:
        role = conn.execute(sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles "
                                    "WHERE rolname = current_user")).one()
        owned = list(conn.scalars(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = current_user")))
    assert (role.rolsuper, role.rolbypassrls, owned) == (False, False, [])


@pytest.fixture
def two(tmp_path: Path, clock) -> tuple[Liaison, Liaison]:
    a, b = school_at(tmp_path / "north-park"), school_at(tmp_path / "south-vale")
    a.clock = b.clock = clock
    yield a, b
    a.close()
    b.close()


def test_school_a_finds_nothing_of_school_b_by_any_command(two, cli: Callable[..., Run]
                                                           ) -> None:
    a, b = two
    mine = open_conduct(a).case
    theirs = [open_conduct(b).case, open_conduct(b, student="S1002", contact="C2003").case]
    walk(b, theirs[0], [("request_meeting", "OF01")])
    assert mine == theirs[0] == "CON-2026-0001"  # numbered per school: the same ids
    guessed = "CON-2026-0002"  # B's second case: A has no such case
    at = ("--school", str(a.school.root))
    for args in (("show", guessed, "--as", "HT01"), ("history", guessed, "--as", "HT01"),
                 ("actions", guessed, "--as", "HT01"),
                 ("advance", guessed, "resolve", "--as", "HY09", "--set", "outcome=Done"),
                 ("audit", "verify", "--case", guessed, "--as", "HT01")):
        run = cli(*args, *at)
        assert (run.code, run.err) == (1, f"error: no case '{guessed}'\n"), args
    listed = cli("cases", "--as", "HT01", "--json", *at).json()
    assert [c["case"] for c in listed] == [mine]
    documents = cli("documents", "--as", "HT01", "--json", *at).json()
    assert documents == []  # B's meeting letter is B's
    history = cli("history", mine, "--as", "HT01", "--json", *at).json()
    assert [e["event"] for e in history] == ["open"]  # not B's request_meeting
    due = cli("due", "--as", "HT01", "--all", "--json", *at).json()
    assert all(row["case"] == mine for group in due.values() for row in group) if isinstance(
        due, dict) else all(row.get("case") == mine for row in due)
    verified = cli("audit", "verify", "--as", "HT01", "--json", *at).json()
    assert (verified["cases"], verified["events"]) == (1, 1)


def test_raw_sql_sees_the_school_set_and_nothing_when_none_is(two, db) -> None:
    a, b = two
    open_conduct(a)
    open_conduct(b)
    with db.connect() as conn, conn.begin():
        assert conn.scalar(sa.text("SELECT count(*) FROM cases")) == 0  # nothing set
        assert conn.scalar(sa.text("SELECT count(*) FROM students")) == 0
    with db.connect() as conn, conn.begin():
        conn.execute(sa.text("SELECT set_config('app.school_id', :id, true)"),
                     {"id": a.school.school_id})
        rows = conn.execute(sa.text("SELECT * FROM cases")).mappings().all()
        assert [r["school_id"] for r in rows] == [a.school.school_id]
        events = conn.execute(sa.text("SELECT DISTINCT school_id FROM events")).all()
        assert events == [(a.school.school_id,)]
    with db.connect() as conn, conn.begin():  # the setting was the transaction's alone
        assert conn.scalar(sa.text("SELECT count(*) FROM cases")) == 0


def test_a_school_cannot_write_rows_of_another(two, db) -> None:
    a, b = two
    with db.connect() as conn, conn.begin():
        conn.execute(sa.text("SELECT set_config('app.school_id', :id, true)"),
                     {"id": a.school.school_id})
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            conn.execute(sa.text("INSERT INTO counters (school_id, prefix, last) "
                                 "VALUES (:b, 'CON-2026', 7)"), {"b": b.school.school_id})
    with db.connect() as conn, conn.begin():
        moved = conn.execute(sa.text("UPDATE cases SET state = 'closed'"))
        assert moved.rowcount == 0  # unset: no row to change
