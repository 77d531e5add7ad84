"""Each read of a school's rows by its trust's staff (issue 17): who (their trust id and
name, their trust role), which case (none for a listing or the report), what, through
which door and when. Written in the school's own rows before anything is shown, so the
school sees every read of it (``liaison trust reads``). A school's rows: school_id leads
its keys on PostgreSQL, with row-level security (tenancy)."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0019_trust_reads"
down_revision = "0018_perf_tallies"


def upgrade() -> None:
    conn = op.get_bind()
    if sa.inspect(conn).has_table("trust_reads"):  # made whole by a store of this release
        return
    op.create_table(
        "trust_reads",
        sa.Column("school_id", sa.String, nullable=False),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trust_id", sa.String, nullable=False),
        sa.Column("staff_id", sa.String, nullable=False),
        sa.Column("staff_name", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        # No foreign key: a read of a case that does not exist, or of the listing, is
        # kept as well; a disposal removes the case's reads with its other rows.
        sa.Column("case_id", sa.String),
        sa.Column("what", sa.String, nullable=False),
        sa.Column("door", sa.String, nullable=False),
        sa.Column("read_at", sa.String, nullable=False))
    op.create_index("ix_trust_reads_case_id", "trust_reads", ["case_id"])
    tenancy.lead_keys(conn, "trust_reads")
    tenancy.protect(conn, "trust_reads")
