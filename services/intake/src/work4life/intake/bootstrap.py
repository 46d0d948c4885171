"""The one place where intake is wired: settings, database, broker, outbox relay, consumer, HTTP.

Nothing connects at import time; tests call `build()` with their own settings (and may pass an
in-memory broker).
"""

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from work4life.contracts.envelope import Producer
from work4life.contracts.topics import INTAKE_BENEFICIARIES, INTAKE_OUTREACH
from work4life.runtime.service import ServiceRuntime, create_app

from .adapters import orm  # noqa: F401  (registers intake's tables)
from .adapters.metrics import BUSINESS_METRICS
from .config import IntakeSettings
from .domain.footprint import Footprint
from .entrypoints import case_file_http, duplicates_http, http, imports_http, orientation_http
from .entrypoints.consumer import CONSUMES, event_handlers
from .service_layer.handlers import Context

PRODUCES = (INTAKE_BENEFICIARIES, INTAKE_OUTREACH)


def build(
    settings: IntakeSettings | None = None, *, broker: KafkaBroker | None = None, today: Callable[[], date] = date.today
) -> FastAPI:
    settings = settings or IntakeSettings()
    context = Context(
        producer=Producer(service=settings.service_name, organisation=settings.organisation),
        minimum_age=settings.minimum_age,
        topic_name=settings.topic,
        today=today,
        programme=settings.programme,
        notice_version=settings.consent_notice_version,
        footprint=Footprint(settings.footprint, settings.city_aliases),
    )
    runtime = ServiceRuntime.build(
        settings,
        produces=PRODUCES,
        consumes=CONSUMES,
        handlers=event_handlers(context),
        broker=broker,
        migrations_package="work4life.intake",
        business_metrics=BUSINESS_METRICS,
    )
    return create_app(
        runtime,
        title="Work4Life intake",
        description="Registration, consent, orientation and outreach. The only service that holds personal data; "
        "its events carry a pseudonymous id and the attributes other services need.",
        context=context,
        routers=[
            http.router,
            orientation_http.router,
            duplicates_http.router,
            imports_http.router,
            case_file_http.router,
        ],
        # A spreadsheet may be up to 20 MB (the route says so itself); multipart adds a little.
        body_limits={"/v1/imports": imports_http.MAX_BYTES + 64 * 1024},
    )
