"""The employment partner's vocabulary and rules: employers, offers, applications and their
steps, placements, retention checks and job fairs. Plain pydantic models and functions."""

import calendar
from datetime import date
from enum import StrEnum
from uuid import UUID

import phonenumbers
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from work4life.contracts.employment import (
    ContractType,
    EmployerType,
    LeftReason,
    OfferKind,
    Ownership,
    RetentionOutcome,
    WageBand,
)
from work4life.contracts.intake import EducationLevel, LanguageLevel, Region
from work4life.contracts.training import Sector
from work4life.referrals import CandidateStatus as CandidateStatus
from work4life.runtime.errors import Conflict as Conflict
from work4life.runtime.errors import NotFound as NotFound
from work4life.runtime.errors import Refused as Refused
from work4life.runtime.strict import Day, Flag, Whole


class OfferStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"


class ApplicationStatus(StrEnum):
    SHORTLISTED = "shortlisted"
    INTERVIEWED = "interviewed"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


NEXT_STEPS: dict[ApplicationStatus, tuple[ApplicationStatus, ...]] = {
    ApplicationStatus.SHORTLISTED: (
        ApplicationStatus.INTERVIEWED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    ),
    ApplicationStatus.INTERVIEWED: (ApplicationStatus.HIRED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN),
    ApplicationStatus.HIRED: (),
    ApplicationStatus.REJECTED: (),
    ApplicationStatus.WITHDRAWN: (),
}
IN_PROGRESS = (ApplicationStatus.SHORTLISTED, ApplicationStatus.INTERVIEWED)


def check_step(current: ApplicationStatus, new: ApplicationStatus) -> None:
    allowed = NEXT_STEPS[current]
    if new not in allowed:
        raise Conflict(
            f"an application cannot go from {current.value} to {new.value}: "
            + (f"the allowed next steps are {', '.join(s.value for s in allowed)}" if allowed else "it is final"),
            code="application_step_not_allowed" if allowed else "application_final",
            values={"application_status": current, "new_status": new, "allowed": list(allowed)},
        )


class RejectionReason(StrEnum):
    SKILLS = "skills"
    LANGUAGE = "language"
    EXPERIENCE = "experience"
    DOCUMENTS = "documents"
    POSITION_FILLED = "position_filled"
    NO_SHOW = "no_show"
    OTHER = "other"


EARLY_CHECK_DAYS = 14
"""A retention check may be made up to two weeks before it falls due, not earlier."""


class CheckStatus(StrEnum):
    SCHEDULED = "scheduled"
    RECORDED = "recorded"
    NOT_NEEDED = "not_needed"
    """The person had left at an earlier check."""


def months_after(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# -- requests --------------------------------------------------------------------------------

ISCO = r"^\d{1,4}$"


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    return value


def employer_phone(value: str) -> str:
    """A number that exists in its country's numbering plan (libphonenumber's rules), kept in E.164.
    A Moroccan employer's number may be written as dialled in Morocco (0537 12 34 56)."""
    reason = "expected a phone number, e.g. +212 537 123 456 or 0537 12 34 56"
    try:
        number = phonenumbers.parse(value, "MA")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(reason) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"is not a valid number in its country's numbering plan; {reason}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class EmployerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    type: EmployerType
    ownership: Ownership
    sector: Sector
    region: Region
    city: str = Field(min_length=1, max_length=100)
    csr_commitment: Flag = Field(default=False, description="Has a corporate social responsibility commitment.")
    csr_details: str | None = Field(default=None, max_length=2000)
    contact_name: str = Field(min_length=1, max_length=200, description="The employer's contact person.")
    contact_phone: str | None = Field(default=None, max_length=20)
    contact_email: EmailStr | None = None

    _clean = field_validator("name", "city", "csr_details", "contact_name")(lambda v: _text(v))

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else employer_phone(value)


class EmployerRequest(EmployerFields):
    organisation: str | None = Field(default=None, min_length=1, max_length=50, description="Defaults to yours.")


class EmployerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: EmployerType | None = None
    ownership: Ownership | None = None
    sector: Sector | None = None
    region: Region | None = None
    city: str | None = Field(default=None, min_length=1, max_length=100)
    csr_commitment: Flag | None = None
    csr_details: str | None = Field(default=None, max_length=2000)
    contact_name: str | None = Field(default=None, min_length=1, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=20)
    contact_email: EmailStr | None = None

    _clean = field_validator("name", "city", "csr_details", "contact_name")(lambda v: _text(v))


class LanguageNeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 code")
    level: LanguageLevel | None = None


class OfferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    kind: OfferKind
    positions: Whole = Field(ge=1, le=500)
    isco08: str | None = Field(default=None, pattern=ISCO, description="ISCO-08 occupation, e.g. 5120 (cooks)")
    skills: list[str] = Field(default_factory=list, max_length=30)
    languages: list[LanguageNeed] = Field(default_factory=list, max_length=10)
    education_level: EducationLevel | None = None
    region: Region | None = Field(default=None, description="Defaults to the employer's region.")
    city: str | None = Field(default=None, min_length=1, max_length=100)
    contract_type: ContractType
    wage_band: WageBand
    hours_per_week: Whole = Field(
        default=44, ge=1, le=60, description="44 is the legal week in Morocco's private sector."
    )
    opens_on: Day
    closes_on: Day
    starts_on: Day | None = None
    description: str | None = Field(default=None, max_length=4000)

    _clean = field_validator("title", "city", "description")(lambda v: _text(v))

    @field_validator("skills")
    @classmethod
    def _skills(cls, skills: list[str]) -> list[str]:
        cleaned = []
        for skill in skills:
            tag = " ".join(skill.lower().split())
            if not tag or len(tag) > 60:
                raise ValueError("each skill is 1 to 60 characters")
            if tag not in cleaned:
                cleaned.append(tag)
        return cleaned

    @model_validator(mode="after")
    def _consistent(self) -> "OfferRequest":
        if self.closes_on < self.opens_on:
            raise ValueError("closes_on is before opens_on")
        if self.starts_on is not None and self.starts_on < self.opens_on:
            raise ValueError("starts_on is before opens_on")
        if (self.kind is OfferKind.INTERNSHIP) != (self.contract_type is ContractType.INTERNSHIP):
            raise ValueError("an internship has the internship contract type, and only an internship has it")
        if len({lang.code for lang in self.languages}) != len(self.languages):
            raise ValueError("languages lists a language twice")
        return self


class OfferUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: OfferStatus | None = Field(default=None, description="open or closed (filled follows from hires)")
    positions: Whole | None = Field(default=None, ge=1, le=500)
    closes_on: Day | None = None


class ApplicationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    beneficiary_id: UUID
    job_fair_id: UUID | None = Field(default=None, description="Met at this job fair.")
    shortlisted_on: Day | None = Field(default=None, description="Defaults to today (or the fair's day).")
    note: str | None = Field(default=None, max_length=1000)


class StepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: ApplicationStatus
    on: Day | None = Field(default=None, description="Defaults to today.")
    reason: RejectionReason | None = Field(default=None, description="Required to reject.")
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _reason(self) -> "StepRequest":
        if self.to is ApplicationStatus.REJECTED and self.reason is None:
            raise ValueError("reason is required to reject an application")
        if self.to is ApplicationStatus.HIRED:
            raise ValueError("a hire is recorded with POST /v1/applications/{application_id}/hire")
        return self


class HireRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contract_type: ContractType
    starts_on: Day = Field(
        description="The first day of work, which the placement is counted on. It may lie ahead (a hire made "
        "before the first day), within the programme's dates; not before the interview or the referral."
    )
    hired_on: Day | None = Field(
        default=None,
        description="The day the employer hired, when it is entered later: not in the future, not before the "
        "interview. Default: today.",
    )
    hours_per_week: Whole = Field(ge=1, le=60)
    wage_band: WageBand


class RetentionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checked_on: Day
    outcome: RetentionOutcome
    left_reason: LeftReason | None = None
    left_on: Day | None = None
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _left(self) -> "RetentionRequest":
        if self.outcome is RetentionOutcome.LEFT:
            if self.left_reason is None or self.left_on is None:
                raise ValueError("left_reason and left_on are required when the person left")
            if self.left_on > self.checked_on:
                raise ValueError("left_on is after checked_on")
        elif self.left_reason is not None or self.left_on is not None:
            raise ValueError("left_reason and left_on are only for outcome left")
        return self


class JobFairRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    held_on: Day
    region: Region
    city: str = Field(min_length=1, max_length=100)
    venue: str | None = Field(default=None, max_length=200)

    _clean = field_validator("name", "city", "venue")(lambda v: _text(v))


class FairAttendance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employers: list[UUID] = Field(default_factory=list, max_length=500, description="Employers exhibiting.")
    attendees: list[UUID] = Field(default_factory=list, max_length=5000, description="Registered people who came.")
    other_attendees: Whole | None = Field(default=None, ge=0, le=100_000, description="Everyone else, counted.")
