"""The context each letter was rendered from, as JSON: `letters reprint` renders the
identical letter later, whatever has changed since. (Releases before Alembic made this
column in their first step already: it is added only where missing.)"""

import sqlalchemy as sa
from alembic import op

revision = "0005_document_context"
down_revision = "0004_event_seq_index"


def upgrade() -> None:
    if "context" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("documents")}:
        op.add_column("documents", sa.Column("context", sa.Text))
