"""contact indexes for the duplicate check

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:40:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The duplicate check at each registration reads the people born within a year of the new one OR
# sharing a phone, e-mail or document with them; without these indexes that OR is a scan of every
# registration (SQLite and PostgreSQL alike).


def upgrade() -> None:
    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.create_index('ix_beneficiary_phone', ['phone'], unique=False)
        batch_op.create_index('ix_beneficiary_email', ['email'], unique=False)
        batch_op.create_index('ix_beneficiary_document_number', ['document_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.drop_index('ix_beneficiary_document_number')
        batch_op.drop_index('ix_beneficiary_email')
        batch_op.drop_index('ix_beneficiary_phone')
