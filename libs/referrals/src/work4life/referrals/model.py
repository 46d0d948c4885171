"""The two rows a receiving service keeps (ADR 6), as column sets its own tables take on.

Each service declares its tables (`Trainee(ReferredPerson, table=True)`, ...) so that its schema,
its migrations and its table names stay its own; this module only says which columns they have.
"""

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from sqlmodel import Field, SQLModel

from work4life.contracts.intake import ReferralReason, Region
from work4life.runtime.db import stored_as_value


class CandidateStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    """Cancelled in intake, consent withdrawn, or the person erased."""


OPEN = (CandidateStatus.PENDING.value, CandidateStatus.ACCEPTED.value)
"""A candidate still waiting for an answer or taking part: what a withdrawal or erasure cancels."""


class ReferredPerson(SQLModel):
    """What a service knows of someone referred to it: whether the referral consent stands, and
    where they live. Kept only for people who consented to referral to the service; deleted on
    erasure."""

    beneficiary_id: UUID = Field(primary_key=True)
    referral_consent: bool = False
    region: Region | None = Field(default=None, sa_type=stored_as_value(Region))
    consent_changed_at: datetime | None = None


class ReferralCandidate(SQLModel):
    """A referral from intake to the service, until the service answers it and after."""

    referral_id: UUID = Field(primary_key=True)
    beneficiary_id: UUID = Field(index=True)
    reason: ReferralReason = Field(sa_type=stored_as_value(ReferralReason))
    referred_on: date
    referred_by: str = Field(max_length=50, description="The referring partner.")
    region: Region | None = Field(default=None, sa_type=stored_as_value(Region))
    status: CandidateStatus = Field(default=CandidateStatus.PENDING, sa_type=stored_as_value(CandidateStatus))
    status_changed_on: date | None = None
    note: str | None = Field(default=None, max_length=1000)
    received_at: datetime


class CandidatePublic(BaseModel):
    """A candidate as the API shows it (the note stays inside the service)."""

    referral_id: UUID
    beneficiary_id: UUID
    reason: ReferralReason
    referred_on: date
    referred_by: str
    region: Region | None
    status: CandidateStatus
    status_changed_on: date | None


class DeclineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=1000, description="Why; kept here, never published.")


class ReferralWithoutConsent(Exception):
    """Intake referred someone whose consent to referral to this service was never seen here: a
    broken contract, so the event goes to the dead letters with this reason."""
