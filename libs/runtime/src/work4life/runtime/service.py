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
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from fastapi import APIRouter, FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.specification import AsyncAPI
from kafka import KafkaAdminClient
from sqlalchemy import Engine, text

from work4life.contracts.envelope import Envelope, EventData
from work4life.contracts.topics import Topic

from . import db, migrations, retention
from .auth import TokenVerifier
from .broker import dead_letter_publisher, ensure_topics, kafka_options, make_broker, outbox_publisher
from .consumer import EventConsumer, Handler, InfrastructureFailure, resume_offsets
from .dead_letters import WaitingLetters
from .docs import add_docs
from .http import (
    BodyLimit,
    ConcurrencyLimit,
    ControlCharacters,
    add_error_handlers,
    add_observability,
    document_answers,
)
from .lag import LagProbe
from .metrics import BusinessMetric, ServiceMetrics
from .outbox import OutboxRelay, tail_event_ids
from .settings import ServiceSettings

log = logging.getLogger(__name__)


class ReadFirst:
    """Reads the backlog of some topics before the others': while a partition of `topics` this
    consumer is assigned has more than `behind_by` records left to read (as of its last fetch),
    its partitions of the other topics are paused; once none has, they are resumed. Live, with
    little or no lag, nothing is paused. Kafka orders records only within a partition, so this
    changes no guarantee: it is for a consumer catching up on a backlog, whose handlers do less
    work when what the other topics' events refer to came first (reporting: people registered
    before their facts come, so their roll-up rows are written once, not again with their
    attributes)."""

    def __init__(self, topics: set[str], behind_by: int) -> None:
        self.topics, self.behind_by = topics, behind_by
        self.holding = False

    async def steer(self, consumer: Any) -> None:
        """After a poll: pause or resume `consumer`'s (aiokafka's) partitions of the other topics."""
        assigned = consumer.assignment()
        behind = False
        for partition in assigned:
            end = consumer.highwater(partition) if partition.topic in self.topics else None
            if end is not None and end - await consumer.position(partition) > self.behind_by:
                behind = True
                break
        others = [partition for partition in assigned if partition.topic not in self.topics]
        if behind and others:
            consumer.pause(*others)
        elif held := [partition for partition in consumer.paused() if partition in assigned]:
            consumer.resume(*held)
        if behind != self.holding:
            self.holding = behind
            what = "holding back" if behind else "resuming"
            log.info("reading the backlog of %s first: %s the other topics", ", ".join(sorted(self.topics)), what)


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: Engine
    metrics: ServiceMetrics
    broker: KafkaBroker
    produces: Sequence[Topic] = ()
    consumes: Sequence[Topic] = ()
    handlers: Mapping[type[EventData], Handler] = field(default_factory=dict)
    reads_first: Sequence[Topic] = ()
    """Consumed topics whose backlog the consumer reads before the others' (`ReadFirst`)."""
    migrations_package: str | None = None
    background: tuple[Callable[[], Coroutine[Any, Any, None]], ...] = ()
    """Jobs of the service itself (e.g. a periodic check), started with it and cancelled at stop."""
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    kafka_connected: bool = False
    owns_broker: bool = True
    """False when the caller handed in its broker (tests: FastStream's in-memory one); the
    service then neither creates nor checks topics."""
    refused: str = ""
    """Why the service will not run (a topic that would lose history); shown by /ready."""
    on_refusal: Callable[[str], None] | None = None
    """Called with the reason when the service refuses to run: `serve` stops the process."""
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        settings: ServiceSettings,
        *,
        produces: Sequence[Topic] = (),
        consumes: Sequence[Topic] = (),
        handlers: Mapping[type[EventData], Handler] | None = None,
        reads_first: Sequence[Topic] = (),
        engine: Engine | None = None,
        broker: KafkaBroker | None = None,
        migrations_package: str | None = None,
        background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
        business_metrics: Sequence[BusinessMetric] = (),
    ) -> "ServiceRuntime":
        metrics = ServiceMetrics(settings.service_name)
        if business_metrics:
            metrics.add_business_metrics(business_metrics)
        engine = engine or db.make_engine(settings.database_url, settings.database_pool_size)
        owns_broker = broker is None
        broker = broker or make_broker(settings, metrics)
        runtime = cls(
            owns_broker=owns_broker,
            settings=settings,
            engine=engine,
            metrics=metrics,
            broker=broker,
            produces=produces,
            consumes=consumes,
            handlers=handlers or {},
            reads_first=reads_first,
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
                reset_producer=lambda: runtime.reconnect_kafka(),
                found_on_topic=(
                    (lambda rows, lookback: tail_event_ids(rows, lookback, **kafka_options(settings)))
                    if owns_broker
                    else None  # an in-memory broker keeps no log to look in
                ),
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
                    schema=Envelope[event],  # type: ignore[valid-type]  # an event class chosen at run time
                )

    def _subscribe(self) -> None:
        consumer = self.consumer
        assert consumer is not None
        topics = [self.settings.topic(t.name) for t in self.consumes]
        # An in-memory broker (tests) has no partitions to pause.
        reads_first = self.reads_first if self.settings.consumer_read_first and self.owns_broker else ()
        first = ReadFirst({self.settings.topic(t.name) for t in reads_first}, self.settings.consumer_batch_size)

        # NACK_ON_ERROR: auto-commit is off; a normal return commits the offsets, and an exception
        # (raised only for infrastructure failures) seeks back so the records are read again.
        # A batch is the records of one poll, applied in one database transaction.
        @self.broker.subscriber(
            *topics,
            group_id=consumer.group_id,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            max_poll_interval_ms=300_000,
            batch=True,
            max_records=self.settings.consumer_batch_size,
            batch_timeout_ms=self.settings.consumer_batch_wait_ms,
            title=f"{self.settings.service_name}:consume",
        )
        async def on_records(msg: KafkaMessage) -> None:
            records = msg.raw_message
            try:
                await consumer.handle_batch(records)
            except InfrastructureFailure as failure:
                if len(failure.unfinished) == len(records):
                    raise  # nothing done: the whole poll is read again
                # Part of the poll is done (committed, dead-lettered): read again from the first
                # unfinished record of each partition, then commit those positions.
                for (topic, partition), offset in resume_offsets(failure.unfinished).items():
                    msg.consumer.seek(partition=TopicPartition(topic, partition), offset=offset)
            if first.topics:
                await first.steer(msg.consumer)

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self.migrations_package:
            await asyncio.to_thread(migrations.upgrade, self.engine, self.migrations_package)
        else:
            await asyncio.to_thread(db.create_schema, self.engine)
        self._tasks.append(asyncio.create_task(self._connect_kafka(), name="kafka-supervisor"))
        if self.relay is not None:
            self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        if self.consumer is not None and self.owns_broker:  # an in-memory broker has no lag to read
            self._tasks.append(asyncio.create_task(self._measure_lag(), name="consumer-lag"))
        for job in self.background:
            self._tasks.append(asyncio.create_task(job(), name=getattr(job, "__name__", "background")))

    def topic_configs(self) -> dict[str, dict[str, str]]:
        """Every topic the service uses, with the retention policy of its kind (ADR 13). Consumed
        topics too, so that start order does not matter: a consumer that subscribed to a missing
        topic would wait for a metadata refresh (minutes)."""
        days = self.settings.dead_letter_retention_days
        configs = {
            self.settings.topic(t.name): retention.policy(t.keeps_history, days)
            for t in (*self.produces, *self.consumes)
        }
        if self.consumer is not None:
            configs[self.settings.dead_letter_topic] = retention.policy(False, days)
        return configs

    def _check_topics(self) -> None:
        """Create the missing topics (if allowed), then refuse to run on an event topic that would
        lose history."""
        options = kafka_options(self.settings)
        bootstrap = options.pop("bootstrap_servers")
        configs = self.topic_configs()
        if self.settings.create_topics:
            ensure_topics(
                bootstrap,
                list(configs),
                self.settings.topic_partitions,
                self.settings.topic_replication_factor,
                configs=configs,
                **options,
            )
        history = [name for name, config in configs.items() if config == retention.KEEP_FOREVER]
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap, client_id=f"w4l-{self.settings.service_name}-admin", **options
        )
        try:
            findings = retention.check(admin, history)
        finally:
            admin.close()
        if findings:
            raise retention.TopicRetentionError(retention.refusal(findings, bootstrap, self.settings.topic_namespace))

    async def _connect_kafka(self) -> None:
        delay = 0.5
        while True:
            try:
                if self.owns_broker:
                    await asyncio.to_thread(self._check_topics)
                await self.broker.start()
            except asyncio.CancelledError:
                raise
            except retention.TopicRetentionError as refusal:
                self.refused = str(refusal)
                log.critical("%s", refusal)
                if self.on_refusal is not None:
                    self.on_refusal(self.refused)
                return
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

    async def _measure_lag(self) -> None:
        """Measure the group's lag on every consumed partition, and what waits in the dead-letter
        topic, every `lag_refresh_interval_s`. Both are read from Kafka, so every replica reports
        the same figures and a restart forgets nothing."""
        assert self.consumer is not None
        options = kafka_options(self.settings)
        probe = LagProbe(self.consumer.group_id, [self.settings.topic(t.name) for t in self.consumes], **options)
        waiting = WaitingLetters(self.settings.dead_letter_topic, **options)
        try:
            while True:
                if self.kafka_connected:
                    try:
                        partitions = await asyncio.to_thread(probe.measure)
                        self.metrics.record_lag(self.consumer.group_id, partitions)
                    except Exception as exc:
                        log.warning("could not measure consumer lag: %r", exc)
                    try:
                        self.metrics.record_dead_letters_waiting(await asyncio.to_thread(waiting.measure))
                    except Exception as exc:
                        log.warning("could not read the dead-letter topic: %r", exc)
                await asyncio.sleep(self.settings.lag_refresh_interval_s if self.kafka_connected else 1.0)
        finally:
            await asyncio.to_thread(probe.close)
            await asyncio.to_thread(waiting.close)

    async def reconnect_kafka(self) -> None:
        """Drop the broker's connections (producer and consumer) and connect anew: a new producer
        gets a new id and fresh sequence numbers. Rows not yet confirmed are sent again (the
        consumers' inbox skips any that had arrived)."""
        self.kafka_connected = False
        try:
            await self.broker.stop()
        except Exception:
            log.exception("error while stopping the broker for a reconnection")
        await self._connect_kafka()

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
        if self.refused:
            checks["kafka"] = (
                self.refused.splitlines()[0]
                + ": "
                + "; ".join(line.strip(" -") for line in self.refused.splitlines()[1:-1])
            )
        elif not self.kafka_connected:
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
        if self.metrics.business is not None:
            try:
                await asyncio.to_thread(self.metrics.business.refresh, self.engine)
            except Exception as exc:  # the scrape still returns the rest; the figures stay as last read
                log.warning("could not read business metrics: %r", exc)

    def asyncapi(self) -> dict[str, Any]:
        """The AsyncAPI 3.0 document of this service: what it sends (from the declared publishers)
        and what it receives: one channel per consumed topic and handled event type, with the
        contract's schema (FastStream alone would show one raw channel for the whole subscription)."""
        spec = AsyncAPI(self.broker, title=f"Work4Life {self.settings.service_name}", version="1.0.0")
        doc: dict[str, Any] = json.loads(spec.to_specification().to_json())
        consume = f"{self.settings.service_name}:consume"  # FastStream's raw subscription channel(s)
        components = doc.setdefault("components", {})
        messages, schemas = components.setdefault("messages", {}), components.setdefault("schemas", {})
        for section in (doc["channels"], doc["operations"], messages):
            for key in [k for k in section if k.startswith(consume)]:
                del section[key]
        handled = {event.EVENT_TYPE for event in self.handlers}
        for topic in self.consumes:
            address = self.settings.topic(topic.name)
            for event in topic.events:
                if event.EVENT_TYPE not in handled:
                    continue
                key = f"{topic.name}:{event.EVENT_TYPE}"
                schema = Envelope[event].model_json_schema(ref_template="#/components/schemas/{model}")  # type: ignore[valid-type]  # an event class chosen at run time
                schemas.update(schema.pop("$defs", {}))
                schemas[schema["title"]] = schema
                messages[f"{key}:ReceivedMessage"] = {
                    "title": f"{key}:ReceivedMessage",
                    "correlationId": {"location": "$message.header#/correlation_id"},
                    "payload": {"$ref": f"#/components/schemas/{schema['title']}"},
                }
                doc["channels"][key] = {
                    "address": address,
                    "description": topic.description,
                    "servers": [{"$ref": f"#/servers/{name}"} for name in doc.get("servers", {})],
                    # The same message key as the producer's channel: in the combined document
                    # (scripts/asyncapi.py) both operations point at one channel.
                    "messages": {"Message": {"$ref": f"#/components/messages/{key}:ReceivedMessage"}},
                    "bindings": {"kafka": {"topic": address, "bindingVersion": "0.4.0"}},
                }
                doc["operations"][f"{key}:receive"] = {
                    "action": "receive",
                    "summary": f"{self.settings.service_name} handles {event.EVENT_TYPE}",
                    "channel": {"$ref": f"#/channels/{key}"},
                    "messages": [{"$ref": f"#/channels/{key}/messages/Message"}],
                    # A consumer group belongs to the operation, not to the channel (Kafka bindings).
                    "bindings": {
                        "kafka": {
                            "groupId": {"type": "string", "enum": [self.settings.service_name]},
                            "bindingVersion": "0.4.0",
                        }
                    },
                }
        for section in (doc["channels"], doc["operations"], messages, schemas):
            ordered = dict(sorted(section.items()))
            section.clear()
            section.update(ordered)
        return doc


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    context: object = None,
    version: str = "0.1.0",
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """`context`: what the service's use cases need (read by its routes through `api.context_of`).
    `body_limits`: a larger (or smaller) request body limit for the paths under each prefix."""
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=runtime.lifespan,
        docs_url=None,  # served from the service's own assets, with sign-in (add_docs)
        redoc_url=None,
    )
    app.add_middleware(ControlCharacters)  # inside BodyLimit: it reads only bodies within the limit
    app.add_middleware(BodyLimit, limit=runtime.settings.http_max_body_bytes, overrides=body_limits)
    app.add_middleware(
        ConcurrencyLimit,
        limit=runtime.settings.http_max_concurrency,
        queue_timeout_s=runtime.settings.http_queue_timeout_s,
        metrics=runtime.metrics,
    )
    app.state.runtime = runtime
    app.state.context = context
    app.state.token_verifier = TokenVerifier(runtime.settings)
    add_error_handlers(app)
    add_observability(app, runtime)
    for router in routers:
        app.include_router(router)
    document_answers(app)
    add_docs(app, runtime.settings)
    return app
