"""A partial covering index over open deadlines: the due list in milliseconds at 100,000
cases (a plain index on due_on is slower than a scan for wide ranges)."""

from alembic import op

revision = "0002_open_deadline_index"
down_revision = "0001_initial"


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_deadlines_open ON deadlines (due_on, case_id, "
               "name) WHERE status = 'open'")
