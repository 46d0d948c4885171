"""Events published by the employment service: placements in jobs and internships, the
retention checks that follow them, and job fairs.

Placements are keyed by the pseudonymous `beneficiary_id`; they carry what the indicators need
about the employer and the job (indicator 1.1 and the number of placements, disaggregated by the
employer's type and ownership, the sector and the contract) and nothing about the employer's
staff. Job fairs are keyed by `fair_id`.
"""

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from .envelope import EventData
from .intake import Region
from .training import Sector


class EmployerType(StrEnum):
    SME = "sme"
    COOPERATIVE = "cooperative"
    LARGE_COMPANY = "large_company"
    PUBLIC_BODY = "public_body"


class Ownership(StrEnum):
    """Who leads the employer: Moroccans, migrants, or both."""

    MOROCCAN = "moroccan"
    MIGRANT = "migrant"
    MIXED = "mixed"


class OfferKind(StrEnum):
    JOB = "job"
    INTERNSHIP = "internship"
    PRE_EMPLOYMENT = "pre_employment"


class ContractType(StrEnum):
    PERMANENT = "permanent"
    FIXED_TERM = "fixed_term"
    INTERNSHIP = "internship"
    SEASONAL = "seasonal"


class WageBand(StrEnum):
    """Gross monthly wage, in MAD."""

    UNDER_3000 = "under_3000"
    FROM_3000_TO_4500 = "3000_to_4500"
    FROM_4500_TO_6000 = "4500_to_6000"
    FROM_6000_TO_9000 = "6000_to_9000"
    OVER_9000 = "over_9000"


class RetentionOutcome(StrEnum):
    STILL_EMPLOYED = "still_employed"
    LEFT = "left"
    UNREACHABLE = "unreachable"


class LeftReason(StrEnum):
    RESIGNED = "resigned"
    DISMISSED = "dismissed"
    CONTRACT_ENDED = "contract_ended"
    BETTER_JOB = "better_job"
    MOVED_AWAY = "moved_away"
    OTHER = "other"


class Placed(EventData):
    """A person was hired into a job, an internship or a pre-employment placement."""

    EVENT_TYPE = "employment.placed"
    SCHEMA_VERSION = 1

    placement_id: UUID
    beneficiary_id: UUID
    offer_id: UUID
    employer_id: UUID
    employer_type: EmployerType
    employer_ownership: Ownership
    employer_csr: bool = Field(description="The employer has a CSR commitment.")
    sector: Sector
    region: Region
    kind: OfferKind
    contract_type: ContractType
    wage_band: WageBand
    hours_per_week: int = Field(ge=1, le=60)
    starts_on: date
    job_fair_id: UUID | None = Field(default=None, description="Hired at this job fair.")
    organisation: str = Field(min_length=1, max_length=50, description="The partner that facilitated it.")
    isco08: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,4}$",
        description="The offer's ISCO-08 occupation (major group to unit group), when the offer names one.",
    )


class RetentionChecked(EventData):
    """A placement was checked some months after it started (3, 6 and 12 by default)."""

    EVENT_TYPE = "employment.retention_checked"
    SCHEMA_VERSION = 1

    placement_id: UUID
    beneficiary_id: UUID
    months_after_start: int = Field(ge=1, le=60)
    checked_on: date
    outcome: RetentionOutcome
    left_reason: LeftReason | None = None
    left_on: date | None = None


class JobFairHeld(EventData):
    """A job fair took place (its figures when it was closed)."""

    EVENT_TYPE = "employment.job_fair_held"
    SCHEMA_VERSION = 1

    fair_id: UUID
    held_on: date
    region: Region
    city: str = Field(min_length=1, max_length=100)
    organisation: str = Field(min_length=1, max_length=50)
    employers: int = Field(ge=0)
    registered_attendees: list[UUID] = Field(default_factory=list, description="Programme beneficiaries attending.")
    other_attendees: int = Field(ge=0, description="Everyone else who came, counted only.")
    interviews: int = Field(ge=0)
    hires: int = Field(ge=0)
