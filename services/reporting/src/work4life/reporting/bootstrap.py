"""The one place where reporting is wired: settings, database, consumer and handlers, HTTP.

Nothing connects at import time; tests call `build()` with their own settings (and may pass an
in-memory broker).
"""

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from work4life.contracts.envelope import Producer
from work4life.contracts.topics import REPORTING_SNAPSHOTS
from work4life.runtime import db
from work4life.runtime.service import ServiceRuntime, create_app

from .adapters import orm  # noqa: F401  (registers reporting's tables)
from .adapters.metrics import BUSINESS_METRICS
from .config import ReportingSettings
from .entrypoints import (
    approvals_http,
    indicators_http,
    registrations_http,
    research_http,
    results_http,
    targets_http,
)
from .entrypoints.consumer import CONSUMES, EVENT_HANDLERS, READS_FIRST
from .service_layer import rollups, snapshots
from .service_layer.context import Context

PRODUCES = (REPORTING_SNAPSHOTS,)


def build(
    settings: ReportingSettings | None = None,
    *,
    broker: KafkaBroker | None = None,
    today: Callable[[], date] = date.today,
) -> FastAPI:
    settings = settings or ReportingSettings()
    engine = db.make_engine(settings.database_url, settings.database_pool_size)
    producer = Producer(service=settings.service_name, organisation=settings.organisation)
    key = settings.research_id_key.get_secret_value().encode() if settings.research_id_key else None
    context = Context(
        producer=producer,
        topic_name=settings.topic,
        targets=settings.targets,
        research_key=key,
        iati=settings.iati(),
        today=today,
    )
    runtime = ServiceRuntime.build(
        settings,
        produces=PRODUCES,
        consumes=CONSUMES,
        handlers=EVENT_HANDLERS,
        reads_first=READS_FIRST,
        engine=engine,
        broker=broker,
        migrations_package="work4life.reporting",
        business_metrics=BUSINESS_METRICS,
        background=[
            rollups.keeper(engine, settings.rollups),
            snapshots.month_closer(engine, context, settings.snapshot_check_interval_s),
        ],
    )
    rollups.measure(engine, runtime.metrics.registry, settings.service_name)
    return create_app(
        runtime,
        title="Work4Life reporting",
        description="The donor's indicators (EUTF 1.1, 1.2, 1.3, 1.4, 3.2, 3.3, 3.11, placements, financial volume, "
        "retention, survival) and the programme funnel, built only from events (pseudonymous; no personal data), "
        "as JSON, CSV and XLSX.",
        context=context,
        routers=[
            registrations_http.router,
            indicators_http.router,
            targets_http.router,
            approvals_http.router,
            results_http.router,
            research_http.router,
        ],
    )
