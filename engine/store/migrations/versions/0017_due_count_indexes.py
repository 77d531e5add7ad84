"""The web page counts each member of staff's due deadlines in every page's header
(issue 10): on these two indexes the count reads neither a case row nor a deadline row.
They take the place of the plain ones on the same columns (the holder, a deadline's case),
so a change writes no more indexes than before (bench/README.md, "The web page")."""

from alembic import op

from engine.store.migrations import tenancy

revision = "0017_due_count_indexes"
down_revision = "0016_cli_tokens"


def upgrade() -> None:
    lead = tenancy.leading(op.get_bind())
    op.execute("DROP INDEX IF EXISTS ix_cases_holder")
    op.execute(f"CREATE INDEX ix_cases_holder ON cases ({lead}holder, id, restricted, "
               "workflow, opened_by)")
    op.execute("DROP INDEX IF EXISTS ix_deadlines_case_id")
    op.execute(f"CREATE INDEX ix_deadlines_case_id ON deadlines ({lead}case_id, status, "
               "due_on)")
