"""Approved periods, and the copy of each one's facts and people taken when it was approved.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
MOMENT = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", TEXT(length=30), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("approved_at", MOMENT(), nullable=False),
        sa.Column("approved_by", TEXT(length=200), nullable=False),
        sa.Column("note", TEXT(length=500), nullable=True),
        sa.Column("withdrawn_at", MOMENT(), nullable=True),
        sa.Column("withdrawn_by", TEXT(length=200), nullable=True),
        sa.Column("withdrawn_reason", TEXT(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_approval_period"), "approval", ["period"], unique=False)
    op.create_table(
        "approved_fact",
        sa.Column("fact_id", TEXT(length=200), nullable=False),
        sa.Column("kind", TEXT(length=40), nullable=False),
        sa.Column("beneficiary_id", sa.Uuid(), nullable=True),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("organisation", TEXT(length=50), nullable=True),
        sa.Column("region", TEXT(length=50), nullable=True),
        sa.Column("category", TEXT(length=50), nullable=True),
        sa.Column("months", sa.Integer(), nullable=True),
        sa.Column("flag", sa.Boolean(), nullable=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("value_eur", sa.BigInteger(), nullable=False),
        sa.Column("as_of", MOMENT(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("approval_id", "id"),
    )
    op.create_table(
        "approved_person",
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("sex", TEXT(length=20), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("nationality", TEXT(length=3), nullable=False),
        sa.Column("legal_status", TEXT(length=30), nullable=False),
        sa.Column("disability", sa.Boolean(), nullable=False),
        sa.Column("region", TEXT(length=50), nullable=False),
        sa.Column("city", TEXT(length=100), nullable=True),
        sa.Column("partner_organisation", TEXT(length=50), nullable=False),
        sa.Column("as_of", MOMENT(), nullable=False),
        sa.Column("anonymised", sa.Boolean(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("approval_id", "beneficiary_id"),
    )


def downgrade() -> None:
    op.drop_table("approved_person")
    op.drop_table("approved_fact")
    op.drop_index(op.f("ix_approval_period"), table_name="approval")
    op.drop_table("approval")
