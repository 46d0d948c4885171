"""Events published by the enterprise service: ventures (income-generating activities,
micro-enterprises, cooperatives, start-ups) through incubation, their co-financing grants, their
launch and their follow-up visits.

Records are keyed by `venture_id`; every event carries the venture's current members (pseudonymous
beneficiary ids, plus a count of members outside the programme) so that a consumer can count
people (indicators 1.1 and 1.3) without keeping the membership history itself. Money is exact:
decimal strings with two places, in Moroccan dirhams (MAD) and in euros at the rate stated.
"""

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from .envelope import EventData
from .intake import Region
from .training import Sector

MONEY = re.compile(r"[0-9]{1,12}\.[0-9]{2}")


def _written_as_money(value: Any) -> Any:
    """An amount arrives as the string its schema documents; a number (100.0, 1e5) would be read
    through binary floating point, and "+100.00" or "100" are not how the contract writes it."""
    if isinstance(value, Decimal) or (isinstance(value, str) and MONEY.fullmatch(value)):
        return value
    raise PydanticCustomError("money_format", 'must be an amount written with two decimals, e.g. "12500.00"')


Money = Annotated[
    Decimal,
    BeforeValidator(_written_as_money),
    Field(ge=0, max_digits=14, decimal_places=2),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,12}\.[0-9]{2}$", "examples": ["12500.00"]}),
]
"""An exact amount with two decimal places, written as a string ("12500.00")."""

Rate = Annotated[
    Decimal,
    Field(gt=0, max_digits=10, decimal_places=4),
    PlainSerializer(lambda v: f"{v:.4f}", return_type=str, when_used="json"),
    # Positive: the lookahead refuses an all-zero rate, as the model does (gt=0).
    WithJsonSchema({"type": "string", "pattern": r"^(?!0+\.0{4}$)[0-9]{1,6}\.[0-9]{4}$", "examples": ["10.8000"]}),
]
"""An exchange rate (MAD per EUR) with four decimal places, written as a string."""


class VentureKind(StrEnum):
    INCOME_GENERATING_ACTIVITY = "income_generating_activity"
    MICRO_ENTERPRISE = "micro_enterprise"
    COOPERATIVE = "cooperative"
    START_UP = "start_up"


class VentureStage(StrEnum):
    APPLICATION = "application"
    PRE_INCUBATION = "pre_incubation"
    INCUBATION = "incubation"
    ACCELERATION = "acceleration"
    LAUNCHED = "launched"
    FOLLOWED_UP = "followed_up"
    REJECTED = "rejected"
    ABANDONED = "abandoned"


class LegalForm(StrEnum):
    AUTO_ENTREPRENEUR = "auto_entrepreneur"
    SARL = "sarl"
    COOPERATIVE = "cooperative"
    INFORMAL = "informal"


class RevenueBand(StrEnum):
    """Monthly revenue, in MAD."""

    NONE = "none"
    UNDER_2000 = "under_2000"
    FROM_2000_TO_5000 = "2000_to_5000"
    FROM_5000_TO_15000 = "5000_to_15000"
    FROM_15000_TO_50000 = "15000_to_50000"
    OVER_50000 = "over_50000"


class _AboutAVenture(EventData):
    venture_id: UUID
    members: list[UUID] = Field(description="Current members who are programme beneficiaries.")
    other_members: int = Field(ge=0, description="Members outside the programme (e.g. host community), counted only.")


class VentureApplied(_AboutAVenture):
    """A venture applied for support (the start of the pipeline)."""

    EVENT_TYPE = "enterprise.venture_applied"
    SCHEMA_VERSION = 1

    kind: VentureKind
    sector: Sector
    region: Region
    organisation: str = Field(min_length=1, max_length=50, description="The partner running the incubator.")
    applied_on: date
    already_running: bool = Field(
        default=False,
        description="An existing business that entered the programme already trading: strengthened, not created.",
    )


class VentureStageChanged(_AboutAVenture):
    """A venture moved along the pipeline (a selection decision, acceleration, rejection, abandonment).
    Launch has its own event."""

    EVENT_TYPE = "enterprise.venture_stage_changed"
    SCHEMA_VERSION = 1

    stage: VentureStage
    previous_stage: VentureStage
    changed_on: date
    by_committee: bool = Field(description="Decided by the selection committee.")
    reason: str | None = Field(default=None, max_length=50, description="For a rejection or abandonment: its code.")


class VentureMembersChanged(_AboutAVenture):
    """Who is in a venture changed (a member joined or left)."""

    EVENT_TYPE = "enterprise.venture_members_changed"
    SCHEMA_VERSION = 1

    changed_on: date
    joined: list[UUID] = Field(default_factory=list)
    left: list[UUID] = Field(default_factory=list)


class GrantApproved(_AboutAVenture):
    """A co-financing grant was approved, with its tranches."""

    EVENT_TYPE = "enterprise.grant_approved"
    SCHEMA_VERSION = 1

    grant_id: UUID
    approved_on: date
    amount_mad: Money
    amount_eur: Money
    eur_rate: Rate = Field(description="MAD per EUR used.")
    cofinancing_mad: Money = Field(description="The members' own contribution to the investment.")
    tranches: int = Field(ge=1, le=12)


class GrantDisbursed(_AboutAVenture):
    """Money of a grant was paid out (financial volume granted to individual recipients)."""

    EVENT_TYPE = "enterprise.grant_disbursed"
    SCHEMA_VERSION = 1

    grant_id: UUID
    disbursement_id: UUID
    tranche: int = Field(ge=1, le=12)
    disbursed_on: date
    amount_mad: Money
    amount_eur: Money
    eur_rate: Rate


class VentureLaunched(_AboutAVenture):
    """A venture started trading (indicator 1.2: an MSME created)."""

    EVENT_TYPE = "enterprise.venture_launched"
    SCHEMA_VERSION = 1

    kind: VentureKind
    legal_form: LegalForm
    registered_on: date
    region: Region
    sector: Sector


class FollowUpRecorded(_AboutAVenture):
    """A follow-up visit after launch (6, 12, 24 or 36 months): still active? revenue? jobs?"""

    EVENT_TYPE = "enterprise.follow_up_recorded"
    SCHEMA_VERSION = 1

    visit_id: UUID
    months_after_launch: int = Field(description="6, 12, 24 or 36.")
    visited_on: date
    active: bool
    revenue_band: RevenueBand
    jobs_owners: int = Field(ge=0, le=1000, description="Owners working in it.")
    jobs_employees: int = Field(ge=0, le=10000, description="Employees, including people outside the programme.")
