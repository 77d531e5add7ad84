"""The first tables: students, contacts, cases, events, documents, deadlines, counters.

Frozen as they were in the first release: later columns come from their own revisions."""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "students",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("first_name", sa.String, nullable=False),
        sa.Column("last_name", sa.String, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("form", sa.String, nullable=False),
        sa.Column("house", sa.String, nullable=False),
        sa.Column("updated_at", sa.String, nullable=False))
    op.create_table(
        "contacts",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("student_id", sa.String, sa.ForeignKey("students.id"), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String, nullable=False))
    op.create_index("ix_contacts_student_id", "contacts", ["student_id"])
    op.create_table(
        "cases",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("workflow", sa.String, nullable=False),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("student_id", sa.String, sa.ForeignKey("students.id"), nullable=False),
        sa.Column("contact_id", sa.String),
        sa.Column("holder", sa.String),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("opened_at", sa.String, nullable=False),
        sa.Column("opened_by", sa.String, nullable=False),
        sa.Column("closed_at", sa.String),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("child_protection", sa.Boolean, nullable=False))
    op.create_index("ix_cases_contact_id", "cases", ["contact_id"])
    op.create_index("ix_cases_workflow_state", "cases", ["workflow", "state"])
    op.create_index("ix_cases_student", "cases", ["student_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("event", sa.String, nullable=False),
        sa.Column("from_state", sa.String),
        sa.Column("to_state", sa.String, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("actor_name", sa.String, nullable=False),
        sa.Column("occurred_at", sa.String, nullable=False),
        sa.Column("recorded_at", sa.String, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String, nullable=False),
        sa.Column("hash", sa.String, nullable=False))
    op.create_index("ix_events_case_id", "events", ["case_id"])
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String, sa.ForeignKey("cases.id")),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id")),
        sa.Column("student_id", sa.String, nullable=False),
        sa.Column("template", sa.String, nullable=False),
        sa.Column("recipient_id", sa.String),
        sa.Column("recipient_name", sa.String, nullable=False),
        sa.Column("path", sa.String, nullable=False, unique=True),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("batch_key", sa.String, unique=True),
        sa.Column("created_at", sa.String, nullable=False))
    op.create_index("ix_documents_case_id", "documents", ["case_id"])
    op.create_index("ix_documents_student_id", "documents", ["student_id"])
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("clause", sa.String, nullable=False),
        sa.Column("due_on", sa.String, nullable=False),
        sa.Column("due_at", sa.String),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("met_at", sa.String),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id")))
    op.create_index("ix_deadlines_case_id", "deadlines", ["case_id"])
    op.create_table(
        "counters",
        sa.Column("prefix", sa.String, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False))
