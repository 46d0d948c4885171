"""Read-side queries over the read model."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from ..adapters.orm import Person


@dataclass(frozen=True)
class PeopleFilter:
    region: str | None = None
    partner_organisation: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None


@dataclass(frozen=True)
class RegistrationSummary:
    total: int
    by_sex: dict[str, int]
    by_region: dict[str, int]


def _where(query, filters: PeopleFilter):
    if filters.region:
        query = query.where(Person.region == filters.region)
    if filters.partner_organisation:
        query = query.where(Person.partner_organisation == filters.partner_organisation)
    if filters.registered_from:
        query = query.where(Person.registered_on >= filters.registered_from)
    if filters.registered_to:
        query = query.where(Person.registered_on <= filters.registered_to)
    return query


def registration_summary(session: Session, filters: PeopleFilter) -> RegistrationSummary:
    total = session.exec(_where(select(func.count()).select_from(Person), filters)).one()
    by_sex = session.exec(_where(select(Person.sex, func.count()).group_by(Person.sex), filters)).all()
    by_region = session.exec(_where(select(Person.region, func.count()).group_by(Person.region), filters)).all()
    return RegistrationSummary(
        total=int(total),
        by_sex={k: int(v) for k, v in sorted(by_sex)},
        by_region={k: int(v) for k, v in sorted(by_region)},
    )
