"""registration idempotency key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A tablet that registered people offline sends each registration with a key it made; when the
# connection drops after intake committed but before the answer arrived, the device sends it
# again, and the unique key turns the repeat into the person already created.


def upgrade() -> None:
    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_key', sa.String(length=100), nullable=True))
        batch_op.create_index('uq_beneficiary_registration_key', ['registration_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.drop_index('uq_beneficiary_registration_key')
        batch_op.drop_column('registration_key')
