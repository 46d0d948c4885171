"""The roll-up of the months people count in (ADR 26): for each unique-people indicator, each month
a person has a qualifying fact in and the month before it they last had one in, and those counted,
so that a quarter, a month or a year counts each person once without reading the facts. They start
empty; the service builds them when it starts.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
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
        "person_month",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("code", _text(40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("previous", sa.Date(), nullable=False),
        *_attributes(),
        sa.PrimaryKeyConstraint("beneficiary_id", "code", "month"),
    )
    op.create_table(
        "people_month",
        sa.Column("code", _text(40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("previous", sa.Date(), nullable=False),
        *_attributes(),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", "month", "previous", "sex", "region", "partner_organisation"),
    )


def downgrade() -> None:
    op.drop_table("people_month")
    op.drop_table("person_month")
