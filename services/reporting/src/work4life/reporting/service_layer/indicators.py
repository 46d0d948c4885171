"""The indicator engine: counts and sums over the read model's facts for a period, broken down by
any combination of dimensions (definitions and counting rules: domain/indicators.py)."""

import calendar
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlmodel import Session, col, select

from ..adapters.orm import Activity, Person
from ..domain.indicators import BY_CODE, FUNNEL, PERSON_DIMENSIONS, UNIT_DIMENSIONS, Indicator, Unit, age_band


class BadQuery(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Period:
    start: date | None  # None: from the programme's start
    end: date

    @property
    def label(self) -> str:
        return f"{self.start or 'start'} to {self.end}"


def parse_period(text: str | None, start: date | None, end: date | None, today: date) -> Period:
    """`month:2026-03`, `quarter:2026-Q1`, `year:2026`, or `from`/`to` dates; programme-to-date
    when nothing is given."""
    if text:
        if start or end:
            raise BadQuery("period", "give either period or from/to, not both")
        if m := re.fullmatch(r"month:(\d{4})-(\d{2})", text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise BadQuery("period", "month must be 01 to 12")
            return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
        if m := re.fullmatch(r"quarter:(\d{4})-Q([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            last = quarter * 3
            return Period(date(year, last - 2, 1), date(year, last, calendar.monthrange(year, last)[1]))
        if m := re.fullmatch(r"year:(\d{4})", text):
            return Period(date(int(m[1]), 1, 1), date(int(m[1]), 12, 31))
        if text == "programme":
            return Period(None, today)
        raise BadQuery("period", "expected month:YYYY-MM, quarter:YYYY-QN, year:YYYY or programme")
    if start and end and start > end:
        raise BadQuery("from", "is after to")
    return Period(start, end or today)


def dimensions_of(indicator: Indicator) -> tuple[str, ...]:
    """Person indicators (and retention, whose checks are about people) break down by the person's
    attributes; the others by the region and organisation their facts carry."""
    if indicator.unit is Unit.PERSONS or indicator.code.startswith("retention"):
        return PERSON_DIMENSIONS
    return UNIT_DIMENSIONS


def check_dimensions(indicator: Indicator, by: list[str]) -> None:
    allowed = dimensions_of(indicator)
    for name in by:
        if name not in allowed:
            raise BadQuery("by", f"{indicator.code} breaks down by {', '.join(allowed)}; not by {name}")
    if len(set(by)) != len(by):
        raise BadQuery("by", "names a dimension twice")


@dataclass
class Result:
    indicator: Indicator
    period: Period
    total: int | Decimal | float
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    numerator: int | None = None
    denominator: int | None = None
    total_eur: Decimal | None = None


FACT_COLUMNS = (
    Activity.kind,
    Activity.beneficiary_id,
    Activity.unit_id,
    Activity.occurred_on,
    Activity.organisation,
    Activity.region,
    Activity.category,
    Activity.months,
    Activity.flag,
    Activity.value,
    Activity.value_eur,
)


def _in_period(query: Any, kinds: Iterable[str], period: Period) -> Any:
    query = query.where(col(Activity.kind).in_(list(kinds)), Activity.occurred_on <= period.end)
    return query.where(Activity.occurred_on >= period.start) if period.start else query


def _facts(session: Session, kinds: Iterable[str], period: Period, **where: Any) -> list[Any]:
    """The facts' columns as plain rows (no ORM objects: a programme has hundreds of thousands)."""
    query = _in_period(select(*FACT_COLUMNS), kinds, period)
    for name, value in where.items():
        if value is not None:
            query = query.where(getattr(Activity, name) == value)
    return list(session.exec(query))


def _people_ids(session: Session, kinds: Iterable[str], period: Period, categories: tuple[str, ...] = ()) -> set[UUID]:
    query = _in_period(select(Activity.beneficiary_id).distinct(), kinds, period).where(
        col(Activity.beneficiary_id).is_not(None)
    )
    if categories:
        query = query.where(col(Activity.category).in_(categories))
    return set(session.exec(query))


class People:
    """Person attributes for breakdowns and organisation filters, read once per request, and only
    when a breakdown or a filter needs them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[UUID, Any] | None = None

    @property
    def rows(self) -> dict[UUID, Any]:
        if self._rows is None:
            columns = (
                Person.beneficiary_id,
                Person.sex,
                Person.birth_year,
                Person.nationality,
                Person.legal_status,
                Person.disability,
                Person.region,
                Person.partner_organisation,
            )
            self._rows = {row.beneficiary_id: row for row in self.session.exec(select(*columns))}
        return self._rows

    def value(self, who: UUID, dimension: str, on: date) -> str:
        person = self.rows.get(who)
        if person is None:
            return "unknown"
        if dimension == "age_band":
            return age_band(person.birth_year, on)
        if dimension == "disability":
            return "yes" if person.disability else "no"
        return str(getattr(person, dimension))

    def organisation(self, who: UUID) -> str | None:
        person = self.rows.get(who)
        return person.partner_organisation if person else None


def _people_breakdown(people: People, ids: set[UUID], by: list[str], on: date) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, ...]] = Counter(tuple(people.value(w, d, on) for d in by) for w in ids)
    return [{**dict(zip(by, key, strict=True)), "value": n} for key, n in sorted(counts.items())]


def _unit_breakdown(facts: list[Any], by: list[str], value: Any) -> list[dict[str, Any]]:
    groups: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for fact in facts:
        groups[tuple(str(getattr(fact, d) or "unknown") for d in by)].append(fact)
    return [{**dict(zip(by, key, strict=True)), "value": value(rows)} for key, rows in sorted(groups.items())]


def compute(
    session: Session, code: str, period: Period, by: list[str], organisation: str | None, people: People | None = None
) -> Result:
    indicator = BY_CODE.get(code)
    if indicator is None:
        raise BadQuery("code", f"no indicator {code}; known: {', '.join(BY_CODE)}")
    check_dimensions(indicator, by)
    people = people or People(session)
    on = period.end

    def persons(kinds: tuple[str, ...], categories: tuple[str, ...] = ()) -> set[UUID]:
        ids = _people_ids(session, kinds, period, categories)
        if organisation:
            ids = {w for w in ids if people.organisation(w) == organisation}
        return ids

    if indicator.unit is Unit.PERSONS:
        ids = persons(indicator.kinds)
        return Result(indicator, period, len(ids), _people_breakdown(people, ids, by, on) if by else [])

    if code == "1.1":
        placed = [f for f in _facts(session, ("placed",), period, organisation=organisation) if f.category == "job"]
        latest: dict[UUID, Activity] = {}
        for f in _facts(session, ("follow_up",), period, organisation=organisation):
            if f.unit_id and (f.unit_id not in latest or f.months > latest[f.unit_id].months):  # type: ignore[operator]
                latest[f.unit_id] = f
        jobs = [f for f in latest.values() if f.flag]
        rows = [*placed, *jobs]

        def count(fs: list[Activity]) -> int:
            return sum(1 if f.kind == "placed" else f.value for f in fs)

        return Result(indicator, period, count(rows), _unit_breakdown(rows, by, count) if by else [])

    if code == "1.2":
        facts = [
            f
            for f in _facts(session, ("launched", "venture_stage"), period, organisation=organisation)
            if f.kind == "launched" or f.category == "acceleration"
        ]
        first: dict[UUID, Activity] = {}
        for f in sorted(facts, key=lambda f: f.occurred_on):
            first.setdefault(f.unit_id, f)  # type: ignore[arg-type]
        ventures = list(first.values())
        return Result(indicator, period, len(ventures), _unit_breakdown(ventures, by, len) if by else [])

    if code in ("3.3", "3.11"):
        sessions = _facts(session, ("outreach",), period, organisation=organisation)

        def reached(fs: list[Activity]) -> int:
            return sum(f.value for f in fs) if code == "3.3" else len(fs)

        return Result(indicator, period, reached(sessions), _unit_breakdown(sessions, by, reached) if by else [])

    if code == "financial_volume":
        paid = _facts(session, ("grant_disbursed",), period, organisation=organisation)

        def mad(fs: list[Activity]) -> Decimal:
            return Decimal(sum(f.value for f in fs)).scaleb(-2)

        result = Result(indicator, period, mad(paid), _unit_breakdown(paid, by, mad) if by else [])
        result.total_eur = Decimal(sum(f.value_eur for f in paid)).scaleb(-2)
        return result

    # rates: retention_Nm, survival_Nm
    months = int(re.sub(r"\D", "", code))
    kind = "retention" if code.startswith("retention") else "follow_up"
    checks = [f for f in _facts(session, (kind,), period, months=months) if f.months == months]
    if organisation:
        checks = [
            f
            for f in checks
            if (people.organisation(f.beneficiary_id) if kind == "retention" and f.beneficiary_id else f.organisation)
            == organisation
        ]

    def rate(fs: list[Activity]) -> float:
        return round(100 * sum(1 for f in fs if f.flag) / len(fs), 1) if fs else 0.0

    result = Result(
        indicator, period, rate(checks), numerator=sum(1 for f in checks if f.flag), denominator=len(checks)
    )
    if by:
        if kind == "retention":
            groups: dict[tuple[str, ...], list[Activity]] = defaultdict(list)
            for f in checks:
                groups[tuple(people.value(f.beneficiary_id, d, on) for d in by)].append(f)  # type: ignore[arg-type]
            result.breakdown = [
                {**dict(zip(by, key, strict=True)), "value": rate(fs), "denominator": len(fs)}
                for key, fs in sorted(groups.items())
            ]
        else:
            result.breakdown = _unit_breakdown(checks, by, rate)
    return result


def funnel(session: Session, period: Period, organisation: str | None) -> list[tuple[str, str, int]]:
    people = People(session)
    stages = []
    for name, kind, description in FUNNEL:
        if kind == "retention":
            ids = {f.beneficiary_id for f in _facts(session, (kind,), period, months=3) if f.flag and f.beneficiary_id}
        else:
            ids = _people_ids(session, (kind,), period)
        if organisation:
            ids = {w for w in ids if people.organisation(w) == organisation}
        stages.append((name, description, len(ids)))
    return stages
