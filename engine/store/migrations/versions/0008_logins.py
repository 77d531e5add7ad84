"""Who may sign in to the web page and how (logins), and every sign-in tried (sign_ins)."""

import sqlalchemy as sa
from alembic import op

revision = "0008_logins"
down_revision = "0007_student_looked_after"


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("logins"):
        return
    op.create_table(
        "logins",
        sa.Column("staff_id", sa.String, primary_key=True),
        sa.Column("password_hash", sa.String),
        sa.Column("totp_secret", sa.String),
        sa.Column("totp_last_step", sa.Integer),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.String),
        sa.Column("updated_at", sa.String, nullable=False))
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String, nullable=False),
        sa.Column("at", sa.String, nullable=False),
        sa.Column("outcome", sa.String, nullable=False))
    op.create_index("ix_sign_ins_staff_id", "sign_ins", ["staff_id"])
