"""The facts' (kind, day) index also carries the person: a distinct-people count reads the index
alone (an index-only scan on PostgreSQL) instead of the whole table.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_activity_kind_day_person", "activity", ["kind", "occurred_on", "beneficiary_id"])
    op.drop_index("ix_activity_kind_day", table_name="activity")


def downgrade() -> None:
    op.create_index("ix_activity_kind_day", "activity", ["kind", "occurred_on"])
    op.drop_index("ix_activity_kind_day_person", table_name="activity")
