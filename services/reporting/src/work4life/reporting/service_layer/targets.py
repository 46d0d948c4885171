"""Targets and baselines: what M&E staff plan per indicator and year, for the whole programme or a
region and/or a partner organisation, and the progress a figure makes against them.

How a period meets its targets (`Goals.goal`):

- a period inside one year takes that year's target (a month or a quarter is measured against its
  year's target: "how far are we this year");
- a period over several years (programme to date, custom dates) takes the sum of the yearly
  targets of the years it touches, for counts and money; for a rate, the target of its last year
  that has one;
- the baseline is the one of the first year (of those the period touches) that has one;
- a scope with no target of its own takes the sum of the targets one level below it (the regions'
  targets of an organisation or of the programme, or the organisations' of the programme), except
  for a rate, which does not add up;
- with nothing entered for an indicator, the configured target (`W4L_REPORTING_TARGETS`) stays the
  programme-wide default.

Progress is how far the figure has gone from the baseline to the target: 100 x (value - baseline)
/ (target - baseline), or 100 x value / target without a baseline.

Every change is written to `target_change` in the same transaction, with the figures before and
after, who made it and when.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypedDict

from sqlmodel import Session, col, func, select

from work4life.contracts.intake import Region
from work4life.runtime import db
from work4life.runtime.errors import NotFound

from ..adapters.orm import Target, TargetChange
from ..domain.indicators import Unit
from .context import Work
from .indicators import BY_CODE, BadQuery, Period

ALL = ""
"""How a target for every region, or every organisation, is stored."""

HUNDRED = Decimal(100)


def _stored(value: Decimal) -> int:
    return int((value * HUNDRED).to_integral_value())


def _read(hundredths: int | None) -> Decimal | None:
    return None if hundredths is None else (Decimal(hundredths) / HUNDRED).quantize(Decimal("0.01"))


class Scope(TypedDict):
    """What a target is for: an indicator, a year, a region and an organisation (ALL for every one)."""

    code: str
    year: int
    region: str
    organisation: str


def figures(target: Target) -> dict[str, Any]:
    """A target's figures as the audit trail keeps them."""
    return {
        "target": str(_read(target.target_hundredths)),
        "baseline": None if target.baseline_hundredths is None else str(_read(target.baseline_hundredths)),
        "note": target.note,
    }


@dataclass(frozen=True)
class Goal:
    target: Decimal
    baseline: Decimal | None = None

    def progress(self, value: int | float | Decimal | None) -> float | None:
        """Percent of the way from the baseline to the target; None with nothing to measure."""
        if value is None:
            return None
        start = self.baseline or Decimal(0)
        if self.target == start:
            return None
        return round(float(100 * (Decimal(str(value)) - start) / (self.target - start)), 1)


def check(code: str, year: int, region: str | None, target: Decimal, baseline: Decimal | None) -> None:
    indicator = BY_CODE.get(code)
    if indicator is None:
        raise BadQuery("code", f"no indicator {code}; known: {', '.join(BY_CODE)}")
    if region and region not in {r.value for r in Region}:
        raise BadQuery("region", f"no region {region}; known: {', '.join(r.value for r in Region)}")
    if indicator.unit is Unit.PERCENT:
        for name, value in (("target", target), ("baseline", baseline)):
            if value is not None and value > HUNDRED:
                raise BadQuery(name, f"{code} is a rate: a {name} is a percent from 0 to 100, not {value}")


def set_target(
    uow: Work,
    *,
    code: str,
    year: int,
    region: str | None,
    organisation: str | None,
    target: Decimal,
    baseline: Decimal | None,
    note: str | None,
) -> tuple[Target, bool]:
    """Enter or change the target (and baseline) of one indicator, year and scope; audited. Returns
    the row and whether it is new."""
    check(code, year, region, target, baseline)
    session, who = uow.session, uow.staff
    scope = Scope(code=code, year=year, region=region or ALL, organisation=(organisation or ALL).strip())
    row = session.exec(select(Target).filter_by(**scope)).first()
    created = row is None
    before = None if row is None else figures(row)
    now = datetime.now(UTC)
    row = row or Target(**scope, target_hundredths=0, changed_at=now, changed_by=who.subject)
    row.target_hundredths = _stored(target)
    row.baseline_hundredths = None if baseline is None else _stored(baseline)
    row.note = note
    row.changed_at, row.changed_by = now, who.subject
    session.add(row)
    session.add(
        TargetChange(
            at=now, by=who.subject, role=who.role.value, action="set", before=before, after=figures(row), **scope
        )
    )
    uow.commit()
    session.refresh(row)
    return row, created


def remove_target(uow: Work, target_id: int) -> None:
    session, who = uow.session, uow.staff
    row = session.get(Target, target_id)
    if row is None:
        raise NotFound(f"no target {target_id}")
    scope = Scope(code=row.code, year=row.year, region=row.region, organisation=row.organisation)
    now = datetime.now(UTC)
    session.add(
        TargetChange(
            at=now, by=who.subject, role=who.role.value, action="removed", before=figures(row), after=None, **scope
        )
    )
    session.delete(row)
    uow.commit()


def listed(
    session: Session,
    *,
    code: str | None,
    year: int | None,
    region: str | None,
    organisation: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Target], int]:
    query = select(Target)
    for column, wanted in ((Target.code, code), (Target.year, year), (Target.region, region)):
        if wanted is not None:
            query = query.where(column == wanted)
    if organisation is not None:
        query = query.where(func.lower(Target.organisation) == organisation.strip().lower())
    order = (col(Target.code), col(Target.year), col(Target.region), col(Target.organisation))
    return db.page(session, query.order_by(*order), limit, offset)


def changes(session: Session, *, code: str | None, limit: int, offset: int) -> tuple[list[TargetChange], int]:
    query = select(TargetChange)
    if code is not None:
        query = query.where(TargetChange.code == code)
    return db.page(session, query.order_by(col(TargetChange.id).desc()), limit, offset)


Key = tuple[str, int, str, str]  # code, year, region, organisation (ALL for every one)


class Goals:
    """All targets, read once for an answer, and the configured defaults."""

    def __init__(self, session: Session, defaults: dict[str, float]) -> None:
        self.rows: dict[Key, Target] = {
            (t.code, t.year, t.region, t.organisation.lower()): t for t in session.exec(select(Target))
        }
        self.years: dict[str, set[int]] = defaultdict(set)
        for code, year, _, _ in self.rows:
            self.years[code].add(year)
        self.defaults = defaults

    def _year(self, code: str, year: int, region: str, organisation: str) -> tuple[Decimal, Decimal | None] | None:
        """One year's target and baseline for a scope: its own, or the sum of the level below it."""
        own = self.rows.get((code, year, region, organisation))
        if own is not None:
            return _read(own.target_hundredths) or Decimal(0), _read(own.baseline_hundredths)
        if BY_CODE[code].unit is Unit.PERCENT:
            return None
        same_year = [t for (c, y, _, _), t in self.rows.items() if c == code and y == year]
        parts = _one_level(same_year, region, organisation)
        if not parts:
            return None
        baselines = [_read(t.baseline_hundredths) for t in parts]
        baseline = sum((b for b in baselines if b is not None), Decimal(0)) if None not in baselines else None
        return sum((_read(t.target_hundredths) or Decimal(0) for t in parts), Decimal(0)), baseline

    def goal(
        self, code: str, period: Period, region: str | None = None, organisation: str | None = None
    ) -> Goal | None:
        region_key, organisation_key = region or ALL, (organisation or ALL).lower()
        first = period.start.year if period.start else min(self.years.get(code, {period.end.year}))
        found = {
            year: figures
            for year in range(first, period.end.year + 1)
            if (figures := self._year(code, year, region_key, organisation_key)) is not None
        }
        if not found:
            default = self.defaults.get(code)
            if default is None or region or organisation:
                return None
            return Goal(Decimal(str(default)))
        years = sorted(found)
        baseline = next((found[y][1] for y in years if found[y][1] is not None), None)
        if BY_CODE[code].unit is Unit.PERCENT:
            return Goal(found[years[-1]][0], baseline)
        return Goal(sum((found[y][0] for y in years), Decimal(0)), baseline)


def _one_level(rows: list[Target], region: str, organisation: str) -> list[Target]:
    """The targets one level below a scope that together make it up: for the whole programme, the
    regions' (or else the organisations'); for an organisation, its regions'; for a region, its
    organisations'."""
    if region == ALL and organisation == ALL:
        regions = [t for t in rows if t.region != ALL and t.organisation == ALL]
        return regions or [t for t in rows if t.region == ALL and t.organisation != ALL]
    if region == ALL:
        return [t for t in rows if t.region != ALL and t.organisation.lower() == organisation]
    if organisation == ALL:
        return [t for t in rows if t.region == region and t.organisation != ALL]
    return []
