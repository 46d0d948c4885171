"""The one place where employment is wired: settings, database, broker, outbox relay, consumer, HTTP.

Nothing connects at import time; tests call `build()` with their own settings (and may pass an
in-memory broker).
"""

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from work4life.contracts.envelope import Producer
from work4life.contracts.topics import EMPLOYMENT_JOB_FAIRS, EMPLOYMENT_PLACEMENTS, EMPLOYMENT_REFERRAL_ANSWERS
from work4life.runtime.service import ServiceRuntime, create_app

from .adapters import orm  # noqa: F401  (registers employment's tables)
from .adapters.metrics import BUSINESS_METRICS
from .config import EmploymentSettings
from .entrypoints import applications_http, employers_http
from .entrypoints.consumer import CONSUMES, event_handlers
from .service_layer.context import Context

PRODUCES = (EMPLOYMENT_PLACEMENTS, EMPLOYMENT_JOB_FAIRS, EMPLOYMENT_REFERRAL_ANSWERS)


def build(
    settings: EmploymentSettings | None = None,
    *,
    broker: KafkaBroker | None = None,
    today: Callable[[], date] = date.today,
) -> FastAPI:
    settings = settings or EmploymentSettings()
    context = Context(
        producer=Producer(service=settings.service_name, organisation=settings.organisation),
        topic_name=settings.topic,
        today=today,
        programme=settings.programme,
        retention_months=tuple(sorted(set(settings.retention_months))),
    )
    runtime = ServiceRuntime.build(
        settings,
        produces=PRODUCES,
        consumes=CONSUMES,
        handlers=event_handlers(context),
        broker=broker,
        migrations_package="work4life.employment",
        business_metrics=BUSINESS_METRICS,
    )
    return create_app(
        runtime,
        title="Work4Life employment",
        description="Employers and their job, internship and pre-employment offers; a candidate pool built from "
        "intake's skills assessments and training's completions; explained matching; applications, hires and "
        "placements; retention checks at 3, 6 and 12 months; job fairs. People appear only under intake's "
        "pseudonymous id.",
        context=context,
        routers=[
            employers_http.router,
            applications_http.router,
        ],
    )
