"""A looked-after pupil's exclusion is told to the virtual school head too (EXC-3).
(Releases before Alembic made this column in their first step already.)"""

import sqlalchemy as sa
from alembic import op

revision = "0007_student_looked_after"
down_revision = "0006_seals"


def upgrade() -> None:
    if "looked_after" not in {c["name"] for c in
                              sa.inspect(op.get_bind()).get_columns("students")}:
        op.add_column("students", sa.Column("looked_after", sa.Boolean, nullable=False,
                                            server_default=sa.false()))
