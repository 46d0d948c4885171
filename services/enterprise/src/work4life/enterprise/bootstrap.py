"""The one place where enterprise is wired: settings, database, broker, outbox relay, consumer, HTTP.

Nothing connects at import time; tests call `build()` with their own settings (and may pass an
in-memory broker).
"""

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from work4life.contracts.envelope import Producer
from work4life.contracts.topics import ENTERPRISE_REFERRAL_ANSWERS, ENTERPRISE_VENTURES
from work4life.runtime.service import ServiceRuntime, create_app

from .adapters import orm  # noqa: F401  (registers enterprise's tables)
from .adapters.metrics import BUSINESS_METRICS
from .config import EnterpriseSettings
from .entrypoints import grants_http, ventures_http
from .entrypoints.consumer import CONSUMES, event_handlers
from .service_layer.context import Context

PRODUCES = (ENTERPRISE_VENTURES, ENTERPRISE_REFERRAL_ANSWERS)


def build(
    settings: EnterpriseSettings | None = None,
    *,
    broker: KafkaBroker | None = None,
    today: Callable[[], date] = date.today,
) -> FastAPI:
    settings = settings or EnterpriseSettings()
    context = Context(
        producer=Producer(service=settings.service_name, organisation=settings.organisation),
        topic_name=settings.topic,
        today=today,
        programme=settings.programme,
        eur_rate=settings.eur_rate,
        grant_prerequisites=tuple(settings.grant_prerequisites),
        follow_up_months=tuple(sorted(set(settings.follow_up_months))),
    )
    runtime = ServiceRuntime.build(
        settings,
        produces=PRODUCES,
        consumes=CONSUMES,
        handlers=event_handlers(context),
        broker=broker,
        migrations_package="work4life.enterprise",
        business_metrics=BUSINESS_METRICS,
    )
    return create_app(
        runtime,
        title="Work4Life enterprise",
        description="Ventures (income-generating activities, micro-enterprises, cooperatives, start-ups) from "
        "application through pre-incubation, incubation and acceleration to launch; business plans; co-financing "
        "grants paid in tranches against milestones; coaching; follow-up visits after launch. People appear only "
        "under intake's pseudonymous id.",
        context=context,
        routers=[
            ventures_http.router,
            grants_http.router,
        ],
    )
