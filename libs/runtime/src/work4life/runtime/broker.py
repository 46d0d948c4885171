"""The Kafka side of a service: a durable FastStream broker and topic creation."""

import json
import logging
import ssl
import time
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from . import retention
from .consumer import PublishDeadLetter
from .metrics import ServiceMetrics
from .outbox import OutboxMessage, Publish
from .settings import ServiceSettings

log = logging.getLogger(__name__)

DEAD_LETTERS_SUFFIX = ".dead_letters"


def _ssl_context(settings: ServiceSettings) -> ssl.SSLContext | None:
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_ssl_certfile:
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile)
    return context


def faststream_security(settings: ServiceSettings) -> BaseSecurity | None:
    """TLS and SASL for the service's own consumer and producer (FastStream/aiokafka)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = _ssl_context(settings)
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    username = settings.kafka_sasl_username or ""
    password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    kind = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    return kind[settings.kafka_sasl_mechanism](username, password, ssl_context=context, use_ssl=protocol == "SASL_SSL")


def kafka_options(settings: ServiceSettings) -> dict[str, Any]:
    """The same connection for kafka-python clients (topic creation, lag, tooling)."""
    options: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap_servers}
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return options
    options["security_protocol"] = protocol
    if protocol.endswith("SSL"):
        options["ssl_context"] = _ssl_context(settings)
    if protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        )
    return options


def make_broker(settings: ServiceSettings, metrics: ServiceMetrics) -> KafkaBroker:
    """A broker whose producer waits for every in-sync replica and never writes a record twice."""
    return KafkaBroker(
        settings.kafka_bootstrap_list,
        security=faststream_security(settings),
        client_id=f"w4l-{settings.service_name}",
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=15_000,
        middlewares=[KafkaPrometheusMiddleware(registry=metrics.registry, app_name=settings.service_name)],
        logger=logging.getLogger(f"work4life.{settings.service_name}.broker"),
        # One line per message at INFO would drown the logs at programme scale.
        log_level=logging.DEBUG,
    )


def outbox_publisher(broker: KafkaBroker) -> Publish:
    async def publish(row: OutboxMessage) -> Awaitable[Any] | None:
        """Queued in the producer in call order; the returned future completes on the broker's ack."""
        acknowledged: Awaitable[Any] | None = await broker.publish(
            row.payload, topic=row.topic, key=row.key.encode(), headers=json.loads(row.headers), no_confirm=True
        )
        return acknowledged

    return publish


def dead_letter_publisher(broker: KafkaBroker) -> PublishDeadLetter:
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
    bootstrap_servers: str,
    names: Iterable[str],
    partitions: int = 6,
    replication_factor: int = 1,
    configs: Mapping[str, Mapping[str, str]] | None = None,
    **client_options: Any,
) -> list[str]:
    """Create the topics that do not exist yet, each with the retention of its kind (ADR 13) unless
    `configs` says otherwise: a `<service>.dead_letters` topic expires, every other one keeps its
    records for good. Returns the names created. `client_options` are kafka-python's (security),
    as `kafka_options` gives them."""
    client_options = {**client_options, "bootstrap_servers": bootstrap_servers}
    admin = KafkaAdminClient(client_id="w4l-admin", request_timeout_ms=15_000, **client_options)
    try:
        existing = set(admin.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        created = []
        for name in missing:
            try:
                default = retention.policy(not name.endswith(DEAD_LETTERS_SUFFIX))
                topic_configs = dict((configs or {}).get(name, default))
                admin.create_topics([NewTopic(name, partitions, replication_factor, topic_configs=topic_configs)])
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("created topics: %s", ", ".join(created))
            _wait_until_listed(admin, created)
        return created
    finally:
        admin.close()
