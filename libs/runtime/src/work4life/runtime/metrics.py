"""The metrics every service exposes on /metrics, with the same names everywhere.

FastStream's own consumer/publisher metrics (`faststream_*`) come from its Prometheus
middleware on the same registry; these add the delivery guarantees and HTTP.
"""

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

from .lag import PartitionLag

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BusinessMetric:
    """A figure of the service's own work, read from its database when Prometheus scrapes.

    Read from the database rather than counted in memory, so that it survives restarts and every
    replica reports the same value (aggregate with `max`). `sql` returns one row per label set:
    the label values in `labels` order, then the value; it may use `:today`.
    """

    name: str
    documentation: str
    sql: str
    kind: Literal["counter", "gauge"] = "counter"
    labels: tuple[str, ...] = ()


class BusinessMetrics(Collector):
    def __init__(self, service: str, definitions: Sequence[BusinessMetric], min_interval_s: float = 5.0) -> None:
        self.service = service
        self.definitions = tuple(definitions)
        self.min_interval_s = min_interval_s
        self._values: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        self._refreshed_at = float("-inf")

    def refresh(self, engine: Engine, today: date | None = None) -> None:
        """Re-read every figure (at most once per `min_interval_s`, to spare the database)."""
        if not self.definitions or time.monotonic() - self._refreshed_at < self.min_interval_s:
            return
        values: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        with engine.connect() as connection:
            for metric in self.definitions:
                params = {"today": today or date.today()} if ":today" in metric.sql else {}
                rows = connection.execute(text(metric.sql), params).all()
                values[metric.name] = [
                    (tuple("" if v is None else str(v) for v in row[:-1]), float(row[-1] or 0)) for row in rows
                ]
        self._values = values
        self._refreshed_at = time.monotonic()

    def collect(self) -> Iterable[Metric]:
        for metric in self.definitions:
            family_type = CounterMetricFamily if metric.kind == "counter" else GaugeMetricFamily
            family = family_type(metric.name, metric.documentation, labels=["service", *metric.labels])
            rows = self._values.get(metric.name)
            if rows is None:
                continue  # not read yet: better absent than a false zero
            if not metric.labels and not rows:
                rows = [((), 0.0)]
            for labels, value in rows:
                family.add_metric([self.service, *labels], value)
            yield family

    def describe(self) -> Iterable[Metric]:
        return []


class ServiceMetrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = {"service": service}
        self.service = service
        self.outbox_pending = Gauge(
            "w4l_outbox_pending_events",
            "Outbox rows not yet confirmed by Kafka.",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.outbox_oldest_age = Gauge(
            "w4l_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox row (0 when empty).",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.outbox_leader = Gauge(
            "w4l_outbox_relay_leader",
            "1 when this replica's relay publishes the outbox (one per database).",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.outbox_published = Counter(
            "w4l_outbox_published_events_total",
            "Outbox rows published and confirmed by Kafka.",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.outbox_failures = Counter(
            "w4l_outbox_publish_failures_total",
            "Relay rounds that failed to publish (retried with backoff).",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.events_handled = Counter(
            "w4l_events_handled_total",
            "Events taken by a consumer, by outcome (processed, duplicate, ignored: a known type this service does not "
            "handle, unknown: a type or version the contracts do not know, dead_lettered).",
            ["service", "event_type", "outcome"],
            registry=self.registry,
        )
        self.events_unknown = Counter(
            "w4l_events_unknown_total",
            "Well-formed events of a type or version that this build of the contracts does not know "
            "(a newer producer): skipped, their offset committed. Upgrade the consumer's contracts to "
            "read them (contracts/README.md).",
            ["service", "event_type", "schema_version"],
            registry=self.registry,
        )
        self.handler_duration = Histogram(
            "w4l_event_handler_duration_seconds",
            "Time to handle one event, database commit included (in a batch: its share of the batch).",
            ["service", "event_type"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.dead_letters = Counter(
            "w4l_dead_letters_total",
            "Messages sent to a dead-letter topic, by source topic and reason.",
            ["service", "source_topic", "reason"],
            registry=self.registry,
        )
        self.dead_letters_waiting = Gauge(
            "w4l_dead_letters_waiting",
            "Messages in the service's dead-letter topic not replayed yet, by source topic and reason "
            "(read from the topic: the same from every replica, and after a restart).",
            ["service", "source_topic", "reason"],
            registry=self.registry,
        )
        self.http_requests = Counter(
            "w4l_http_requests_total",
            "HTTP requests by route and status code.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "w4l_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["service", "method", "route"],
            registry=self.registry,
        )
        self.http_waiting = Gauge(
            "w4l_http_requests_waiting",
            "Requests waiting for one of the service's request slots (http_max_concurrency).",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.http_shed = Counter(
            "w4l_http_requests_shed_total",
            "Requests refused with 503 because no request slot came free within http_queue_timeout_s.",
            ["service"],
            registry=self.registry,
        ).labels(**labels)

        self.consumer_lag = Gauge(
            "w4l_consumer_lag_messages",
            "Records of a partition not yet committed by the service's consumer group (group-wide: "
            "every replica reports the same figure).",
            ["service", "group", "topic", "partition"],
            registry=self.registry,
        )
        self.consumer_lag_measured = Gauge(
            "w4l_consumer_lag_measured_timestamp_seconds",
            "When the consumer lag was last measured successfully (Unix time).",
            ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.business: BusinessMetrics | None = None
        self._waiting_kinds: set[tuple[str, str]] = set()

    def record_dead_letters_waiting(self, counts: dict[tuple[str, str], int]) -> None:
        """Set the figures by (source topic, reason); a kind with nothing waiting any more shows 0."""
        for kind in self._waiting_kinds | set(counts):
            self.dead_letters_waiting.labels(self.service, *kind).set(counts.get(kind, 0))
        self._waiting_kinds |= set(counts)

    def add_business_metrics(self, definitions: Sequence[BusinessMetric]) -> None:
        self.business = BusinessMetrics(self.service, definitions)
        self.registry.register(self.business)

    def record_lag(self, group: str, partitions: Iterable[PartitionLag]) -> None:
        self.consumer_lag.clear()
        for p in partitions:
            self.consumer_lag.labels(self.service, group, p.topic, str(p.partition)).set(p.lag)
        self.consumer_lag_measured.set(time.time())

    def handled(self, event_type: str, outcome: str, times: int = 1) -> None:
        self.events_handled.labels(self.service, event_type, outcome).inc(times)
