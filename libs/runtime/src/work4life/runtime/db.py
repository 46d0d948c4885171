"""Database engines: SQLite (the embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with `synchronous=FULL`: a committed outbox row or inbox row survives
a power cut, which the no-loss guarantee needs (a consumer commits its Kafka offset right after
its database commit).
"""

from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, event
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
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=0)


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
