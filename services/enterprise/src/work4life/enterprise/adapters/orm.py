"""Enterprise's tables. People appear only under intake's pseudonymous id; money is kept in whole
centimes (MAD) so that sums are exact on SQLite and PostgreSQL alike."""

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from work4life.contracts.enterprise import LegalForm, RevenueBand, VentureKind, VentureStage
from work4life.contracts.intake import Region
from work4life.contracts.training import CourseKind, Sector
from work4life.referrals import ReferralCandidate, ReferredPerson
from work4life.runtime.db import stored_as_value

from ..domain.model import ExitReason, VisitStatus


class Entrepreneur(ReferredPerson, table=True):
    """What enterprise knows of someone referred to it (ADR 6)."""

    __tablename__ = "entrepreneur"


class EnterpriseCandidate(ReferralCandidate, table=True):
    """A referral from intake to enterprise support."""

    __tablename__ = "enterprise_candidate"
    __table_args__ = (Index("ix_enterprise_candidate_status", "status"),)


class TrainingCompletion(SQLModel, table=True):
    """A course completed in the training service, of a kind a grant may require."""

    __tablename__ = "training_completion"

    enrolment_id: UUID = Field(primary_key=True)
    beneficiary_id: UUID = Field(index=True)
    course_kind: CourseKind = Field(sa_type=stored_as_value(CourseKind))
    completed_on: date


class Venture(SQLModel, table=True):
    __tablename__ = "venture"
    __table_args__ = (Index("ix_venture_stage", "stage", "organisation"), Index("ix_venture_region", "region"))

    id: int | None = Field(default=None, primary_key=True)
    venture_id: UUID = Field(default_factory=uuid4, unique=True)
    name: str = Field(max_length=200)
    kind: VentureKind = Field(sa_type=stored_as_value(VentureKind))
    sector: Sector = Field(sa_type=stored_as_value(Sector))
    region: Region = Field(sa_type=stored_as_value(Region))
    city: str = Field(max_length=100)
    other_members: int = 0
    already_running: bool = Field(default=False, description="An existing business, strengthened rather than created.")
    description: str | None = Field(default=None, max_length=4000)
    organisation: str = Field(max_length=50)
    stage: VentureStage = Field(default=VentureStage.APPLICATION, sa_type=stored_as_value(VentureStage))
    stage_changed_on: date
    exit_reason: ExitReason | None = Field(default=None, sa_type=stored_as_value(ExitReason))
    applied_on: date
    legal_form: LegalForm | None = Field(default=None, sa_type=stored_as_value(LegalForm))
    registered_on: date | None = None
    premises: str | None = Field(default=None, max_length=300)
    active: bool | None = Field(default=None, description="After launch: trading at the last visit.")
    coach: str | None = Field(
        default=None, max_length=200, description="The business coach who follows it (and makes its visits)."
    )
    created_at: datetime
    created_by: str = Field(max_length=200)
    revision: int = Field(default=0, description="Bumped by each change; serialises concurrent changes.")


class VentureMember(SQLModel, table=True):
    __tablename__ = "venture_member"
    __table_args__ = (Index("ix_venture_member_beneficiary", "beneficiary_id"),)

    id: int | None = Field(default=None, primary_key=True)
    venture_pk: int = Field(foreign_key="venture.id", index=True)
    beneficiary_id: UUID
    referral_id: UUID | None = None
    joined_on: date
    left_on: date | None = None
    left_reason: ExitReason | None = Field(default=None, sa_type=stored_as_value(ExitReason))
    anonymised: bool = Field(default=False, description="The person was erased: the id is a random stand-in.")


class SelectionDecision(SQLModel, table=True):
    __tablename__ = "selection_decision"

    id: int | None = Field(default=None, primary_key=True)
    venture_pk: int = Field(foreign_key="venture.id", index=True)
    from_stage: VentureStage = Field(sa_type=stored_as_value(VentureStage))
    to_stage: VentureStage = Field(sa_type=stored_as_value(VentureStage))
    decided_on: date
    committee: str = Field(max_length=200)
    score: int | None = None
    notes: str | None = Field(default=None, max_length=2000)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime


class BusinessPlanRecord(SQLModel, table=True):
    __tablename__ = "business_plan"

    venture_pk: int = Field(foreign_key="venture.id", primary_key=True)
    investment_need: int = Field(sa_type=BigInteger, description="MAD centimes")
    own_contribution: int = Field(sa_type=BigInteger, description="MAD centimes")
    grant_requested: int = Field(sa_type=BigInteger, description="MAD centimes")
    other_financing: int = Field(sa_type=BigInteger, description="MAD centimes")
    expected_jobs: int
    expected_monthly_revenue: int = Field(sa_type=BigInteger, description="MAD centimes")
    summary: str | None = Field(default=None, max_length=4000)
    updated_at: datetime
    updated_by: str = Field(max_length=200)


class Grant(SQLModel, table=True):
    __tablename__ = "grant_agreement"

    id: int | None = Field(default=None, primary_key=True)
    grant_id: UUID = Field(default_factory=uuid4, unique=True)
    venture_pk: int = Field(foreign_key="venture.id", unique=True)
    approved: int = Field(sa_type=BigInteger, description="MAD centimes")
    cofinancing: int = Field(sa_type=BigInteger, description="The members' own contribution, MAD centimes")
    eur_rate_e4: int = Field(description="MAD per EUR at approval, times 10,000")
    approved_on: date
    approved_by: str = Field(max_length=200)


class GrantTranche(SQLModel, table=True):
    __tablename__ = "grant_tranche"
    __table_args__ = (UniqueConstraint("grant_pk", "number", name="uq_grant_tranche_number"),)

    id: int | None = Field(default=None, primary_key=True)
    grant_pk: int = Field(foreign_key="grant_agreement.id", index=True)
    number: int
    amount: int = Field(sa_type=BigInteger, description="MAD centimes")
    milestone: str = Field(max_length=300)
    milestone_met_on: date | None = None
    milestone_evidence: str | None = Field(default=None, max_length=1000)


class Disbursement(SQLModel, table=True):
    __tablename__ = "disbursement"

    id: int | None = Field(default=None, primary_key=True)
    disbursement_id: UUID = Field(default_factory=uuid4, unique=True)
    tranche_pk: int = Field(foreign_key="grant_tranche.id", index=True)
    amount: int = Field(sa_type=BigInteger, description="MAD centimes")
    disbursed_on: date
    reference: str | None = Field(default=None, max_length=100)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime


class CoachingSession(SQLModel, table=True):
    __tablename__ = "coaching_session"

    id: int | None = Field(default=None, primary_key=True)
    venture_pk: int = Field(foreign_key="venture.id", index=True)
    held_on: date
    minutes: int
    topic: str = Field(max_length=200)
    coach: str = Field(max_length=200)
    notes: str | None = Field(default=None, max_length=2000)
    recorded_by: str = Field(max_length=200)


class FollowUpVisit(SQLModel, table=True):
    __tablename__ = "follow_up_visit"
    __table_args__ = (
        UniqueConstraint("venture_pk", "months_after_launch", name="uq_follow_up_month"),
        Index("ix_follow_up_due", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: UUID = Field(default_factory=uuid4, unique=True)
    venture_pk: int = Field(foreign_key="venture.id")
    months_after_launch: int
    due_on: date
    status: VisitStatus = Field(default=VisitStatus.SCHEDULED, sa_type=stored_as_value(VisitStatus))
    visited_on: date | None = None
    active: bool | None = None
    revenue_band: RevenueBand | None = Field(default=None, sa_type=stored_as_value(RevenueBand))
    jobs_owners: int | None = None
    jobs_employees: int | None = None
    notes: str | None = Field(default=None, max_length=2000)
    recorded_by: str | None = Field(default=None, max_length=200)
