"""The one place where reporting is wired: settings, database, consumer and handlers, HTTP.

Nothing connects at import time; tests call `build()` with their own settings (and may pass an
in-memory broker).
"""

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlmodel import Session

from work4life.runtime.service import ServiceRuntime, create_app

from .adapters import orm  # noqa: F401  (registers reporting's tables)
from .config import ReportingSettings
from .entrypoints.consumer import CONSUMES, EVENT_HANDLERS
from .entrypoints.http import build_router


def build(settings: ReportingSettings | None = None, *, broker: KafkaBroker | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    runtime = ServiceRuntime.build(
        settings, consumes=CONSUMES, handlers=EVENT_HANDLERS, broker=broker, migrations_package="work4life.reporting"
    )
    return create_app(
        runtime,
        title="Work4Life reporting",
        description="The donor's indicators, built only from events (pseudonymous; no personal data).",
        routers=[build_router(lambda: Session(runtime.engine))],
    )
