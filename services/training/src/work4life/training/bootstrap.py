"""The one place where training is wired: settings, database, broker, outbox relay, consumer, HTTP.

Nothing connects at import time; tests call `build()` with their own settings (and may pass an
in-memory broker).
"""

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from work4life.contracts.envelope import Producer
from work4life.contracts.topics import TRAINING_ENROLMENTS, TRAINING_REFERRAL_ANSWERS
from work4life.runtime.service import ServiceRuntime, create_app

from .adapters import orm  # noqa: F401  (registers training's tables)
from .adapters.metrics import BUSINESS_METRICS
from .config import TrainingSettings
from .entrypoints import catalogue_http, enrolment_http
from .entrypoints.consumer import CONSUMES, event_handlers
from .service_layer.context import Context

PRODUCES = (TRAINING_ENROLMENTS, TRAINING_REFERRAL_ANSWERS)


def build(
    settings: TrainingSettings | None = None,
    *,
    broker: KafkaBroker | None = None,
    today: Callable[[], date] = date.today,
) -> FastAPI:
    settings = settings or TrainingSettings()
    context = Context(
        producer=Producer(service=settings.service_name, organisation=settings.organisation),
        topic_name=settings.topic,
        today=today,
        programme=settings.programme,
        certificate_prefix=settings.certificate_prefix,
    )
    runtime = ServiceRuntime.build(
        settings,
        produces=PRODUCES,
        consumes=CONSUMES,
        handlers=event_handlers(context),
        broker=broker,
        migrations_package="work4life.training",
        business_metrics=BUSINESS_METRICS,
    )
    return create_app(
        runtime,
        title="Work4Life training",
        description="Courses and cohorts, candidates from intake's referrals, enrolment with a waiting list, "
        "attendance, completion under each course's rule, and verifiable certificates. People appear only "
        "under intake's pseudonymous id.",
        context=context,
        routers=[
            catalogue_http.router,
            enrolment_http.router,
        ],
    )
