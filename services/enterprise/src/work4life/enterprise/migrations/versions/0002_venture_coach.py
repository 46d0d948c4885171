"""venture coach

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A venture names the business coach who follows it, so that each coach has a list of the
# follow-up visits they are to make. Ventures already coached take the coach of their first session.


def upgrade() -> None:
    with op.batch_alter_table('venture', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coach', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.execute(
        "UPDATE venture SET coach = (SELECT c.coach FROM coaching_session c WHERE c.venture_pk = venture.id "
        "ORDER BY c.held_on, c.id LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table('venture', schema=None) as batch_op:
        batch_op.drop_column('coach')
