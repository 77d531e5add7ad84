"""BEM-5's check reads a student's letters of the last two weeks (issue 14): by student
and time, an advance reads those few rows however many letters the family has had."""

from alembic import op

from engine.store.migrations import tenancy

revision = "0012_document_student_index"
down_revision = "0011_cases_opened_index"


def upgrade() -> None:
    lead = tenancy.leading(op.get_bind())
    op.execute("CREATE INDEX IF NOT EXISTS ix_documents_student_created "
               f"ON documents ({lead}student_id, created_at)")
