"""The roll-up of the sums by unit and day (ADR 26): sessions held and people reached, job fairs,
money paid, follow-up visits and the jobs at each venture's latest visit, jobs placed; their sums
by month, and an index of those facts by unit for their recount. They start empty; the service
builds them when it starts.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMMED_FACTS = "kind IN ('fair_employers', 'follow_up', 'grant_disbursed', 'job_fair', 'outreach', 'placed')"
CELL = ("scope", "months", "region", "organisation", "venture_kind")


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _cell() -> list[sa.Column]:
    return [
        sa.Column("scope", _text(4), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("region", _text(50), nullable=False),
        sa.Column("organisation", _text(50), nullable=False),
        sa.Column("venture_kind", _text(40), nullable=False),
    ]


def _amounts() -> list[sa.Column]:
    return [
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("value_eur", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "summed_unit",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("code", _text(40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_cell(),
        sa.Column("month", sa.Date(), nullable=False),
        *_amounts(),
        sa.PrimaryKeyConstraint("unit_id", "code", "scope", "day", "months", "region", "organisation", "venture_kind"),
    )
    op.create_index("ix_summed_unit_day", "summed_unit", ["code", "day"])
    op.create_table(
        "summed_month",
        sa.Column("code", _text(40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *_cell(),
        *_amounts(),
        sa.PrimaryKeyConstraint("code", "month", *CELL),
    )
    op.create_index(
        "ix_activity_summed_unit",
        "activity",
        ["unit_id"],
        postgresql_where=sa.text(SUMMED_FACTS),
        sqlite_where=sa.text(SUMMED_FACTS),
    )


def downgrade() -> None:
    op.drop_index("ix_activity_summed_unit", table_name="activity")
    op.drop_table("summed_month")
    op.drop_index("ix_summed_unit_day", table_name="summed_unit")
    op.drop_table("summed_unit")
