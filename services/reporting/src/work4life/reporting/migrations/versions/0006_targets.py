"""Targets and baselines per indicator, year, region and organisation, entered through the API, and
the audit trail of their changes.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("target_hundredths", sa.BigInteger(), nullable=False),
        sa.Column("baseline_hundredths", sa.BigInteger(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "year", "region", "organisation", name="uq_target_scope"),
    )
    op.create_index(op.f("ix_target_code"), "target", ["code"], unique=False)
    op.create_table(
        "target_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_target_change_at"), "target_change", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_target_change_at"), table_name="target_change")
    op.drop_table("target_change")
    op.drop_index(op.f("ix_target_code"), table_name="target")
    op.drop_table("target")
