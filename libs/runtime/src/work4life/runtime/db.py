"""Database engines: SQLite (the embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with `synchronous=FULL`: a committed outbox row or inbox row survives
a power cut, which the no-loss guarantee needs (a consumer commits its Kafka offset right after
its database commit).
"""

import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import sqlalchemy as sa
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, create_engine


def make_engine(url: str, pool_size: int = 20) -> Engine:
    """`pool_size`: connections the process may hold at once. The HTTP layer admits fewer requests
    than that at a time (`http_max_concurrency`), so a request never holds one of the worker
    threads while waiting for a connection that only a thread can give back."""
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        pooled: dict[str, Any] = {}
        if path and path != ":memory:" and "mode=memory" not in url:  # a file, not in-memory
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            pooled = {"pool_size": pool_size, "max_overflow": 0}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pooled)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=0)
    if engine.dialect.driver == "psycopg":
        event.listen(engine, "connect", _binary_lists)
    return engine


def _binary_lists(dbapi_connection: Any, _record: Any) -> None:
    """Send Python lists to PostgreSQL as binary arrays. psycopg's default is text (its text dumper
    is registered last, as the more lenient), built in Python element by element: a list of 1,000
    UUIDs took 1.95 ms to send that way and 0.31 ms in binary (docs/PERFORMANCE.md, nineteenth
    set). Every batch passes such lists (`among`'s ids, `insert_many`'s columns), each of one type,
    which binary takes as well; an empty list, whose type psycopg cannot tell, still goes as text."""
    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def create_schema(engine: Engine) -> None:
    """Create the tables of every model imported so far (the service's own and the runtime's)."""
    SQLModel.metadata.create_all(engine)


def stored_as_value(enum: type[StrEnum]) -> sa.Enum:
    """Store an enumeration as its value in a plain VARCHAR: readable in SQL, and a new value
    needs no database migration."""
    return sa.Enum(enum, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


def page(session: Any, query: Any, limit: int, offset: int) -> tuple[list[Any], int]:
    """One page of a query's rows, and how many rows the whole query has."""
    from sqlalchemy import func
    from sqlmodel import select

    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    return list(session.exec(query.limit(limit).offset(offset))), total


def lock_row(session: Any, row: Any) -> None:
    """Take `row`'s write lock for the rest of the transaction by bumping its `revision` column (a
    row lock on PostgreSQL, the database lock on SQLite), then read it afresh: concurrent changes
    to the same aggregate wait for each other instead of both acting on a stale read."""
    from sqlalchemy import update

    model = type(row)
    session.exec(update(model).where(model.id == row.id).values(revision=model.revision + 1))
    session.refresh(row)


_INSERTS: dict[tuple[Any, ...], Any] = {}


def insert_many(connection: Any, table: sa.Table, rows: list[dict[str, Any]], finish: Any = None) -> Any:
    """INSERT many rows (dicts with the same keys) as one statement, and the statement's result.

    `finish(insert)` adds to the dialect's INSERT what it needs (ON CONFLICT ..., RETURNING ...);
    pass the same function each time, as the statement is built once for each. On PostgreSQL the
    rows travel as one array per column, `INSERT ... SELECT ... FROM unnest(...)`: one statement
    and a handful of parameters for any number of rows, about four times faster than a statement
    with a parameter per value. Elsewhere (SQLite, in-process) an executemany: of the SQL compiled
    once, with each column's own conversion applied row by row (`_Positional`), unless the
    statement returns rows (then SQLAlchemy's, which batches them)."""
    names = tuple(rows[0])
    dialect = connection.dialect.name
    key = (dialect, table.name, names, finish)
    statement = _INSERTS.get(key)
    if statement is None:
        finished = finish or (lambda insert: insert)
        if dialect == "postgresql":
            arrays = [
                sa.bindparam(f"column_{i}", type_=postgresql.ARRAY(table.c[name].type)) for i, name in enumerate(names)
            ]
            source = sa.func.unnest(*arrays).table_valued(*names).render_derived(name="rows")
            statement = finished(postgresql.insert(table).from_select(list(names), sa.select(*source.c)))
        else:
            statement = _Positional.of(finished(sqlite.insert(table)), table, names, connection.dialect)
        _INSERTS[key] = statement
    if dialect == "postgresql":
        return connection.execute(statement, {f"column_{i}": [row[n] for row in rows] for i, n in enumerate(names)})
    if isinstance(statement, _Positional):
        return connection.exec_driver_sql(statement.sql, statement.parameters(rows))
    return connection.execute(statement, rows)


class _Positional:
    """An INSERT for SQLite as its SQL and, for each of its parameters in order, the column and
    the conversion SQLAlchemy would apply to it (a UUID to its hex, a date to its ISO text, a JSON
    None to 'null'...): the same rows written, without SQLAlchemy building a dictionary of parameters for each row."""

    def __init__(self, sql: str, columns: list[str], conversions: list[Any]) -> None:
        self.sql, self.columns, self.conversions = sql, columns, conversions

    @classmethod
    def of(cls, statement: Any, table: sa.Table, names: tuple[str, ...], dialect: Any) -> Any:
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        order = list(compiled.positiontup or ())
        if compiled.effective_returning or sorted(order) != sorted(names):
            return statement  # rows to return, or parameters other than the columns: SQLAlchemy's way
        conversions = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order]
        return cls(compiled.string, order, conversions)

    def parameters(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        pairs = list(zip(self.columns, self.conversions, strict=True))
        return [tuple(row[name] if convert is None else convert(row[name]) for name, convert in pairs) for row in rows]


class Keyed(Protocol):
    id: int | None


def key(row: Keyed) -> int:
    """The primary key of a row the database has already numbered (added and flushed, or read)."""
    if row.id is None:
        raise ValueError(f"this {type(row).__name__} has no key yet: flush it first")
    return row.id


def table(model: type[SQLModel]) -> sa.Table:
    """The table behind a SQLModel class, typed (the class's `__table__` is invisible to mypy)."""
    found = sa.inspect(model).local_table
    if not isinstance(found, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return found


def among(dialect: str, column: Any, name: str = "ids") -> Any:
    """`column` is one of the values of parameter `name` (`listed`), one parameter whatever their
    number (a statement with thousands of placeholders is slow to build and to plan): on PostgreSQL
    `= ANY(:name)`, an array; on SQLite `IN (SELECT value FROM json_each(:name))`, a JSON list of
    the values as SQLite keeps them (a UUID as its hex)."""
    if dialect == "postgresql":
        return column == sa.func.any(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))
    each: Any = sa.select(sa.literal_column("value")).select_from(
        sa.func.json_each(sa.bindparam(name, type_=sa.String()))
    )
    return column.in_(each)


def listed(dialect: str, name: str, values: Iterable[UUID | str | int]) -> dict[str, Any]:
    """Parameter `name` for `among`."""
    if dialect == "postgresql":
        return {name: list(values)}
    return {name: json.dumps([value.hex if isinstance(value, UUID) else value for value in values])}
