"""What makes a table a school's on PostgreSQL: ``school_id`` leading its primary key,
foreign keys and indexes, and row-level security, ENABLEd and FORCEd, with one policy
that shows a transaction the rows of the school it set (``app.school_id``) and lets it
write only those. Unset, ``current_setting(..., true)`` is NULL or '' and matches no row:
fail closed. Revisions call these; tests/test_tenancy.py reads the catalogue and fails on
a table without them.

On SQLite a file is one school: its rows carry the id, and its keys stay as they were.
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from engine.errors import InputError

POLICY = "school_rows"
MATCH = "school_id = current_setting('app.school_id', true)"

# Not a school's: Alembic's own bookkeeping.
SHARED = frozenset({"alembic_version"})


def leading(conn: Connection) -> str:
    """What an index of school rows starts with: ``school_id, `` on PostgreSQL (so the
    schema distributes by school), nothing on SQLite (one file, one school: leading with
    it would stop SQLite ordering by the columns after it)."""
    return "school_id, " if conn.dialect.name == "postgresql" else ""


def protect(conn: Connection, table: str) -> None:
    """Row-level security on a table of school rows (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    conn.exec_driver_sql(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    conn.exec_driver_sql(f"CREATE POLICY {POLICY} ON {table} USING ({MATCH}) "
                         f"WITH CHECK ({MATCH})")


def drop_references(conn: Connection, table: str) -> None:
    """Drop a table's foreign keys (PostgreSQL only), to make them again with school_id
    (``refer``) once the keys they point at lead with it."""
    if conn.dialect.name != "postgresql":
        return
    for fk in inspect(conn).get_foreign_keys(table):
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {fk['name']}")


def lead_keys(conn: Connection, table: str) -> None:
    """Rebuild a table's primary key, unique constraints, foreign keys and indexes with
    school_id first (PostgreSQL only), so that the schema distributes by school."""
    if conn.dialect.name != "postgresql":
        return
    found = inspect(conn)
    pk = found.get_pk_constraint(table)
    if pk["constrained_columns"][:1] != ["school_id"]:  # what leads already stays
        if pk["name"]:
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {pk['name']}")
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD PRIMARY KEY "
                             f"(school_id, {', '.join(pk['constrained_columns'])})")
    for unique in found.get_unique_constraints(table):
        if unique["column_names"][:1] == ["school_id"]:
            continue
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {unique['name']}")
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {unique['name']} UNIQUE "
                             f"(school_id, {', '.join(unique['column_names'])})")
    for index in found.get_indexes(table):
        if index.get("duplicates_constraint") or index["column_names"][:1] == ["school_id"]:
            continue
        where = index.get("dialect_options", {}).get("postgresql_where")
        conn.exec_driver_sql(f"DROP INDEX {index['name']}")
        conn.exec_driver_sql(
            f"CREATE {'UNIQUE ' if index['unique'] else ''}INDEX {index['name']} ON {table} "
            f"(school_id, {', '.join(str(c) for c in index['column_names'])})"
            + (f" WHERE {where}" if where else ""))


def refer(conn: Connection, table: str, column: str, target: str, target_column: str) -> None:
    """A foreign key within one school: (school_id, column) to (school_id, target's)."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_{column} FOREIGN KEY "
                         f"(school_id, {column}) REFERENCES {target} "
                         f"(school_id, {target_column})")


def grant(conn: Connection, role: str) -> None:
    """What the application's role may do (PostgreSQL): read and write the schools' rows
    (never edit an event), read the revision; it owns nothing, so it cannot change the
    schema nor turn row-level security off."""
    if conn.dialect.name != "postgresql":
        return
    quoted = conn.dialect.identifier_preparer.quote(role)
    tables = [t for t in inspect(conn).get_table_names() if t not in SHARED]
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    conn.exec_driver_sql(f"GRANT SELECT ON alembic_version TO {quoted}")
    for table in tables:
        # The trail is never edited (no UPDATE on events); DELETE only for a disposal at
        # the end of a retention period, which leaves a chained tombstone (issue 11).
        rights = "SELECT, INSERT, DELETE" if table == "events" else \
            "SELECT, INSERT, UPDATE, DELETE"
        conn.exec_driver_sql(f"GRANT {rights} ON {table} TO {quoted}")
    conn.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    bypass = conn.execute(text("SELECT rolbypassrls OR rolsuper FROM pg_roles "
                               "WHERE rolname = :r"), {"r": role}).scalar()
    if bypass:
        raise InputError(f"role {role} bypasses row-level security: the application "
                         "must connect as a role without BYPASSRLS (and not a superuser)")
