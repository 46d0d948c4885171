"""attendance sheet key

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A tablet that took a roll-call offline sends the register with a key it made; when the answer is
# lost and the tablet sends it again, the key turns the repeat into the register already entered
# (a correction made in between is not undone).


def upgrade() -> None:
    op.create_table('attendance_sheet_key',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('session_pk', sa.Integer(), nullable=False),
    sa.Column('sent_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_pk'], ['class_session.id'], ),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('attendance_sheet_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_sheet_key_session_pk'), ['session_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attendance_sheet_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_sheet_key_session_pk'))
    op.drop_table('attendance_sheet_key')
