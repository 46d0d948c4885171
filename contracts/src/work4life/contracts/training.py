"""Events published by the training service: a person's enrolment, completion and dropout.

They carry the pseudonymous `beneficiary_id` and what the indicators need about the course
(indicator 1.4, people trained, disaggregated by the kind of course and the labour-market sector);
the person's own attributes are intake's and reporting joins them by the id.
"""

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from .envelope import EventData
from .intake import Region


class CourseKind(StrEnum):
    VOCATIONAL = "vocational"
    """Technical and vocational education and training (TVET)."""
    DIGITAL = "digital"
    FINANCIAL_EDUCATION = "financial_education"
    PRE_EMPLOYMENT = "pre_employment"
    LANGUAGE = "language"


class Sector(StrEnum):
    """Labour-market sectors a course prepares for."""

    AGRICULTURE = "agriculture"
    AGRIFOOD = "agrifood"
    CONSTRUCTION = "construction"
    TEXTILES_AND_CLOTHING = "textiles_and_clothing"
    CRAFTS = "crafts"
    MANUFACTURING = "manufacturing"
    AUTOMOTIVE = "automotive"
    HOSPITALITY_AND_TOURISM = "hospitality_and_tourism"
    RETAIL_AND_TRADE = "retail_and_trade"
    TRANSPORT_AND_LOGISTICS = "transport_and_logistics"
    ICT_AND_OFFSHORING = "ict_and_offshoring"
    HEALTH_AND_CARE = "health_and_care"
    PERSONAL_SERVICES = "personal_services"
    CROSS_SECTOR = "cross_sector"
    """Not tied to one sector (languages, financial education, job search)."""


class DropoutReason(StrEnum):
    FOUND_WORK = "found_work"
    MOVED_AWAY = "moved_away"
    HEALTH = "health"
    FAMILY = "family"
    SCHEDULE_CONFLICT = "schedule_conflict"
    LOST_CONTACT = "lost_contact"
    LOST_INTEREST = "lost_interest"
    NOT_COMPLETED = "not_completed"
    """Stayed to the end of the cohort without meeting the course's completion rule."""
    CONSENT_WITHDRAWN = "consent_withdrawn"
    COHORT_CANCELLED = "cohort_cancelled"
    OTHER = "other"


class _AboutACourse(EventData):
    enrolment_id: UUID
    beneficiary_id: UUID
    cohort_id: UUID
    course_id: UUID
    course_kind: CourseKind
    sector: Sector
    region: Region = Field(description="Where the cohort takes place.")
    organisation: str = Field(min_length=1, max_length=50, description="The partner running the cohort.")


class TraineeEnrolled(_AboutACourse):
    """A person took a seat in a cohort (directly, or from the waiting list when a seat was freed)."""

    EVENT_TYPE = "training.enrolled"
    SCHEMA_VERSION = 1

    enrolled_on: date
    referral_id: UUID | None = Field(default=None, description="Intake's referral this enrolment answers.")
    from_waiting_list: bool = False


class CourseCompleted(_AboutACourse):
    """A person completed a course under its completion rule (indicator 1.4)."""

    EVENT_TYPE = "training.course_completed"
    SCHEMA_VERSION = 1

    completed_on: date
    hours: int = Field(ge=1, le=5000, description="The course's planned hours.")
    attendance_rate: float = Field(ge=0, le=1, description="Sessions attended over sessions held.")
    final_assessment_passed: bool | None = Field(default=None, description="None when the course has no final test.")
    certificate_number: str | None = Field(
        default=None, description="Set when the course certifies; verifiable at GET /v1/certificates/{number}."
    )


class TraineeDroppedOut(_AboutACourse):
    """A person left a cohort before completing it, or finished it without meeting the completion rule."""

    EVENT_TYPE = "training.dropped_out"
    SCHEMA_VERSION = 1

    dropped_on: date
    reason: DropoutReason
    attendance_rate: float = Field(ge=0, le=1)
