"""Each time an administrator acts as another member of staff at the CLI (issue 15): who,
as whom, why, when, the command and the case it named. Append-only. A school's rows:
school_id leads its keys on PostgreSQL, with row-level security (tenancy)."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0022_safety_impersonations"
down_revision = "0021_records_exports"


def upgrade() -> None:
    conn = op.get_bind()
    if sa.inspect(conn).has_table("impersonations"):
        return
    # The case is named, not referred to: a case disposed of keeps its impersonations.
    op.create_table(
        "impersonations",
        sa.Column("school_id", sa.String, nullable=False),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("by_staff", sa.String, nullable=False),
        sa.Column("by_name", sa.String, nullable=False),
        sa.Column("as_staff", sa.String, nullable=False),
        sa.Column("as_name", sa.String, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("command", sa.String, nullable=False),
        sa.Column("case_id", sa.String),
        sa.Column("at", sa.String, nullable=False))
    lead = tenancy.leading(conn)
    conn.exec_driver_sql(f"CREATE INDEX ix_impersonations_case_id "
                         f"ON impersonations ({lead}case_id)")
    tenancy.lead_keys(conn, "impersonations")
    tenancy.protect(conn, "impersonations")
