"""The roll-ups of the indicators that count ventures once (ADR 26): each venture's first day per
indicator and organisation, the counts by month, and an index of the ventures' facts by unit for
their recount. They start empty; the service builds them when it starts.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VENTURE_FACTS = "kind IN ('launched', 'venture_stage')"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "indicator_unit",
        sa.Column("code", _text(40), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("organisation", _text(50), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("overall", sa.Boolean(), nullable=False),
        sa.Column("region", _text(50), nullable=False),
        sa.Column("venture_kind", _text(40), nullable=False),
        sa.PrimaryKeyConstraint("code", "unit_id", "organisation"),
    )
    op.create_index("ix_indicator_unit_first_on", "indicator_unit", ["code", "first_on"])
    op.create_table(
        "unit_month",
        sa.Column("code", _text(40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("organisation", _text(50), nullable=False),
        sa.Column("region", _text(50), nullable=False),
        sa.Column("venture_kind", _text(40), nullable=False),
        sa.Column("overall", sa.Boolean(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", "month", "organisation", "region", "venture_kind", "overall"),
    )
    op.create_index(
        "ix_activity_venture_unit",
        "activity",
        ["unit_id"],
        postgresql_where=sa.text(VENTURE_FACTS),
        sqlite_where=sa.text(VENTURE_FACTS),
    )


def downgrade() -> None:
    op.drop_index("ix_activity_venture_unit", table_name="activity")
    op.drop_table("unit_month")
    op.drop_index("ix_indicator_unit_first_on", table_name="indicator_unit")
    op.drop_table("indicator_unit")
