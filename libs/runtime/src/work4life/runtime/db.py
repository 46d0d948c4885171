"""Database engines: SQLite (the embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with `synchronous=FULL`: a committed outbox row or inbox row survives
a power cut, which the no-loss guarantee needs (a consumer commits its Kafka offset right after
its database commit).
"""

from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine, event
from sqlmodel import SQLModel, create_engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def create_schema(engine: Engine) -> None:
    """Create the tables of every model imported so far (the service's own and the runtime's)."""
    SQLModel.metadata.create_all(engine)


def stored_as_value(enum: type[StrEnum]) -> sa.Enum:
    """Store an enumeration as its value in a plain VARCHAR: readable in SQL, and a new value
    needs no database migration."""
    return sa.Enum(enum, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])
