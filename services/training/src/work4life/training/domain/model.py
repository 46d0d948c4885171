"""The training partner's vocabulary and rules: courses, cohorts and their sessions, enrolment
states, attendance marks, the completion rule and certificate numbers.

Plain pydantic models and functions; nothing here touches the database or Kafka.
"""

import secrets
from datetime import date, time
from enum import StrEnum
from typing import NamedTuple
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from work4life.contracts.intake import ReferralReason, Region
from work4life.contracts.training import CourseKind, DropoutReason, Sector
from work4life.referrals import CandidateStatus as CandidateStatus
from work4life.runtime.errors import Conflict as Conflict
from work4life.runtime.errors import NotFound as NotFound
from work4life.runtime.errors import Refused as Refused
from work4life.runtime.strict import Day, Flag, Number, Whole


class CohortStatus(StrEnum):
    OPEN = "open"
    """Taking enrolments (before and while it runs)."""
    ENROLMENT_CLOSED = "enrolment_closed"
    """Running; no new enrolments."""
    FINISHED = "finished"
    """Closed: everyone's completion was decided."""
    CANCELLED = "cancelled"


ENROLLING = (CohortStatus.OPEN,)
ACTIVE_COHORT = (CohortStatus.OPEN, CohortStatus.ENROLMENT_CLOSED)


class EnrolmentStatus(StrEnum):
    WAITLISTED = "waitlisted"
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"
    CANCELLED = "cancelled"
    """Left the waiting list, or the cohort was cancelled."""
    MERGED = "merged"
    """A duplicate registration's enrolment, folded into the kept person's one."""


HOLDS_A_PLACE = (EnrolmentStatus.WAITLISTED, EnrolmentStatus.ENROLLED)


class AttendanceMark(StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    EXCUSED = "excused"


ATTENDED = (AttendanceMark.PRESENT, AttendanceMark.LATE)

# Which referral reasons suit which kind of course (a reason not listed suits any kind).
KINDS_FOR_REASON: dict[ReferralReason, tuple[CourseKind, ...]] = {
    ReferralReason.VOCATIONAL_TRAINING: (CourseKind.VOCATIONAL,),
    ReferralReason.DIGITAL_SKILLS: (CourseKind.DIGITAL,),
    ReferralReason.FINANCIAL_EDUCATION: (CourseKind.FINANCIAL_EDUCATION,),
    ReferralReason.LANGUAGE: (CourseKind.LANGUAGE,),
    ReferralReason.JOB_PLACEMENT: (CourseKind.PRE_EMPLOYMENT,),
    ReferralReason.ENTERPRISE_SUPPORT: (CourseKind.FINANCIAL_EDUCATION,),
}


def reasons_suiting(kind: CourseKind) -> list[ReferralReason]:
    return [r for r in ReferralReason if kind in KINDS_FOR_REASON.get(r, tuple(CourseKind))]


class CompletionRule(BaseModel):
    """When an enrolled person has completed the course."""

    model_config = ConfigDict(extra="forbid")

    min_attendance_percent: Whole = Field(default=80, ge=0, le=100, description="Of the cohort's sessions.")
    final_assessment_required: Flag = Field(default=True, description="A passed final assessment is needed.")
    pass_mark: Whole = Field(default=50, ge=0, le=100, description="Final assessment score (0-100) that passes.")


def attendance_rate(attended: int, sessions: int) -> float:
    return round(attended / sessions, 4) if sessions else 0.0


class Unmet(NamedTuple):
    """A condition of the completion rule a person does not meet: the field, the English reason,
    and a stable code with the values a translation fills in."""

    field: str
    reason: str
    code: str
    values: dict[str, int]


def unmet_conditions(rule: CompletionRule, attended: int, sessions: int, passed: bool | None) -> list[Unmet]:
    """The rule's conditions this person does not meet; empty when complete."""
    unmet = []
    if sessions == 0:
        unmet.append(Unmet("attendance", "the cohort has no sessions to attend", "no_sessions", {}))
    elif attended * 100 < rule.min_attendance_percent * sessions:
        percent = round(attended * 100 / sessions)
        unmet.append(
            Unmet(
                "attendance",
                f"attended {attended} of {sessions} sessions ({percent}%), "
                f"below the {rule.min_attendance_percent}% the course requires",
                "attendance_below_rule",
                {
                    "attended": attended,
                    "sessions": sessions,
                    "percent": percent,
                    "required": rule.min_attendance_percent,
                },
            )
        )
    if rule.final_assessment_required:
        if passed is None:
            unmet.append(Unmet("final_assessment", "no final assessment recorded yet", "no_final_assessment", {}))
        elif not passed:
            unmet.append(
                Unmet("final_assessment", "the final assessment was not passed", "final_assessment_failed", {})
            )
    return unmet


# -- certificate numbers ---------------------------------------------------------------------

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U


def _check_digits(body: str) -> str:
    """ISO 7064 MOD 97-10 over the body (letters as 10-35, as in an IBAN)."""
    digits = "".join(str(int(c, 36)) for c in body.replace("-", ""))
    return f"{98 - (int(digits) * 100) % 97:02d}"


def new_certificate_number(prefix: str, year: int) -> str:
    """`PREFIX-YEAR-XXXXXXXX-CC`: eight random characters (not guessable from another number)
    and two check digits that catch a mistyped character."""
    body = f"{prefix}-{year}-{''.join(secrets.choice(_ALPHABET) for _ in range(8))}"
    return f"{body}-{_check_digits(body)}"


def certificate_number_problem(number: str) -> str | None:
    """Why `number` cannot be a certificate number, or None when it is well formed."""
    parts = number.strip().upper().split("-")
    if len(parts) != 4 or not (parts[0].isalnum() and parts[1].isdigit() and len(parts[1]) == 4):
        return "expected PREFIX-YEAR-XXXXXXXX-CC, e.g. W4L-2026-7KQ2M9XD-88"
    if len(parts[2]) != 8 or any(c not in _ALPHABET for c in parts[2]) or not parts[3].isdigit():
        return "expected eight letters or digits and two check digits after the year"
    if _check_digits("-".join(parts[:3])) != parts[3]:
        return "the check digits do not match: a character was probably mistyped"
    return None


# -- requests --------------------------------------------------------------------------------


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    return value


class CourseFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, examples=["Couture et retouche"])
    kind: CourseKind
    provider: str = Field(
        min_length=1, max_length=200, description="Who teaches it (a partner or an outside provider)."
    )
    hours: Whole = Field(ge=1, le=5000, description="Planned hours of instruction.")
    certifying: Flag = Field(description="Whether completing it earns a certificate.")
    sector: Sector = Field(description="The labour-market sector it prepares for.")
    description: str | None = Field(default=None, max_length=4000)

    _clean = field_validator("title", "provider", "description")(lambda v: _text(v))


class CourseRequest(CourseFields):
    organisation: str | None = Field(
        default=None, min_length=1, max_length=50, description="Running partner; defaults to your organisation."
    )
    completion_rule: CompletionRule = Field(default_factory=CompletionRule)


class CourseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    provider: str | None = Field(default=None, min_length=1, max_length=200)
    hours: Whole | None = Field(default=None, ge=1, le=5000)
    certifying: Flag | None = None
    sector: Sector | None = None
    description: str | None = Field(default=None, max_length=4000)
    completion_rule: CompletionRule | None = None
    active: Flag | None = Field(default=None, description="An inactive course takes no new cohorts.")

    _clean = field_validator("title", "provider", "description")(lambda v: _text(v))


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: Day
    starts_at: time | None = Field(
        default=None,
        description="Local time at the venue (HH:MM), without a time-zone offset.",
        examples=["09:30"],
    )
    hours: Number = Field(default=3.0, gt=0, le=12)
    topic: str | None = Field(default=None, max_length=200)

    _clean = field_validator("topic")(lambda v: _text(v))

    @field_validator("starts_at")
    @classmethod
    def _local_time(cls, value: time | None) -> time | None:
        # A session starts at a time on the venue's clock; an offset was silently dropped before.
        if value is not None and value.tzinfo is not None:
            raise ValueError("give the local time at the venue without a time-zone offset, e.g. 09:30")
        return value


class CohortRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=100, examples=["Couture Rabat avril 2026"])
    starts_on: Day
    ends_on: Day
    region: Region
    place: str = Field(min_length=1, max_length=200, description="Venue and city.")
    capacity: Whole = Field(ge=1, le=500)
    trainer: str = Field(min_length=1, max_length=200)
    sessions: list[SessionRequest] = Field(default_factory=list, max_length=500)

    _clean = field_validator("label", "place", "trainer")(lambda v: _text(v))

    @model_validator(mode="after")
    def _dates(self) -> "CohortRequest":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if (self.ends_on - self.starts_on).days > 3 * 366:
            raise ValueError("a cohort lasts at most three years")
        for index, session in enumerate(self.sessions):
            check_session_within(session, self.starts_on, self.ends_on, f"sessions.{index}")
        return self


def check_session_within(session: SessionRequest, starts_on: date, ends_on: date, field: str) -> None:
    if not starts_on <= session.held_on <= ends_on:
        raise ValueError(f"{field}.held_on {session.held_on} is outside the cohort's dates ({starts_on} to {ends_on})")


class CohortUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, min_length=1, max_length=100)
    place: str | None = Field(default=None, min_length=1, max_length=200)
    trainer: str | None = Field(default=None, min_length=1, max_length=200)
    capacity: Whole | None = Field(
        default=None, ge=1, le=500, description="Raising it seats people from the waiting list."
    )
    status: CohortStatus | None = Field(
        default=None, description="open, enrolment_closed or cancelled; a cohort is finished with POST .../close."
    )

    _clean = field_validator("label", "place", "trainer")(lambda v: _text(v))


class EnrolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    beneficiary_id: UUID
    join_waiting_list: Flag = Field(
        default=False, description="When the cohort is full, take a place on its waiting list instead of a 409."
    )
    enrolled_on: Day | None = Field(
        default=None,
        description="The day the person took the seat, when it is entered later: not in the future, not before "
        "the referral, within the programme's dates. Default: today. (A waiting-list place is seated on the day "
        "a seat frees.)",
    )


class AttendanceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    beneficiary_id: UUID
    mark: AttendanceMark


class AttendanceSheet(BaseModel):
    """The register of one session for the whole class."""

    model_config = ConfigDict(extra="forbid")

    entries: list[AttendanceEntry] = Field(min_length=1, max_length=500)
    correction_reason: str | None = Field(
        default=None, max_length=500, description="Why marks already entered are changed (kept in the audit trail)."
    )

    @model_validator(mode="after")
    def _once_each(self) -> "AttendanceSheet":
        seen: set[UUID] = set()
        for index, entry in enumerate(self.entries):
            if entry.beneficiary_id in seen:
                raise ValueError(f"entries.{index}: {entry.beneficiary_id} is listed twice")
            seen.add(entry.beneficiary_id)
        return self


class FinalAssessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: Whole = Field(ge=0, le=100, description="Out of 100; passed when at least the course's pass mark.")
    assessed_on: Day | None = None


class DropoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DropoutReason
    note: str | None = Field(default=None, max_length=1000, description="Kept here; never published.")
    dropped_on: Day | None = Field(default=None, description="Defaults to today.")

    @field_validator("reason")
    @classmethod
    def _chosen_by_staff(cls, reason: DropoutReason) -> DropoutReason:
        if reason in (DropoutReason.NOT_COMPLETED, DropoutReason.CONSENT_WITHDRAWN, DropoutReason.COHORT_CANCELLED):
            raise ValueError(
                f"{reason.value} is recorded by the service itself (closing or cancelling a cohort, a withdrawal)"
            )
        return reason
