"""An index on `indicator_unit`'s unit: the ventures' roll-up now compares a touched venture's rows
with its recount in SQL, and finds them by the unit (the primary key starts with the indicator).

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_indicator_unit_unit", "indicator_unit", ["unit_id"])


def downgrade() -> None:
    op.drop_index("ix_indicator_unit_unit", table_name="indicator_unit")
