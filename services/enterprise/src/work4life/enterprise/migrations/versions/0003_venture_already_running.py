"""venture already running

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A venture that enters the programme already trading is an existing business strengthened, which
# the donor counts apart from the businesses the programme creates. Ventures before it were new.


def upgrade() -> None:
    with op.batch_alter_table('venture', schema=None) as batch_op:
        batch_op.add_column(sa.Column('already_running', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('venture', schema=None) as batch_op:
        batch_op.drop_column('already_running')
