"""The indicators and their counting rules, in one place. The README's table is generated from
these definitions' text, and the API returns each rule with its figure.

Two kinds of indicator:
- **persons**: unique pseudonymous people with at least one qualifying fact in the period; they
  break down by the person's attributes (sex, age band, nationality, legal status, disability,
  region, partner organisation) as they stand now.
- **units** (sessions, ventures, jobs, money): counted or summed from the facts themselves; they
  break down by region and organisation only.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Unit(StrEnum):
    PERSONS = "persons"
    UNITS = "units"
    MAD = "MAD"
    PERCENT = "percent"


PERSON_DIMENSIONS = (
    "sex",
    "age_band",
    "nationality",
    "legal_status",
    "disability",
    "region",
    "partner_organisation",
)
UNIT_DIMENSIONS = ("region", "organisation")


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: Unit
    rule: str
    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = field(default=())


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "1.1",
        "Direct jobs created or supported",
        Unit.UNITS,
        "People placed in a job (offers of kind job; internships and pre-employment placements are not jobs) "
        "whose job started in the period, plus the jobs (owners and employees, including people outside the "
        "programme) of supported enterprises at their latest follow-up visit in the period.",
        ("placed", "follow_up"),
        ("job",),
    ),
    Indicator(
        "1.2",
        "MSMEs created or supported",
        Unit.UNITS,
        "Ventures launched in the period (created) plus ventures that entered acceleration in the period "
        "(supported); a venture counts once.",
        ("launched", "venture_stage"),
        ("acceleration",),
    ),
    Indicator(
        "1.3",
        "People assisted to develop income-generating activities",
        Unit.PERSONS,
        "Unique members of ventures that entered pre-incubation, incubation or acceleration in the period "
        "(or joined one then).",
        ("iga_support",),
    ),
    Indicator(
        "1.4",
        "People benefitting from professional trainings (TVET) and/or skills development",
        Unit.PERSONS,
        "Unique people who completed a course (any kind) in the period under the course's completion rule.",
        ("trained",),
    ),
    Indicator(
        "3.2",
        "Migrants, refugees and asylum seekers protected and/or assisted",
        Unit.PERSONS,
        "Unique people who received a service in the period: registration and orientation, a referral, an "
        "enrolment, venture support, a placement.",
        ("registered", "assessed", "referred", "enrolled", "iga_support", "placed"),
    ),
    Indicator(
        "3.3",
        "(Potential) migrants reached by information campaigns",
        Unit.UNITS,
        "Everyone reached by the information sessions held in the period, registered or not, as reported "
        "per session (a person at two sessions counts twice: sessions report head counts).",
        ("outreach",),
    ),
    Indicator(
        "3.11",
        "Awareness-raising events on migration",
        Unit.UNITS,
        "Information sessions held in the period.",
        ("outreach",),
    ),
    Indicator(
        "placements",
        "Job placements facilitated and/or supported",
        Unit.PERSONS,
        "Unique people placed in a job, an internship or a pre-employment placement starting in the period.",
        ("placed",),
    ),
    Indicator(
        "financial_volume",
        "Financial volume granted to individual recipients",
        Unit.MAD,
        "Grant money disbursed in the period, in MAD (and in EUR at each grant's rate).",
        ("grant_disbursed",),
    ),
    Indicator(
        "retention_3m",
        "Job retention at 3 months",
        Unit.PERCENT,
        "Of placements whose 3-month check was recorded in the period, the share still employed "
        "(unreachable counts as not retained).",
        ("retention",),
    ),
    Indicator(
        "retention_6m",
        "Job retention at 6 months",
        Unit.PERCENT,
        "The same at the 6-month check.",
        ("retention",),
    ),
    Indicator(
        "retention_12m",
        "Job retention at 12 months",
        Unit.PERCENT,
        "The same at the 12-month check.",
        ("retention",),
    ),
    Indicator(
        "survival_6m",
        "Enterprise survival at 6 months",
        Unit.PERCENT,
        "Of launched ventures whose 6-month follow-up visit was recorded in the period, the share still active.",
        ("follow_up",),
    ),
    Indicator(
        "survival_12m",
        "Enterprise survival at 12 months",
        Unit.PERCENT,
        "The same at the 12-month visit.",
        ("follow_up",),
    ),
)
BY_CODE = {i.code: i for i in INDICATORS}

FUNNEL: tuple[tuple[str, str, str], ...] = (
    ("registered", "registered", "registered in the period"),
    ("assessed", "assessed", "had a skills assessment"),
    ("referred", "referred", "referred to a programme service or an outside organisation"),
    ("trained", "trained", "completed a course"),
    ("in_incubation", "iga_support", "member of a venture in pre-incubation, incubation or acceleration"),
    ("launched", "member_launched", "member of a venture that launched"),
    ("placed", "placed", "placed in a job, an internship or a pre-employment placement"),
    ("retained", "retention", "still employed at the 3-month check"),
)

SMALL_CELL = 5


def age_band(birth_year: int | None, on: date) -> str:
    if birth_year is None:
        return "unknown"
    age = on.year - birth_year
    if age < 15:
        return "under_15"
    if age <= 24:
        return "15-24"
    if age <= 34:
        return "25-34"
    return "35+"


def suppressed(value: int | float | Decimal) -> int | float | Decimal | str:
    """A count between 1 and 4 shown as "<5", so that nobody can be singled out."""
    return "<5" if isinstance(value, int) and 0 < value < SMALL_CELL else value
