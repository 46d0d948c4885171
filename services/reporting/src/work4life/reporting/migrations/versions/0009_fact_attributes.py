"""The attributes a fact breaks down by besides the person's: a venture's kind, a placement's
employer type and occupation group (ISCO-08 major group), on the live facts and on an approved
period's copy; and whether a venture entered the programme already trading. Facts counted before
it are "unknown" (and ventures new) until a rebuild replays their events.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("venture_kind", 40), ("employer_type", 40), ("occupation_group", 1))


def upgrade() -> None:
    for table in ("activity", "approved_fact"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, length in COLUMNS:
                batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=True))
    with op.batch_alter_table("venture_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("already_running", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("venture_state", schema=None) as batch_op:
        batch_op.drop_column("already_running")
    for table in ("activity", "approved_fact"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in reversed(COLUMNS):
                batch_op.drop_column(name)
