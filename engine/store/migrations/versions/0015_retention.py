"""Retention a school can defend (issue 11, PWP-5.6): a student's date of birth (a pupil
file is kept until it + 25 years), a legal hold on a case (it blocks disposal), and the
tombstones of disposed cases, chained so that one removed or edited shows. A school's
rows: school_id leads their keys on PostgreSQL, with row-level security (tenancy)."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0015_retention"
down_revision = "0014_outbox"


def upgrade() -> None:
    conn = op.get_bind()
    found = sa.inspect(conn)
    if "date_of_birth" not in {c["name"] for c in found.get_columns("students")}:
        conn.exec_driver_sql("ALTER TABLE students ADD COLUMN date_of_birth VARCHAR")
    if "legal_hold" not in {c["name"] for c in found.get_columns("cases")}:
        false = "false" if conn.dialect.name == "postgresql" else "0"
        conn.exec_driver_sql(f"ALTER TABLE cases ADD COLUMN legal_hold BOOLEAN NOT NULL "
                             f"DEFAULT {false}")
    if found.has_table("disposals"):
        return
    op.create_table(
        "disposals",
        sa.Column("school_id", sa.String, nullable=False),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String, nullable=False),
        sa.Column("workflow", sa.String, nullable=False),
        sa.Column("opened_at", sa.String, nullable=False),
        sa.Column("closed_at", sa.String),
        sa.Column("disposed_at", sa.String, nullable=False),
        sa.Column("disposed_by", sa.String, nullable=False),
        sa.Column("disposed_by_name", sa.String, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("last_event_id", sa.Integer, nullable=False),
        sa.Column("trail", sa.Text, nullable=False),
        sa.Column("documents", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String, nullable=False),
        sa.Column("hash", sa.String, nullable=False),
        sa.UniqueConstraint("case_id", name="uq_disposals_case_id"))
    tenancy.lead_keys(conn, "disposals")
    tenancy.protect(conn, "disposals")
