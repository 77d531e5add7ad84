"""Once a day, a hash over every case's last event, chained to the seal before
(engine/store/audit.py): deleting a case, or the newest events of its trail, shows."""

import sqlalchemy as sa
from alembic import op

revision = "0006_seals"
down_revision = "0005_document_context"


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("seals"):
        return
    op.create_table(
        "seals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sealed_on", sa.String, nullable=False),
        sa.Column("sealed_at", sa.String, nullable=False),
        sa.Column("last_event_id", sa.Integer, nullable=False),
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("heads", sa.String, nullable=False),
        sa.Column("prev_hash", sa.String, nullable=False),
        sa.Column("hash", sa.String, nullable=False))
