"""The next event's number is MAX(seq) of the case: on this index it costs the same on the
2,000th event as on the 2nd."""

from alembic import op

revision = "0004_event_seq_index"
down_revision = "0003_case_holder_index"


def upgrade() -> None:
    op.execute("CREATE UNIQUE INDEX IF NOT EXISTS ix_events_case_seq ON events (case_id, seq)")
