"""The roll-ups of the unique-people indicators (ADR 26): each person's first day per indicator,
the counts by month, sex, region and partner organisation, and the definition they were built
for. They start empty; the service builds them from the facts when it starts.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "indicator_person",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("code", _text(40), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sex", _text(20), nullable=False),
        sa.Column("region", _text(50), nullable=False),
        sa.Column("partner_organisation", _text(50), nullable=False),
        sa.PrimaryKeyConstraint("beneficiary_id", "code"),
    )
    op.create_index(
        "ix_indicator_person_first_on",
        "indicator_person",
        ["code", "first_on", "sex", "region", "partner_organisation"],
    )
    op.create_table(
        "indicator_month",
        sa.Column("code", _text(40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sex", _text(20), nullable=False),
        sa.Column("region", _text(50), nullable=False),
        sa.Column("partner_organisation", _text(50), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", "month", "sex", "region", "partner_organisation"),
    )
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature", _text(64), nullable=False),
        sa.Column("built_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("rollup_state")
    op.drop_table("indicator_month")
    op.drop_index("ix_indicator_person_first_on", table_name="indicator_person")
    op.drop_table("indicator_person")
