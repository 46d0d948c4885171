"""One service process: FastAPI for HTTP, FastStream for Kafka, the outbox relay, and a clean
start and stop. Each service's `bootstrap.py` builds a `ServiceRuntime` and hands it its routers,
handlers and topics; nothing connects at import time.

Kafka need not be up when the service starts: HTTP writes go to the outbox, and a supervisor
keeps trying to connect (and create the service's topics) in the background. `/ready` says
whether Kafka and the database are reachable.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.specification import AsyncAPI
from sqlalchemy import Engine, text

from work4life.contracts.envelope import Envelope, EventData
from work4life.contracts.topics import Topic

from . import db, migrations
from .auth import TokenVerifier
from .broker import dead_letter_publisher, ensure_topics, make_broker, outbox_publisher
from .consumer import EventConsumer, Handler
from .http import add_error_handlers, add_observability
from .metrics import ServiceMetrics
from .outbox import OutboxRelay
from .settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: Engine
    metrics: ServiceMetrics
    broker: KafkaBroker
    produces: Sequence[Topic] = ()
    consumes: Sequence[Topic] = ()
    handlers: Mapping[type[EventData], Handler] = field(default_factory=dict)
    migrations_package: str | None = None
    background: tuple[Callable[[], Awaitable[None]], ...] = ()
    """Jobs of the service itself (e.g. a periodic check), started with it and cancelled at stop."""
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    kafka_connected: bool = False
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        settings: ServiceSettings,
        *,
        produces: Sequence[Topic] = (),
        consumes: Sequence[Topic] = (),
        handlers: Mapping[type[EventData], Handler] | None = None,
        engine: Engine | None = None,
        broker: KafkaBroker | None = None,
        migrations_package: str | None = None,
        background: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> "ServiceRuntime":
        metrics = ServiceMetrics(settings.service_name)
        engine = engine or db.make_engine(settings.database_url)
        broker = broker or make_broker(settings, metrics)
        runtime = cls(
            settings=settings,
            engine=engine,
            metrics=metrics,
            broker=broker,
            produces=produces,
            consumes=consumes,
            handlers=handlers or {},
            migrations_package=migrations_package,
            background=tuple(background),
        )
        if produces:
            runtime.relay = OutboxRelay(
                engine,
                outbox_publisher(broker),
                metrics,
                batch_size=settings.outbox_batch_size,
                poll_interval_s=settings.outbox_poll_interval_s,
                max_backoff_s=settings.outbox_max_backoff_s,
            )
        runtime._document_publishers()
        if consumes:
            runtime.consumer = EventConsumer(
                group_id=settings.service_name,
                engine=engine,
                handlers=runtime.handlers,
                dead_letter_topic=settings.dead_letter_topic,
                publish_dead_letter=dead_letter_publisher(broker),
                metrics=metrics,
                max_attempts=settings.consumer_max_attempts,
                retry_backoff_s=settings.consumer_retry_backoff_s,
                infrastructure_backoff_s=settings.consumer_infrastructure_backoff_s,
            )
            runtime._subscribe()
        return runtime

    def _document_publishers(self) -> None:
        """Declare each produced event on the broker, so the AsyncAPI document lists its channel
        and payload schema (publishing itself goes through the outbox relay)."""
        for topic in self.produces:
            for event in topic.events:
                self.broker.publisher(
                    self.settings.topic(topic.name),
                    title=f"{topic.name}:{event.EVENT_TYPE}",
                    description=topic.description,
                    schema=Envelope[event],  # type: ignore[valid-type]
                )

    def _subscribe(self) -> None:
        consumer = self.consumer
        assert consumer is not None
        topics = [self.settings.topic(t.name) for t in self.consumes]

        # NACK_ON_ERROR: auto-commit is off; a normal return commits the offset, and an exception
        # (raised only for infrastructure failures) seeks back so the record is read again.
        @self.broker.subscriber(
            *topics,
            group_id=consumer.group_id,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            max_poll_interval_ms=300_000,
            title=f"{self.settings.service_name}:consume",
        )
        async def on_record(msg: KafkaMessage) -> None:
            await consumer.handle_record(msg.raw_message)  # type: ignore[arg-type]

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self.migrations_package:
            await asyncio.to_thread(migrations.upgrade, self.engine, self.migrations_package)
        else:
            await asyncio.to_thread(db.create_schema, self.engine)
        self._tasks.append(asyncio.create_task(self._connect_kafka(), name="kafka-supervisor"))
        if self.relay is not None:
            self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for job in self.background:
            self._tasks.append(asyncio.create_task(job(), name=getattr(job, "__name__", "background")))

    async def _connect_kafka(self) -> None:
        delay = 0.5
        while True:
            try:
                if self.settings.create_topics:
                    # Consumed topics too, so that start order does not matter: a consumer that
                    # subscribed to a missing topic would wait for a metadata refresh (minutes).
                    names = [self.settings.topic(t.name) for t in (*self.produces, *self.consumes)]
                    if self.consumer is not None:
                        names.append(self.settings.dead_letter_topic)
                    await asyncio.to_thread(
                        ensure_topics,
                        self.settings.kafka_bootstrap_servers,
                        names,
                        self.settings.topic_partitions,
                        self.settings.topic_replication_factor,
                    )
                await self.broker.start()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "Kafka at %s not reachable yet (%r); retrying in %.1fs",
                    self.settings.kafka_bootstrap_servers,
                    exc,
                    delay,
                )
                try:
                    await self.broker.stop()
                except Exception:
                    pass
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            self.kafka_connected = True
            log.info("connected to Kafka at %s", self.settings.kafka_bootstrap_servers)
            if self.relay is not None:
                self.relay.consecutive_failures = 0
                self.relay.notify()
            return

    async def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        for task in self._tasks:
            if task.get_name() != "outbox-relay" and not task.done():  # the relay finishes its batch
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        try:
            await self.broker.stop()
        except Exception:
            log.exception("error while stopping the broker")
        self.kafka_connected = False
        self.engine.dispose()

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI | None = None) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    # -- operations ---------------------------------------------------------------------------

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await asyncio.to_thread(self._ping_database)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc.__class__.__name__}"
        if not self.kafka_connected:
            checks["kafka"] = "not connected"
        else:
            checks["kafka"] = "ok" if await self.broker.ping(timeout=2.0) else "unreachable"
        return checks

    def _ping_database(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def refresh_metrics(self) -> None:
        if self.relay is not None:
            await asyncio.to_thread(self.relay.refresh_metrics)

    def asyncapi(self) -> Any:
        spec = AsyncAPI(self.broker, title=f"Work4Life {self.settings.service_name}", version="1.0.0")
        return json.loads(spec.to_specification().to_json())


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    version: str = "0.1.0",
) -> FastAPI:
    app = FastAPI(title=title, description=description, version=version, lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.state.token_verifier = TokenVerifier(runtime.settings)
    add_error_handlers(app)
    add_observability(app, runtime)
    for router in routers:
        app.include_router(router)
    return app
