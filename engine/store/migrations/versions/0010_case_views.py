"""Who has read a restricted case (CLA-3): each reading, who, what, which door, when
(issue 10). A school's rows: school_id leads its keys on PostgreSQL, with row-level
security (tenancy)."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0010_case_views"
down_revision = "0009_school_id"


def upgrade() -> None:
    conn = op.get_bind()
    if sa.inspect(conn).has_table("case_views"):
        return
    # On PostgreSQL the case is referred to within its school (tenancy.refer), on SQLite
    # by its id alone.
    refers = [sa.ForeignKeyConstraint(["case_id"], ["cases.id"])] \
        if conn.dialect.name != "postgresql" else []
    op.create_table(
        "case_views",
        sa.Column("school_id", sa.String, nullable=False),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String, nullable=False),
        sa.Column("staff_id", sa.String, nullable=False),
        sa.Column("staff_name", sa.String, nullable=False),
        sa.Column("what", sa.String, nullable=False),
        sa.Column("door", sa.String, nullable=False),
        sa.Column("viewed_at", sa.String, nullable=False),
        *refers)
    op.create_index("ix_case_views_case_id", "case_views", ["case_id"])
    tenancy.lead_keys(conn, "case_views")
    tenancy.refer(conn, "case_views", "case_id", "cases", "id")
    tenancy.protect(conn, "case_views")
