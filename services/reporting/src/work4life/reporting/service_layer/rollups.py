"""Keeping the roll-ups (ADR 26): for the unique-people indicators `indicator_person`, each person's
first day per indicator, and `indicator_month`, those people counted by month, sex, region and
partner organisation; for retention `retention_person`, each person's checks by months after the
start and month recorded, and `retention_month`, their sums by those attributes. The counting
functions read them (`indicators.count_rolled_up`, `indicators.retention`) when they hold the answer.

They are never moved by deltas worked out event by event. At the end of each batch, in its
transaction, the people the batch touched (facts written, registrations and changes, erasures and
merges: `write_behind.take_touched`) are recounted from the facts with the indicators' own kinds and
conditions, and only the rows that changed are replaced, their months adjusted. Whatever happened
to those people (a move, an erasure, a merge, a late or repeated event), the result is the recount
from scratch. The rebuild and the first start build them from all the facts in one pass (`build`).
"""

import asyncio
import functools
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, Uuid, and_, bindparam, case, cast, delete, func, insert, literal, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from work4life.runtime import db
from work4life.runtime.db import table

from ..adapters import write_behind
from ..adapters.orm import (
    Activity,
    IndicatorMonth,
    IndicatorPerson,
    Person,
    RetentionMonth,
    RetentionPerson,
    RollupState,
)
from .indicators import INDICATORS, RETENTION_KIND, Indicator, rollup_signature

FACTS, PEOPLE = table(Activity), table(Person)
PERSON_ROWS, MONTH_ROWS, STATE = table(IndicatorPerson), table(IndicatorMonth), table(RollupState)
CHECK_ROWS, CHECK_MONTHS = table(RetentionPerson), table(RetentionMonth)
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


def rolled_up() -> list[Indicator]:
    return [i for i in INDICATORS if i.rolled_up]


def _qualifies(indicator: Indicator) -> Any:
    condition = FACTS.c.kind.in_(indicator.kinds)
    return and_(condition, indicator.where(FACTS.c)) if indicator.where else condition


def _attributes() -> list[Any]:
    """A person's attributes as the roll-ups keep them ("" for a person reporting does not know)."""
    return [func.coalesce(PEOPLE.c[name], "").label(name) for name in ATTRIBUTES]


def _with_people() -> Any:
    return FACTS.outerjoin(PEOPLE, PEOPLE.c.beneficiary_id == FACTS.c.beneficiary_id)


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})


Row = tuple[date, str, str, str]  # first day, sex, region, partner organisation


def recount(connection: Connection, people: Iterable[UUID]) -> dict[tuple[str, UUID], Row]:
    """Each of `people`'s rows as a recount from the facts makes them, by (code, person): one read
    of their facts (through the index on the person), every indicator's first day at once."""
    indicators = rolled_up()
    rows: dict[tuple[str, UUID], Row] = {}
    for who, sex, region, organisation, *days in connection.execute(
        _recount_query(connection.dialect.name), {"people": list(people)}
    ):
        for indicator, day in zip(indicators, days, strict=True):
            if day is not None:
                rows[(indicator.code, who)] = (_as_date(day), sex, region, organisation)
    return rows


@functools.cache
def _recount_query(dialect: str) -> Any:
    firsts = [func.min(case((_qualifies(i), FACTS.c.occurred_on)), type_=Date) for i in rolled_up()]
    return (
        select(FACTS.c.beneficiary_id, *_attributes(), *firsts)
        .select_from(_with_people())
        .where(_among(dialect, FACTS.c.beneficiary_id))
        .group_by(FACTS.c.beneficiary_id, *(PEOPLE.c[name] for name in ATTRIBUTES))
    )


@functools.cache
def _kept_query(dialect: str) -> Any:
    columns = (PERSON_ROWS.c.code, PERSON_ROWS.c.beneficiary_id, PERSON_ROWS.c.first_on)
    return select(*columns, *PERSON_ROWS.c[ATTRIBUTES]).where(_among(dialect, PERSON_ROWS.c.beneficiary_id))


def _among(dialect: str, column: Any) -> Any:
    """`column IN (:people)`; on PostgreSQL `= ANY(:people)`, one array whatever the number of people."""
    if dialect == "postgresql":
        return column == func.any(bindparam("people", type_=postgresql.ARRAY(Uuid())))
    return column.in_(bindparam("people", expanding=True))


def _as_date(day: Any) -> date:
    return day if isinstance(day, date) else date.fromisoformat(str(day))


def refresh(session: Session) -> None:
    """The commit hook: recount the roll-ups of the people the transaction touched."""
    people = write_behind.take_touched(session)
    if not people or not _maintained:
        return
    session.flush()  # an erasure's or a merge's changes to facts and people, before recounting
    connection = session.connection()
    _lock(connection)
    ordered = sorted(people, key=str)
    for start in range(0, len(ordered), CHUNK):
        chunk = tuple(ordered[start : start + CHUNK])
        _refresh(connection, chunk)
        _refresh_checks(connection, chunk)


def _refresh(connection: Connection, people: tuple[UUID, ...]) -> None:
    kept = connection.execute(_kept_query(connection.dialect.name), {"people": list(people)})
    old: dict[tuple[str, UUID], Row] = {(code, who): tuple(rest) for code, who, *rest in kept}
    new = recount(connection, people)
    gone = {key: row for key, row in old.items() if new.get(key) != row}
    came = {key: row for key, row in new.items() if old.get(key) != row}
    if not gone and not came:
        return  # the usual case: more facts for people already counted from the same day
    if gone:
        connection.execute(_DELETE_PERSON_ROW, [{"c": code, "who": who} for code, who in gone])
    if came:
        rows = [_person_row(code, who, row) for (code, who), row in came.items()]
        db.insert_many(connection, PERSON_ROWS, rows)
    moves: Counter[tuple[str, date, str, str, str]] = Counter()
    for sign, changed in ((-1, gone), (1, came)):
        for (code, _), (day, sex, region, organisation) in changed.items():
            moves[(code, day.replace(day=1), sex, region, organisation)] += sign
    months = [
        {"code": key[0], "month": key[1], **dict(zip(ATTRIBUTES, key[2:], strict=True)), "people": n}
        for key, n in sorted(moves.items())
        if n
    ]
    if months:
        db.insert_many(connection, MONTH_ROWS, months, _add_people)


_DELETE_PERSON_ROW = delete(PERSON_ROWS).where(
    PERSON_ROWS.c.code == bindparam("c"), PERSON_ROWS.c.beneficiary_id == bindparam("who")
)


def _person_row(code: str, who: UUID, row: Row) -> dict[str, Any]:
    day, sex, region, organisation = row
    return {
        "beneficiary_id": who,
        "code": code,
        "first_on": day,
        "month": day.replace(day=1),
        "sex": sex,
        "region": region,
        "partner_organisation": organisation,
    }


def _add_people(statement: Any) -> Any:
    """ON CONFLICT (the month's cell) add the change to its people."""
    return statement.on_conflict_do_update(
        index_elements=[c for c in MONTH_ROWS.primary_key.columns],
        set_={"people": MONTH_ROWS.c.people + statement.excluded.people},
    )


# -- the retention checks ------------------------------------------------------------------------

CheckKey = tuple[UUID, int, date]  # person, months after the start, month recorded
CheckRow = tuple[int, int, str, str, str]  # checks, retained, sex, region, partner organisation


@functools.cache
def _checks_query(dialect: str) -> Any:
    """The touched people's retention checks, one row per check, with the person's attributes."""
    return (
        select(FACTS.c.beneficiary_id, FACTS.c.months, FACTS.c.occurred_on, FACTS.c.flag, *_attributes())
        .select_from(_with_people())
        .where(_among(dialect, FACTS.c.beneficiary_id), FACTS.c.kind == RETENTION_KIND)
    )


@functools.cache
def _kept_checks_query(dialect: str) -> Any:
    c = CHECK_ROWS.c
    return select(c.beneficiary_id, c.months, c.month, c.checks, c.retained, *CHECK_ROWS.c[ATTRIBUTES]).where(
        _among(dialect, c.beneficiary_id)
    )


def recount_checks(connection: Connection, people: Iterable[UUID]) -> dict[CheckKey, CheckRow]:
    """`people`'s `retention_person` rows as a recount from their facts makes them."""
    sums: dict[CheckKey, list[Any]] = {}
    for who, months, day, flag, sex, region, organisation in connection.execute(
        _checks_query(connection.dialect.name), {"people": list(people)}
    ):
        row = sums.setdefault((who, months, _as_date(day).replace(day=1)), [0, 0, sex, region, organisation])
        row[0] += 1
        row[1] += 1 if flag else 0
    return {key: tuple(row) for key, row in sums.items()}


def _refresh_checks(connection: Connection, people: tuple[UUID, ...]) -> None:
    kept = connection.execute(_kept_checks_query(connection.dialect.name), {"people": list(people)})
    old: dict[CheckKey, CheckRow] = {(who, months, month): tuple(rest) for who, months, month, *rest in kept}
    new = recount_checks(connection, people)
    gone = {key: row for key, row in old.items() if new.get(key) != row}
    came = {key: row for key, row in new.items() if old.get(key) != row}
    if not gone and not came:
        return
    if gone:
        connection.execute(_DELETE_CHECK_ROW, [{"who": w, "m": m, "month": month} for w, m, month in gone])
    if came:
        names = ("checks", "retained", *ATTRIBUTES)
        rows = [
            {"beneficiary_id": w, "months": m, "month": month, **dict(zip(names, row, strict=True))}
            for (w, m, month), row in came.items()
        ]
        db.insert_many(connection, CHECK_ROWS, rows)
    moves: dict[tuple[int, date, str, str, str], list[int]] = {}
    for sign, changed in ((-1, gone), (1, came)):
        for (_, m, month), (checks, retained, *attributes) in changed.items():
            cell = moves.setdefault((m, month, *attributes), [0, 0])  # type: ignore[arg-type]
            cell[0] += sign * checks
            cell[1] += sign * retained
    months = [
        {"months": key[0], "month": key[1], **dict(zip(ATTRIBUTES, key[2:], strict=True)), "checks": n, "retained": r}
        for key, (n, r) in sorted(moves.items())
        if n or r
    ]
    if months:
        db.insert_many(connection, CHECK_MONTHS, months, _add_checks)


_DELETE_CHECK_ROW = delete(CHECK_ROWS).where(
    CHECK_ROWS.c.beneficiary_id == bindparam("who"),
    CHECK_ROWS.c.months == bindparam("m"),
    CHECK_ROWS.c.month == bindparam("month"),
)


def _add_checks(statement: Any) -> Any:
    """ON CONFLICT (the month's cell) add the change to its checks."""
    return statement.on_conflict_do_update(
        index_elements=[c for c in CHECK_MONTHS.primary_key.columns],
        set_={
            "checks": CHECK_MONTHS.c.checks + statement.excluded.checks,
            "retained": CHECK_MONTHS.c.retained + statement.excluded.retained,
        },
    )


# -- building them from every fact ---------------------------------------------------------------


def _month_of(connection: Connection, day: Any) -> Any:
    if connection.dialect.name == "postgresql":
        return cast(func.date_trunc("month", day), Date)
    return func.date(day, "start of month")


def build(connection: Connection) -> None:
    """Build both roll-ups from all the facts (one statement per indicator), and record what they
    were built for."""
    _lock(connection)
    for rollup in (PERSON_ROWS, MONTH_ROWS, CHECK_ROWS, CHECK_MONTHS):
        connection.execute(delete(rollup))
    for indicator in rolled_up():
        first = func.min(FACTS.c.occurred_on)
        firsts = (
            select(
                literal(indicator.code).label("code"),
                FACTS.c.beneficiary_id,
                first.label("first_on"),
                _month_of(connection, first).label("month"),
                *_attributes(),
            )
            .select_from(_with_people())
            .where(_qualifies(indicator), FACTS.c.beneficiary_id.is_not(None))
            .group_by(FACTS.c.beneficiary_id, *(PEOPLE.c[name] for name in ATTRIBUTES))
        )
        names = ["code", "beneficiary_id", "first_on", "month", *ATTRIBUTES]
        connection.execute(insert(PERSON_ROWS).from_select(names, firsts))
    cells = [PERSON_ROWS.c.code, PERSON_ROWS.c.month, *PERSON_ROWS.c[ATTRIBUTES]]
    by_month = select(*cells, func.count()).group_by(*cells)
    connection.execute(insert(MONTH_ROWS).from_select([c.name for c in cells] + ["people"], by_month))
    _build_checks(connection)
    connection.execute(delete(STATE))
    connection.execute(insert(STATE).values(id=1, signature=rollup_signature(), built_at=datetime.now(UTC)))


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
    refresh, kinds={RETENTION_KIND, *(kind for indicator in rolled_up() for kind in indicator.kinds)}
)
