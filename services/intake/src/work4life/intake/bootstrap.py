"""The one place where intake is wired: settings, database, broker, outbox relay, HTTP routes.

Nothing connects at import time; tests call `build()` with their own settings (and may pass an
in-memory broker).
"""

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlmodel import Session

from work4life.contracts.envelope import Envelope, Producer
from work4life.contracts.topics import INTAKE_BENEFICIARIES
from work4life.runtime.service import ServiceRuntime, create_app

from .adapters import orm  # noqa: F401  (registers intake's tables)
from .config import IntakeSettings
from .entrypoints.http import build_router
from .service_layer.handlers import Context

PRODUCES = (INTAKE_BENEFICIARIES,)
CONSUMES = ()  # intake consumes nothing yet


def build(
    settings: IntakeSettings | None = None, *, broker: KafkaBroker | None = None, today: Callable[[], date] = date.today
) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime.build(
        settings, produces=PRODUCES, consumes=CONSUMES, broker=broker, migrations_package="work4life.intake"
    )
    for topic in PRODUCES:
        for event in topic.events:
            runtime.broker.publisher(
                settings.topic(topic.name),
                title=f"{topic.name}:{event.EVENT_TYPE}",
                description=topic.description,
                schema=Envelope[event],
            )  # type: ignore[valid-type]
    context = Context(
        producer=Producer(service=settings.service_name, organisation=settings.organisation),
        minimum_age=settings.minimum_age,
        topic_name=settings.topic,
        today=today,
        notice_version=settings.consent_notice_version,
    )
    relay = runtime.relay
    router = build_router(
        lambda: Session(runtime.engine), context, after_commit=relay.notify if relay else (lambda: None)
    )
    return create_app(
        runtime,
        title="Work4Life intake",
        description="Registration of beneficiaries. The only service that holds personal data; "
        "its events carry a pseudonymous id and the attributes other services need.",
        routers=[router],
    )
