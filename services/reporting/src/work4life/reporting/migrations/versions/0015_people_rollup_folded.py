"""One roll-up for the unique-people indicators (ADR 26): `person_month` keeps the first day of each
of a person's months, and its first month (no month before it) is the person's first day, so
`indicator_person` and `indicator_month` (the first months counted) go: `people_month`'s cells with
no month before them are those counts. Half the rows to write for each batch. The roll-ups start
empty again; the service rebuilds them when it starts.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
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


def _person_month(*first_on: sa.Column) -> None:
    op.create_table(
        "person_month",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("code", _text(40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("previous", sa.Date(), nullable=False),
        *first_on,
        *_attributes(),
        sa.PrimaryKeyConstraint("beneficiary_id", "code", "month"),
    )


def upgrade() -> None:
    op.execute("DELETE FROM rollup_state")
    op.execute("DELETE FROM people_month")
    op.drop_index("ix_indicator_person_first_on", table_name="indicator_person")
    op.drop_table("indicator_person")
    op.drop_table("indicator_month")
    op.drop_table("person_month")
    _person_month(sa.Column("first_on", sa.Date(), nullable=False))
    op.create_index(
        "ix_person_month_first_on",
        "person_month",
        ["previous", "first_on", "code", "sex", "region", "partner_organisation"],
    )
    op.create_index(
        "ix_people_month_previous",
        "people_month",
        ["previous", "month", "code", "sex", "region", "partner_organisation"],
    )


def downgrade() -> None:
    op.execute("DELETE FROM rollup_state")
    op.execute("DELETE FROM people_month")
    op.drop_index("ix_people_month_previous", table_name="people_month")
    op.drop_index("ix_person_month_first_on", table_name="person_month")
    op.drop_table("person_month")
    _person_month()
    op.create_table(
        "indicator_person",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("code", _text(40), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *_attributes(),
        sa.PrimaryKeyConstraint("beneficiary_id", "code"),
    )
    op.create_index(
        "ix_indicator_person_first_on", "indicator_person", ["code", "first_on", "sex", "region", "partner_organisation"]
    )
    op.create_table(
        "indicator_month",
        sa.Column("code", _text(40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *_attributes(),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", "month", "sex", "region", "partner_organisation"),
    )
