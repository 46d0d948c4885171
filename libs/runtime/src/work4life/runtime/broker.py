"""The Kafka side of a service: a durable FastStream broker and topic creation."""

import json
import logging
import time
from collections.abc import Iterable

from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from .metrics import ServiceMetrics
from .outbox import OutboxMessage
from .settings import ServiceSettings

log = logging.getLogger(__name__)


def make_broker(settings: ServiceSettings, metrics: ServiceMetrics) -> KafkaBroker:
    """A broker whose producer waits for every in-sync replica and never writes a record twice."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"w4l-{settings.service_name}",
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=15_000,
        middlewares=[KafkaPrometheusMiddleware(registry=metrics.registry, app_name=settings.service_name)],
        logger=logging.getLogger(f"work4life.{settings.service_name}.broker"),
        # One line per message at INFO would drown the logs at programme scale.
        log_level=logging.DEBUG,
    )


def outbox_publisher(broker: KafkaBroker):  # type: ignore[no-untyped-def]
    async def publish(row: OutboxMessage) -> None:
        await broker.publish(row.payload, topic=row.topic, key=row.key.encode(), headers=json.loads(row.headers))

    return publish


def dead_letter_publisher(broker: KafkaBroker):  # type: ignore[no-untyped-def]
    async def publish(topic: str, key: bytes | None, value: bytes | None, headers: dict[str, str]) -> None:
        await broker.publish(value or b"", topic=topic, key=key, headers=headers)

    return publish


def _wait_until_listed(admin: KafkaAdminClient, names: list[str], timeout_s: float = 30.0) -> None:
    """A created topic reaches the broker's metadata a moment later; callers rely on it being there."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if set(names) <= set(admin.list_topics()):
            return
        time.sleep(0.1)
    raise TimeoutError(f"topics not visible after {timeout_s}s: {', '.join(names)}")


def ensure_topics(
    bootstrap_servers: str, names: Iterable[str], partitions: int = 6, replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet. Returns the names created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="w4l-admin", request_timeout_ms=15_000)
    try:
        existing = set(admin.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        created = []
        for name in missing:
            try:
                admin.create_topics([NewTopic(name, partitions, replication_factor)])
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("created topics: %s", ", ".join(created))
            _wait_until_listed(admin, created)
        return created
    finally:
        admin.close()
