"""The web page lists cases newest first, a page at a time (issue 10): on this index a
page is read by walking back from the newest, not by sorting 100,000 cases. Led by
school_id on PostgreSQL, where one database holds many schools."""

from alembic import op

revision = "0011_cases_opened_index"
down_revision = "0010_case_views"


def upgrade() -> None:
    lead = "school_id, " if op.get_bind().dialect.name == "postgresql" else ""
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_cases_opened ON cases ({lead}opened_at, id)")
