"""Intake's tables. Personal data lives here and nowhere else in the platform."""

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

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


class AuditEntry(SQLModel, table=True):
    """Who read or changed which person's record, and when (personal data access is accountable)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_beneficiary", "beneficiary_id"), Index("ix_audit_subject_at", "subject", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    subject: str = Field(max_length=200)
    role: str = Field(max_length=40)
    organisation: str = Field(max_length=50)
    action: str = Field(max_length=40, description="read, list, search, register, update, erase, ...")
    beneficiary_id: UUID
