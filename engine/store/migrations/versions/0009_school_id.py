"""Each row carries its school (issue 17): ``school_id`` on every table. On PostgreSQL,
where one database holds a trust's schools, the primary keys, foreign keys and indexes
lead with it and row-level security shows a transaction its own school's rows only
(engine/store/migrations/tenancy.py). A SQLite file is one school: its rows are given the
school's id (the ``school_id`` of school.yaml) and its keys stay as they were."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0009_school_id"
down_revision = "0008_logins"

TABLES = ("students", "contacts", "cases", "events", "documents", "deadlines", "counters",
          "seals", "logins", "sign_ins")

# (table, column) -> (table, column): each made again within one school on PostgreSQL.
REFERENCES = (("contacts", "student_id", "students", "id"),
              ("cases", "student_id", "students", "id"),
              ("events", "case_id", "cases", "id"),
              ("documents", "case_id", "cases", "id"),
              ("documents", "event_id", "events", "id"),
              ("deadlines", "case_id", "cases", "id"),
              ("deadlines", "event_id", "events", "id"))


def upgrade() -> None:
    conn = op.get_bind()
    school = str(op.get_context().config.attributes.get("school_id") or "school")
    for table in TABLES:
        if "school_id" in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            continue  # a store stamped back to an earlier revision (tests do)
        # Added whole in SQL: Alembic's batch mode would copy each SQLite table to add it.
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN school_id VARCHAR NOT NULL "
                             "DEFAULT ''")
        conn.execute(sa.text(f"UPDATE {table} SET school_id = :school"), {"school": school})
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN school_id DROP DEFAULT")
    for table in TABLES:
        tenancy.drop_references(conn, table)
    for table in TABLES:
        tenancy.lead_keys(conn, table)
    for reference in REFERENCES:
        tenancy.refer(conn, *reference)
    for table in TABLES:
        tenancy.protect(conn, table)
