"""The SHA-256 of each member of staff's CLI token (issue 15: security.cli_identity:
token), unique within the school; the token itself is never stored."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0016_cli_tokens"
down_revision = "0015_retention"


def upgrade() -> None:
    conn = op.get_bind()
    if "token_hash" in {c["name"] for c in sa.inspect(conn).get_columns("logins")}:
        return
    conn.exec_driver_sql("ALTER TABLE logins ADD COLUMN token_hash VARCHAR")
    lead = tenancy.leading(conn)
    conn.exec_driver_sql(f"CREATE UNIQUE INDEX IF NOT EXISTS ix_logins_token "
                         f"ON logins ({lead}token_hash)")
