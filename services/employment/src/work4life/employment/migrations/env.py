"""Alembic environment of the employment service (see work4life.runtime.migrations)."""

from sqlmodel import SQLModel

from work4life.employment.adapters import orm  # noqa: F401  (the service's tables)
from work4life.runtime import inbox, outbox  # noqa: F401  (the runtime's tables)
from work4life.runtime.migrations import run_migrations

run_migrations(SQLModel.metadata)
