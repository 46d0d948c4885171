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
indicators' own kinds and conditions, and only the rows that changed are replaced, their months
adjusted (`_recount_people` in SQL, `_replace_changed` in Python). A person whose facts only grew
is recounted from their rows and the new facts (a month's first day is the least of its days, a
person's months are the union of theirs); one whose facts moved, went or were told again is
recounted from all their facts. Whatever happened to those people (a move, an erasure, a merge, a
late or repeated event), the result is the recount from scratch. The rebuild and the first start
build them from all the facts in one pass (`build`).
"""

import asyncio
import functools
import itertools
import json
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Date,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
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
    """A roll-up's two tables: its rows, by `key` with `values`, and the month table that sums
    `amounts(row)` into `amount_names` by the row's `cell` columns."""

    rows: Any
    months: Any
    key: tuple[str, ...]
    values: tuple[str, ...]
    cell: tuple[str, ...]
    amount_names: tuple[str, ...]
    amounts: Callable[[dict[str, Any]], tuple[int, ...]]

    @functools.cached_property
    def delete(self) -> Any:
        return delete(self.rows).where(*(self.rows.c[name] == bindparam(f"k_{name}") for name in self.key))

    def add(self, statement: Any) -> Any:
        """ON CONFLICT (the month's cell) add the change to its amounts."""
        return statement.on_conflict_do_update(
            index_elements=list(self.months.primary_key.columns),
            set_={name: self.months.c[name] + statement.excluded[name] for name in self.amount_names},
        )


def _one(_: dict[str, Any]) -> tuple[int, ...]:
    return (1,)


PERSON_MONTHS_SHAPE = Shape(
    PERSON_MONTH_ROWS,
    PEOPLE_MONTHS,
    ("beneficiary_id", "code", "month"),
    ("previous", "first_on", *ATTRIBUTES),
    ("code", "month", "previous", *ATTRIBUTES),
    ("people",),
    _one,
)
CHECKS_SHAPE = Shape(
    CHECK_ROWS,
    CHECK_MONTHS,
    ("beneficiary_id", "months", "month"),
    ("checks", "retained", *ATTRIBUTES),
    ("months", "month", *ATTRIBUTES),
    ("checks", "retained"),
    lambda row: (row["checks"], row["retained"]),
)
UNIT_ATTRIBUTES = ("region", "venture_kind")
UNITS_SHAPE = Shape(
    UNIT_ROWS,
    UNIT_MONTHS,
    ("code", "unit_id", "organisation"),
    ("first_on", "month", "overall", *UNIT_ATTRIBUTES),
    ("code", "month", "organisation", *UNIT_ATTRIBUTES, "overall"),
    ("units",),
    _one,
)

SUM_CELL = ("scope", "months", "region", "organisation", "venture_kind")
SUM_AMOUNTS = ("n", "flagged", "value", "value_eur")
SUMS_SHAPE = Shape(
    SUM_ROWS,
    SUM_MONTHS,
    ("unit_id", "code", "day", *SUM_CELL),
    ("month", *SUM_AMOUNTS),
    ("code", "month", *SUM_CELL),
    SUM_AMOUNTS,
    lambda row: tuple(row[name] for name in SUM_AMOUNTS),
)

Rows = dict[tuple[Any, ...], tuple[Any, ...]]
"""A roll-up's rows by key: its `values`, in order."""


def _replace_changed(connection: Connection, shape: Shape, old: Rows, new: Rows) -> None:
    """Replace the rows that differ between `old` (as kept) and `new` (as recounted), and move the
    month table by what left and what came."""
    gone = {key: row for key, row in old.items() if new.get(key) != row}
    came = {key: row for key, row in new.items() if old.get(key) != row}
    if not gone and not came:
        return  # the usual case: more facts for people already counted from the same day
    if gone:
        connection.execute(shape.delete, [{f"k_{n}": v for n, v in zip(shape.key, key, strict=True)} for key in gone])
    as_rows = {
        changed: [
            {**dict(zip(shape.key, k, strict=True)), **dict(zip(shape.values, v, strict=True))} for k, v in rows.items()
        ]
        for changed, rows in (("gone", gone), ("came", came))
    }
    if came:
        db.insert_many(connection, shape.rows, as_rows["came"])
    moves: dict[tuple[Any, ...], list[int]] = {}
    for sign, changed in ((-1, "gone"), (1, "came")):
        for row in as_rows[changed]:
            sums = moves.setdefault(tuple(row[name] for name in shape.cell), [0] * len(shape.amount_names))
            for i, amount in enumerate(shape.amounts(row)):
                sums[i] += sign * amount
    months = [
        {**dict(zip(shape.cell, cell, strict=True)), **dict(zip(shape.amount_names, sums, strict=True))}
        for cell, sums in sorted(moves.items(), key=lambda item: tuple(str(v) for v in item[0]))
        if any(sums)
    ]
    if months:
        db.insert_many(connection, shape.months, months, shape.add)


def _kept(connection: Connection, shape: Shape, column: str, ids: Iterable[UUID]) -> Rows:
    query = _kept_query(shape, column, connection.dialect.name)
    n = len(shape.key)
    return {tuple(row[:n]): tuple(row[n:]) for row in connection.execute(query, _ids(connection, ids))}


@functools.cache
def _kept_query(shape: Shape, column: str, dialect: str) -> Any:
    columns = [shape.rows.c[name] for name in (*shape.key, *shape.values)]
    return select(*columns).where(_among(dialect, shape.rows.c[column]))


# -- people: the months they count in, and the retention checks ----------------------------------


RECOUNT = Table(
    "person_month_recount",
    MetaData(),
    *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in PERSON_MONTH_ROWS.columns),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
"""A chunk of people's `person_month` rows as recounted: a temporary table, the connection's own,
emptied for each chunk (and on PostgreSQL at commit, which truncates it: nothing autovacuums a
temporary table, and rows deleted batch after batch would pile up in it)."""
PERSON_MONTH_NAMES = [column.name for column in PERSON_MONTH_ROWS.columns]


@functools.cache
def _create_recount(dialect: Any) -> str:
    return str(CreateTable(RECOUNT, if_not_exists=True).compile(dialect=dialect))


def _recount_people(connection: Connection, people: list[UUID], whole: set[UUID], facts: set[str]) -> None:
    """Replace those of `people`'s `person_month` rows that a recount makes differently, and move
    `people_month` by what left and what came: all in SQL, the rows never leave the database.

    The recount goes into `RECOUNT`, and the rows kept and recounted are compared there. For the
    people in `whole` (facts of theirs moved, removed or told again: an erasure, a merge, a fact
    rewritten), it reads all their facts (through the index on the person), every indicator's
    months at once. For the others only facts came, the transaction's `facts`: their rows are
    those kept with the new facts' months added (a first day, a month) and their attributes as
    they stand, the same as a recount from all their facts and much less to read."""
    statements = _people_statements(connection.dialect.name)
    ids = _listed(connection, "ids", people)
    connection.execute(statements.clear)
    if recounted := [who for who in people if who in whole]:
        connection.execute(statements.recount, _listed(connection, "ids", recounted))
    if added := [who for who in people if who not in whole]:
        connection.execute(statements.add, {**_listed(connection, "ids", added), **_listed(connection, "facts", facts)})
    connection.execute(statements.months, ids)
    connection.execute(statements.gone, ids)
    connection.execute(statements.came)


@dataclass(frozen=True)
class _PeopleStatements:
    clear: Any
    recount: Any
    add: Any
    months: Any
    gone: Any
    came: Any


@functools.cache
def _people_statements(dialect: str) -> _PeopleStatements:
    kept, recounted = PERSON_MONTH_ROWS, RECOUNT
    same = and_(*(kept.c[name] == recounted.c[name] for name in PERSON_MONTH_NAMES))
    left = and_(_among(dialect, kept.c.beneficiary_id), ~exists().where(same))
    new = ~exists(select(literal(1)).select_from(kept).where(same))
    cell = PERSON_MONTHS_SHAPE.cell
    moves = union_all(
        select(*kept.c[cell], literal(-1).label("people")).where(left),
        select(*recounted.c[cell], literal(1).label("people")).where(new),
    ).subquery()
    summed = (
        select(*moves.c[cell], func.sum(moves.c.people))
        .where(true())  # SQLite: an INSERT ... SELECT with ON CONFLICT needs a WHERE
        .group_by(*moves.c[cell])
        .having(func.sum(moves.c.people) != 0)
    )
    months = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(PEOPLE_MONTHS)
    firsts = ("beneficiary_id", "code", "month", "first_on")
    kept_and_new = union_all(
        select(*kept.c[firsts]).where(_among(dialect, kept.c.beneficiary_id)),
        _qualifying(
            dialect,
            rolled_up(),
            _among(dialect, FACTS.c.fact_id, "facts"),
            _among(dialect, FACTS.c.beneficiary_id),
        ),
    )
    people = _qualifying(dialect, rolled_up(), _among(dialect, FACTS.c.beneficiary_id))
    return _PeopleStatements(
        clear=delete(recounted),
        recount=insert(recounted).from_select(PERSON_MONTH_NAMES, _person_months(people)),
        add=insert(recounted).from_select(PERSON_MONTH_NAMES, _person_months(kept_and_new)),
        months=PERSON_MONTHS_SHAPE.add(months.from_select([*cell, "people"], summed)),
        gone=delete(kept).where(left),
        came=insert(kept).from_select(PERSON_MONTH_NAMES, select(*recounted.c[tuple(PERSON_MONTH_NAMES)]).where(new)),
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
    return select(*(columns[name] for name in PERSON_MONTH_NAMES)).select_from(people)


def recount_checks(connection: Connection, people: Iterable[UUID]) -> Rows:
    """`people`'s `retention_person` rows as a recount from their facts makes them."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for who, months, day, flag, sex, region, organisation in connection.execute(
        _checks_query(connection.dialect.name), _ids(connection, people)
    ):
        row = sums.setdefault((who, months, _as_date(day).replace(day=1)), [0, 0, sex, region, organisation])
        row[0] += 1
        row[1] += 1 if flag else 0
    return {key: tuple(row) for key, row in sums.items()}


@functools.cache
def _checks_query(dialect: str) -> Any:
    """The people's retention checks, one row per check, with the person's attributes."""
    return (
        select(FACTS.c.beneficiary_id, FACTS.c.months, FACTS.c.occurred_on, FACTS.c.flag, *_attributes())
        .select_from(_with_people())
        .where(_among(dialect, FACTS.c.beneficiary_id), FACTS.c.kind == RETENTION_KIND)
    )


# -- units: each venture's first day per indicator and organisation --------------------------------


def recount_units(connection: Connection, units: Iterable[UUID]) -> Rows:
    """`units`' `indicator_unit` rows as a recount from their facts makes them: per indicator and
    organisation the first qualifying fact (by day, then as recorded), and which of those is the
    unit's first of all."""
    indicators = per_unit()
    firsts: dict[tuple[str, UUID, str], tuple[date, int, str, str]] = {}
    overall: dict[tuple[str, UUID], tuple[date, int, str]] = {}
    for unit, day, fact, organisation, region, kind, *qualifies in connection.execute(
        _units_query(connection.dialect.name), _ids(connection, units)
    ):
        on = _as_date(day)
        for indicator, counts in zip(indicators, qualifies, strict=True):
            if not counts:
                continue
            key = (indicator.code, unit, organisation)
            if key not in firsts or (on, fact) < firsts[key][:2]:
                firsts[key] = (on, fact, region, kind)
            top = (indicator.code, unit)
            if top not in overall or (on, fact) < overall[top][:2]:
                overall[top] = (on, fact, organisation)
    return {
        (code, unit, organisation): (on, on.replace(day=1), overall[(code, unit)][2] == organisation, region, kind)
        for (code, unit, organisation), (on, _, region, kind) in firsts.items()
    }


def _unit_column(name: str) -> Any:
    """A venture fact's attribute as the roll-ups keep it ("" where it names none)."""
    return func.coalesce(func.nullif(FACTS.c[name], ""), "").label(name)


@functools.cache
def _units_query(dialect: str) -> Any:
    qualifies = [case((_qualifies(i), True), else_=False) for i in per_unit()]
    return select(
        FACTS.c.unit_id,
        FACTS.c.occurred_on,
        FACTS.c.id,
        *(_unit_column(name) for name in ("organisation", *UNIT_ATTRIBUTES)),
        *qualifies,
    ).where(_among(dialect, FACTS.c.unit_id), text(VENTURE_FACTS))  # as the partial index says it


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
"""`summed_unit`'s rows by key, as amounts being added up."""


def _add(sums: Sums, key: tuple[Any, ...], amounts: tuple[int, ...]) -> None:
    cell = sums.setdefault(key, [0] * len(SUM_AMOUNTS))
    for i, amount in enumerate(amounts):
        cell[i] += amount


def recount_sums(connection: Connection, units: Iterable[UUID]) -> Rows:
    """`units`' `summed_unit` rows as a recount from their facts makes them."""
    sums: Sums = {}
    visits: dict[UUID, list[Visit]] = {}
    for unit, day, fact, months, flag, value, value_eur, organisation, region, kind, *qualifies in connection.execute(
        _sums_query(connection.dialect.name), _ids(connection, units)
    ):
        on = _as_date(day)
        for summed, counts in zip(SUMS, qualifies, strict=True):
            if counts:
                key = (unit, summed.code, on, "both", months, region, organisation, kind)
                _add(sums, key, (1, 1 if flag else 0, value, value_eur))
                if summed.code == "follow_up":
                    visit = Visit(on, months, fact, bool(flag), value, region, organisation, kind)
                    visits.setdefault(unit, []).append(visit)
    for unit, seen in visits.items():
        _chains(sums, unit, seen)
    return {key: (key[2].replace(day=1), *amounts) for key, amounts in sums.items() if any(amounts)}


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


@functools.cache
def _sums_query(dialect: str) -> Any:
    qualifies = [case((_qualifies(s), True), else_=False) for s in SUMS]
    return select(*_sum_columns(), *qualifies).where(_among(dialect, FACTS.c.unit_id), text(SUMMED_FACTS))


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


def _among(dialect: str, column: Any, name: str = "ids") -> Any:
    """`column` is one of the values of parameter `name` (`_listed`), one parameter whatever their
    number: on PostgreSQL `= ANY(:name)`, an array; on SQLite `IN (SELECT value FROM
    json_each(:name))`, a JSON list of the values as SQLite keeps them (a UUID as its hex)."""
    if dialect == "postgresql":
        return column == func.any(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(name, type_=String()))))


def _listed(connection: Connection, name: str, values: Iterable[UUID | str]) -> dict[str, Any]:
    """Parameter `name` for `_among`."""
    if connection.dialect.name == "postgresql":
        return {name: list(values)}
    return {name: json.dumps([value.hex if isinstance(value, UUID) else value for value in values])}


def _ids(connection: Connection, ids: Iterable[UUID]) -> dict[str, Any]:
    return _listed(connection, "ids", ids)


def _as_date(day: Any) -> date:
    return day if isinstance(day, date) else date.fromisoformat(str(day))


def refresh(session: Session) -> None:
    """The commit hook: recount the roll-ups of the people and units the transaction touched."""
    people = write_behind.take_touched(session)
    by = write_behind.take_touched_by(session)
    units = write_behind.take_touched_units(session)
    facts = write_behind.take_new_facts(session)
    if not (people or units) or not _maintained:
        return
    session.flush()  # an erasure's or a merge's changes to facts and people, before recounting
    connection = session.connection()
    _lock(connection)
    must = by.get(write_behind.EXPLICITLY, set()) | by.get(RETENTION_KIND, set())
    whole = by.get(write_behind.EXPLICITLY, set())
    ordered = sorted(people, key=str)
    if ordered:
        connection.exec_driver_sql(_create_recount(connection.dialect))
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        _recount_people(connection, chunk, whole, facts)
        _refresh_checks(connection, chunk, must)
    ordered = sorted(units, key=str)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        _replace_changed(
            connection, UNITS_SHAPE, _kept(connection, UNITS_SHAPE, "unit_id", chunk), recount_units(connection, chunk)
        )
        _replace_changed(
            connection, SUMS_SHAPE, _kept(connection, SUMS_SHAPE, "unit_id", chunk), recount_sums(connection, chunk)
        )


def _refresh_checks(connection: Connection, people: list[UUID], must: set[UUID]) -> None:
    """Recount the retention rows of those of `people` who have some (their attributes may have
    changed) or who `must` be: a retention fact of theirs was written, or an erasure or a merge
    moved facts to them. The others (most: a new registration, a course completed) have no check
    that could have changed, and cost no read of their facts."""
    kept = _kept(connection, CHECKS_SHAPE, "beneficiary_id", people)
    recounted = {who for who, *_ in kept} | (must & set(people))
    if recounted:
        _replace_changed(connection, CHECKS_SHAPE, kept, recount_checks(connection, sorted(recounted, key=str)))


# -- building them from every fact ---------------------------------------------------------------


def _month_of(connection: Connection, day: Any) -> Any:
    return _month_expression(connection.dialect.name, day)


def _month_expression(dialect: str, day: Any) -> Any:
    """The first day of `day`'s month (a text 'YYYY-MM-01' on SQLite)."""
    if dialect == "postgresql":
        return cast(func.date_trunc("month", day), Date)
    return func.date(day, "start of month")


def build(connection: Connection) -> None:
    """Build both roll-ups from all the facts (one statement per indicator), and record what they
    were built for."""
    _lock(connection)
    for rollup in TABLES:
        connection.execute(delete(rollup))
    _build_person_months(connection)
    _build_checks(connection)
    _build_units(connection)
    _build_sums(connection)
    connection.execute(delete(STATE))
    connection.execute(insert(STATE).values(id=1, signature=rollup_signature(), built_at=datetime.now(UTC)))


def _build_person_months(connection: Connection) -> None:
    """Each indicator's `person_month` rows from all its facts, then those counted."""
    for indicator in rolled_up():
        rows = _person_months(_qualifying(connection.dialect.name, [indicator]))
        connection.execute(insert(PERSON_MONTH_ROWS).from_select(PERSON_MONTH_NAMES, rows))
    cells = [PERSON_MONTH_ROWS.c[name] for name in PERSON_MONTHS_SHAPE.cell]
    counted = select(*cells, func.count()).group_by(*cells)
    connection.execute(insert(PEOPLE_MONTHS).from_select([*PERSON_MONTHS_SHAPE.cell, "people"], counted))


def _build_checks(connection: Connection) -> None:
    month = _month_of(connection, FACTS.c.occurred_on)
    per_person = (
        select(
            FACTS.c.beneficiary_id,
            FACTS.c.months,
            month.label("month"),
            func.count().label("checks"),
            func.sum(case((FACTS.c.flag.is_(True), 1), else_=0)).label("retained"),
            *_attributes(),
        )
        .select_from(_with_people())
        .where(FACTS.c.kind == RETENTION_KIND, FACTS.c.beneficiary_id.is_not(None))
        .group_by(FACTS.c.beneficiary_id, FACTS.c.months, month, *(PEOPLE.c[name] for name in ATTRIBUTES))
    )
    names = ["beneficiary_id", "months", "month", "checks", "retained", *ATTRIBUTES]
    connection.execute(insert(CHECK_ROWS).from_select(names, per_person))
    cells = [CHECK_ROWS.c.months, CHECK_ROWS.c.month, *CHECK_ROWS.c[ATTRIBUTES]]
    sums = select(*cells, func.sum(CHECK_ROWS.c.checks), func.sum(CHECK_ROWS.c.retained)).group_by(*cells)
    connection.execute(insert(CHECK_MONTHS).from_select([c.name for c in cells] + ["checks", "retained"], sums))


def _build_units(connection: Connection) -> None:
    """Per indicator, each venture's first qualifying fact in each organisation (ranked by day, then
    as recorded), and whether it is the venture's first of all."""
    organisation = _unit_column("organisation")
    order = (FACTS.c.occurred_on, FACTS.c.id)
    for indicator in per_unit():
        ranked = (
            select(
                FACTS.c.unit_id,
                FACTS.c.occurred_on,
                organisation,
                *(_unit_column(name) for name in UNIT_ATTRIBUTES),
                func.row_number().over(partition_by=(FACTS.c.unit_id, organisation), order_by=order).label("in_org"),
                func.row_number().over(partition_by=FACTS.c.unit_id, order_by=order).label("of_all"),
            )
            .where(text(VENTURE_FACTS), _qualifies(indicator), FACTS.c.unit_id.is_not(None))
            .subquery()
        )
        firsts = select(
            literal(indicator.code).label("code"),
            ranked.c.unit_id,
            ranked.c.organisation,
            ranked.c.occurred_on,
            _month_of(connection, ranked.c.occurred_on),
            ranked.c.of_all == 1,
            *(ranked.c[name] for name in UNIT_ATTRIBUTES),
        ).where(ranked.c.in_org == 1)
        names = ["code", "unit_id", "organisation", "first_on", "month", "overall", *UNIT_ATTRIBUTES]
        connection.execute(insert(UNIT_ROWS).from_select(names, firsts))
    cells = [UNIT_ROWS.c[name] for name in UNITS_SHAPE.cell]
    counted = select(*cells, func.count()).group_by(*cells)
    connection.execute(insert(UNIT_MONTHS).from_select([*UNITS_SHAPE.cell, "units"], counted))


def _build_sums(connection: Connection) -> None:
    """Each sum's facts grouped by unit, day and attributes (one statement per sum), the chains of
    latest visits from every follow-up visit (read in unit order), and the sums by month."""
    columns = {column.name: column for column in _sum_columns()}
    cell = [columns[name] for name in SUM_CELL[2:]]
    for summed in SUMS:
        rows = select(
            FACTS.c.unit_id,
            literal(summed.code),
            FACTS.c.occurred_on,
            literal("both"),
            columns["months"],
            *cell,
            _month_of(connection, FACTS.c.occurred_on),
            func.count(),
            func.sum(case((FACTS.c.flag.is_(True), 1), else_=0)),
            func.sum(FACTS.c.value),
            func.sum(FACTS.c.value_eur),
        ).where(_qualifies(summed), FACTS.c.unit_id.is_not(None))
        rows = rows.group_by(*(literal_column(str(n)) for n in (1, 3, 5, 6, 7, 8)))  # by position: see _grouped
        names = ["unit_id", "code", "day", *SUM_CELL, "month", *SUM_AMOUNTS]
        connection.execute(insert(SUM_ROWS).from_select(names, rows))
    visits = select(*_sum_columns()).where(FACTS.c.kind == "follow_up", FACTS.c.unit_id.is_not(None))
    stream = connection.execute(visits.order_by(FACTS.c.unit_id).execution_options(yield_per=10_000))
    chains: Sums = {}
    for unit, facts in itertools.groupby(stream, key=lambda row: row[0]):
        seen = [
            Visit(_as_date(day), months, fact, bool(flag), value, region, organisation, kind)
            for _, day, fact, months, flag, value, _, organisation, region, kind in facts
        ]
        _chains(chains, unit, seen)
        if len(chains) >= 10_000:
            _insert_sums(connection, chains)
            chains = {}
    _insert_sums(connection, chains)
    cells = [SUM_ROWS.c[name] for name in SUMS_SHAPE.cell]
    summed_up = select(*cells, *(func.sum(SUM_ROWS.c[name]) for name in SUM_AMOUNTS)).group_by(*cells)
    connection.execute(insert(SUM_MONTHS).from_select([*SUMS_SHAPE.cell, *SUM_AMOUNTS], summed_up))


def _insert_sums(connection: Connection, sums: Sums) -> None:
    names = (*SUMS_SHAPE.key, *SUMS_SHAPE.values)
    rows = [
        dict(zip(names, (*key, key[2].replace(day=1), *amounts), strict=True))
        for key, amounts in sums.items()
        if any(amounts)
    ]
    if rows:
        db.insert_many(connection, SUM_ROWS, rows)


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
