"""What indicators count in: units, breakdown dimensions, the funnel's stages and small-cell
suppression. The indicators themselves, each with its rule and how it is counted, are declared in
one place: `service_layer/indicators.py`.

Two kinds of indicator:
- **persons**: unique pseudonymous people with at least one qualifying fact in the period; they
  break down by the person's attributes (sex, age band, nationality, legal status, disability,
  region, city, partner organisation) as they stand now. The programme's cities come from intake
  under one name each (intake's footprint); a person counted before cities were kept is "unknown"
  until a rebuild.
- **units** (sessions, ventures, jobs, money): counted or summed from the facts themselves; they
  break down by region and organisation.

Some indicators also break down by an attribute of their facts (`FACT_DIMENSIONS`): the kind of
course, of venture, of employer, the occupation group (ISCO-08 major group). A fact has one value,
so a count of facts splits exactly; a person with several facts in the period (two courses of two
kinds) is counted once, under their first fact of the period (the earliest, then the first
recorded), so that every breakdown still adds up to the total and the small cells stay hidden.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from .disclosure import SMALL_CELL


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
    "city",
    "partner_organisation",
)
UNIT_DIMENSIONS = ("region", "organisation")
FACT_DIMENSIONS = ("course_kind", "venture_kind", "employer_type", "occupation_group")


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


def suppressed(value: int | float | Decimal | None) -> int | float | Decimal | str | None:
    """A count between 1 and 4 shown as "<5", so that nobody can be singled out (a total, or a stage
    of the funnel; the cells of a breakdown are hidden by `disclosure.protect`)."""
    return "<5" if isinstance(value, int) and 0 < value < SMALL_CELL else value
