"""Who made each print pack of the post and who downloaded it, and when (issue 10: the
web page's print pack). A school's rows: school_id leads its keys on PostgreSQL, with
row-level security (tenancy)."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0020_web_pack_audit"
down_revision = "0019_trust_reads"


def upgrade() -> None:
    conn = op.get_bind()
    if sa.inspect(conn).has_table("pack_audit"):
        return
    op.create_table(
        "pack_audit",
        sa.Column("school_id", sa.String, nullable=False),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pack", sa.String, nullable=False),  # its path, under cases/packs
        sa.Column("action", sa.String, nullable=False),  # made | downloaded
        sa.Column("staff_id", sa.String, nullable=False),
        sa.Column("staff_name", sa.String, nullable=False),
        sa.Column("door", sa.String, nullable=False),  # cli | web
        sa.Column("at", sa.String, nullable=False),
        sa.Column("letters", sa.Integer),  # made: how many letters it holds
        sa.Column("sha256", sa.String))  # made: the PDF's hash
    op.create_index("ix_pack_audit_pack", "pack_audit", ["pack"])
    tenancy.lead_keys(conn, "pack_audit")
    tenancy.protect(conn, "pack_audit")
