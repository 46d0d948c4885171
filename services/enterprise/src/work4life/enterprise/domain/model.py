"""The incubator's vocabulary and rules: the pipeline's state machine, business plans, exact
money, grant tranches and the follow-up schedule.

Plain pydantic models and functions; nothing here touches the database or Kafka.
"""

import calendar
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from work4life.contracts.enterprise import LegalForm, Money, RevenueBand, VentureKind, VentureStage
from work4life.contracts.intake import Region
from work4life.contracts.training import Sector
from work4life.referrals import CandidateStatus as CandidateStatus
from work4life.runtime.errors import Conflict as Conflict
from work4life.runtime.errors import NotFound as NotFound
from work4life.runtime.errors import Refused as Refused
from work4life.runtime.strict import Day, Flag, Whole

# -- the pipeline ----------------------------------------------------------------------------

S = VentureStage
NEXT_STAGES: dict[VentureStage, tuple[VentureStage, ...]] = {
    S.APPLICATION: (S.PRE_INCUBATION, S.REJECTED, S.ABANDONED),
    S.PRE_INCUBATION: (S.INCUBATION, S.REJECTED, S.ABANDONED),
    S.INCUBATION: (S.ACCELERATION, S.LAUNCHED, S.ABANDONED),
    S.ACCELERATION: (S.LAUNCHED, S.ABANDONED),
    S.LAUNCHED: (S.FOLLOWED_UP,),
    S.FOLLOWED_UP: (),
    S.REJECTED: (),
    S.ABANDONED: (),
}
DECIDED_BY_COMMITTEE = (S.PRE_INCUBATION, S.INCUBATION, S.REJECTED)
IN_SUPPORT = (S.APPLICATION, S.PRE_INCUBATION, S.INCUBATION, S.ACCELERATION)
ENDED = (S.REJECTED, S.ABANDONED)
GRANT_STAGES = (S.INCUBATION, S.ACCELERATION, S.LAUNCHED, S.FOLLOWED_UP)


def check_transition(current: VentureStage, new: VentureStage) -> None:
    allowed = NEXT_STAGES[current]
    if new not in allowed:
        raise Conflict(
            f"a venture cannot go from {current.value} to {new.value}: "
            + (f"the allowed next stages are {', '.join(s.value for s in allowed)}" if allowed else "it is final"),
            code="stage_not_allowed" if allowed else "stage_final",
            values={"stage": current, "new_stage": new, "allowed": list(allowed)},
        )


class ExitReason(StrEnum):
    NOT_VIABLE = "not_viable"
    NOT_ELIGIBLE = "not_eligible"
    INCOMPLETE_APPLICATION = "incomplete_application"
    FOUND_JOB = "found_job"
    MOVED_AWAY = "moved_away"
    LOST_INTEREST = "lost_interest"
    GROUP_DISSOLVED = "group_dissolved"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    OTHER = "other"


MIN_COOPERATIVE_MEMBERS = 5  # Law 112-12 on cooperatives


# -- money -----------------------------------------------------------------------------------

CENT = Decimal("0.01")


def centimes(amount: Decimal) -> int:
    """Store money as whole centimes: exact on every database."""
    return int((amount * 100).to_integral_value())


def mad(centimes_: int) -> Decimal:
    return Decimal(centimes_).scaleb(-2)


def rate_e4(rate: Decimal) -> int:
    return int((rate * 10_000).to_integral_value())


def rate_of(rate_e4_: int) -> Decimal:
    return Decimal(rate_e4_).scaleb(-4)


def eur(centimes_: int, rate_e4_: int) -> Decimal:
    """MAD centimes in euros at a MAD-per-EUR rate, rounded half to even to the cent."""
    return (mad(centimes_) / rate_of(rate_e4_)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def shown(amount: Decimal) -> str:
    return f"{amount:,.2f}"


# -- follow-up schedule ----------------------------------------------------------------------


def months_after(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# -- requests --------------------------------------------------------------------------------


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    return value


class VentureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="The venture's (business) name.")
    kind: VentureKind
    sector: Sector
    region: Region
    city: str = Field(min_length=1, max_length=100)
    members: list[UUID] = Field(min_length=1, max_length=50, description="Members referred to enterprise support.")
    other_members: Whole = Field(default=0, ge=0, le=200, description="Members outside the programme, counted only.")
    already_running: Flag = Field(
        default=False,
        description="An existing business that enters the programme already trading, to be strengthened (reporting "
        "counts it apart from the businesses the programme creates).",
    )
    description: str | None = Field(default=None, max_length=4000)
    organisation: str | None = Field(default=None, min_length=1, max_length=50, description="Defaults to yours.")
    applied_on: Day | None = Field(
        default=None,
        description="The day the venture applied: not in the future, not before its members' referrals, within "
        "the programme's dates. Default: today.",
    )

    coach: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The business coach who follows the venture. Default: the coach of its first coaching session.",
    )

    _clean = field_validator("name", "city", "description", "coach")(lambda v: _text(v))

    @model_validator(mode="after")
    def _members(self) -> "VentureRequest":
        if len(set(self.members)) != len(self.members):
            raise ValueError("members lists someone twice")
        total = len(self.members) + self.other_members
        if self.kind is VentureKind.COOPERATIVE and total < MIN_COOPERATIVE_MEMBERS:
            raise ValueError(f"a cooperative needs at least {MIN_COOPERATIVE_MEMBERS} members (it has {total})")
        if self.kind is VentureKind.INCOME_GENERATING_ACTIVITY and total > 5:
            raise ValueError("an individual income-generating activity has at most 5 members; use another kind")
        return self


class CommitteeDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decided_on: Day
    committee: str = Field(min_length=1, max_length=200, description="Which committee (and session) decided.")
    score: Whole | None = Field(default=None, ge=0, le=100)
    notes: str | None = Field(default=None, max_length=2000)

    _clean = field_validator("committee", "notes")(lambda v: _text(v))


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: VentureStage
    reason: ExitReason | None = Field(default=None, description="Required to reject or abandon.")
    committee: CommitteeDecision | None = Field(
        default=None, description="Required for selection: pre_incubation, incubation, rejected."
    )
    on: Day | None = Field(
        default=None,
        description="The day the venture moved, when it is entered later (for a selection: the committee's "
        "decided_on): not in the future, not before its current stage began. Default: today.",
    )

    @model_validator(mode="after")
    def _complete(self) -> "TransitionRequest":
        if self.to in ENDED and self.reason is None:
            raise ValueError(f"reason is required to move a venture to {self.to.value}")
        if self.to in DECIDED_BY_COMMITTEE and self.committee is None:
            raise ValueError(f"{self.to.value} is decided by the selection committee: give its decision (committee)")
        return self


class BusinessPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    investment_need_mad: Money = Field(gt=0)
    own_contribution_mad: Money
    grant_requested_mad: Money
    other_financing_mad: Money = Decimal("0.00")
    expected_jobs: Whole = Field(ge=0, le=1000, description="Jobs (owners and employees) after two years.")
    expected_monthly_revenue_mad: Money
    summary: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _financing_adds_up(self) -> "BusinessPlan":
        financing = self.own_contribution_mad + self.grant_requested_mad + self.other_financing_mad
        if financing != self.investment_need_mad:
            raise ValueError(
                f"the financing (own {shown(self.own_contribution_mad)} + grant {shown(self.grant_requested_mad)} "
                f"+ other {shown(self.other_financing_mad)} = {shown(financing)}) must equal the investment need "
                f"{shown(self.investment_need_mad)}"
            )
        return self


class TrancheRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_mad: Money = Field(gt=0)
    milestone: str = Field(min_length=1, max_length=300, description="What must be done before it is paid.")

    _clean = field_validator("milestone")(lambda v: _text(v))


class GrantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved_mad: Money = Field(gt=0)
    approved_on: Day | None = Field(default=None, description="Defaults to today.")
    tranches: list[TrancheRequest] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def _tranches_add_up(self) -> "GrantRequest":
        total = sum((t.amount_mad for t in self.tranches), Decimal("0.00"))
        if total != self.approved_mad:
            raise ValueError(
                f"the tranches add up to {shown(total)} MAD, not the {shown(self.approved_mad)} MAD approved"
            )
        return self


class MilestoneMet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    met_on: Day
    evidence: str = Field(min_length=1, max_length=1000, description="What shows it (invoice, visit report, ...).")

    _clean = field_validator("evidence")(lambda v: _text(v))


class DisbursementRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_mad: Money = Field(gt=0)
    disbursed_on: Day | None = Field(default=None, description="Defaults to today.")
    reference: str | None = Field(default=None, max_length=100, description="Bank transfer or cheque reference.")


class LaunchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_form: LegalForm
    registered_on: Day
    premises: str = Field(min_length=1, max_length=300, description="Where it trades.")
    region: Region | None = Field(default=None, description="Defaults to the venture's region.")

    _clean = field_validator("premises")(lambda v: _text(v))


def check_legal_form(kind: VentureKind, form: LegalForm) -> None:
    if (kind is VentureKind.COOPERATIVE) != (form is LegalForm.COOPERATIVE):
        raise Refused(
            "legal_form",
            "a cooperative launches as a cooperative"
            if kind is VentureKind.COOPERATIVE
            else f"only a cooperative launches as a cooperative (this venture is a {kind.value})",
        )


class CoachingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: Day
    hours: Decimal = Field(gt=0, le=12, max_digits=4, decimal_places=2)
    topic: str = Field(min_length=1, max_length=200)
    coach: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)

    _clean = field_validator("topic", "coach", "notes")(lambda v: _text(v))


class CoachAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coach: str | None = Field(
        min_length=1, max_length=200, description="The coach's name as staff write it; null leaves it unassigned."
    )

    _clean = field_validator("coach")(lambda v: _text(v))


class FollowUpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visited_on: Day
    active: Flag
    revenue_band: RevenueBand
    jobs_owners: Whole = Field(ge=0, le=1000)
    jobs_employees: Whole = Field(ge=0, le=10000, description="Employees, including people outside the programme.")
    notes: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _closed_means_no_jobs(self) -> "FollowUpRequest":
        if not self.active and (self.jobs_owners or self.jobs_employees):
            raise ValueError("a closed venture has no jobs: set jobs_owners and jobs_employees to 0")
        return self


class MemberRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    beneficiary_id: UUID


class LeaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ExitReason

    @field_validator("reason")
    @classmethod
    def _chosen_by_staff(cls, reason: ExitReason) -> ExitReason:
        if reason is ExitReason.CONSENT_WITHDRAWN:
            raise ValueError("consent_withdrawn is recorded by the service itself when intake announces it")
        return reason


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    RECORDED = "recorded"
    NOT_NEEDED = "not_needed"
    """The venture closed at an earlier visit."""
