"""Reporting's read model: pseudonymous people, never personal data."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Index, UniqueConstraint, text
from sqlmodel import JSON, Column, Field, SQLModel


class PersonAttributes(SQLModel):
    """A person's attributes as reporting keeps them (the live `person`, and an approved period's copy)."""

    registered_on: date
    sex: str = Field(max_length=20)
    birth_year: int
    nationality: str = Field(max_length=3)
    legal_status: str = Field(max_length=30)
    disability: bool
    region: str = Field(max_length=50)
    city: str | None = Field(default=None, max_length=100)
    partner_organisation: str = Field(max_length=50)
    as_of: datetime = Field(description="occurred_at of the event these attributes come from")
    anonymised: bool = Field(default=False, description="Erased in intake: the id is a random stand-in")


class Person(PersonAttributes, table=True):
    __tablename__ = "person"
    __table_args__ = (
        Index("ix_person_region_sex", "region", "sex"),
        Index("ix_person_registered_on", "registered_on"),
        Index("ix_person_partner_organisation", "partner_organisation"),
    )

    beneficiary_id: UUID = Field(primary_key=True)


class FactColumns(SQLModel):
    """A fact's columns (the live `activity`, and an approved period's copy)."""

    fact_id: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    beneficiary_id: UUID | None = None
    unit_id: UUID | None = Field(default=None, description="The venture, session, placement, fair... it is about")
    occurred_on: date
    organisation: str | None = Field(default=None, max_length=50)
    region: str | None = Field(default=None, max_length=50)
    category: str | None = Field(default=None, max_length=50)
    venture_kind: str | None = Field(default=None, max_length=40, description="A venture's fact: the venture's kind")
    employer_type: str | None = Field(
        default=None, max_length=40, description="A placement's fact: the employer's type"
    )
    occupation_group: str | None = Field(
        default=None, max_length=1, description="A placement's fact: the ISCO-08 major group of the job (0 to 9)"
    )
    months: int | None = None
    flag: bool | None = None
    value: int = Field(default=0, sa_type=BigInteger, description="A count, or MAD centimes")
    value_eur: int = Field(default=0, sa_type=BigInteger, description="EUR cents, for money")
    as_of: datetime = Field(description="occurred_at of the event it comes from")


VENTURE_KINDS = ("launched", "venture_stage")
VENTURE_FACTS = "kind IN ('launched', 'venture_stage')"
"""The facts of the indicators that count ventures once (`VENTURE_KINDS`), indexed by unit
(`ix_activity_venture_unit`, a partial index: a query uses it when it says this condition as is)."""

SUMMED_KINDS = ("fair_employers", "follow_up", "grant_disbursed", "job_fair", "outreach", "placed")
SUMMED_FACTS = "kind IN ('fair_employers', 'follow_up', 'grant_disbursed', 'job_fair', 'outreach', 'placed')"
"""The facts the sums by unit and day are kept from (`SummedUnit`), indexed by unit
(`ix_activity_summed_unit`, partial as `ix_activity_venture_unit` is)."""


class Activity(FactColumns, table=True):
    """One countable fact taken from an event: a registration, a completed course, a placement,
    a grant payment, a follow-up visit... Indicators are counts and sums over these rows, joined to
    `person` for disaggregation. `fact_id` makes a fact count once however often it is told."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_kind_day_person", "kind", "occurred_on", "beneficiary_id"),  # index-only counts
        Index("ix_activity_beneficiary", "beneficiary_id"),
        Index(  # the units' roll-ups recount a touched venture's facts (ADR 26)
            "ix_activity_venture_unit",
            "unit_id",
            postgresql_where=text(VENTURE_FACTS),
            sqlite_where=text(VENTURE_FACTS),
        ),
        Index(  # the sums' roll-up recounts a touched unit's facts (ADR 26)
            "ix_activity_summed_unit",
            "unit_id",
            postgresql_where=text(SUMMED_FACTS),
            sqlite_where=text(SUMMED_FACTS),
        ),
        UniqueConstraint("fact_id"),
    )

    id: int | None = Field(default=None, primary_key=True)


NO_MONTH = date(1900, 1, 1)
"""`PersonMonth.previous` of a person's first month for an indicator: no month before it."""


class PersonMonth(SQLModel, table=True):
    """Roll-up (ADR 26): for each indicator that counts unique people, each month a person has a
    qualifying fact in, the first day in it they have one, the month before it they last had one in
    (`NO_MONTH`: none), and the attributes the table groups by most as they stand ("" for a person
    reporting does not know). A person's first month (`previous` is `NO_MONTH`) holds the first day
    they count; over whole months from m1 a person counts once, in the first of their months with
    `previous` before m1. Recounted from the facts for the people each batch touched."""

    __tablename__ = "person_month"
    __table_args__ = (
        Index("ix_person_month_first_on", "previous", "first_on", "code", "sex", "region", "partner_organisation"),
    )

    beneficiary_id: UUID = Field(primary_key=True)
    code: str = Field(primary_key=True, max_length=40)
    month: date = Field(primary_key=True)
    previous: date
    first_on: date
    sex: str = Field(max_length=20)
    region: str = Field(max_length=50)
    partner_organisation: str = Field(max_length=50)


class PeopleMonth(SQLModel, table=True):
    """Roll-up (ADR 26): `person_month` counted by indicator, month, previous month and attributes.
    Its cells with `previous` `NO_MONTH` count the people who first count in each month."""

    __tablename__ = "people_month"
    __table_args__ = (
        Index("ix_people_month_previous", "previous", "month", "code", "sex", "region", "partner_organisation"),
    )

    code: str = Field(primary_key=True, max_length=40)
    month: date = Field(primary_key=True)
    previous: date = Field(primary_key=True)
    sex: str = Field(primary_key=True, max_length=20)
    region: str = Field(primary_key=True, max_length=50)
    partner_organisation: str = Field(primary_key=True, max_length=50)
    people: int


class IndicatorUnit(SQLModel, table=True):
    """Roll-up (ADR 26): for each indicator that counts units once (ventures), the first day each
    unit counts within each organisation its facts name, with that first fact's region and venture
    kind ("" where it names none). `overall`: this organisation's first fact is the unit's first of
    all, the row a count without an organisation filter reads. Recounted from the facts for the
    units each batch touched."""

    __tablename__ = "indicator_unit"
    __table_args__ = (
        Index("ix_indicator_unit_first_on", "code", "first_on"),
        Index("ix_indicator_unit_unit", "unit_id"),  # a touched venture's rows, compared with its recount
    )

    code: str = Field(primary_key=True, max_length=40)
    unit_id: UUID = Field(primary_key=True)
    organisation: str = Field(primary_key=True, max_length=50)
    first_on: date
    month: date = Field(description="The first day of first_on's month")
    overall: bool
    region: str = Field(max_length=50)
    venture_kind: str = Field(max_length=40)


class UnitMonth(SQLModel, table=True):
    """Roll-up (ADR 26): how many units first count for each indicator in each month, by
    organisation, region, venture kind and `overall`; the sum of `indicator_unit` by those columns."""

    __tablename__ = "unit_month"

    code: str = Field(primary_key=True, max_length=40)
    month: date = Field(primary_key=True)
    organisation: str = Field(primary_key=True, max_length=50)
    region: str = Field(primary_key=True, max_length=50)
    venture_kind: str = Field(primary_key=True, max_length=40)
    overall: bool = Field(primary_key=True)
    units: int


class SummedUnit(SQLModel, table=True):
    """Roll-up (ADR 26): for the indicators that count or sum facts about units (sessions held,
    people reached, money paid, follow-up visits, jobs), each unit's facts of each sum by day, with
    the attributes they carry ("" where they name none): how many, how many flagged (active), the
    values summed. `scope` says which counts read a row: "both" (with or without an organisation
    filter), "all" (only without one) or "org" (only with one). Only the latest visit's jobs need
    the last two: a venture visited under two organisations has one chain of latest visits over all
    of them and one per organisation. Recounted from the facts for the units each batch touched."""

    __tablename__ = "summed_unit"
    __table_args__ = (Index("ix_summed_unit_day", "code", "day"),)

    unit_id: UUID = Field(primary_key=True)  # first: the recount reads a unit's rows by it
    code: str = Field(primary_key=True, max_length=40)
    scope: str = Field(primary_key=True, max_length=4)
    day: date = Field(primary_key=True)
    months: int = Field(primary_key=True, description="Months after launch of a follow-up visit; 0 for the others")
    region: str = Field(primary_key=True, max_length=50)
    organisation: str = Field(primary_key=True, max_length=50)
    venture_kind: str = Field(primary_key=True, max_length=40)
    month: date = Field(description="The first day of day's month")
    n: int
    flagged: int
    value: int = Field(sa_type=BigInteger)
    value_eur: int = Field(sa_type=BigInteger)


class SummedMonth(SQLModel, table=True):
    """Roll-up (ADR 26): `summed_unit` summed by month and its attributes."""

    __tablename__ = "summed_month"

    code: str = Field(primary_key=True, max_length=40)
    month: date = Field(primary_key=True)
    scope: str = Field(primary_key=True, max_length=4)
    months: int = Field(primary_key=True)
    region: str = Field(primary_key=True, max_length=50)
    organisation: str = Field(primary_key=True, max_length=50)
    venture_kind: str = Field(primary_key=True, max_length=40)
    n: int
    flagged: int
    value: int = Field(sa_type=BigInteger)
    value_eur: int = Field(sa_type=BigInteger)


class RetentionPerson(SQLModel, table=True):
    """Roll-up (ADR 26): each person's retention checks by months after the start and the month they
    were recorded in, how many found them still employed, and the person's attributes as they stand
    ("" for a person reporting does not know). Recounted from the facts for the people each batch
    touched, as `person_month` is."""

    __tablename__ = "retention_person"

    beneficiary_id: UUID = Field(primary_key=True)
    months: int = Field(primary_key=True)
    month: date = Field(primary_key=True, description="The first day of the month the checks were recorded in")
    checks: int
    retained: int
    sex: str = Field(max_length=20)
    region: str = Field(max_length=50)
    partner_organisation: str = Field(max_length=50)


class RetentionMonth(SQLModel, table=True):
    """Roll-up (ADR 26): the retention checks by months after the start, month recorded, sex, region
    and partner organisation, and how many found the person still employed; the sum of
    `retention_person` by those columns."""

    __tablename__ = "retention_month"

    months: int = Field(primary_key=True)
    month: date = Field(primary_key=True)
    sex: str = Field(primary_key=True, max_length=20)
    region: str = Field(primary_key=True, max_length=50)
    partner_organisation: str = Field(primary_key=True, max_length=50)
    checks: int
    retained: int


class RollupState(SQLModel, table=True):
    """Which definition of the indicators the roll-ups were built for (one row, or none while they
    are not kept): tables read them only when it is the running one's."""

    __tablename__ = "rollup_state"

    id: int = Field(default=1, primary_key=True)
    signature: str = Field(max_length=64)
    built_at: datetime


class VentureState(SQLModel, table=True):
    """What reporting knows of a venture: enough to count its members when it moves on."""

    __tablename__ = "venture_state"

    venture_id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=40)
    region: str = Field(max_length=50)
    organisation: str = Field(max_length=50)
    stage: str = Field(max_length=40)
    already_running: bool = Field(default=False, description="Entered the programme already trading")
    members: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    as_of: datetime


class ErasedPerson(SQLModel, table=True):
    """An erased person's id and the random stand-in that replaced it, so that a late event about
    them lands on the stand-in and totals stay right. The original id is kept hashed only."""

    __tablename__ = "erased_person"

    id_hash: str = Field(primary_key=True, max_length=64)
    stand_in: UUID


class MergedPerson(SQLModel, table=True):
    """A retired id and the id it was merged into, so that a late event about the retired id is
    counted for the kept person."""

    __tablename__ = "merged_person"

    retired_id: UUID = Field(primary_key=True)
    kept_id: UUID


class PublishedSnapshot(SQLModel, table=True):
    """Periods whose snapshot was published when they closed (each once)."""

    __tablename__ = "published_snapshot"

    period: str = Field(primary_key=True, max_length=30)
    snapshot_id: UUID
    published_at: datetime


class Target(SQLModel, table=True):
    """A target, and optionally a baseline, of one indicator for one year, for the whole programme
    or one region and/or one partner organisation ("" stands for all), as M&E staff entered it."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("code", "year", "region", "organisation", name="uq_target_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, index=True)
    year: int
    region: str = Field(default="", max_length=50, description='"" for every region')
    organisation: str = Field(default="", max_length=50, description='"" for every organisation')
    target_hundredths: int = Field(sa_type=BigInteger, description="The target x 100 (exact: MAD centimes, 0.01 %)")
    baseline_hundredths: int | None = Field(default=None, sa_type=BigInteger)
    note: str | None = Field(default=None, max_length=500)
    changed_at: datetime
    changed_by: str = Field(max_length=200)


class TargetChange(SQLModel, table=True):
    """The audit trail of the targets: every change, who made it and when, with the figures before
    and after (never edited, never deleted)."""

    __tablename__ = "target_change"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    by: str = Field(max_length=200)
    role: str = Field(max_length=30)
    action: str = Field(max_length=10, description="set or removed")
    code: str = Field(max_length=40)
    year: int
    region: str = Field(max_length=50)
    organisation: str = Field(max_length=50)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class StatisticsConsent(SQLModel, table=True):
    """A person's consent to the `statistics` purpose, as intake announced it: it lets their
    pseudonymous record into the research extract (ADR 23). Counting in totals needs none."""

    __tablename__ = "statistics_consent"

    consent_id: UUID = Field(primary_key=True)
    beneficiary_id: UUID = Field(index=True, description="The person (the kept id after a merge)")
    given_on: date | None = None
    withdrawn_on: date | None = None


class ResearchExtract(SQLModel, table=True):
    """Every research extract taken: who took it, when, and how many people it held."""

    __tablename__ = "research_extract"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    by: str = Field(max_length=200)
    role: str = Field(max_length=30)
    people: int


class Approval(SQLModel, table=True):
    """A period a programme manager approved: its figures are served from the copy of its facts and
    people taken then (`approved_fact`, `approved_person`), unchanged by later events. Withdrawn
    approvals stay, for the record."""

    __tablename__ = "approval"

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=30, index=True, description="month:YYYY-MM or quarter:YYYY-QN")
    period_from: date
    period_to: date
    approved_at: datetime
    approved_by: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=500)
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = Field(default=None, max_length=200)
    withdrawn_reason: str | None = Field(default=None, max_length=500)


class ApprovedFact(FactColumns, table=True):
    """A fact of an approved period as it stood when the period was approved (`id`: the live fact's)."""

    __tablename__ = "approved_fact"

    approval_id: int = Field(primary_key=True)
    id: int = Field(primary_key=True)


class ApprovedPerson(PersonAttributes, table=True):
    """A person counted in an approved period, with their attributes as they stood then."""

    __tablename__ = "approved_person"

    approval_id: int = Field(primary_key=True)
    beneficiary_id: UUID = Field(primary_key=True)
