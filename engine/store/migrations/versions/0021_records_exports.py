"""Each subject access export recorded (issue 11, SAR-1, PWP-5.6): who exported whose
data, when, the manifest's SHA-256 and which cases, chained so that a record removed or
edited shows to `audit verify`. A school's rows: school_id leads the key on PostgreSQL,
with row-level security (tenancy)."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0021_records_exports"
down_revision = "0020_web_pack_audit"


def upgrade() -> None:
    conn = op.get_bind()
    if sa.inspect(conn).has_table("exports"):
        return
    op.create_table(
        "exports",
        sa.Column("school_id", sa.String, nullable=False),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("exported_at", sa.String, nullable=False),
        sa.Column("exported_by", sa.String, nullable=False),
        sa.Column("exported_by_name", sa.String, nullable=False),
        sa.Column("subject_kind", sa.String, nullable=False),
        sa.Column("subject_id", sa.String, nullable=False),
        sa.Column("manifest_sha256", sa.String, nullable=False),
        sa.Column("cases", sa.Text, nullable=False),
        sa.Column("documents", sa.Integer, nullable=False),
        sa.Column("prev_hash", sa.String, nullable=False),
        sa.Column("hash", sa.String, nullable=False))
    tenancy.lead_keys(conn, "exports")
    tenancy.protect(conn, "exports")
