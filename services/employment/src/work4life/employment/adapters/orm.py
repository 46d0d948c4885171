"""Employment's tables. Programme beneficiaries appear only under intake's pseudonymous id; the
employer's contact person is a business contact, kept here only."""

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import JSON, Column, Field, SQLModel

from work4life.contracts.employment import (
    ContractType,
    EmployerType,
    LeftReason,
    OfferKind,
    Ownership,
    RetentionOutcome,
    WageBand,
)
from work4life.contracts.intake import DigitalSkills, EducationLevel, Region
from work4life.contracts.training import CourseKind, Sector
from work4life.referrals import ReferralCandidate, ReferredPerson
from work4life.runtime.db import stored_as_value

from ..domain.model import ApplicationStatus, CheckStatus, OfferStatus, RejectionReason


class Jobseeker(ReferredPerson, table=True):
    """What employment knows of someone who consented to referral to it (ADR 6), with their latest
    skills assessment. Nothing is kept about anyone else; deleted on erasure."""

    __tablename__ = "jobseeker"

    assessed_on: date | None = None
    languages: list[dict] = Field(default_factory=list, sa_column=Column(JSON))
    education_level: EducationLevel | None = Field(default=None, sa_type=stored_as_value(EducationLevel))
    occupations: list[dict] = Field(default_factory=list, sa_column=Column(JSON))
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    digital_skills: DigitalSkills | None = Field(default=None, sa_type=stored_as_value(DigitalSkills))
    aspirations: list[str] = Field(default_factory=list, sa_column=Column(JSON))


class EmploymentCandidate(ReferralCandidate, table=True):
    """A referral from intake to the employment service."""

    __tablename__ = "employment_candidate"
    __table_args__ = (Index("ix_employment_candidate_status", "status"),)


class TrainingRecord(SQLModel, table=True):
    """A course a jobseeker completed in the training service."""

    __tablename__ = "training_record"

    enrolment_id: UUID = Field(primary_key=True)
    beneficiary_id: UUID = Field(index=True)
    course_kind: CourseKind = Field(sa_type=stored_as_value(CourseKind))
    sector: Sector = Field(sa_type=stored_as_value(Sector))
    completed_on: date
    certificate_number: str | None = Field(default=None, max_length=40)


class Employer(SQLModel, table=True):
    __tablename__ = "employer"
    __table_args__ = (Index("ix_employer_region", "region", "sector"),)

    id: int | None = Field(default=None, primary_key=True)
    employer_id: UUID = Field(default_factory=uuid4, unique=True)
    name: str = Field(max_length=200)
    type: EmployerType = Field(sa_type=stored_as_value(EmployerType))
    ownership: Ownership = Field(sa_type=stored_as_value(Ownership))
    sector: Sector = Field(sa_type=stored_as_value(Sector))
    region: Region = Field(sa_type=stored_as_value(Region))
    city: str = Field(max_length=100)
    csr_commitment: bool = False
    csr_details: str | None = Field(default=None, max_length=2000)
    contact_name: str = Field(max_length=200)
    contact_phone: str | None = Field(default=None, max_length=20)
    contact_email: str | None = Field(default=None, max_length=254)
    organisation: str = Field(max_length=50, index=True)
    created_at: datetime
    created_by: str = Field(max_length=200)


class JobOffer(SQLModel, table=True):
    __tablename__ = "job_offer"
    __table_args__ = (Index("ix_job_offer_status", "status", "region"),)

    id: int | None = Field(default=None, primary_key=True)
    offer_id: UUID = Field(default_factory=uuid4, unique=True)
    employer_pk: int = Field(foreign_key="employer.id", index=True)
    title: str = Field(max_length=200)
    kind: OfferKind = Field(sa_type=stored_as_value(OfferKind))
    positions: int
    isco08: str | None = Field(default=None, max_length=4)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    languages: list[dict] = Field(default_factory=list, sa_column=Column(JSON))
    education_level: EducationLevel | None = Field(default=None, sa_type=stored_as_value(EducationLevel))
    region: Region = Field(sa_type=stored_as_value(Region))
    city: str = Field(max_length=100)
    contract_type: ContractType = Field(sa_type=stored_as_value(ContractType))
    wage_band: WageBand = Field(sa_type=stored_as_value(WageBand))
    hours_per_week: int = 44
    opens_on: date
    closes_on: date
    starts_on: date | None = None
    description: str | None = Field(default=None, max_length=4000)
    status: OfferStatus = Field(default=OfferStatus.OPEN, sa_type=stored_as_value(OfferStatus))
    revision: int = Field(default=0, description="Bumped by each hire; serialises concurrent hires.")
    created_at: datetime
    created_by: str = Field(max_length=200)


class JobFair(SQLModel, table=True):
    __tablename__ = "job_fair"

    id: int | None = Field(default=None, primary_key=True)
    fair_id: UUID = Field(default_factory=uuid4, unique=True)
    name: str = Field(max_length=200)
    held_on: date
    region: Region = Field(sa_type=stored_as_value(Region))
    city: str = Field(max_length=100)
    venue: str | None = Field(default=None, max_length=200)
    organisation: str = Field(max_length=50, index=True)
    other_attendees: int = 0
    closed_on: date | None = None
    revision: int = 0
    created_by: str = Field(max_length=200)


class JobFairEmployer(SQLModel, table=True):
    __tablename__ = "job_fair_employer"

    fair_pk: int = Field(foreign_key="job_fair.id", primary_key=True)
    employer_pk: int = Field(foreign_key="employer.id", primary_key=True)


class JobFairAttendee(SQLModel, table=True):
    __tablename__ = "job_fair_attendee"

    fair_pk: int = Field(foreign_key="job_fair.id", primary_key=True)
    beneficiary_id: UUID = Field(primary_key=True)


class JobApplication(SQLModel, table=True):
    __tablename__ = "job_application"
    __table_args__ = (
        Index("ix_job_application_offer", "offer_pk", "status"),
        Index("ix_job_application_beneficiary", "beneficiary_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: UUID = Field(default_factory=uuid4, unique=True)
    offer_pk: int = Field(foreign_key="job_offer.id")
    beneficiary_id: UUID
    referral_id: UUID | None = None
    status: ApplicationStatus = Field(sa_type=stored_as_value(ApplicationStatus))
    score: float | None = Field(default=None, description="The match score when shortlisted.")
    job_fair_pk: int | None = Field(default=None, foreign_key="job_fair.id")
    shortlisted_on: date
    interviewed_on: date | None = None
    decided_on: date | None = None
    rejection_reason: RejectionReason | None = Field(default=None, sa_type=stored_as_value(RejectionReason))
    note: str | None = Field(default=None, max_length=1000)
    created_by: str = Field(max_length=200)
    anonymised: bool = False


class Placement(SQLModel, table=True):
    __tablename__ = "placement"

    id: int | None = Field(default=None, primary_key=True)
    placement_id: UUID = Field(default_factory=uuid4, unique=True)
    application_pk: int = Field(foreign_key="job_application.id", unique=True)
    offer_pk: int = Field(foreign_key="job_offer.id", index=True)
    beneficiary_id: UUID = Field(index=True)
    contract_type: ContractType = Field(sa_type=stored_as_value(ContractType))
    starts_on: date
    hours_per_week: int
    wage_band: WageBand = Field(sa_type=stored_as_value(WageBand))
    job_fair_pk: int | None = Field(default=None, foreign_key="job_fair.id")
    left_on: date | None = None
    created_by: str = Field(max_length=200)
    anonymised: bool = False


class RetentionCheck(SQLModel, table=True):
    __tablename__ = "retention_check"
    __table_args__ = (
        UniqueConstraint("placement_pk", "months_after_start", name="uq_retention_check_month"),
        Index("ix_retention_check_due", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    placement_pk: int = Field(foreign_key="placement.id")
    months_after_start: int
    due_on: date
    status: CheckStatus = Field(default=CheckStatus.SCHEDULED, sa_type=stored_as_value(CheckStatus))
    checked_on: date | None = None
    outcome: RetentionOutcome | None = Field(default=None, sa_type=stored_as_value(RetentionOutcome))
    left_reason: LeftReason | None = Field(default=None, sa_type=stored_as_value(LeftReason))
    left_on: date | None = None
    note: str | None = Field(default=None, max_length=1000)
    recorded_by: str | None = Field(default=None, max_length=200)
