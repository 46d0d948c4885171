"""Keeping the roll-ups (ADR 26), each a table of rows and a table of their sums by month:

- `person_month` / `people_month`: for the unique-people indicators, each month a person has a
  qualifying fact in, with its first day and the month before it they had one in (their first
  month holds the first day they count), counted by month, previous month, sex, region and partner
  organisation;
- `retention_person` / `retention_month`: each person's retention checks by months after the start
  and month recorded, summed by those attributes;
- `indicator_unit` / `unit_month`: for the indicators that count ventures once, each venture's first
  day per indicator and organisation, counted by month and that first fact's attributes;
- `summed_unit` / `summed_month`: for the indicators that count or sum facts about units (sessions,
  job fairs, money paid, follow-up visits, jobs), each unit's facts by day and attributes, counted
  and summed (`indicators.SUMS`), and the changes to the jobs at each venture's latest visit.

The counting functions read them (`indicators.count_rolled_up`, `count_over_months`,
`count_rolled_up_units`, `retention`) when they hold the answer.

They are never moved by deltas worked out event by event. At the end of each batch, in its
transaction, the people the batch touched (facts written, registrations and changes, erasures and
merges: `write_behind.take_touched`) and the ventures whose facts it wrote are recounted with the
indicators' own kinds and conditions into a temporary table, and only the rows that differ from it
are replaced, their months adjusted (`_replace`): in SQL, the rows never leave the database (but
for the chains of a venture's latest visits, worked out in Python). The recount and the build
share their statements (`_person_months`, `_check_rows`, `_unit_rows`, `_sum_rows`).

A person whose facts only grew is recounted from their rows and the new facts (a month's first
day is the least of its days, a person's months are the union of theirs), and only for the
indicators those facts count for, unless their row was written too (their attributes may have
changed: all their rows). One whose facts moved, went or were told again is recounted from all
their facts. Retention rows are recounted only for a new check, a written row, an erasure or a
merge. Whatever happened to those people (a move, an erasure, a merge, a late or repeated event),
the result is the recount from scratch. The rebuild and the first start
build them from all the facts in one pass (`build`).
"""

import asyncio
import functools
import itertools
import time
import weakref
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateTable
from sqlmodel import Session

from work4life.runtime import db
from work4life.runtime.db import table

from ..adapters import write_behind
from ..adapters.orm import (
    NO_MONTH,
    SUMMED_FACTS,
    SUMMED_KINDS,
    VENTURE_FACTS,
    Activity,
    IndicatorUnit,
    PeopleMonth,
    Person,
    PersonMonth,
    RetentionMonth,
    RetentionPerson,
    RollupState,
    SummedMonth,
    SummedUnit,
    UnitMonth,
)
from .indicators import INDICATORS, LATEST_JOBS, RETENTION_KIND, SUMS, Indicator, Sum, rollup_signature

FACTS, PEOPLE = table(Activity), table(Person)
STATE = table(RollupState)
CHECK_ROWS, CHECK_MONTHS = table(RetentionPerson), table(RetentionMonth)
UNIT_ROWS, UNIT_MONTHS = table(IndicatorUnit), table(UnitMonth)
SUM_ROWS, SUM_MONTHS = table(SummedUnit), table(SummedMonth)
PERSON_MONTH_ROWS, PEOPLE_MONTHS = table(PersonMonth), table(PeopleMonth)
TABLES = (
    PERSON_MONTH_ROWS,
    PEOPLE_MONTHS,
    CHECK_ROWS,
    CHECK_MONTHS,
    UNIT_ROWS,
    UNIT_MONTHS,
    SUM_ROWS,
    SUM_MONTHS,
)
"""Every roll-up table: the rows and their sums by month."""
ATTRIBUTES = ("sex", "region", "partner_organisation")
LOCK = 0x57344C52
"""The PostgreSQL advisory lock that makes the roll-up step of concurrent consumers take turns: the
second recounts its people after the first committed, so it sees every fact of both."""
CHUNK = 500

_maintained = True


def maintain(on: bool) -> None:
    """Keep the roll-ups batch by batch (the default), or not (the rebuild builds them once at the
    end; `W4L_REPORTING_ROLLUPS=false` measures the projection without them)."""
    global _maintained
    _maintained = on
    write_behind.watch_rewrites(on)


def rolled_up() -> list[Indicator]:
    return [i for i in INDICATORS if i.rolled_up]


def per_unit() -> list[Indicator]:
    return [i for i in INDICATORS if i.per_unit]


def _qualifies(indicator: Indicator | Sum) -> Any:
    condition = (
        FACTS.c.kind.in_(indicator.kinds) if isinstance(indicator, Indicator) else FACTS.c.kind == indicator.kind
    )
    return and_(condition, indicator.where(FACTS.c)) if indicator.where else condition


def _attributes() -> list[Any]:
    """A person's attributes as the roll-ups keep them ("" for a person reporting does not know)."""
    return [func.coalesce(PEOPLE.c[name], "").label(name) for name in ATTRIBUTES]


def _with_people() -> Any:
    return FACTS.outerjoin(PEOPLE, PEOPLE.c.beneficiary_id == FACTS.c.beneficiary_id)


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})


@dataclass(frozen=True)
class Shape:
    """A roll-up's two tables: its rows, recounted for the people or units in column `by`, and the
    month table that sums them into `amount_names` by the rows' `cell` columns (the rows' own
    columns of those names, or, if the rows have none, one for each row). `part`: a column that
    splits a person's or unit's rows into parts a recount may cover alone (a person's indicator):
    then only the people or units in parameter `all_rows` have all their rows recounted, and the
    others' kept rows are compared in the parts the recount holds."""

    rows: Table
    months: Table
    by: str
    cell: tuple[str, ...]
    amount_names: tuple[str, ...]
    part: str | None = None

    @functools.cached_property
    def recount(self) -> Table:
        """The rows of a chunk of people or units as recounted: a temporary table, the connection's
        own, emptied for each chunk (and on PostgreSQL at commit, which truncates it: nothing
        autovacuums a temporary table, and rows deleted batch after batch would pile up in it)."""
        return Table(
            f"{self.rows.name}_recount",
            MetaData(),
            *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in self.rows.columns),
            prefixes=["TEMPORARY"],
            postgresql_on_commit="DELETE ROWS",
        )

    @functools.cached_property
    def changes(self) -> Table:
        """The rows that differ between the kept ones and the recount, each once, with its sign:
        -1 a kept row that leaves, +1 a recounted one that comes. A temporary table like
        `recount`: the difference is worked out once, and the month table, the rows that go and
        those that come are all read from it."""
        return Table(
            f"{self.rows.name}_changes",
            MetaData(),
            *(Column(c.name, c.type, nullable=c.nullable) for c in self.rows.columns),
            Column("sign", Integer, nullable=False),
            prefixes=["TEMPORARY"],
            postgresql_on_commit="DELETE ROWS",
        )

    @functools.cached_property
    def names(self) -> list[str]:
        return [column.name for column in self.rows.columns]

    def add(self, statement: Any) -> Any:
        """ON CONFLICT (the month's cell) add the change to its amounts."""
        return statement.on_conflict_do_update(
            index_elements=list(self.months.primary_key.columns),
            set_={name: self.months.c[name] + statement.excluded[name] for name in self.amount_names},
        )


PERSON_MONTHS_SHAPE = Shape(
    PERSON_MONTH_ROWS,
    PEOPLE_MONTHS,
    "beneficiary_id",
    ("code", "month", "previous", *ATTRIBUTES),
    ("people",),
    part="code",
)
CHECKS_SHAPE = Shape(
    CHECK_ROWS, CHECK_MONTHS, "beneficiary_id", ("months", "month", *ATTRIBUTES), ("checks", "retained")
)
UNIT_ATTRIBUTES = ("region", "venture_kind")
UNITS_SHAPE = Shape(
    UNIT_ROWS, UNIT_MONTHS, "unit_id", ("code", "month", "organisation", *UNIT_ATTRIBUTES, "overall"), ("units",)
)
SUM_CELL = ("scope", "months", "region", "organisation", "venture_kind")
SUM_AMOUNTS = ("n", "flagged", "value", "value_eur")
SUMS_SHAPE = Shape(SUM_ROWS, SUM_MONTHS, "unit_id", ("code", "month", *SUM_CELL), SUM_AMOUNTS)
SHAPES = (PERSON_MONTHS_SHAPE, CHECKS_SHAPE, UNITS_SHAPE, SUMS_SHAPE)


@functools.cache
def _create(shape: Shape, dialect: Any) -> tuple[str, ...]:
    return tuple(
        str(CreateTable(temporary, if_not_exists=True).compile(dialect=dialect))
        for temporary in (shape.recount, shape.changes)
    )


@dataclass(frozen=True)
class _Replacing:
    """The statements that replace the rows kept for parameter `ids` by those in the recount table
    where they differ, and move the month table by what left and what came: all in SQL, the rows
    never leave the database. The difference is found once (`differ`, two anti-joins into the
    changes table); the month table, the rows that go and those that come read it."""

    clear: Any
    differ: Any
    months: Any
    gone: Any
    came: Any


@functools.cache
def _replacing(shape: Shape, dialect: str) -> _Replacing:
    kept, recounted, changes = shape.rows, shape.recount, shape.changes
    same = and_(*(kept.c[name] == recounted.c[name] for name in shape.names))
    left = and_(db.among(dialect, kept.c[shape.by]), ~exists().where(same))
    if shape.part:
        covered = exists().where(*(recounted.c[name] == kept.c[name] for name in (shape.by, shape.part)))
        left = and_(left, or_(db.among(dialect, kept.c[shape.by], "all_rows"), covered))
    new = ~exists(select(literal(1)).select_from(kept).where(db.among(dialect, kept.c[shape.by]), same))
    names = [*shape.names, "sign"]
    differ = insert(changes).from_select(
        names,
        union_all(
            select(*kept.c[tuple(shape.names)], literal(-1).label("sign")).where(left),
            select(*recounted.c[tuple(shape.names)], literal(1).label("sign")).where(new),
        ),
    )
    if shape.amount_names[0] in changes.c:
        sums = [func.sum(changes.c[name] * changes.c.sign) for name in shape.amount_names]
    else:
        sums = [func.sum(changes.c.sign)]
    summed = (
        select(*changes.c[shape.cell], *sums)
        .where(true())  # SQLite: an INSERT ... SELECT with ON CONFLICT needs a WHERE
        .group_by(*changes.c[shape.cell])
        .having(or_(*(amount != 0 for amount in sums)))
    )
    months = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(shape.months)
    key = [column.name for column in kept.primary_key.columns]
    leaving = select(*changes.c[tuple(key)]).where(changes.c.sign == -1)
    return _Replacing(
        clear=(delete(recounted), delete(changes)),
        differ=differ,
        months=shape.add(months.from_select([*shape.cell, *shape.amount_names], summed)),
        gone=delete(kept).where(tuple_(*kept.c[tuple(key)]).in_(leaving)),
        came=insert(kept).from_select(shape.names, select(*changes.c[tuple(shape.names)]).where(changes.c.sign == 1)),
    )


def _replace(connection: Connection, shape: Shape, ids: dict[str, Any], fill: Callable[[], object]) -> None:
    """Recount the rows of `ids` (`fill` writes them into `shape.recount`), and replace the kept
    ones that differ."""
    statements = _replacing(shape, connection.dialect.name)
    for clear in statements.clear:
        connection.execute(clear)
    fill()
    if connection.execute(statements.differ, ids).rowcount == 0:
        return
    connection.execute(statements.months)
    connection.execute(statements.gone)
    connection.execute(statements.came)


# -- people: the months they count in, and the retention checks ----------------------------------


def _recount_people(
    connection: Connection, people: list[UUID], whole: set[UUID], profiled: set[UUID], facts: dict[UUID, list[int]]
) -> None:
    """Replace those of `people`'s `person_month` rows that a recount makes differently.

    For the people in `whole` (facts of theirs moved, removed or told again: an erasure, a merge, a
    fact rewritten), the recount reads all their facts (through the index on the person), every
    indicator's months at once. For the others only facts came, the transaction's `facts` (their
    rows' keys by person: each chunk looks up its own people's): their rows are those kept with
    their new facts' months added (a first day, a month) and their attributes as they stand, the
    same as a recount from all their facts and much less to read.
    Of those, a person whose row was written (`profiled`: registered, their attributes changed)
    has all their rows recounted; for the rest only the indicators the new facts count for can
    change (a month's first day, a month and the month after it), and only those are recounted
    and compared: in a backlog a person's facts come a few at a time, batch after batch."""
    dialect = connection.dialect.name
    statements = _people_statements(dialect)
    everything = [who for who in people if who in whole or who in profiled]

    def fill() -> None:
        if recounted := [who for who in people if who in whole]:
            connection.execute(statements.recount, db.listed(dialect, "ids", recounted))
        if added := [who for who in people if who not in whole]:
            parameters = {
                **db.listed(dialect, "ids", added),
                **db.listed(dialect, "all_rows", [who for who in added if who in profiled]),
                **db.listed(dialect, "facts", [fact for who in added for fact in facts.get(who, ())]),
            }
            connection.execute(statements.add, parameters)

    ids = {**db.listed(dialect, "ids", people), **db.listed(dialect, "all_rows", everything)}
    _replace(connection, PERSON_MONTHS_SHAPE, ids, fill)


@dataclass(frozen=True)
class _PeopleStatements:
    recount: Any
    add: Any


@functools.cache
def _people_statements(dialect: str) -> _PeopleStatements:
    kept, recounted = PERSON_MONTH_ROWS, PERSON_MONTHS_SHAPE.recount
    firsts = ("beneficiary_id", "code", "month", "first_on")
    new = _qualifying(
        dialect, rolled_up(), db.among(dialect, FACTS.c.id, "facts"), db.among(dialect, FACTS.c.beneficiary_id)
    ).cte("new")
    counted_for = exists().where(new.c.beneficiary_id == kept.c.beneficiary_id, new.c.code == kept.c.code)
    kept_and_new = union_all(
        select(*kept.c[firsts]).where(
            db.among(dialect, kept.c.beneficiary_id),
            or_(db.among(dialect, kept.c.beneficiary_id, "all_rows"), counted_for),
        ),
        select(*new.c[firsts]),
    )
    people = _qualifying(dialect, rolled_up(), db.among(dialect, FACTS.c.beneficiary_id))
    names = PERSON_MONTHS_SHAPE.names
    return _PeopleStatements(
        recount=insert(recounted).from_select(names, _person_months(people)),
        add=insert(recounted).from_select(names, _person_months(kept_and_new)),
    )


def _qualifying(dialect: str, indicators: list[Indicator], *where: Any) -> Any:
    """`where`'s facts that count for `indicators`, each as (person, indicator, month, day): a
    fact once for each indicator it counts for."""
    pairs = [select(literal(i.code).label("code"), literal(kind).label("kind")) for i in indicators for kind in i.kinds]
    codes = (union_all(*pairs) if len(pairs) > 1 else pairs[0]).subquery("codes")
    conditions = [or_(codes.c.code != i.code, i.where(FACTS.c)) for i in indicators if i.where]
    return (
        select(
            FACTS.c.beneficiary_id,
            codes.c.code,
            _month_expression(dialect, FACTS.c.occurred_on).label("month"),
            FACTS.c.occurred_on.label("first_on"),
        )
        .select_from(FACTS.outerjoin(codes, and_(codes.c.kind == FACTS.c.kind, *conditions)))
        .where(FACTS.c.beneficiary_id.is_not(None), codes.c.code.is_not(None), *where)
    )  # a LEFT JOIN that keeps only matches: SQLite then finds the facts first, by `where`'s index


def _person_months(days: Any) -> Any:
    """`person_month`'s rows, in its columns' order, from `days` (person, indicator, month, day):
    per person, indicator and month the first day and the month before (a window over them), with
    the person's attributes as they stand."""
    source = days.subquery("days")
    by = (source.c.beneficiary_id, source.c.code, source.c.month)
    grouped = select(*by, func.min(source.c.first_on).label("first_on")).group_by(*by).subquery("firsts")
    previous = func.lag(grouped.c.month).over(
        partition_by=(grouped.c.beneficiary_id, grouped.c.code), order_by=grouped.c.month
    )
    columns = {
        **{name: grouped.c[name] for name in ("beneficiary_id", "code", "month", "first_on")},
        **{attribute.name: attribute for attribute in _attributes()},
        "previous": func.coalesce(previous, literal(NO_MONTH, type_=Date)),
    }
    people = grouped.outerjoin(PEOPLE, PEOPLE.c.beneficiary_id == grouped.c.beneficiary_id)
    return select(*(columns[name] for name in PERSON_MONTHS_SHAPE.names)).select_from(people)


def _check_rows(dialect: str, *where: Any) -> Any:
    """`retention_person`'s rows, in its columns' order, from the retention checks `where` picks
    (by default every one, through the index on the kind)."""
    month = _month_expression(dialect, FACTS.c.occurred_on).label("month")
    columns = {
        "beneficiary_id": FACTS.c.beneficiary_id,
        "months": FACTS.c.months,
        "month": month,
        "checks": func.count().label("checks"),
        "retained": func.sum(case((FACTS.c.flag.is_(True), 1), else_=0)).label("retained"),
        **{attribute.name: attribute for attribute in _attributes()},
    }
    return (
        select(*(columns[name] for name in CHECKS_SHAPE.names))
        .select_from(_with_people())
        .where(FACTS.c.beneficiary_id.is_not(None), *(where or (FACTS.c.kind == RETENTION_KIND,)))
        .group_by(FACTS.c.beneficiary_id, FACTS.c.months, month, *(PEOPLE.c[name] for name in ATTRIBUTES))
    )


@functools.cache
def _statements_for_checks(dialect: str) -> tuple[Any, Any]:
    """Which of the people have retention rows; their rows recounted."""
    having = select(CHECK_ROWS.c.beneficiary_id).where(db.among(dialect, CHECK_ROWS.c.beneficiary_id)).distinct()
    rows = _check_rows(
        dialect, db.among(dialect, FACTS.c.beneficiary_id), *_kinds(dialect, True, FACTS.c.kind == RETENTION_KIND)
    )
    return having, insert(CHECKS_SHAPE.recount).from_select(CHECKS_SHAPE.names, rows)


def _refresh_checks(connection: Connection, people: list[UUID], profiled: set[UUID], must: set[UUID]) -> None:
    """Recount the retention rows of those of `people` who `must` be (a retention fact of theirs
    was written, or an erasure or a merge moved facts to them) or whose row was written
    (`profiled`: their attributes may have changed) and who have some. The others (most: a new
    fact of another kind) have no check that could have changed, and cost no read."""
    dialect = connection.dialect.name
    having, recount = _statements_for_checks(dialect)
    who = must.intersection(people)
    if written := [person for person in people if person in profiled and person not in must]:
        who |= set(connection.execute(having, db.listed(dialect, "ids", written)).scalars())
    if who:
        ids = db.listed(dialect, "ids", sorted(who, key=str))
        _replace(connection, CHECKS_SHAPE, ids, lambda: connection.execute(recount, ids))


# -- units: each venture's first day per indicator and organisation --------------------------------


def _unit_column(name: str) -> Any:
    """A venture fact's attribute as the roll-ups keep it ("" where it names none)."""
    return func.coalesce(func.nullif(FACTS.c[name], ""), "").label(name)


def _kinds(dialect: str, few: bool, *kinds: Any, partial: Any = None) -> list[Any]:
    """Conditions on the facts' kind in a recount of a few people's or units' facts, which it reads
    through the index on the person or unit (`partial`: the condition of the partial index on the
    unit, which the query must imply to read through it). A condition on the kind must not be a way
    in: read through the index on the kind, a recount reads every fact of that kind, a cost that
    grows with the programme. SQLite keeps no statistics and would take it; PostgreSQL took it for
    the retention checks, whose statistics, gathered while the projection was young, counted next
    to none (docs/PERFORMANCE.md, twentieth set). In `coalesce(condition, false)` a condition keeps
    its meaning and is no way in for either. SQLite sees through `likely()`: there the partial
    index's condition stays implied, and weighs less as a way in."""
    if not few:
        return [*([partial] if partial is not None else []), *kinds]
    implied = [func.likely(partial) if dialect == "sqlite" else partial] if partial is not None else []
    return [*implied, *(func.coalesce(kind, false()) for kind in kinds)]


def _unit_rows(dialect: str, indicator: Indicator, *where: Any, few: bool = False) -> Any:
    """`indicator_unit`'s rows of `indicator`, in its columns' order, from `where`'s venture facts:
    each venture's first qualifying fact in each organisation (ranked by day, then as recorded),
    and whether it is the venture's first of all."""
    organisation = _unit_column("organisation")
    order = (FACTS.c.occurred_on, FACTS.c.id)
    facts = select(
        FACTS.c.unit_id,
        FACTS.c.occurred_on,
        organisation,
        *(_unit_column(name) for name in UNIT_ATTRIBUTES),
        func.row_number().over(partition_by=(FACTS.c.unit_id, organisation), order_by=order).label("in_org"),
        func.row_number().over(partition_by=FACTS.c.unit_id, order_by=order).label("of_all"),
    ).where(
        FACTS.c.unit_id.is_not(None), *where, *_kinds(dialect, few, _qualifies(indicator), partial=text(VENTURE_FACTS))
    )
    ranked = facts.subquery()
    columns = {
        **{column.name: column for column in ranked.c},
        "code": literal(indicator.code).label("code"),
        "first_on": ranked.c.occurred_on,
        "month": _month_expression(dialect, ranked.c.occurred_on),
        "overall": ranked.c.of_all == 1,
    }
    return select(*(columns[name] for name in UNITS_SHAPE.names)).where(ranked.c.in_org == 1)


@functools.cache
def _recount_units(dialect: str) -> Any:
    among = db.among(dialect, FACTS.c.unit_id)
    rows = union_all(*(_unit_rows(dialect, indicator, among, few=True) for indicator in per_unit()))
    return insert(UNITS_SHAPE.recount).from_select(UNITS_SHAPE.names, rows)


# -- units: their facts counted and summed by day, and the jobs at each venture's latest visit ------


@dataclass(frozen=True)
class Visit:
    """A follow-up visit, as the chain of latest visits needs it."""

    day: date
    months: int
    fact: int
    active: bool
    jobs: int
    region: str
    organisation: str
    venture_kind: str

    @property
    def rank(self) -> tuple[int, int]:
        """The latest visit ranks first: the most months after launch, then the first recorded."""
        return (-self.months, self.fact)


Sums = dict[tuple[Any, ...], list[int]]
"""`summed_unit`'s rows by key (unit, code, day, scope, months, region, organisation, kind), as
amounts being added up."""


def _add(sums: Sums, key: tuple[Any, ...], amounts: tuple[int, ...]) -> None:
    cell = sums.setdefault(key, [0] * len(SUM_AMOUNTS))
    for i, amount in enumerate(amounts):
        cell[i] += amount


def _chains(sums: Sums, unit: UUID, visits: list[Visit]) -> None:
    """The chain of a venture's latest visits over all its visits, and, if they name more than one
    organisation, over each organisation's: what a count without and with a filter reads."""
    organisations = {visit.organisation for visit in visits}
    if len(organisations) == 1:
        _chain(sums, unit, "both", visits)
        return
    _chain(sums, unit, "all", visits)
    for organisation in organisations:
        _chain(sums, unit, "org", [visit for visit in visits if visit.organisation == organisation])


def _chain(sums: Sums, unit: UUID, scope: str, visits: list[Visit]) -> None:
    """Day by day, the latest of the visits made so far: on a day a new one takes over, the jobs of
    the one it replaces leave (if it found the venture active) and its own come."""
    latest: Visit | None = None
    for day, same_day in itertools.groupby(sorted(visits, key=lambda v: v.day), key=lambda v: v.day):
        top = min([*([latest] if latest else []), *same_day], key=lambda v: v.rank)
        if top is latest:
            continue
        for visit, sign in ((latest, -1), (top, 1)):
            if visit is not None and visit.active:
                key = (unit, LATEST_JOBS, day, scope, 0, visit.region, visit.organisation, visit.venture_kind)
                _add(sums, key, (sign, 0, sign * visit.jobs, 0))
        latest = top


def _sum_columns() -> list[Any]:
    """A summed fact's columns as the roll-up keeps them."""
    return [
        FACTS.c.unit_id,
        FACTS.c.occurred_on,
        FACTS.c.id,
        func.coalesce(FACTS.c.months, 0).label("months"),
        FACTS.c.flag,
        FACTS.c.value,
        FACTS.c.value_eur,
        *(_unit_column(name) for name in ("organisation", "region", "venture_kind")),
    ]


def _sum_rows(dialect: str, summed: Sum, *where: Any, few: bool = False) -> Any:
    """`summed_unit`'s rows of `summed`, in its columns' order, from `where`'s facts: counted and
    summed by unit, day and attributes. `few`: a recount of a few units' facts, read through the
    partial index on the summed facts' units (the build reads each kind's through its own)."""
    given = {column.name: column for column in _sum_columns()}
    columns = {
        **given,
        "code": literal(summed.code).label("code"),
        "day": FACTS.c.occurred_on,
        "scope": literal("both").label("scope"),
        "month": _month_expression(dialect, FACTS.c.occurred_on).label("month"),
        "n": func.count().label("n"),
        "flagged": func.sum(case((FACTS.c.flag.is_(True), 1), else_=0)).label("flagged"),
        "value": func.sum(FACTS.c.value).label("value"),
        "value_eur": func.sum(FACTS.c.value_eur).label("value_eur"),
    }
    rows = select(*(columns[name] for name in SUMS_SHAPE.names))
    partial = text(SUMMED_FACTS) if few else None
    rows = rows.where(FACTS.c.unit_id.is_not(None), *where, *_kinds(dialect, few, _qualifies(summed), partial=partial))
    positions = [SUMS_SHAPE.names.index(name) + 1 for name in ("unit_id", "day", *SUM_CELL[1:])]
    return rows.group_by(*(literal_column(str(n)) for n in positions))  # by position: PostgreSQL
    # would see the attributes' expressions in GROUP BY, their parameters numbered anew, as others


@functools.cache
def _recount_sums(dialect: str) -> Any:
    among = db.among(dialect, FACTS.c.unit_id)
    rows = union_all(*(_sum_rows(dialect, summed, among, few=True) for summed in SUMS))
    return insert(SUMS_SHAPE.recount).from_select(SUMS_SHAPE.names, rows)


@functools.cache
def _visits_query(dialect: str) -> Any:
    visits = select(*_sum_columns()).where(db.among(dialect, FACTS.c.unit_id))
    return visits.where(*_kinds(dialect, True, FACTS.c.kind == "follow_up", partial=text(SUMMED_FACTS)))


def _visits(rows: Iterable[Any]) -> list[Visit]:
    return [
        Visit(_as_date(day), months, fact, bool(flag), value, region, organisation, kind)
        for _, day, fact, months, flag, value, _, organisation, region, kind in rows
    ]


def _refresh_units(connection: Connection, units: list[UUID]) -> None:
    dialect = connection.dialect.name
    ids = db.listed(dialect, "ids", units)
    _replace(connection, UNITS_SHAPE, ids, lambda: connection.execute(_recount_units(dialect), ids))

    def fill() -> None:
        connection.execute(_recount_sums(dialect), ids)
        chains: Sums = {}
        visits = connection.execute(_visits_query(dialect), ids).all()
        for unit, facts in itertools.groupby(sorted(visits, key=lambda row: str(row[0])), key=lambda row: row[0]):
            _chains(chains, unit, _visits(facts))
        _insert_sums(connection, SUMS_SHAPE.recount, chains)

    _replace(connection, SUMS_SHAPE, ids, fill)


def _as_date(day: Any) -> date:
    return day if isinstance(day, date) else date.fromisoformat(str(day))


@dataclass(frozen=True)
class _Meters:
    seconds: Any
    people: Any
    ventures: Any


_meters: "weakref.WeakKeyDictionary[Engine, _Meters]" = weakref.WeakKeyDictionary()


def measure(engine: Engine, registry: CollectorRegistry, service: str) -> None:
    """Put on `registry` (the service's /metrics) how long the roll-up step of each batch on
    `engine` takes, and how many people and ventures it recounts: what keeping them costs the
    projection, as ops see it (docs/METRICS.md)."""
    recounted = Counter(
        "w4l_reporting_rollups_recounted_total",
        "People and ventures whose roll-up rows a batch recounted, by what they are.",
        ["service", "what"],
        registry=registry,
    )
    _meters[engine] = _Meters(
        seconds=Histogram(
            "w4l_reporting_rollups_duration_seconds",
            "Time a batch's transaction spent keeping the roll-ups (recounting and replacing rows).",
            ["service"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        ).labels(service=service),
        people=recounted.labels(service=service, what="people"),
        ventures=recounted.labels(service=service, what="ventures"),
    )


def refresh(session: Session) -> None:
    """The commit hook: recount the roll-ups of the people and units the transaction touched."""
    started = time.perf_counter()
    people = write_behind.take_touched(session)
    by = write_behind.take_touched_by(session)
    units = write_behind.take_touched_units(session)
    new_facts = write_behind.take_new_facts(session)
    if not (people or units) or not _maintained:
        return
    facts: dict[UUID, list[int]] = {}  # each person's: a chunk's recount looks up its people's alone
    for fact, who in new_facts.items():
        facts.setdefault(who, []).append(fact)
    session.flush()  # an erasure's or a merge's changes to facts and people, before recounting
    connection = session.connection()
    _lock(connection)
    must = by.get(write_behind.EXPLICITLY, set()) | by.get(RETENTION_KIND, set())
    whole = by.get(write_behind.EXPLICITLY, set())
    profiled = by.get(write_behind.PROFILED, set())
    shapes = [*((PERSON_MONTHS_SHAPE, CHECKS_SHAPE) if people else ()), *((UNITS_SHAPE, SUMS_SHAPE) if units else ())]
    for shape in shapes:
        for create in _create(shape, connection.dialect):
            connection.exec_driver_sql(create)
    ordered = sorted(people, key=str)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        _recount_people(connection, chunk, whole, profiled, facts)
        _refresh_checks(connection, chunk, profiled, must)
    ordered = sorted(units, key=str)
    for start in range(0, len(ordered), CHUNK):
        _refresh_units(connection, ordered[start : start + CHUNK])
    if meters := _meters.get(connection.engine):
        meters.people.inc(len(people))
        meters.ventures.inc(len(units))
        meters.seconds.observe(time.perf_counter() - started)


# -- building them from every fact ---------------------------------------------------------------


def _month_expression(dialect: str, day: Any) -> Any:
    """The first day of `day`'s month (a text 'YYYY-MM-01' on SQLite)."""
    if dialect == "postgresql":
        return cast(func.date_trunc("month", day), Date)
    return func.date(day, "start of month")


def build(connection: Connection) -> None:
    """Build the roll-ups from all the facts (the same statements as a recount, over every fact),
    and record what they were built for."""
    _lock(connection)
    for rollup in TABLES:
        connection.execute(delete(rollup))
    dialect = connection.dialect.name
    for indicator in rolled_up():  # one statement per indicator: each a sort of its facts alone
        rows = _person_months(_qualifying(dialect, [indicator]))
        connection.execute(insert(PERSON_MONTH_ROWS).from_select(PERSON_MONTHS_SHAPE.names, rows))
    connection.execute(insert(CHECK_ROWS).from_select(CHECKS_SHAPE.names, _check_rows(dialect)))
    for indicator in per_unit():
        connection.execute(insert(UNIT_ROWS).from_select(UNITS_SHAPE.names, _unit_rows(dialect, indicator)))
    for summed in SUMS:
        connection.execute(insert(SUM_ROWS).from_select(SUMS_SHAPE.names, _sum_rows(dialect, summed)))
    _build_chains(connection)
    for shape in SHAPES:
        rows = shape.rows
        amounts = [func.sum(rows.c[name]) if name in rows.c else func.count() for name in shape.amount_names]
        summed_up = select(*rows.c[shape.cell], *amounts).group_by(*rows.c[shape.cell])
        connection.execute(insert(shape.months).from_select([*shape.cell, *shape.amount_names], summed_up))
    connection.execute(delete(STATE))
    connection.execute(insert(STATE).values(id=1, signature=rollup_signature(), built_at=datetime.now(UTC)))


def _build_chains(connection: Connection) -> None:
    """The chains of latest visits from every follow-up visit, read in unit order."""
    visits = select(*_sum_columns()).where(FACTS.c.kind == "follow_up", FACTS.c.unit_id.is_not(None))
    stream = connection.execute(visits.order_by(FACTS.c.unit_id).execution_options(yield_per=10_000))
    chains: Sums = {}
    for unit, facts in itertools.groupby(stream, key=lambda row: row[0]):
        _chains(chains, unit, _visits(facts))
        if len(chains) >= 10_000:
            _insert_sums(connection, SUM_ROWS, chains)
            chains = {}
    _insert_sums(connection, SUM_ROWS, chains)


def _insert_sums(connection: Connection, into: Table, sums: Sums) -> None:
    names = ("unit_id", "code", "day", *SUM_CELL)
    rows = [
        {
            **dict(zip(names, key, strict=True)),
            "month": key[2].replace(day=1),
            **dict(zip(SUM_AMOUNTS, amounts, strict=True)),
        }
        for key, amounts in sums.items()
        if any(amounts)
    ]
    if rows:
        db.insert_many(connection, into, rows)


def forget(connection: Connection) -> None:
    """Mark the roll-ups as not kept: counts read the facts, and the next start with roll-ups on
    builds them again."""
    connection.execute(delete(STATE))


def prepare(engine: Engine, enabled: bool) -> bool:
    """At start: build the roll-ups if they are on and were not built for these indicators; forget
    them if they are off. True if they were built."""
    maintain(enabled)
    with Session(engine) as session:
        connection = session.connection()
        if not enabled:
            forget(connection)
        elif connection.execute(select(STATE.c.signature)).scalar_one_or_none() == rollup_signature():
            return False
        else:
            build(connection)
        session.commit()
    return enabled


def keeper(engine: Engine, enabled: bool) -> Callable[[], Coroutine[Any, Any, None]]:
    """The service's background job that prepares the roll-ups once, when it starts."""

    async def prepare_rollups() -> None:
        await asyncio.to_thread(prepare, engine, enabled)

    return prepare_rollups


write_behind.on_commit(
    refresh,
    kinds={RETENTION_KIND, *(kind for indicator in rolled_up() for kind in indicator.kinds)},
    unit_kinds={*SUMMED_KINDS, *(kind for indicator in per_unit() for kind in indicator.kinds)},
    watched_kinds={RETENTION_KIND},
)
maintain(True)
