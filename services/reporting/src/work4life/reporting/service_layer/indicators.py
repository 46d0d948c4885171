"""The indicators, each declared once with its counting rule (the text the API, the exports and the
README show) and the function that counts it, over the read model's facts for a period, broken
down by any combination of dimensions (`INDICATORS`, at the end of this module).

To add an indicator: write its counting function here (or reuse `unique_people`), declare it in
`INDICATORS`, and add its independent count to `expected()` in `tests/programme.py`, the
reconciliation programme that the tests compare every indicator against."""

import calendar
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, literal_column, or_, select, text
from sqlmodel import Session

from work4life.runtime.db import table

from ..adapters.orm import (
    NO_MONTH,
    Activity,
    IndicatorUnit,
    PeopleMonth,
    Person,
    PersonMonth,
    RetentionMonth,
    RollupState,
    SummedMonth,
    SummedUnit,
    UnitMonth,
)
from ..domain.indicators import FACT_DIMENSIONS, FUNNEL, PERSON_DIMENSIONS, UNIT_DIMENSIONS, Unit


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


def dimensions_of(indicator: "Indicator") -> tuple[str, ...]:
    """Person indicators (and retention, whose checks are about people) break down by the person's
    attributes; the others by the region and organisation their facts carry; and each by the
    attributes of its facts that it declares (course kind, venture kind...)."""
    own = PERSON_DIMENSIONS if indicator.unit is Unit.PERSONS or indicator.about_people else UNIT_DIMENSIONS
    return (*own, *indicator.fact_dimensions)


def check_dimensions(indicator: "Indicator", by: list[str]) -> None:
    allowed = dimensions_of(indicator)
    for name in by:
        if name not in allowed:
            raise BadQuery("by", f"{indicator.code} breaks down by {', '.join(allowed)}; not by {name}")
    if len(set(by)) != len(by):
        raise BadQuery("by", "names a dimension twice")


@dataclass
class Result:
    indicator: "Indicator"
    period: Period
    total: int | Decimal | float | None  # None: a rate with nothing to measure ("no data")
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    numerator: int | None = None
    denominator: int | None = None
    total_eur: Decimal | None = None


@dataclass(frozen=True)
class Source:
    """Where a count reads its facts and people from: the live read model, or the frozen copy of an
    approved period (`service_layer/approvals.py`), which has the same columns."""

    activity: Any
    person: Any


LIVE = Source(table(Activity), table(Person))
_SOURCE: ContextVar[Source] = ContextVar("reporting_source", default=LIVE)


def _fact() -> Any:
    """The columns of the facts being counted."""
    return _SOURCE.get().activity.c


def _people() -> Any:
    return _SOURCE.get().person


DISTINCT_WORK_MEM = "256MB"
"""PostgreSQL's memory for one hash of a distinct-people count, for the request's transaction only:
at 100 times the programme (1.5 million people) the default 4 MB spills to disk and takes minutes."""

# Every count is made by the database (GROUP BY), never by loading facts or people into Python:
# at 100 times the real programme there are 1.5 million people and over 20 million facts.


def _in_period(kinds: Iterable[str], period: Period) -> list[Any]:
    conditions = [_fact().kind.in_(list(kinds)), _fact().occurred_on <= period.end]
    return [*conditions, _fact().occurred_on >= period.start] if period.start else conditions


def person_dimension(name: str, on: date) -> Any:
    """A person's attribute as the breakdown shows it ("unknown" when reporting has no such person);
    the age band is the age reached in the year of `on`."""
    c = _people().c
    if name == "age_band":
        age = literal(on.year) - c.birth_year
        return case(
            (c.birth_year.is_(None), "unknown"),
            (age < 15, "under_15"),
            (age <= 24, "15-24"),
            (age <= 34, "25-34"),
            else_="35+",
        )
    if name == "disability":
        return case((c.disability.is_(None), "unknown"), (c.disability.is_(True), "yes"), else_="no")
    return func.coalesce(c[name], "unknown")


FACT_COLUMN = {"course_kind": "category"}
"""The column a fact dimension reads, where it is not the dimension's name (a course's facts keep
the course kind as their category)."""


def unit_dimension(name: str) -> Any:
    """A fact's region, organisation or own attribute (`FACT_DIMENSIONS`), "unknown" when it carries none."""
    return func.coalesce(func.nullif(_fact()[FACT_COLUMN.get(name, name)], ""), "unknown")


def _grouped(session: Session, dims: list[Any], by: list[str], aggregates: list[Any], query: Any) -> list[Any]:
    """Rows of (*dimension values, *aggregates); GROUP BY by position, so that an expression with
    bound parameters (an age band) is the same expression in SELECT and GROUP BY on PostgreSQL."""
    columns = [d.label(name) for d, name in zip(dims, by, strict=True)]
    query = query.with_only_columns(*columns, *aggregates)
    if dims:
        query = query.group_by(*(literal_column(str(n)) for n in range(1, len(dims) + 1)))
    return list(session.execute(query))


def _count_people(
    session: Session,
    kinds: Iterable[str],
    period: Period,
    by: list[str],
    organisation: str | None,
    *where: Any,
) -> tuple[int, list[dict[str, Any]]]:
    """Distinct people with a fact of `kinds` in the period, in total and broken down by `by`; by an
    attribute of the facts, each person under their first fact of the period."""
    if session.get_bind().dialect.name == "postgresql":  # hash the distinct ids in memory, not on disk
        session.execute(text(f"SET LOCAL work_mem = '{DISTINCT_WORK_MEM}'"))
    qualifying = (*_in_period(kinds, period), _fact().beneficiary_id.is_not(None), *where)
    of_facts = [d for d in by if d in FACT_DIMENSIONS]
    if of_facts:
        first = func.row_number().over(partition_by=_fact().beneficiary_id, order_by=(_fact().occurred_on, _fact().id))
        ranked = (
            select(_fact().beneficiary_id, *(unit_dimension(d).label(d) for d in of_facts), first.label("rank"))
            .where(*qualifying)
            .subquery()
        )
        ids = select(ranked.c.beneficiary_id, *(ranked.c[d] for d in of_facts)).where(ranked.c.rank == 1).subquery()
    else:
        ids = select(_fact().beneficiary_id).where(*qualifying).distinct().subquery()
    query = select(func.count()).select_from(
        ids.outerjoin(_people(), _people().c.beneficiary_id == ids.c.beneficiary_id)
    )
    if organisation:
        query = query.where(_people().c.partner_organisation == organisation)
    dims = [ids.c[d] if d in FACT_DIMENSIONS else person_dimension(d, period.end) for d in by]
    rows = _grouped(session, dims, by, [func.count()], query)
    breakdown = sorted(({**dict(zip(by, row[:-1], strict=True)), "value": row[-1]} for row in rows), key=_key(by))
    return sum(row[-1] for row in rows), breakdown if by else []


def _key(by: list[str]) -> Any:
    return lambda cell: tuple(cell[d] for d in by)


def _unit_sums(
    session: Session, query: Any, by: list[str], aggregates: list[Any]
) -> tuple[list[Any], dict[tuple[Any, ...], list[Any]]]:
    """Totals of `aggregates` over the facts `query` selects, and the same by unit dimension."""
    totals = [0 if v is None else v for v in session.execute(query.with_only_columns(*aggregates)).one()]
    groups: dict[tuple[Any, ...], list[Any]] = {}
    if by:
        for row in _grouped(session, [unit_dimension(d) for d in by], by, aggregates, query):
            groups[tuple(row[: len(by)])] = [0 if v is None else v for v in row[len(by) :]]
    return totals, groups


def _cells(by: list[str], groups: dict[tuple[Any, ...], Any], value: Any) -> list[dict[str, Any]]:
    return [{**dict(zip(by, key, strict=True)), "value": value(v)} for key, v in sorted(groups.items())]


def _facts(kinds: Iterable[str], period: Period, organisation: str | None, *where: Any) -> Any:
    query = select(_fact().id).where(*_in_period(kinds, period), *where)
    return query.where(_fact().organisation == organisation) if organisation else query


def _first_per_unit(query: Any, order: Any) -> Any:
    """Of the facts `query` selects, the first of each unit by `order` (a window, in the database)."""
    ranked = query.add_columns(
        func.row_number().over(partition_by=_fact().unit_id, order_by=order).label("rank")
    ).subquery()
    return select(_fact().id).join(ranked, ranked.c.id == _fact().id).where(ranked.c.rank == 1)


def compute(
    session: Session, code: str, period: Period, by: list[str], organisation: str | None, source: Source = LIVE
) -> Result:
    indicator = BY_CODE.get(code)
    if indicator is None:
        raise BadQuery("code", f"no indicator {code}; known: {', '.join(BY_CODE)}")
    check_dimensions(indicator, by)
    with reading(source):
        return indicator.count(session, indicator, period, by, organisation)


@contextmanager
def reading(source: Source) -> Iterator[None]:
    """Count from `source` inside the block (the live read model outside it)."""
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


# -- how each indicator is counted -----------------------------------------------------------
# Each takes (session, indicator, period, by, organisation) and returns the indicator's Result.


ROLLED_UP_DIMENSIONS = frozenset({"sex", "region", "partner_organisation"})
"""The breakdowns the roll-ups about people hold (ADR 26)."""
ROLLED_UP_UNIT_DIMENSIONS = frozenset({"region", "organisation", "venture_kind"})
"""The breakdowns the roll-ups about units hold: the attributes of each unit's first fact."""

ROLLUP_FORMAT = 6
"""Bump when the roll-ups' tables or the way they are counted change: the service rebuilds them."""

RETENTION_KIND = "retention"
"""The facts of the retention checks, rolled up per person and month (`retention_person`)."""


@dataclass(frozen=True)
class Sum:
    """A sum the roll-ups keep by unit and day (`summed_unit`, ADR 26): the facts of `kind` that
    meet `where` (given the facts' columns), counted, counted when flagged, and their values summed."""

    code: str
    kind: str
    where: Callable[[Any], Any] | None = None


SUMS = (
    Sum("outreach", "outreach"),
    Sum("job_fair", "job_fair"),
    Sum("fair_employers", "fair_employers"),
    Sum("grant_disbursed", "grant_disbursed"),
    Sum("follow_up", "follow_up"),
    Sum("placed_job", "placed", lambda f: f.category == "job"),
)
SUM_OF_KIND = {s.kind: s.code for s in SUMS if s.where is None}
"""The sum that holds every fact of a kind: what `summed` and `counted` read for their one kind."""
LATEST_JOBS = "latest_jobs"
"""The sum of 1.1's second half: the jobs of each venture at its latest follow-up visit so far, as
changes on the days a visit became the latest (+ its jobs) and stopped being it (- its jobs)."""


@functools.cache
def rollup_signature() -> str:
    """What the roll-ups were built for: the unique-people indicators, their kinds and rules. A
    changed definition makes the running service rebuild them, and counts read the facts until then."""
    definition: list[Any] = [
        (i.code, i.kinds, i.rule) for i in INDICATORS if i.rolled_up or i.per_unit or i.kinds == (RETENTION_KIND,)
    ]
    definition += [(s.code, s.kind, s.where is not None) for s in SUMS]
    return hashlib.sha256(repr((ROLLUP_FORMAT, definition)).encode()).hexdigest()


def rolled_up_answer(
    session: Session,
    period: Period,
    by: list[str],
    from_start: bool = True,
    dimensions: frozenset[str] = ROLLED_UP_DIMENSIONS,
) -> bool:
    """Whether the roll-ups hold the answer: the live read model, from the programme's start (unless
    `from_start` is False: sums by month answer any period), by `dimensions` (sex, region and
    partner organisation for people) or fewer, with roll-ups built for these indicators."""
    if _SOURCE.get() is not LIVE or (from_start and period.start is not None):
        return False
    if not dimensions.issuperset(by):
        return False
    ready = session.info.get("reporting.rollups_ready")
    if ready is None:
        state = session.execute(select(table(RollupState).c.signature)).scalar_one_or_none()
        ready = session.info["reporting.rollups_ready"] = state == rollup_signature()
    return bool(ready)


def count_rolled_up(
    session: Session, code: str, period: Period, by: list[str], organisation: str | None
) -> tuple[int, list[dict[str, Any]]]:
    """People counting from the programme's start to the period's end: each in their first month
    (no month before it), the months before the end's month from `people_month`, the days of its
    month from `person_month`."""
    months, people = table(PeopleMonth), table(PersonMonth)

    def scope(rollup: Any) -> Any:
        first = rollup.c.previous == NO_MONTH
        return and_(first, rollup.c.partner_organisation == organisation) if organisation else first

    parts = ((months, func.sum(months.c.people)), (people, func.count()))
    return _count_firsts(session, code, period, by, parts, scope, organisation)


def count_rolled_up_units(
    session: Session, code: str, period: Period, by: list[str], organisation: str | None
) -> tuple[int, list[dict[str, Any]]]:
    """Units counting from the programme's start to the period's end, from `unit_month` and
    `indicator_unit`: under an organisation filter each unit's first fact of that organisation,
    without one its first fact of all (`overall`)."""
    months, units = table(UnitMonth), table(IndicatorUnit)
    if organisation:
        scope = lambda rollup: rollup.c.organisation == organisation  # noqa: E731
    else:
        scope = lambda rollup: rollup.c.overall.is_(True)  # noqa: E731
    parts = ((months, func.sum(months.c.units)), (units, func.count()))
    return _count_firsts(session, code, period, by, parts, scope, organisation)


def _count_firsts(
    session: Session,
    code: str,
    period: Period,
    by: list[str],
    parts: tuple[tuple[Any, Any], tuple[Any, Any]],
    scope: Callable[[Any], Any] | None,
    organisation: str | None,
) -> tuple[int, list[dict[str, Any]]]:
    """Count the rows of a first-day roll-up up to the period's end: whole months from its monthly
    table (`parts[0]`: the table and its sum), the end's month by day from its rows (`parts[1]`)."""
    month = period.end.replace(day=1)
    (by_month, in_months), (by_row, in_rows) = parts

    def read(only: str | None) -> dict[str, dict[tuple[str, ...], int]]:
        by_code: dict[str, dict[tuple[str, ...], int]] = {}
        for rollup, value, within in (
            (by_month, in_months, by_month.c.month < month),
            (by_row, in_rows, and_(by_row.c.first_on >= month, by_row.c.first_on <= period.end)),
        ):
            query = _of_codes(select(rollup.c.code, *(rollup.c[d] for d in by), value).where(within), rollup, by, only)
            if scope is not None:
                query = query.where(scope(rollup))
            for code_, *row in session.execute(query):
                _count_into(by_code.setdefault(code_, {}), [row])
        return by_code

    cells = _per_code(("firsts", by_month.name, period.end, tuple(by), organisation), code, read)
    return _counted(cells or {}, by)


def _of_codes(query: Any, rollup: Any, by: list[str], only: str | None) -> Any:
    """`query` over a roll-up grouped by indicator and `by`, for indicator `only` if given."""
    query = query.group_by(rollup.c.code, *(rollup.c[d] for d in by))
    return query.where(rollup.c.code == only) if only is not None else query


_TOGETHER: ContextVar[dict[Any, Any] | None] = ContextVar("reporting_counting_together", default=None)


@contextmanager
def counting_together() -> Iterator[None]:
    """Inside the block, a read of a roll-up answers every indicator at once (grouped by indicator)
    and is kept for the next indicator that asks the same question: a table of 25 indicators reads
    each roll-up table once or twice instead of 50 times. For reads only: what is kept does not see
    what the block writes."""
    token = _TOGETHER.set({})
    try:
        yield
    finally:
        _TOGETHER.reset(token)


def _per_code(key: tuple[Any, ...], code: str, read: Callable[[str | None], dict[str, Any]]) -> Any:
    """`code`'s part of `read(None)` (every indicator's answer) kept inside `counting_together`;
    outside it, of `read(code)` (that indicator's only)."""
    together = _TOGETHER.get()
    if together is None:
        return read(code).get(code)
    if key not in together:
        together[key] = read(None)
    return together[key].get(code)


def _count_into(cells: dict[tuple[str, ...], int], rows: Iterable[Any]) -> None:
    """Add rows of (*breakdown values, count) to `cells`."""
    for row in rows:
        key = tuple(v or "unknown" for v in row[:-1])  # "": a person reporting does not know
        cells[key] = cells.get(key, 0) + int(row[-1] or 0)


def _counted(cells: dict[tuple[str, ...], int], by: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """The total of `cells` and, when there is a breakdown, its non-empty cells in order."""
    breakdown = sorted(({**dict(zip(by, key, strict=True)), "value": n} for key, n in cells.items() if n), key=_key(by))
    return sum(cells.values()), breakdown if by else []


def count_over_months(
    session: Session, code: str, first: date, stop: date, by: list[str], organisation: str | None
) -> tuple[int, list[dict[str, Any]]]:
    """People counting in the whole months from `first` to before `stop` (a month, a quarter, a
    year), from `people_month`: each person once, in the first of those months they count in, the
    one whose previous month is before `first`."""
    rollup = table(PeopleMonth)

    def read(only: str | None) -> dict[str, dict[tuple[str, ...], int]]:
        query = select(rollup.c.code, *(rollup.c[d] for d in by), func.sum(rollup.c.people)).where(
            rollup.c.month >= first, rollup.c.month < stop, rollup.c.previous < first
        )
        if organisation:
            query = query.where(rollup.c.partner_organisation == organisation)
        by_code: dict[str, dict[tuple[str, ...], int]] = {}
        for code_, *row in session.execute(_of_codes(query, rollup, by, only)):
            _count_into(by_code.setdefault(code_, {}), [row])
        return by_code

    cells = _per_code(("months", first, stop, tuple(by), organisation), code, read)
    return _counted(cells or {}, by)


def unique_people(
    session: Session, indicator: "Indicator", period: Period, by: list[str], organisation: str | None
) -> Result:
    """People with at least one fact of the indicator's kinds in the period (that meets the
    indicator's `where`, if it has one), each once. From the roll-ups (ADR 26) when they hold the
    answer, from the facts otherwise: the same count either way."""
    first, stop, edges = whole_months(period)
    if rolled_up_answer(session, period, by):
        total, breakdown = count_rolled_up(session, indicator.code, period, by, organisation)
    elif first is not None and stop is not None and not edges and rolled_up_answer(session, period, by, False):
        total, breakdown = count_over_months(session, indicator.code, first, stop, by, organisation)
    else:
        where = (indicator.where(_fact()),) if indicator.where else ()
        total, breakdown = _count_people(session, indicator.kinds, period, by, organisation, *where)
    return Result(indicator, period, total, breakdown)


def jobs(session: Session, indicator: "Indicator", period: Period, by: list[str], organisation: str | None) -> Result:
    """Jobs started in the period, plus the jobs of ventures at their latest visit in the period.
    From the roll-ups (ADR 26) when they hold the answer: the jobs started for any period, the
    latest visits' jobs from the programme's start; from the facts otherwise."""
    placed = _summed_up(session, "placed_job", period, by, organisation)
    if placed is not None:
        (n_placed,), placed_groups = _totals_and_groups(by, placed, 0)
    else:
        facts = _facts(("placed",), period, organisation, _fact().category == "job")
        (n_placed,), placed_groups = _unit_sums(session, facts, by, [func.count()])
    latest = _summed_up(session, LATEST_JOBS, period, by, organisation) if period.start is None else None
    if latest is not None:
        (n_jobs,), job_groups = _totals_and_groups(by, latest, 2)
    else:
        visits = _facts(("follow_up",), period, organisation, _fact().unit_id.is_not(None))
        with_jobs = _first_per_unit(visits, (_fact().months.desc(), _fact().id)).where(_fact().flag.is_(True))
        (n_jobs,), job_groups = _unit_sums(session, with_jobs, by, [func.sum(_fact().value)])
    groups = {k: [placed_groups.get(k, [0])[0] + job_groups.get(k, [0])[0]] for k in {*placed_groups, *job_groups}}
    return Result(indicator, period, int(n_placed + n_jobs), _cells(by, groups, lambda v: int(v[0])))


def units_once(
    session: Session, indicator: "Indicator", period: Period, by: list[str], organisation: str | None
) -> Result:
    """Each unit (a venture) once, on its first fact of the indicator's kinds in the period that
    meets its `where`. From the roll-ups (ADR 26) when they hold the answer, from the facts
    otherwise: the same count either way."""
    if rolled_up_answer(session, period, by, dimensions=ROLLED_UP_UNIT_DIMENSIONS):
        total, breakdown = count_rolled_up_units(session, indicator.code, period, by, organisation)
        return Result(indicator, period, total, breakdown)
    return units_from_facts(session, indicator, period, by, organisation)


def units_from_facts(
    session: Session, indicator: "Indicator", period: Period, by: list[str], organisation: str | None
) -> Result:
    where = (indicator.where(_fact()),) if indicator.where else ()
    facts = _facts(indicator.kinds, period, organisation, *where)
    if by:  # the breakdown is by each unit's first fact: a window
        first = _first_per_unit(facts, (_fact().occurred_on, _fact().id))
        (n,), groups = _unit_sums(session, first, by, [func.count()])
    else:  # each unit once, whichever fact is first: a distinct count, three times faster at scale
        unit = _fact().unit_id  # (facts naming no unit, if any, count as one, as in the window)
        units = func.count(distinct(unit)) + func.coalesce(func.max(case((unit.is_(None), 1), else_=0)), 0)
        n, groups = session.execute(facts.with_only_columns(units)).scalar_one(), {}
    return Result(indicator, period, n, _cells(by, groups, lambda v: v[0]))


def summed(session: Session, indicator: "Indicator", period: Period, by: list[str], organisation: str | None) -> Result:
    """The numbers the facts of the period report (people reached, employers present), summed."""
    (n,), groups = _additive(session, indicator, period, by, organisation, 2, _fact().value)
    return Result(indicator, period, int(n), _cells(by, groups, lambda v: int(v[0])))


def counted(
    session: Session, indicator: "Indicator", period: Period, by: list[str], organisation: str | None
) -> Result:
    """The facts of the period (sessions held, job fairs held), each once."""
    (n,), groups = _additive(session, indicator, period, by, organisation, 0, None)
    return Result(indicator, period, int(n), _cells(by, groups, lambda v: int(v[0])))


def _additive(
    session: Session,
    indicator: "Indicator",
    period: Period,
    by: list[str],
    organisation: str | None,
    amount: int,
    column: Any,
) -> tuple[list[Any], dict[tuple[Any, ...], list[Any]]]:
    """The count (`column` None) or the sum of `column` of the facts of the indicator's one kind in
    the period: from the sums' roll-up (its `amount`) when it holds the answer, else the facts."""
    code = SUM_OF_KIND.get(indicator.kinds[0]) if len(indicator.kinds) == 1 else None
    cells = _summed_up(session, code, period, by, organisation)
    if cells is not None:
        return _totals_and_groups(by, cells, amount)
    aggregate = func.count() if column is None else func.sum(column)
    return _unit_sums(session, _facts(indicator.kinds, period, organisation), by, [aggregate])


def money_disbursed(
    session: Session, indicator: "Indicator", period: Period, by: list[str], organisation: str | None
) -> Result:
    cells = _summed_up(session, "grant_disbursed", period, by, organisation)
    if cells is not None:
        (mad, eur), groups = _totals_and_groups(by, cells, 2, 3)
    else:
        paid = _facts(("grant_disbursed",), period, organisation)
        (mad, eur), groups = _unit_sums(session, paid, by, [func.sum(_fact().value), func.sum(_fact().value_eur)])
    result = Result(indicator, period, _money(mad), _cells(by, groups, lambda v: _money(v[0])))
    result.total_eur = _money(eur)
    return result


def _retained() -> Any:
    """How many of the facts counted carry the flag (still employed, still active)."""
    return func.sum(case((_fact().flag.is_(True), 1), else_=0))


def retention(months: int) -> "Count":
    """The share of the placements' checks at `months` recorded in the period that found the person
    still employed. A check counts for its person's organisation (one without a person, for its own).
    The whole months of the period come from the roll-ups (ADR 26) when they hold the answer."""

    def count(
        session: Session, indicator: "Indicator", period: Period, by: list[str], organisation: str | None
    ) -> Result:
        if rolled_up_answer(session, period, by, from_start=False):
            cells = rolled_up_checks(session, months, period, by, organisation)
        else:
            cells = checks_from_facts(session, months, period, by, organisation)
        flagged, total = (sum(cell[i] for cell in cells.values()) for i in (0, 1))
        result = Result(indicator, period, _rate(flagged, total), numerator=flagged, denominator=total)
        if by:
            result.breakdown = [
                {**dict(zip(by, key, strict=True)), "value": _rate(kept, seen), "numerator": kept, "denominator": seen}
                for key, (kept, seen) in sorted(cells.items())
                if seen
            ]
        return result

    return count


Checks = dict[tuple[str, ...], tuple[int, int]]
"""Retention checks by breakdown cell: (still employed, checked)."""


def checks_from_facts(session: Session, months: int, period: Period, by: list[str], organisation: str | None) -> Checks:
    """The retention checks at `months` recorded in the period, read from the facts."""
    checks = select(_fact().id).where(*_in_period((RETENTION_KIND,), period), _fact().months == months)
    checks = checks.select_from(
        _SOURCE.get().activity.outerjoin(_people(), _people().c.beneficiary_id == _fact().beneficiary_id)
    )
    if organisation:
        owner = case(
            (_fact().beneficiary_id.is_not(None), _people().c.partner_organisation), else_=_fact().organisation
        )
        checks = checks.where(owner == organisation)
    dims = [person_dimension(d, period.end) for d in by]
    rows = _grouped(session, dims, by, [_retained(), func.count()], checks)
    return {tuple(row[: len(by)]): (int(row[-2] or 0), int(row[-1])) for row in rows if row[-1]}


def rolled_up_checks(session: Session, months: int, period: Period, by: list[str], organisation: str | None) -> Checks:
    """The same from `retention_month` for the period's whole months, and from the facts for the days
    at either edge that do not fill a month."""
    first, stop, edges = whole_months(period)
    cells: dict[tuple[str, ...], list[int]] = {}
    if stop is not None:
        rollup = table(RetentionMonth)
        query = select(*(rollup.c[d] for d in by), func.sum(rollup.c.retained), func.sum(rollup.c.checks)).where(
            rollup.c.months == months, rollup.c.month < stop
        )
        if first is not None:
            query = query.where(rollup.c.month >= first)
        if organisation:
            query = query.where(rollup.c.partner_organisation == organisation)
        if by:
            query = query.group_by(*(rollup.c[d] for d in by))
        for row in session.execute(query):
            key = tuple(v or "unknown" for v in row[: len(by)])  # "": a person reporting does not know
            cell = cells.setdefault(key, [0, 0])
            cell[0] += int(row[-2] or 0)
            cell[1] += int(row[-1] or 0)
    for edge in edges:
        for key, (kept, seen) in checks_from_facts(session, months, edge, by, organisation).items():
            cell = cells.setdefault(key, [0, 0])
            cell[0] += kept
            cell[1] += seen
    return {key: (kept, seen) for key, (kept, seen) in cells.items() if seen}


Sums = dict[tuple[str, ...], list[int]]
"""Sums by breakdown cell: [facts, flagged facts, value, value in EUR]; a cell is there when it
holds at least one fact, as a GROUP BY of the facts makes it."""


def rolled_up_sums(
    session: Session, code: str, period: Period, by: list[str], organisation: str | None, months: int | None = None
) -> Sums:
    """A sum (`SUMS`, or `LATEST_JOBS` from the programme's start) over the period: its whole
    months from `summed_month`, the days at either edge from `summed_unit` (ADR 26)."""
    first, stop, edges = whole_months(period)
    parts: list[tuple[Any, Any]] = []
    if stop is not None:
        rollup = table(SummedMonth)
        within = [rollup.c.month < stop, *([rollup.c.month >= first] if first is not None else [])]
        parts.append((rollup, within))
    for edge in edges:
        rollup = table(SummedUnit)
        parts.append((rollup, [rollup.c.day >= edge.start, rollup.c.day <= edge.end]))

    def read(only: str | None) -> dict[str, Sums]:
        by_code: dict[str, Sums] = {}
        for rollup, within in parts:
            c = rollup.c
            amounts = [func.sum(c.n), func.sum(c.flagged), func.sum(c.value), func.sum(c.value_eur)]
            query = select(c.code, *(c[d] for d in ["months", *by]), *amounts).where(*within)
            if organisation:
                query = query.where(c.scope.in_(("org", "both")), c.organisation == organisation)
            else:
                query = query.where(c.scope.in_(("all", "both")))
            for code_, *row in session.execute(_of_codes(query, rollup, ["months", *by], only)):
                cell = by_code.setdefault(code_, {}).setdefault(
                    (row[0], *(v or "unknown" for v in row[1 : len(by) + 1])), [0, 0, 0, 0]
                )
                for i, amount in enumerate(row[len(by) + 1 :]):
                    cell[i] += int(amount or 0)
        return by_code

    cells: Sums = {}
    for (at, *key), amounts in (_per_code(("sums", period, tuple(by), organisation), code, read) or {}).items():
        if months is None or at == months:
            cell = cells.setdefault(tuple(key), [0, 0, 0, 0])
            for i, amount in enumerate(amounts):
                cell[i] += amount
    return {key: cell for key, cell in cells.items() if cell[0]}


def _summed_up(
    session: Session, code: str | None, period: Period, by: list[str], organisation: str | None, **kwargs: Any
) -> Sums | None:
    """`rolled_up_sums` when the roll-ups hold the answer, else None (count from the facts)."""
    if code is None or not rolled_up_answer(
        session, period, by, from_start=False, dimensions=ROLLED_UP_UNIT_DIMENSIONS
    ):
        return None
    return rolled_up_sums(session, code, period, by, organisation, **kwargs)


def _totals_and_groups(by: list[str], cells: Sums, *amounts: int) -> tuple[list[int], dict[tuple[Any, ...], list[int]]]:
    """The shape `_unit_sums` answers in, from summed cells: the totals of `amounts` (indices into
    a cell), and the same by cell when there is a breakdown."""
    totals = [sum(cell[i] for cell in cells.values()) for i in amounts]
    return totals, ({key: [cell[i] for i in amounts] for key, cell in cells.items()} if by else {})


def whole_months(period: Period) -> tuple[date | None, date | None, list[Period]]:
    """The whole months of `period`, as the first day of the first (None: from the programme's
    start) and the first day after the last (None: no whole month), and the days at either edge
    outside them."""
    ends_a_month = _next_month(period.end) - timedelta(days=1) == period.end
    stop = _next_month(period.end) if ends_a_month else period.end.replace(day=1)
    first = None
    if period.start is not None:
        first = period.start if period.start.day == 1 else _next_month(period.start)
        if first >= stop:
            return None, None, [period]
    edges = []
    if period.start is not None and first is not None and period.start < first:
        edges.append(Period(period.start, first - timedelta(days=1)))
    if stop <= period.end:
        edges.append(Period(stop, period.end))
    return first, stop, edges


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def survival(months: int) -> "Count":
    """The share of the follow-up visits at `months` recorded in the period that found the venture active."""

    def count(
        session: Session, indicator: "Indicator", period: Period, by: list[str], organisation: str | None
    ) -> Result:
        cells = _summed_up(session, "follow_up", period, by, organisation, months=months)
        if cells is not None:
            (flagged, total), groups = _totals_and_groups(by, cells, 1, 0)
        else:
            visits = _facts(("follow_up",), period, organisation, _fact().months == months)
            (flagged, total), groups = _unit_sums(session, visits, by, [_retained(), func.count()])
        result = Result(indicator, period, _rate(flagged, total), numerator=flagged, denominator=total)
        result.breakdown = [
            {
                **dict(zip(by, key, strict=True)),
                "value": _rate(kept, seen),
                "numerator": int(kept),
                "denominator": int(seen),
            }
            for key, (kept, seen) in sorted(groups.items())
        ]
        return result

    return count


def _money(centimes: Any) -> Decimal:
    return Decimal(centimes or 0).scaleb(-2)


def _rate(flagged: Any, total: Any) -> float | None:
    """A percentage to one decimal; None ("no data") when there is nothing to measure, never 0 %."""
    return round(100 * int(flagged) / int(total), 1) if total else None


def funnel(
    session: Session, period: Period, organisation: str | None, source: Source = LIVE
) -> list[tuple[str, str, int]]:
    stages = []
    with reading(source):
        for name, kind, description in FUNNEL:
            where = (_fact().months == 3, _fact().flag.is_(True)) if kind == "retention" else ()
            people, _ = _count_people(session, (kind,), period, [], organisation, *where)
            stages.append((name, description, people))
    return stages


# -- the indicators ----------------------------------------------------------------------------

Count = Callable[[Session, "Indicator", Period, list[str], str | None], Result]


@dataclass(frozen=True)
class Indicator:
    """An indicator: its code, name and unit, its counting rule as people read it, the fact kinds it
        reads, and `count`, the function that counts it by that rule (with `where`, the condition on its
    facts, for the counts of unique people). `about_people`: a rate over facts
        about people (retention), broken down by the people's attributes. `fact_dimensions`: the
        attributes of its facts it also breaks down by (every fact it counts carries them)."""

    code: str
    name: str
    unit: Unit
    rule: str
    kinds: tuple[str, ...]
    count: Count = unique_people
    about_people: bool = False
    fact_dimensions: tuple[str, ...] = ()
    where: Callable[[Any], Any] | None = None
    """For `unique_people` and `units_once`: the condition its facts meet (given the facts'
    columns), if any."""

    @property
    def rolled_up(self) -> bool:
        """Counted from the roll-ups when they hold the answer (ADR 26): the unique-people counts."""
        return self.count is unique_people

    @property
    def per_unit(self) -> bool:
        """Counted from the units' roll-ups when they hold the answer: each unit once."""
        return self.count is units_once


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "1.1",
        "Direct jobs created or supported",
        Unit.UNITS,
        "People placed in a job (offers of kind job; internships and pre-employment placements are not jobs) "
        "whose job started in the period, plus the jobs (owners and employees, including people outside the "
        "programme) of supported enterprises at their latest follow-up visit in the period, if the enterprise is "
        "active.",
        ("placed", "follow_up"),
        jobs,
    ),
    Indicator(
        "1.2",
        "MSMEs created or supported",
        Unit.UNITS,
        "Ventures launched in the period (created) plus ventures that entered acceleration in the period "
        "(supported); a venture counts once.",
        ("launched", "venture_stage"),
        units_once,
        fact_dimensions=("venture_kind",),
        where=lambda f: or_(f.kind == "launched", f.category == "acceleration"),
    ),
    Indicator(
        "businesses_created",
        "New businesses created",
        Unit.UNITS,
        "Ventures launched in the period that were not trading when they entered the programme; a venture counts once.",
        ("launched",),
        units_once,
        fact_dimensions=("venture_kind",),
        where=lambda f: f.flag.is_not(True),
    ),
    Indicator(
        "businesses_strengthened",
        "Existing businesses strengthened",
        Unit.UNITS,
        "Ventures that were already trading when they entered the programme, admitted in the period to "
        "pre-incubation, incubation or acceleration; a venture counts once.",
        ("venture_stage",),
        units_once,
        fact_dimensions=("venture_kind",),
        where=lambda f: and_(f.flag.is_(True), f.category.in_(("pre_incubation", "incubation", "acceleration"))),
    ),
    Indicator(
        "1.3",
        "People assisted to develop income-generating activities",
        Unit.PERSONS,
        "Unique members of ventures that entered pre-incubation, incubation or acceleration in the period "
        "(or joined one then).",
        ("iga_support",),
        fact_dimensions=("venture_kind",),
    ),
    Indicator(
        "1.4",
        "People benefitting from professional trainings (TVET) and/or skills development",
        Unit.PERSONS,
        "Unique people who completed a course (any kind) in the period under the course's completion rule.",
        ("trained",),
        fact_dimensions=("course_kind",),
    ),
    Indicator(
        "vocational_training",
        "People who completed vocational training (TVET)",
        Unit.PERSONS,
        "Unique people who completed a vocational course in the period under the course's completion rule "
        "(digital, language, pre-employment and financial-education courses apart).",
        ("trained",),
        where=lambda f: f.category == "vocational",
    ),
    Indicator(
        "financial_education",
        "People who completed financial education",
        Unit.PERSONS,
        "Unique people who completed a financial-education course in the period under the course's completion rule.",
        ("trained",),
        where=lambda f: f.category == "financial_education",
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
        summed,
    ),
    Indicator(
        "3.11",
        "Awareness-raising events on migration",
        Unit.UNITS,
        "Information sessions held in the period.",
        ("outreach",),
        counted,
    ),
    Indicator(
        "placements",
        "Job placements facilitated and/or supported",
        Unit.PERSONS,
        "Unique people placed in a job, an internship or a pre-employment placement starting in the period.",
        ("placed",),
        fact_dimensions=("employer_type", "occupation_group"),
    ),
    Indicator(
        "placements_sme",
        "Job placements with small and medium enterprises",
        Unit.PERSONS,
        "Unique people placed (job, internship or pre-employment placement) starting in the period with an employer "
        "registered as a small or medium enterprise.",
        ("placed_with",),
        where=lambda f: f.category == "sme",
        fact_dimensions=("occupation_group",),
    ),
    Indicator(
        "placements_cooperative",
        "Job placements with cooperatives",
        Unit.PERSONS,
        "Unique people placed starting in the period with an employer registered as a cooperative.",
        ("placed_with",),
        where=lambda f: f.category == "cooperative",
        fact_dimensions=("occupation_group",),
    ),
    Indicator(
        "placements_csr",
        "Job placements through large companies' social-responsibility programmes",
        Unit.PERSONS,
        "Unique people placed starting in the period with a large company that has a social-responsibility (CSR) "
        "commitment.",
        ("placed_with",),
        where=lambda f: and_(f.category == "large_company", f.flag.is_(True)),
        fact_dimensions=("occupation_group",),
    ),
    Indicator(
        "job_fairs",
        "Job fairs held",
        Unit.UNITS,
        "Job fairs held in the period and closed with their figures.",
        ("job_fair",),
        counted,
    ),
    Indicator(
        "job_fair_employers",
        "Employers present at job fairs",
        Unit.UNITS,
        "The employers each job fair held in the period had present, summed (an employer at two fairs counts twice).",
        ("fair_employers",),
        summed,
    ),
    Indicator(
        "job_fair_attendance",
        "People attending job fairs",
        Unit.UNITS,
        "Everyone who came to the job fairs held in the period: programme people by name and others counted, as "
        "each fair reported (a person at two fairs counts twice).",
        ("job_fair",),
        summed,
    ),
    Indicator(
        "job_fair_hires",
        "People hired from job fairs",
        Unit.PERSONS,
        "Unique people placed in a job, an internship or a pre-employment placement starting in the period, "
        "from an application made at a job fair.",
        ("fair_hire",),
        fact_dimensions=("employer_type", "occupation_group"),
    ),
    Indicator(
        "financial_volume",
        "Financial volume granted to individual recipients",
        Unit.MAD,
        "Grant money disbursed in the period, in MAD (exact), and in EUR at each grant's rate.",
        ("grant_disbursed",),
        money_disbursed,
        fact_dimensions=("venture_kind",),
    ),
    Indicator(
        "retention_3m",
        "Job retention at 3 months",
        Unit.PERCENT,
        "Of placements whose 3-month check was recorded in the period, the share still employed "
        "(unreachable counts as not retained).",
        ("retention",),
        retention(3),
        about_people=True,
    ),
    Indicator(
        "retention_6m",
        "Job retention at 6 months",
        Unit.PERCENT,
        "The same at the 6-month check.",
        ("retention",),
        retention(6),
        about_people=True,
    ),
    Indicator(
        "retention_12m",
        "Job retention at 12 months",
        Unit.PERCENT,
        "The same at the 12-month check.",
        ("retention",),
        retention(12),
        about_people=True,
    ),
    Indicator(
        "survival_6m",
        "Enterprise survival at 6 months",
        Unit.PERCENT,
        "Of launched ventures whose 6-month follow-up visit was recorded in the period, the share still active.",
        ("follow_up",),
        survival(6),
        fact_dimensions=("venture_kind",),
    ),
    Indicator(
        "survival_12m",
        "Enterprise survival at 12 months",
        Unit.PERCENT,
        "The same at the 12-month visit.",
        ("follow_up",),
        survival(12),
        fact_dimensions=("venture_kind",),
    ),
)
BY_CODE = {i.code: i for i in INDICATORS}
