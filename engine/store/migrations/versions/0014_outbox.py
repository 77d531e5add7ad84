"""Letters on their way (issue 12): the outbox (one row per document, channel and
recipient, with an idempotency key, attempts, the Message-ID or Notify id and status),
each row's history, and the PDFs made from letters with their own hashes. A school's
rows: school_id leads their keys on PostgreSQL, with row-level security (tenancy)."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0014_outbox"
down_revision = "0013_event_time_index"


def upgrade() -> None:
    conn = op.get_bind()
    if sa.inspect(conn).has_table("outbox"):
        return
    sqlite = conn.dialect.name != "postgresql"  # on PostgreSQL, tenancy.refer below

    def refers(column: str, target: str) -> list[sa.ForeignKeyConstraint]:
        return [sa.ForeignKeyConstraint([column], [target])] if sqlite else []

    op.create_table(
        "outbox",
        sa.Column("school_id", sa.String, nullable=False),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String, nullable=False),
        sa.Column("document_id", sa.Integer, nullable=False),
        sa.Column("case_id", sa.String),
        sa.Column("student_id", sa.String, nullable=False),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("recipient_id", sa.String, nullable=False),
        sa.Column("address", sa.String, nullable=False),
        sa.Column("subject", sa.String, nullable=False),
        sa.Column("language", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_at", sa.String, nullable=False),
        sa.Column("message_id", sa.String),
        sa.Column("provider_id", sa.String),
        sa.Column("sent_to", sa.String),
        sa.Column("error", sa.String),
        sa.Column("queued_at", sa.String, nullable=False),
        sa.Column("sent_at", sa.String),
        sa.Column("pack", sa.String),
        sa.Column("received_on", sa.String),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
        *refers("document_id", "documents.id"), *refers("case_id", "cases.id"))
    op.create_index("ix_outbox_document_id", "outbox", ["document_id"])
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"])
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_at"])
    op.create_table(
        "outbox_history",
        sa.Column("school_id", sa.String, nullable=False),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("outbox_id", sa.Integer, nullable=False),
        sa.Column("at", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("detail", sa.String, nullable=False),
        *refers("outbox_id", "outbox.id"))
    op.create_index("ix_outbox_history_outbox_id", "outbox_history", ["outbox_id"])
    op.create_table(
        "pdfs",
        sa.Column("school_id", sa.String, nullable=False),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.Integer, nullable=False),
        sa.Column("path", sa.String, nullable=False),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("docx_sha256", sa.String, nullable=False),
        sa.Column("made_at", sa.String, nullable=False),
        sa.UniqueConstraint("document_id", name="uq_pdfs_document_id"),
        sa.UniqueConstraint("path", name="uq_pdfs_path"),
        *refers("document_id", "documents.id"))
    for table in ("outbox", "outbox_history", "pdfs"):
        tenancy.lead_keys(conn, table)
    for table, column, target in (("outbox", "document_id", "documents"),
                                  ("outbox", "case_id", "cases"),
                                  ("outbox_history", "outbox_id", "outbox"),
                                  ("pdfs", "document_id", "documents")):
        tenancy.refer(conn, table, column, target, "id")
    for table in ("outbox", "outbox_history", "pdfs"):
        tenancy.protect(conn, table)
