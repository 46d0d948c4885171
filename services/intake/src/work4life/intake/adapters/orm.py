"""Intake's tables. Personal data lives here and nowhere else in the platform."""

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import Index
from sqlmodel import Field

from ..domain.model import BeneficiaryBase


class Beneficiary(BeneficiaryBase, table=True):
    __tablename__ = "beneficiary"
    __table_args__ = (
        Index("ix_beneficiary_region", "region"),
        Index("ix_beneficiary_partner", "partner_organisation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    beneficiary_id: UUID = Field(
        default_factory=uuid4, unique=True, description="Random pseudonymous id used in every event."
    )
    registered_on: date
    created_at: datetime
