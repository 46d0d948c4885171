"""The roll-ups of the retention checks (ADR 26): each person's checks by months after the start
and month recorded, and their sums by sex, region and partner organisation. They start empty; the
service builds them from the facts when it starts (the roll-ups' signature changed with them).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _attributes() -> list[sa.Column]:
    return [
        sa.Column("sex", _text(20), nullable=False),
        sa.Column("region", _text(50), nullable=False),
        sa.Column("partner_organisation", _text(50), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "retention_person",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("retained", sa.Integer(), nullable=False),
        *_attributes(),
        sa.PrimaryKeyConstraint("beneficiary_id", "months", "month"),
    )
    op.create_table(
        "retention_month",
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *_attributes(),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("retained", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("months", "month", "sex", "region", "partner_organisation"),
    )


def downgrade() -> None:
    op.drop_table("retention_month")
    op.drop_table("retention_person")
